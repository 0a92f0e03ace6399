/**
 * `ipam check` (calicoctl v3.32.1 `commands/ipam/check.go`, plus HEAD's block validation) without
 * Kubernetes: what is in use comes from the datastore itself, i.e. Node tunnel addresses (IPv4
 * VXLAN, WireGuard, IPIP), WorkloadEndpoint `spec.ipNetworks`, and Windows-reserved addresses. It
 * finds addresses allocated but unused, used but not allocated, handles without addresses,
 * addresses whose handle is missing, structurally invalid blocks, and (ours) blocks and affinities
 * of nodes that no longer exist and allocations outside every active pool. Printed lines are
 * calicoctl's, in its order; its map-ordered lists come in datastore order here.
 *
 * Blocks are streamed at one revision and only per-allocation records are kept (the report needs
 * them); block values are decoded exactly so report sequence numbers match the datastore.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { cidrContains, formatIP, parseCIDROrIP, type IPAddr } from '../resources/ip.js';
import {
  KUBE_CONTROLLERS_CONFIGURATION_KEY,
  WORKLOAD_ENDPOINT_PREFIX,
} from '../resources/well-known-keys.js';
import { NODE_PREFIX, parseAffinity } from './affinity.js';
import { BLOCK_PREFIX, HANDLE_PREFIX, IPAM_PREFIX, bitsOf, ordinalToIP, parseBlockKey } from './block-key.js';
import {
  decodeBlock,
  WINDOWS_RESERVED_HANDLE,
  type AllocationAttribute,
  type DecodedBlock,
} from './block.js';
import { validateBlock } from './block-validate.js';
import { parseHandleKey } from './handles.js';
import { listPools, type PoolInfo } from './pools.js';
import { readClusterInfo } from './release-report.js';
import type { HandleInfo, Report, ReportAllocation } from './report.js';
import { compareGoStrings } from '../codec/go-json.js';

const AFFINITY_KEY = /^\/calico\/ipam\/v2\/(host|virtual)\/([^/]+)\/ipv[46]\/block\/([^/]+)$/;
const TOP_NODES = 20;

export interface CheckOptions {
  showAllIPs: boolean;
  /** Implied by showAllIPs. */
  showProblemIPs: boolean;
  /** Written into the report; release --from-report compares it with its own. */
  version: string;
  /** Called with a short description of the current phase (for a progress line). */
  progress?: (label: string) => void;
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
  problemCount: number;
  problems: {
    leakedIPs: string[];
    inUseNotInActivePools: string[];
    inUseNotAllocated: string[];
    leakedHandles: string[];
    missingHandles: string[];
    invalidBlocks: { key: string; reason: string }[];
    blocksOfMissingNodes: { block: string; node: string }[];
    affinitiesOfMissingNodes: { key: string; node: string }[];
    allocationsOutsideActivePools: string[];
  };
}

export interface CheckResult {
  /** calicoctl's stdout. */
  text: string;
  report: Report;
  summary: CheckSummary;
}

interface Allocation extends ReportAllocation {
  attr: AllocationAttribute | undefined;
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

/** cnet.ParseCIDROrIP + IP.String (normaliseIP). */
function normaliseIP(text: string): string | undefined {
  const c = parseCIDROrIP(text);
  return c ? formatIP(c.ip) : undefined;
}

function objectOf(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function decodeResource(kv: KeyValue): Record<string, unknown> {
  try {
    return objectOf(JSON.parse(kv.value));
  } catch (err) {
    throw new OperationError(`cannot decode ${kv.key}: ${(err as Error).message}`, {
      code: 'CorruptData',
      hint: `inspect it with 'etcdctl get ${kv.key}'`,
    });
  }
}

class Checker {
  readonly out: string[] = [];
  readonly allocations = new Map<string, Allocation[]>();
  readonly allocationsByNode = new Map<string, number>();
  readonly inUseIPs = new Map<string, string[]>();
  readonly inUseHandles = new Set<string>();
  /** LoadBalancer allocations (type attribute), used only when the LoadBalancer controller is configured. */
  readonly serviceAllocations: { ip: string; service: string; namespace: string }[] = [];

  constructor(private readonly opts: CheckOptions) {}

  print(line = ''): void {
    this.out.push(line);
  }

  recordAllocation(block: DecodedBlock, ord: number, lines: string[]): void {
    const b = block.value;
    const ip = formatIP(ordinalToIP(block.net, ord));
    const affinity = b.affinity ?? '';
    const blockHost = affinity.startsWith('host:') ? affinity.slice(5) : '';
    let node = blockHost;
    const alloc: Allocation = { ip, inUse: false, owners: null, attr: undefined };
    const idx = b.allocations![ord]!;
    const attr = b.attributes?.[idx];
    let windowsReserved = false;
    if (attr) {
      alloc.attr = attr;
      const handle = typeof attr.handle_id === 'string' ? attr.handle_id : undefined;
      if (handle === WINDOWS_RESERVED_HANDLE) {
        windowsReserved = true;
      } else if (handle !== undefined) {
        alloc.handle = handle;
        this.inUseHandles.add(handle);
      }
      const s = attr.secondary ?? {};
      if (s['node']) node = s['node'];
      if (s['pod']) alloc.pod = s['pod'];
      if (s['namespace']) alloc.namespace = s['namespace'];
      if (s['type']) alloc.type = s['type'];
      if (s['timestamp']) alloc.creationTimestamp = s['timestamp'];
      if (s['type'] === 'LoadBalancer' && s['service']) {
        this.serviceAllocations.push({ ip, service: s['service'], namespace: s['namespace'] ?? '' });
      }
    }
    alloc.sequenceNumber = BigInt(b.sequenceNumberForAllocation?.[String(ord)] ?? 0);
    if (node !== '') alloc.node = node;
    if (node !== blockHost) alloc.borrowed = true;
    const list = this.allocations.get(ip) ?? [];
    list.push(alloc);
    this.allocations.set(ip, list);
    this.allocationsByNode.set(node, (this.allocationsByNode.get(node) ?? 0) + 1);
    // calicoctl records the Windows owner before the allocation exists, leaving it "not in use" in
    // the report (so release --from-report would free it); we mark the allocation in use.
    if (windowsReserved) this.recordInUseIP(ip, 'Reserved for Windows', lines);
    if (this.opts.showAllIPs) lines.push(`  ${ip} allocated; attrs ${formatAttrs(alloc.attr)}`);
  }

  recordInUseIP(ip: string, owner: string, lines: string[] = this.out): void {
    if (this.opts.showAllIPs) lines.push(`  ${ip} belongs to ${owner}`);
    const owners = this.inUseIPs.get(ip) ?? [];
    owners.push(owner);
    this.inUseIPs.set(ip, owners);
    for (const a of this.allocations.get(ip) ?? []) {
      a.inUse = true;
      a.owners = [...(a.owners ?? []), owner];
    }
  }
}

export async function checkIPAM(ds: Datastore, opts: CheckOptions): Promise<CheckResult> {
  const c = new Checker(opts);
  const showProblems = opts.showProblemIPs || opts.showAllIPs;
  const progress = opts.progress ?? (() => undefined);
  c.print('Checking IPAM for inconsistencies...');
  c.print();
  const info = await readClusterInfo(ds);
  const revision = await ds.currentRevision();

  // Blocks.
  progress('Loading IPAM blocks');
  c.print('Loading all IPAM blocks...');
  const blockLines: string[] = [];
  const invalidBlocks: { key: string; reason: string; label: string }[] = [];
  const blockHosts: { block: string; node: string }[] = [];
  const blockNets: { net: NonNullable<ReturnType<typeof parseBlockKey>>; ips: string[] }[] = [];
  let numBlocks = 0;
  let numAllocs = 0;
  for await (const kv of await ds.list(BLOCK_PREFIX, { revision })) {
    if (!parseBlockKey(kv.key)) continue;
    let block: DecodedBlock;
    try {
      block = decodeBlock(kv, { exact: true });
    } catch (err) {
      invalidBlocks.push({
        key: kv.key,
        label: kv.key,
        reason: (err as { reason?: string }).reason ?? String(err),
      });
      continue;
    }
    numBlocks++;
    if (numBlocks % 500 === 0) progress(`Loading IPAM blocks (${numBlocks})`);
    const b = block.value;
    const cidr = `${formatIP(block.net.network)}/${block.net.prefix}`;
    blockLines.push(` IPAM block ${b.cidr} affinity=${b.affinity ?? '<none>'}:`);
    const reason = validateBlock(block);
    if (reason) invalidBlocks.push({ key: kv.key, label: `BlockKey(cidr=${cidr})`, reason });
    const aff = parseAffinity(b.affinity);
    if (aff?.type === 'host') blockHosts.push({ block: cidr, node: aff.host });
    const ips: string[] = [];
    (b.allocations ?? []).forEach((idx, ord) => {
      if (idx === null) return;
      numAllocs++;
      c.recordAllocation(block, ord, blockLines);
      ips.push(formatIP(ordinalToIP(block.net, ord)));
    });
    blockNets.push({ net: block.net, ips });
  }
  c.print(`Found ${numBlocks} IPAM blocks.`);
  c.out.push(...blockLines);
  c.print(`IPAM blocks record ${numAllocs} allocations.`);
  c.print();

  // Pools.
  progress('Loading IP pools');
  c.print('Loading all IPAM pools...');
  const { pools } = await listPools(ds, revision);
  const active: PoolInfo[] = [];
  for (const p of pools) {
    if (p.disabled) continue;
    c.print(`  ${p.cidrText}`);
    if (!p.net) {
      throw new OperationError(`failed to parse IP pool CIDR: invalid CIDR address: ${p.cidrText}`, {
        hint: `fix spec.cidr of IPPool ${p.name} (${p.key})`,
      });
    }
    active.push(p);
  }
  c.print(`Found ${active.length} active IP pools.`);
  c.print();
  const inActivePool = (ip: IPAddr): boolean =>
    active.some((p) => cidrContains(p.net!, { network: ip, prefix: bitsOf(ip.version) }));

  // Nodes.
  progress('Loading nodes');
  c.print('Loading all nodes.');
  const nodes = new Set<string>();
  let numNodeIPs = 0;
  for await (const kv of await ds.list(NODE_PREFIX, { revision })) {
    const obj = decodeResource(kv);
    const name = String(objectOf(obj['metadata'])['name'] ?? kv.key.slice(NODE_PREFIX.length));
    nodes.add(name);
    const spec = objectOf(obj['spec']);
    const tunnels: [string, unknown][] = [
      ['IPv4VXLANTunnelAddr', spec['ipv4VXLANTunnelAddr']],
      ['Wireguard.InterfaceIPv4Address', objectOf(spec['wireguard'])['interfaceIPv4Address']],
      ['IPv4IPIPTunnelAddr', objectOf(spec['bgp'])['ipv4IPIPTunnelAddr']],
    ];
    for (const [field, value] of tunnels) {
      if (typeof value !== 'string' || value === '') continue;
      const ip = normaliseIP(value);
      if (!ip) {
        throw new OperationError(
          `failed to parse ${field} (${value}) of node ${name}: invalid CIDR address: ${value}`,
          {
            hint: `fix the Node resource at ${kv.key}`,
          },
        );
      }
      c.recordInUseIP(ip, `Node(${name})`);
      numNodeIPs++;
    }
  }
  c.print(`Found ${numNodeIPs} node tunnel IPs.`);
  c.print();

  // LoadBalancer services: Services live in Kubernetes, not in this datastore; see docs/ipam.md.
  c.print('Loading all service load balancer IPs.');
  const kcc = await ds.get(KUBE_CONTROLLERS_CONFIGURATION_KEY, { revision });
  const loadBalancer = kcc
    ? objectOf(objectOf(decodeResource(kcc)['spec'])['controllers'])['loadBalancer']
    : undefined;
  let lbServices: number | null = null;
  if (loadBalancer === undefined || loadBalancer === null) {
    c.print('No configuration for LoadBalancer kubecontroller found, skipping service check');
  } else {
    const services = new Set<string>();
    for (const a of c.serviceAllocations) {
      services.add(`${a.namespace}/${a.service}`);
      c.recordInUseIP(a.ip, a.service);
    }
    lbServices = services.size;
    c.print(`Found ${services.size} service load balancer(s).`);
  }
  c.print();

  // Workload endpoints.
  progress('Loading workload endpoints');
  c.print('Loading all workload endpoints.');
  let numWEPIPs = 0;
  for await (const kv of await ds.list(WORKLOAD_ENDPOINT_PREFIX, { revision })) {
    const obj = decodeResource(kv);
    const meta = objectOf(obj['metadata']);
    const networks = objectOf(obj['spec'])['ipNetworks'];
    for (const n of Array.isArray(networks) ? networks : []) {
      const ip = typeof n === 'string' ? normaliseIP(n) : undefined;
      if (!ip) {
        throw new OperationError(
          `failed to parse IP (${String(n)}) of workload ${String(meta['namespace'] ?? '')}/${String(meta['name'] ?? '')}: invalid CIDR address: ${String(n)}`,
          { hint: `fix spec.ipNetworks of the WorkloadEndpoint at ${kv.key}` },
        );
      }
      c.recordInUseIP(ip, `Workload(${String(meta['namespace'] ?? '')}/${String(meta['name'] ?? '')})`);
      numWEPIPs++;
    }
  }
  c.print(`Found ${numWEPIPs} workload IPs.`);
  c.print(`Workloads and nodes are using ${c.inUseIPs.size} IPs.`);
  c.print();

  // Handles and affinities.
  progress('Loading handles');
  c.print('Loading all handles');
  const handles = new Map<string, HandleInfo>();
  for await (const kv of await ds.list(HANDLE_PREFIX, { revision })) {
    const id = parseHandleKey(kv.key);
    if (id !== undefined) handles.set(id, { ID: id, UID: null, Revision: String(kv.modRevision) });
  }
  const orphanAffinities: { key: string; node: string }[] = [];
  for await (const kv of await ds.list(`${IPAM_PREFIX}host/`, { revision })) {
    const m = AFFINITY_KEY.exec(kv.key);
    if (m && !nodes.has(m[2]!)) orphanAffinities.push({ key: kv.key, node: m[2]! });
  }

  // Top nodes. calicoctl's sort is not stable; ties are broken by name here.
  c.print(`Looking for top (up to ${TOP_NODES}) nodes by allocations...`);
  const byNode = [...c.allocationsByNode].sort((a, b) => b[1] - a[1] || compareGoStrings(a[0], b[0]));
  for (const [n, count] of byNode.slice(0, TOP_NODES)) c.print(`  ${n} has ${count} allocations`);
  if (byNode.length > 0) {
    c.print(
      `Node with most allocations has ${byNode[0]![1]}; median is ${byNode[Math.floor(byNode.length / 2)]![1]}`,
    );
  }
  c.print();

  let numProblems = 0;
  progress('Cross-checking');
  c.print('Scanning for IPs that are allocated but not actually in use...');
  const leakedIPs: string[] = [];
  for (const [ip, allocs] of c.allocations) {
    if (c.inUseIPs.has(ip)) continue;
    if (showProblems) for (const a of allocs) c.print(`  ${ip} leaked; attrs ${formatAttrs(a.attr)}`);
    leakedIPs.push(ip);
  }
  numProblems += leakedIPs.length;
  c.print(`Found ${leakedIPs.length} IPs that are allocated in IPAM but not actually in use.`);

  c.print('Scanning for IPs that are in use by a workload or node but not allocated in IPAM...');
  const notAllocated: string[] = [];
  const nonCalico: string[] = [];
  for (const [ip, owners] of c.inUseIPs) {
    if (showProblems && owners.length > 1) c.print(`  ${ip} has multiple owners.`);
    if (c.allocations.has(ip)) continue;
    const parsed = parseCIDROrIP(ip);
    if (!parsed || !inActivePool(parsed.ip)) {
      if (showProblems)
        for (const o of owners) c.print(`  ${ip} in use by ${o} is not in any active IP pool.`);
      nonCalico.push(ip);
      continue;
    }
    if (showProblems) {
      for (const o of owners)
        c.print(`  ${ip} in use by ${o} and in active IPAM pool but has no IPAM allocation.`);
    }
    notAllocated.push(ip);
  }
  numProblems += nonCalico.length + notAllocated.length;
  c.print(`Found ${nonCalico.length} in-use IPs that are not in active IP pools.`);
  c.print(
    `Found ${notAllocated.length} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.`,
  );
  c.print();

  c.print('Scanning for IPAM handles with no matching IPs...');
  let goodHandles = 0;
  const leakedHandles: HandleInfo[] = [];
  for (const [id, h] of handles) {
    if (c.inUseHandles.has(id)) {
      goodHandles++;
      continue;
    }
    if (opts.showAllIPs) c.print(`  ${id} doesn't have any active IPs.`);
    numProblems++;
    leakedHandles.push(h);
  }
  c.print(
    `Found ${leakedHandles.length} handles with no matching IPs (and ${goodHandles} handles with matches).`,
  );

  c.print('Scanning for IPs with missing handle...');
  const missingHandles: string[] = [];
  for (const id of c.inUseHandles) {
    if (handles.has(id)) continue;
    if (showProblems) c.print(`  ${id} is in use in a block but doesn't exist.`);
    missingHandles.push(id);
  }
  c.print(`Found ${missingHandles.length} handles mentioned in blocks with no matching handle resource.`);

  c.print('Validating IPAMBlock structures...');
  for (const b of invalidBlocks) c.print(`  IPAMBlock ${b.label} is invalid: ${b.reason}`);
  numProblems += invalidBlocks.length;
  c.print(`Found ${invalidBlocks.length} invalid IPAMBlocks.`);

  // Ours: ownership by nodes that are gone, and allocations no active pool covers.
  c.print('Scanning for IPAM blocks and affinities of nodes that no longer exist...');
  const orphanBlocks = blockHosts.filter((b) => !nodes.has(b.node));
  if (showProblems) {
    for (const b of orphanBlocks)
      c.print(`  IPAM block ${b.block} is affine to node ${b.node}, which does not exist.`);
    for (const a of orphanAffinities)
      c.print(`  Affinity ${a.key} belongs to node ${a.node}, which does not exist.`);
  }
  numProblems += orphanBlocks.length + orphanAffinities.length;
  c.print(
    `Found ${orphanBlocks.length} IPAM blocks and ${orphanAffinities.length} block affinities of nodes that no longer exist.`,
  );

  c.print('Scanning for allocations outside active IP pools...');
  const outside: string[] = [];
  for (const { ips } of blockNets) {
    for (const ip of ips) {
      const parsed = parseCIDROrIP(ip);
      if (parsed && inActivePool(parsed.ip)) continue;
      if (showProblems) c.print(`  ${ip} is allocated but not in any active IP pool.`);
      outside.push(ip);
    }
  }
  numProblems += outside.length;
  c.print(`Found ${outside.length} allocations outside active IP pools.`);

  c.print(`Check complete; found ${numProblems} problems.`);

  const reportAllocations = new Map<string, ReportAllocation[]>();
  for (const [ip, list] of c.allocations) {
    reportAllocations.set(
      ip,
      list.map(({ attr: _attr, ...rest }) => rest),
    );
  }
  const report: Report = {
    version: opts.version,
    clusterGUID: info.clusterGUID,
    datastoreLocked: info.locked,
    clusterInformationRevision: info.resourceVersion,
    clusterType: info.clusterType,
    allocations: reportAllocations,
    leakedHandles,
  };
  return {
    text: c.out.map((l) => l + '\n').join(''),
    report,
    summary: {
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
      handles: handles.size,
      problemCount: numProblems,
      problems: {
        leakedIPs,
        inUseNotInActivePools: nonCalico,
        inUseNotAllocated: notAllocated,
        leakedHandles: leakedHandles.map((h) => h.ID),
        missingHandles,
        invalidBlocks: invalidBlocks.map(({ key, reason }) => ({ key, reason })),
        blocksOfMissingNodes: orphanBlocks,
        affinitiesOfMissingNodes: orphanAffinities,
        allocationsOutsideActivePools: outside,
      },
    },
  };
}
