/**
 * `ipam check`: calicoctl v3.32.1's `commands/ipam/check.go` without Kubernetes. What is in use
 * comes from the datastore itself: Node tunnel addresses (IPv4 VXLAN, WireGuard, IPIP),
 * WorkloadEndpoint `spec.ipNetworks`, and Windows-reserved addresses. Everything up to
 * `Check complete; found N problems.` is calicoctl's text for the same data; where calicoctl's
 * order comes from a Go map, ours is first appearance in the datastore (an order it can print).
 * Then come the checks calicoctl lacks (check-extras.ts), each only when it found something,
 * starting with the values that could not be decoded (skipped, as calicoctl skips them, and never
 * put in the report).
 *
 * Memory stays bounded by what the answer needs: every prefix is scanned (a streamed value lives
 * only while it is visited), the text is handed to `print` section by section as it is computed,
 * and per address only its text and a count are kept, plus the report's fields with `keepReport`.
 */
import type { Datastore } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { cidrContains, formatIP as formatIPv6, parseIP } from '../resources/ip.js';
import {
  KUBE_CONTROLLERS_CONFIGURATION_KEY,
  WORKLOAD_ENDPOINT_PREFIX,
} from '../resources/well-known-keys.js';
import { compareGoStrings } from '../codec/go-json.js';
import { NODE_PREFIX } from './affinity.js';
import { BLOCK_PREFIX, HANDLE_PREFIX, IPAM_PREFIX, bitsOf, ordinalToIP, type Network } from './block-key.js';
import { WINDOWS_RESERVED_HANDLE, type AllocationAttribute } from './block.js';
import { extraChecks as defaultExtraChecks, type ExtraCheck, type ExtraFindings } from './check-extras.js';
import {
  invalidCIDR,
  isRejected,
  isUnreadable,
  normaliseIP,
  readBlock,
  readHandle,
  readLoadBalancerConfigured,
  readNode,
  readWorkloadEndpoint,
  type CheckedBlock,
  type Unreadable,
} from './check-values.js';
import { parseHandleKey } from './handles.js';
import { listPools } from './pools.js';
import { readClusterInfo } from './release-report.js';
import type { HandleInfo, ReportAllocation, ReportHead } from './report.js';

const TOP_NODES = 20;

export interface CheckOptions {
  showAllIPs: boolean;
  /** Implied by showAllIPs. */
  showProblemIPs: boolean;
  /** Written into the report; release --from-report compares it with its own. */
  version: string;
  /** Receives the text, a section at a time, as soon as it is computed. */
  print: (text: string) => void;
  /** Keep every allocation's fields for the report (-o FILE). */
  keepReport: boolean;
  /** Collect the problem lists of the JSON summary (text needs only the counts). */
  collect: boolean;
  /** Called with a short description of the current phase (for a progress line). */
  progress?: (label: string) => void;
  /** The checks after calicoctl's final line (default: extraChecks()). */
  extraChecks?: readonly ExtraCheck[];
}

export interface CheckSummary {
  clusterGUID: string;
  clusterType: string;
  datastoreLocked: boolean;
  clusterInformationRevision: string;
  blocks: number;
  allocations: number;
  activePools: number;
  nodeTunnelIPs: number;
  workloadIPs: number;
  /** null when the LoadBalancer check was skipped. */
  loadBalancerServices: number | null;
  inUseIPs: number;
  handles: number;
  /** calicoctl's N: the problems of its kinds. */
  problemCount: number;
  problems: {
    leakedIPs: string[];
    inUseNotInActivePools: string[];
    inUseNotAllocated: string[];
    leakedHandles: string[];
    missingHandles: string[];
  };
  /** The problems of the checks calicoctl lacks. */
  extraProblemCount: number;
  extraProblems: Record<string, unknown> & { unreadableValues: Unreadable[] };
}

export interface CheckResult {
  summary: CheckSummary;
  /** With keepReport: calicoctl's report, its allocations in Go's (sorted) key order. */
  report?: { head: ReportHead; allocations: () => Iterable<[string, ReportAllocation[]]> };
}

/** An allocation's report fields; the IP is the key it is kept under. */
interface AllocationFields {
  handle?: string;
  sequenceNumber: bigint | number;
  pod?: string;
  namespace?: string;
  node?: string;
  type?: string;
  creationTimestamp?: string;
  borrowed?: boolean;
  /** formatAttrs, kept only for --show-problem-ips. */
  attrs?: string;
}

/** Owner-attribute text of the problem lines (check.go formatAttrs / kvsFormat). */
function formatAttrs(attr: AllocationAttribute | undefined): string {
  if (!attr) return '<missing>';
  const kvs = (m: Record<string, string> | null | undefined): string =>
    Object.keys(m ?? {})
      .sort(compareGoStrings)
      .map((k) => `${k}=${m![k]}`)
      .join(',');
  const main = typeof attr.handle_id === 'string' ? attr.handle_id : '<none>';
  let out = `Main:${main} Extra:${kvs(attr.secondary)}`;
  if (Object.keys(attr.alternateOwnerAttrs ?? {}).length > 0)
    out += ` Alternate:${kvs(attr.alternateOwnerAttrs)}`;
  return out;
}

/** The text of ordinal ord of a block (b.OrdinalToIP(ord).String()), IPv4 without BigInt. */
function ordinalText(net: Network, base: number, ord: number): string {
  if (net.network.version === 4) {
    const v = base + ord;
    return `${Math.floor(v / 16777216)}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return formatIPv6(ordinalToIP(net, ord));
}

type Owners = string | string[];
const ownerCount = (o: Owners): number => (typeof o === 'string' ? 1 : o.length);
const ownerList = (o: Owners): string[] => (typeof o === 'string' ? [o] : o);

/** The state calicoctl's IPAMChecker keeps, as small as the output allows. */
class Checker {
  /** By address, in first-appearance order: the fields, or just how many allocations. */
  readonly allocations = new Map<string, AllocationFields[] | number>();
  readonly allocationsByNode = new Map<string, number>();
  readonly inUseIPs = new Map<string, Owners>();
  /** Handles blocks name, in first-appearance order; true once the handle was listed. */
  readonly inUseHandles = new Map<string, boolean>();
  /** LoadBalancer allocations (type attribute), used only when the LoadBalancer controller is configured. */
  readonly serviceAllocations: { ip: string; service: string; namespace: string }[] = [];
  readonly unreadable: Unreadable[] = [];
  private readonly keepFields: boolean;

  constructor(private readonly opts: CheckOptions) {
    this.keepFields = opts.keepReport || opts.showProblemIPs || opts.showAllIPs;
  }

  recordBlock(b: CheckedBlock, lines: string[]): number {
    const affinity = b.value.affinity;
    const blockHost = affinity?.startsWith('host:') ? affinity.slice(5) : '';
    const attributes = b.value.attributes ?? [];
    const seqs = b.value.sequenceNumberForAllocation;
    const base = b.net.network.version === 4 ? Number(b.net.network.value) : 0;
    let count = 0;
    const allocations = b.value.allocations ?? [];
    for (let ord = 0; ord < allocations.length; ord++) {
      const idx = allocations[ord];
      if (idx === null || idx === undefined) continue;
      count++;
      const ip = ordinalText(b.net, base, ord);
      const attr = attributes[idx];
      let node = blockHost;
      let handle: string | undefined;
      let windowsReserved = false;
      const secondary = attr?.secondary ?? {};
      if (attr) {
        const id = attr.handle_id;
        if (id === WINDOWS_RESERVED_HANDLE) windowsReserved = true;
        else if (typeof id === 'string') {
          handle = id;
          if (!this.inUseHandles.has(id)) this.inUseHandles.set(id, false);
        }
        if (secondary['node']) node = secondary['node'];
        if (secondary['type'] === 'LoadBalancer' && secondary['service']) {
          this.serviceAllocations.push({ ip, service: secondary['service'], namespace: secondary['namespace'] ?? '' });
        }
      }
      // calicoctl records the Windows owner before the allocation (so its report leaves it "not in
      // use", and its release --from-report would free it); ours is in use.
      if (windowsReserved) this.recordInUseIP(ip, 'Reserved for Windows', lines);
      if (this.keepFields) {
        const fields: AllocationFields = { sequenceNumber: seqs?.[String(ord)] ?? 0 };
        if (this.opts.keepReport) {
          if (handle !== undefined) fields.handle = handle;
          if (secondary['pod']) fields.pod = secondary['pod'];
          if (secondary['namespace']) fields.namespace = secondary['namespace'];
          if (node !== '') fields.node = node;
          if (secondary['type']) fields.type = secondary['type'];
          if (secondary['timestamp']) fields.creationTimestamp = secondary['timestamp'];
          if (node !== blockHost) fields.borrowed = true;
        }
        const attrs = formatAttrs(attr);
        if (this.opts.showProblemIPs) fields.attrs = attrs;
        const list = this.allocations.get(ip);
        if (Array.isArray(list)) list.push(fields);
        else this.allocations.set(ip, [fields]);
        if (this.opts.showAllIPs) lines.push(`  ${ip} allocated; attrs ${attrs}`);
      } else {
        const n = this.allocations.get(ip);
        this.allocations.set(ip, typeof n === 'number' ? n + 1 : 1);
      }
      this.allocationsByNode.set(node, (this.allocationsByNode.get(node) ?? 0) + 1);
    }
    return count;
  }

  recordInUseIP(ip: string, owner: string, lines: string[]): void {
    if (this.opts.showAllIPs) lines.push(`  ${ip} belongs to ${owner}`);
    const owners = this.inUseIPs.get(ip);
    if (owners === undefined) this.inUseIPs.set(ip, owner);
    else if (typeof owners === 'string') this.inUseIPs.set(ip, [owners, owner]);
    else owners.push(owner);
  }
}

/** Text for one section at a time: lines are collected, then printed together. */
class Sections {
  private lines: string[] = [];
  constructor(private readonly print: (text: string) => void) {}
  line(text = ''): void {
    this.lines.push(text);
  }
  add(lines: readonly string[]): void {
    for (const l of lines) this.lines.push(l);
  }
  flush(): void {
    if (this.lines.length === 0) return;
    this.print(this.lines.join('\n') + '\n');
    this.lines = [];
  }
}

export async function checkIPAM(ds: Datastore, opts: CheckOptions): Promise<CheckResult> {
  const c = new Checker(opts);
  const extras = opts.extraChecks ?? defaultExtraChecks();
  const out = new Sections(opts.print);
  const showProblems = opts.showProblemIPs || opts.showAllIPs;
  const progress = opts.progress ?? (() => undefined);
  const unreadable = (u: Unreadable): void => void c.unreadable.push(u);
  out.line('Checking IPAM for inconsistencies...');
  out.line();
  out.flush();
  const info = await readClusterInfo(ds);
  const revision = await ds.currentRevision();

  // Blocks.
  progress('Loading IPAM blocks');
  out.line('Loading all IPAM blocks...');
  out.flush();
  const blockLines: string[] = [];
  let numBlocks = 0;
  let numAllocs = 0;
  await ds.scan(
    BLOCK_PREFIX,
    (kv) => {
      const b = readBlock(kv, opts.keepReport);
      if (b === undefined) return undefined;
      if (isRejected(b)) {
        for (const e of extras) e.rejectedBlock?.(b);
        return undefined;
      }
      if (isUnreadable(b)) return unreadable(b);
      numBlocks++;
      if (numBlocks % 1000 === 0) progress(`Loading IPAM blocks (${numBlocks})`);
      blockLines.push(` IPAM block ${b.cidr} affinity=${b.value.affinity ?? '<none>'}:`);
      numAllocs += c.recordBlock(b, blockLines);
      for (const e of extras) e.block?.(b);
      return undefined;
    },
    { revision },
  );
  out.line(`Found ${numBlocks} IPAM blocks.`);
  out.add(blockLines);
  blockLines.length = 0;
  out.line(`IPAM blocks record ${numAllocs} allocations.`);
  out.line();
  out.flush();

  // Pools.
  progress('Loading IP pools');
  out.line('Loading all IPAM pools...');
  const { pools, problems: poolProblems } = await listPools(ds, revision);
  poolProblems.forEach(unreadable);
  const active: Network[] = [];
  for (const p of pools) {
    if (p.disabled) continue;
    out.line(`  ${p.cidrText}`);
    if (!p.net) {
      out.flush();
      throw new OperationError(`failed to parse IP pool CIDR: ${invalidCIDR(p.cidrText)}`, {
        hint: `fix spec.cidr of IPPool ${p.name} (${p.key})`,
      });
    }
    active.push(p.net);
  }
  out.line(`Found ${active.length} active IP pools.`);
  out.line();
  out.flush();
  const inActivePool = (text: string): boolean => {
    const ip = parseIP(text);
    return ip !== undefined && active.some((p) => cidrContains(p, { network: ip, prefix: bitsOf(ip.version) }));
  };

  // Nodes.
  progress('Loading nodes');
  out.line('Loading all nodes.');
  const nodes = new Set<string>();
  let numNodeIPs = 0;
  let badTunnel: OperationError | undefined;
  await ds.scan(
    NODE_PREFIX,
    (kv) => {
      if (badTunnel) return undefined;
      const node = readNode(kv);
      if (isUnreadable(node)) return unreadable(node);
      nodes.add(node.name);
      const lines: string[] = [];
      for (const [name, value] of node.tunnels) {
        const ip = normaliseIP(value);
        if (ip === undefined) {
          badTunnel = new OperationError(
            `failed to parse ${name} (${value}) of node ${node.name}: ${invalidCIDR(value)}`,
            { hint: `fix the Node resource at ${kv.key}` },
          );
          return undefined;
        }
        c.recordInUseIP(ip, `Node(${node.name})`, lines);
        numNodeIPs++;
      }
      out.add(lines);
      return undefined;
    },
    { revision },
  );
  out.flush();
  if (badTunnel) throw badTunnel;
  out.line(`Found ${numNodeIPs} node tunnel IPs.`);
  out.line();
  out.flush();

  // LoadBalancer services: Services live in Kubernetes, not in this datastore; see docs/ipam.md.
  out.line('Loading all service load balancer IPs.');
  const kcc = await ds.get(KUBE_CONTROLLERS_CONFIGURATION_KEY, { revision });
  let loadBalancer = kcc ? readLoadBalancerConfigured(kcc) : false;
  if (typeof loadBalancer !== 'boolean') {
    unreadable(loadBalancer);
    loadBalancer = false;
  }
  let lbServices: number | null = null;
  if (!loadBalancer) {
    out.line('No configuration for LoadBalancer kubecontroller found, skipping service check');
  } else {
    const services = new Set<string>();
    const lines: string[] = [];
    for (const a of c.serviceAllocations) {
      services.add(`${a.namespace}/${a.service}`);
      c.recordInUseIP(a.ip, a.service, lines);
    }
    out.add(lines);
    lbServices = services.size;
    out.line(`Found ${services.size} service load balancer(s).`);
  }
  c.serviceAllocations.length = 0;
  out.line();
  out.flush();

  // Workload endpoints.
  progress('Loading workload endpoints');
  out.line('Loading all workload endpoints.');
  let numWEPIPs = 0;
  let badWEP: OperationError | undefined;
  await ds.scan(
    WORKLOAD_ENDPOINT_PREFIX,
    (kv) => {
      if (badWEP) return undefined;
      const w = readWorkloadEndpoint(kv);
      if (isUnreadable(w)) return unreadable(w);
      const lines: string[] = [];
      for (const n of w.ipNetworks) {
        const ip = normaliseIP(n);
        if (ip === undefined) {
          badWEP = new OperationError(
            `failed to parse IP (${n}) of workload ${w.namespace}/${w.name}: ${invalidCIDR(n)}`,
            { hint: `fix spec.ipNetworks of the WorkloadEndpoint at ${kv.key}` },
          );
          return undefined;
        }
        c.recordInUseIP(ip, `Workload(${w.namespace}/${w.name})`, lines);
        numWEPIPs++;
      }
      out.add(lines);
      return undefined;
    },
    { revision },
  );
  out.flush();
  if (badWEP) throw badWEP;
  out.line(`Found ${numWEPIPs} workload IPs.`);
  out.line(`Workloads and nodes are using ${c.inUseIPs.size} IPs.`);
  out.line();
  out.flush();

  // Handles. Leaked ones are found as they stream by: only they are kept.
  progress('Loading handles');
  out.line('Loading all handles');
  out.flush();
  let numHandles = 0;
  const leakedHandles: HandleInfo[] = [];
  await ds.scan(
    HANDLE_PREFIX,
    (kv) => {
      const id = parseHandleKey(kv.key);
      if (id === undefined) return undefined;
      const handle = readHandle(kv);
      if (isUnreadable(handle)) return unreadable(handle);
      numHandles++;
      if (numHandles % 20000 === 0) progress(`Loading handles (${numHandles})`);
      if (c.inUseHandles.has(id)) c.inUseHandles.set(id, true);
      else leakedHandles.push({ ID: id, UID: null, Revision: String(kv.modRevision) });
      for (const e of extras) e.handle?.(id, handle);
      return undefined;
    },
    { revision },
  );
  if (extras.some((e) => e.affinity)) {
    await ds.scan(
      `${IPAM_PREFIX}host/`,
      (kv) => {
        for (const e of extras) e.affinity?.(kv);
        return undefined;
      },
      { revision },
    );
  }

  // Top nodes. sort.Slice of up to 12 names is an insertion sort (stable); Go's map iteration
  // order is random, first appearance is one it can produce.
  out.line(`Looking for top (up to ${TOP_NODES}) nodes by allocations...`);
  const byNode = [...c.allocationsByNode].sort((a, b) => b[1] - a[1]);
  for (const [n, count] of byNode.slice(0, TOP_NODES)) out.line(`  ${n} has ${count} allocations`);
  if (byNode.length > 0) {
    out.line(
      `Node with most allocations has ${byNode[0]![1]}; median is ${byNode[Math.floor(byNode.length / 2)]![1]}`,
    );
  }
  out.line();
  out.flush();

  let numProblems = 0;
  progress('Cross-checking');
  out.line('Scanning for IPs that are allocated but not actually in use...');
  const leakedIPs: string[] = [];
  let numLeakedIPs = 0;
  for (const [ip, allocs] of c.allocations) {
    if (c.inUseIPs.has(ip)) continue;
    if (showProblems && Array.isArray(allocs)) for (const a of allocs) out.line(`  ${ip} leaked; attrs ${a.attrs}`);
    numLeakedIPs++;
    if (opts.collect) leakedIPs.push(ip);
  }
  numProblems += numLeakedIPs;
  out.line(`Found ${numLeakedIPs} IPs that are allocated in IPAM but not actually in use.`);
  out.flush();

  out.line('Scanning for IPs that are in use by a workload or node but not allocated in IPAM...');
  const notAllocated: string[] = [];
  const nonCalico: string[] = [];
  let numNotAllocated = 0;
  let numNonCalico = 0;
  for (const [ip, owners] of c.inUseIPs) {
    if (showProblems && ownerCount(owners) > 1) out.line(`  ${ip} has multiple owners.`);
    if (c.allocations.has(ip)) continue;
    if (!inActivePool(ip)) {
      if (showProblems) for (const o of ownerList(owners)) out.line(`  ${ip} in use by ${o} is not in any active IP pool.`);
      numNonCalico++;
      if (opts.collect) nonCalico.push(ip);
      continue;
    }
    if (showProblems) {
      for (const o of ownerList(owners))
        out.line(`  ${ip} in use by ${o} and in active IPAM pool but has no IPAM allocation.`);
    }
    numNotAllocated++;
    if (opts.collect) notAllocated.push(ip);
  }
  numProblems += numNonCalico + numNotAllocated;
  out.line(`Found ${numNonCalico} in-use IPs that are not in active IP pools.`);
  out.line(
    `Found ${numNotAllocated} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.`,
  );
  out.line();
  out.flush();

  out.line('Scanning for IPAM handles with no matching IPs...');
  if (opts.showAllIPs) for (const h of leakedHandles) out.line(`  ${h.ID} doesn't have any active IPs.`);
  numProblems += leakedHandles.length;
  out.line(
    `Found ${leakedHandles.length} handles with no matching IPs (and ${numHandles - leakedHandles.length} handles with matches).`,
  );
  out.flush();

  out.line('Scanning for IPs with missing handle...');
  const missingHandles: string[] = [];
  let numMissing = 0;
  for (const [id, listed] of c.inUseHandles) {
    if (listed) continue;
    if (showProblems) out.line(`  ${id} is in use in a block but doesn't exist.`);
    numMissing++;
    if (opts.collect) missingHandles.push(id);
  }
  numProblems += numMissing;
  out.line(`Found ${numMissing} handles mentioned in blocks with no matching handle resource.`);
  out.line(`Check complete; found ${numProblems} problems.`);
  out.flush();

  // Ours, after calicoctl's final line.
  const findings: ExtraFindings[] = [unreadableFindings(c.unreadable)];
  const ctx = { activePools: active, nodes, collect: opts.collect, showProblemIPs: showProblems };
  for (const e of extras) findings.push(e.finish(ctx));
  const found = findings.filter((f) => f.problemCount > 0);
  const extraProblemCount = found.reduce((n, f) => n + f.problemCount, 0);
  if (found.length > 0) {
    for (const f of found) out.add(f.lines);
    out.line(`Additional checks complete; found ${extraProblemCount} problems.`);
    out.flush();
  }

  const summary: CheckSummary = {
    clusterGUID: info.clusterGUID,
    clusterType: info.clusterType,
    datastoreLocked: info.locked,
    clusterInformationRevision: info.resourceVersion,
    blocks: numBlocks,
    allocations: numAllocs,
    activePools: active.length,
    nodeTunnelIPs: numNodeIPs,
    workloadIPs: numWEPIPs,
    loadBalancerServices: lbServices,
    inUseIPs: c.inUseIPs.size,
    handles: numHandles,
    problemCount: numProblems,
    problems: {
      leakedIPs,
      inUseNotInActivePools: nonCalico,
      inUseNotAllocated: notAllocated,
      leakedHandles: opts.collect ? leakedHandles.map((h) => h.ID) : [],
      missingHandles,
    },
    extraProblemCount,
    extraProblems: Object.assign({ unreadableValues: c.unreadable }, ...findings.slice(1).map((f) => f.json)),
  };
  if (!opts.keepReport) return { summary };
  return {
    summary,
    report: {
      head: {
        version: opts.version,
        clusterGUID: info.clusterGUID,
        datastoreLocked: info.locked,
        clusterInformationRevision: info.resourceVersion,
        clusterType: info.clusterType,
        leakedHandles,
      },
      allocations: () => reportAllocations(c),
    },
  };
}

/** The values calicoctl's listers would skip: listed by key, never in the report. */
function unreadableFindings(found: readonly Unreadable[]): ExtraFindings {
  return {
    problemCount: found.length,
    lines: [
      'Scanning for values that cannot be decoded...',
      ...found.map((u) => `  ${u.key} cannot be decoded: ${u.reason}`),
      `Found ${found.length} values that cannot be decoded (skipped above, and never released).`,
    ],
    json: { unreadableValues: found },
  };
}

/**
 * The report's allocations in Go's sorted map-key order. An allocation is in use when anything
 * claims its address (calicoctl marks the allocations that exist when an owner is recorded: every
 * owner but the Windows reservation, which we count too).
 */
function* reportAllocations(c: Checker): Generator<[string, ReportAllocation[]]> {
  const ips = [...c.allocations.keys()].sort(compareGoStrings);
  for (const ip of ips) {
    const owners = c.inUseIPs.get(ip);
    const list = c.allocations.get(ip) as AllocationFields[];
    yield [
      ip,
      list.map(({ attrs: _attrs, ...fields }) => ({
        ip,
        ...fields,
        inUse: owners !== undefined,
        owners: owners === undefined ? null : ownerList(owners),
      })),
    ];
  }
}
