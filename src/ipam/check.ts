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
import type { Datastore, KeyValue } from '../datastore/contract.js';

import { OperationError } from '../errors.js';
import { cidrContains, formatIP, formatIPv6Groups, ipv6Groups, parseIP } from '../resources/ip.js';
import {
  KUBE_CONTROLLERS_CONFIGURATION_KEY,
  NODE_PREFIX,
  WORKLOAD_ENDPOINT_PREFIX,
} from '../resources/well-known-keys.js';
import { compareGoStrings } from '../codec/go-json.js';
import { TransientKeyValue } from '../datastore/value-head.js';
import {
  BLOCK_PREFIX,
  HANDLE_PREFIX,
  IPAM_PREFIX,
  bitsOf,
  blockKeyNetwork,
  ordinalToIP,
  type Network,
} from './keys.js';
import { affinityHost, WINDOWS_RESERVED_HANDLE } from './block.js';
import {
  fromDecoded,
  ReportTexts,
  walkBlock,
  SEQUENCE_SPLIT,
  type BlockReading,
  type CheckAttribute,
  type CheckBlock,
  type SequenceNumbers,
} from './check-blocks.js';
import { extraChecks as defaultExtraChecks, type ExtraCheck, type ExtraFindings } from './check-extras.js';
import { HandleJoin, NOT_A_HANDLE_KEY, PlainHandle } from './check-handles.js';
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
  type RejectedBlock,
  type Unreadable,
} from './check-values.js';
import { matchesOneAddress } from './consistency.js';
import { parseHandleKey } from './handles.js';
import { listPools } from './pools.js';
import { readClusterInfo } from './release-report.js';
import type { HandleInfo, ReportAllocation, ReportEncoder, ReportHead } from './report.js';
import { grown, LOW_HALF } from './typed-array.js';

const TOP_NODES = 20;
/**
 * The handles after the first page are read in this many pages, not the default ten: etcd counts
 * the rest of the range for every page, which at 300,000 handles cost it ~0.35 s of CPU more.
 */
const HANDLE_PAGES = 3;

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
  /**
   * With keepReport: calicoctl's report. write writes its allocations (writeReportFile); allocations
   * lists the same, in Go's (sorted) key order, as objects (what write is tested against).
   */
  report?: {
    head: ReportHead;
    write: (enc: ReportEncoder) => void;
    allocations: () => Iterable<[string, ReportAllocation[]]>;
  };
}

/**
 * An address as calicoctl's maps key it (IP.String()), held as its 32-bit value for IPv4 so that
 * 300,000 allocations make no strings to hash; IPv6 (and anything that is not a dotted quad) as text.
 */
type IPKey = number | string;

function textOfKey(key: IPKey): string {
  return typeof key === 'number'
    ? `${Math.floor(key / 16777216)}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`
    : key;
}

const DOTTED_QUAD = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

function keyOfText(text: string): IPKey {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return text;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return text;
  return ((octets[0]! * 256 + octets[1]!) * 256 + octets[2]!) * 256 + octets[3]!;
}

/**
 * The keys of a block's ordinals (b.OrdinalToIP(ord).String()): an IPv4 address's value; an IPv6
 * address's text from the block's eight groups with the ordinal added to the last, where that does
 * not carry into the one before (a BigInt per address and its eight shifts cost ~3 µs).
 */
function ordinalKeys(net: Network): (ord: number) => IPKey {
  const value = net.network.value;
  if (net.network.version === 4) {
    const base = Number(value);
    return (ord) => base + ord;
  }
  const groups = ipv6Groups(value);
  const last = groups[7]!;
  return (ord) => {
    if (last + ord > 0xffff) return formatIP(ordinalToIP(net, ord));
    groups[7] = last + ord;
    return formatIPv6Groups(groups);
  };
}

type Owners = string | string[];
const ownerCount = (o: Owners): number => (typeof o === 'string' ? 1 : o.length);
const ownerList = (o: Owners): string[] => (typeof o === 'string' ? [o] : o);

/** calicoctl's formatAttrs text of an allocation's attribute (--show-problem-ips). */
const attrsText = (attr: CheckAttribute | undefined): string => attr?.attrs ?? '<missing>';

/** What the report and the problem lines need of one allocation. */
interface Allocation {
  /** Its handle's ID as the HandleJoin numbered it; -1 for none (or Windows' reservation). */
  handle: number;
  /** Its block's sequence numbers (with the report) and its ordinal. */
  sequences: SequenceNumbers | null;
  ord: number;
  /** Its attribute's texts in the ReportTexts; undefined for none. */
  texts: number | undefined;
  /** calicoctl's formatAttrs text of its attribute (attrsText), kept with --show-problem-ips only. */
  attrs: string;
  /** Its node ('' for none). */
  node: string;
  borrowed: boolean;
}

/** What the texts column holds for an allocation without report texts. */
const NO_TEXTS = -0x80000000;
const SEQUENCE_SPLIT_BIG = BigInt(SEQUENCE_SPLIT);

/**
 * What the report and the problem lines need of every allocation, by its row (AllocatedIPs numbers
 * the rows and holds their addresses), kept until the report is written (it is sorted by address
 * across blocks): in columns, not an object per allocation, with the handle as its number in the
 * HandleJoin, not a string, the attribute's texts as their reference in the ReportTexts (the
 * attribute itself is not kept), and the sequence number (19 digits in Calico's blocks: a BigInt
 * each) as two numbers.
 */
class AllocationRows {
  private handle = new Int32Array(1024);
  private texts = new Int32Array(1024);
  private borrowed = new Uint8Array(1024);
  private sequenceHigh = new Float64Array(1024);
  private sequenceLow = new Float64Array(1024);
  /** Sequence numbers that do not split so (negative, or beyond a uint64), by row. */
  private readonly otherSequences = new Map<number, number | bigint>();
  private readonly attrs: string[] = [];
  private readonly node: string[] = [];
  private count = 0;

  constructor(private readonly withAttrs: boolean) {}

  add(a: Allocation): void {
    const row = this.count++;
    if (row === this.handle.length) {
      this.handle = grown(this.handle);
      this.texts = grown(this.texts);
      this.borrowed = grown(this.borrowed);
      this.sequenceHigh = grown(this.sequenceHigh);
      this.sequenceLow = grown(this.sequenceLow);
    }
    this.handle[row] = a.handle;
    this.texts[row] = a.texts ?? NO_TEXTS;
    this.borrowed[row] = a.borrowed ? 1 : 0;
    this.setSequence(row, a.sequences, a.ord);
    if (this.withAttrs) this.attrs.push(a.attrs);
    this.node.push(a.node);
  }

  handleOf(row: number): number {
    return this.handle[row]!;
  }

  sequenceOf(row: number): number | bigint {
    const high = this.sequenceHigh[row]!;
    const low = this.sequenceLow[row]!;
    if (high < 0) return this.otherSequences.get(row)!;
    const n = high * SEQUENCE_SPLIT + low;
    return Number.isSafeInteger(n) ? n : BigInt(high) * SEQUENCE_SPLIT_BIG + BigInt(low);
  }

  /** Writes the row's sequence number into the report. */
  writeSequence(row: number, enc: ReportEncoder): void {
    const high = this.sequenceHigh[row]!;
    if (high >= 0) enc.sequenceNumberOfParts(high, this.sequenceLow[row]!);
    else enc.sequenceNumber(BigInt(this.otherSequences.get(row)!).toString());
  }

  textsOf(row: number): number | undefined {
    const texts = this.texts[row]!;
    return texts === NO_TEXTS ? undefined : texts;
  }

  attrsOf(row: number): string {
    return this.attrs[row]!;
  }

  nodeOf(row: number): string {
    return this.node[row]!;
  }

  borrowedAt(row: number): boolean {
    return this.borrowed[row] === 1;
  }

  private setSequence(row: number, sequences: SequenceNumbers | null, ord: number): void {
    const high = sequences?.high[ord] ?? -1;
    // An ordinal without a sequence number reads 0 (Go's zero value).
    const other = high < 0 ? sequences?.other?.get(ord) : undefined;
    this.sequenceHigh[row] = high < 0 && other === undefined ? 0 : high;
    this.sequenceLow[row] = high < 0 ? 0 : sequences!.low[ord]!;
    if (other !== undefined) this.otherSequences.set(row, other);
  }
}

/**
 * The address of every allocation, by row (in the order the blocks record them), and what is asked
 * of them once every block is in (seal): whether an address is allocated, the distinct addresses in
 * first-appearance order, and in Go's text order with each one's first row. IPv4 addresses, nearly
 * all of them, are held as numbers in a typed array (a Map of 300,000 took 15 MB and hashed each at
 * ~0.1 µs) and sorted once; other keys (IPv6 text) by their index among the distinct texts. An
 * address has one row unless blocks overlap: only then (the sort shows it) is a Map made to chain
 * each address's rows.
 */
class AllocatedIPs {
  /** By row: an IPv4 address's value, or -(the index of its text in texts + 1). */
  private keys = new Float64Array(1024);
  private count = 0;
  private readonly texts: string[] = [];
  private readonly textIndex = new Map<string, number>();
  private textRows = 0;
  /** The IPv4 addresses of every row, sorted (seal). */
  private sorted = new Uint32Array(0);
  /** With an address in several rows: each address's first row, and each row's next of its address. */
  private first: Map<IPKey, number> | undefined;
  private next: Int32Array | undefined;

  add(ip: IPKey): void {
    let key: number;
    if (typeof ip === 'number') key = ip;
    else {
      let index = this.textIndex.get(ip);
      if (index === undefined) {
        index = this.texts.push(ip) - 1;
        this.textIndex.set(ip, index);
      }
      key = -(index + 1);
      this.textRows++;
    }
    if (this.count === this.keys.length) this.keys = grown(this.keys);
    this.keys[this.count++] = key;
  }

  /** Once every block is in: sorts the IPv4 addresses, and chains the rows of any address seen twice. */
  seal(): void {
    const sorted = new Uint32Array(this.count - this.textRows);
    for (let row = 0, n = 0; row < this.count; row++) if (this.keys[row]! >= 0) sorted[n++] = this.keys[row]!;
    sorted.sort();
    let repeats = this.textRows > this.texts.length;
    for (let i = 1; i < sorted.length && !repeats; i++) repeats = sorted[i] === sorted[i - 1];
    this.sorted = sorted;
    if (!repeats) return;
    const first = new Map<IPKey, number>();
    const last = new Map<IPKey, number>();
    const next = new Int32Array(this.count).fill(-1);
    for (let row = 0; row < this.count; row++) {
      const ip = this.keyAt(row);
      const previous = last.get(ip);
      if (previous === undefined) first.set(ip, row);
      else next[previous] = row;
      last.set(ip, row);
    }
    this.first = first;
    this.next = next;
  }

  keyAt(row: number): IPKey {
    const key = this.keys[row]!;
    return key >= 0 ? key : this.texts[-key - 1]!;
  }

  has(ip: IPKey): boolean {
    if (typeof ip === 'string') return this.textIndex.has(ip);
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sorted[mid]! < ip) low = mid + 1;
      else high = mid;
    }
    return low < this.sorted.length && this.sorted[low] === ip;
  }

  /** The next row of the same address, or -1. */
  nextRow(row: number): number {
    return this.next === undefined ? -1 : this.next[row]!;
  }

  /** Each distinct address in first-appearance order, with its first row. */
  forEachAddress(visit: (ip: IPKey, firstRow: number) => void): void {
    for (let row = 0; row < this.count; row++) {
      const ip = this.keyAt(row);
      if (this.first === undefined || this.first.get(ip) === row) visit(ip, row);
    }
  }

  /**
   * Each distinct address sorted by its text, byte by byte (Go's order of map keys), with its first
   * row. IPv4 addresses, nearly all of them, are sorted as numbers that order like their text: a
   * dotted quad compares octet by octet as the octets' decimal strings do ("1" < "10" < "100" <
   * "101" < "11"), so each octet is replaced by its rank among the 256 strings and the four ranks
   * make one 32-bit number, sorted with its row as one 64-bit number.
   */
  forEachInTextOrder(visit: (ip: IPKey, firstRow: number) => void): void {
    const pairs = new BigUint64Array(this.count - this.textRows);
    const halves = new Uint32Array(pairs.buffer);
    const texts: { ip: string; row: number }[] = [];
    let n = 0;
    this.forEachAddress((ip, row) => {
      if (typeof ip !== 'number') return void texts.push({ ip, row });
      halves[2 * n + LOW_HALF] = row;
      halves[2 * n + 1 - LOW_HALF] = octetwise(ip, OCTET_RANK);
      n++;
    });
    const v4 = pairs.subarray(0, n).sort();
    texts.sort((a, b) => compareGoStrings(a.ip, b.ip));
    let t = 0;
    for (let i = 0; i < v4.length; i++) {
      const ip = octetwise(halves[2 * i + 1 - LOW_HALF]!, OCTET_OF_RANK);
      if (t < texts.length) {
        const text = textOfKey(ip);
        for (; t < texts.length && compareGoStrings(texts[t]!.ip, text) < 0; t++)
          visit(texts[t]!.ip, texts[t]!.row);
      }
      visit(ip, halves[2 * i + LOW_HALF]!);
    }
    for (; t < texts.length; t++) visit(texts[t]!.ip, texts[t]!.row);
  }
}

/** The state calicoctl's IPAMChecker keeps, as small as the output allows. */
class Checker {
  /** The address of every allocation, by row. */
  readonly allocatedIPs = new AllocatedIPs();
  /** With keepFields: what the report and the problem lines need of every allocation, by row. */
  readonly allocations: AllocationRows;
  readonly allocationsByNode = new Map<string, number>();
  readonly inUseIPs = new Map<IPKey, Owners>();
  /**
   * The handles blocks name, with what the blocks hold for each, until the handle listing finds
   * them (one table serves the missing-handle and the handle-count checks).
   */
  readonly handles = new HandleJoin();
  /** With the report: the texts it prints of each attribute. */
  readonly reportTexts: ReportTexts | undefined;
  /** LoadBalancer allocations (type attribute), used only when the LoadBalancer controller is configured. */
  readonly serviceAllocations: { ip: IPKey; service: string; namespace: string }[] = [];
  readonly unreadable: Unreadable[] = [];
  readonly keepFields: boolean;

  constructor(private readonly opts: CheckOptions) {
    this.keepFields = opts.keepReport || opts.showProblemIPs;
    this.allocations = new AllocationRows(opts.showProblemIPs);
    this.reportTexts = opts.keepReport ? new ReportTexts() : undefined;
  }

  recordBlock(b: CheckBlock, lines: string[]): number {
    const blockHost = affinityHost(b.affinity);
    const keyOf = ordinalKeys(b.net);
    // Allocations on the block's own node are counted once per block; the node's place in the
    // first-appearance order is taken at its first allocation.
    let onBlockHost = 0;
    let count = 0;
    const block = this.handles.addBlock(b.cidr);
    const allocations = b.allocations;
    for (let ord = 0; ord < allocations.length; ord++) {
      const idx = allocations[ord];
      if (idx === null || idx === undefined) continue;
      count++;
      const ip = keyOf(ord);
      const attr = b.attributes[idx];
      let node = blockHost;
      let handle = -1;
      let windowsReserved = false;
      if (attr) {
        if (attr.handle >= 0) {
          this.handles.holdOneMore(attr.handle, block);
          if (this.handles.isWindows(attr.handle)) windowsReserved = true;
          else handle = attr.handle;
        }
        if (attr.node !== undefined) node = attr.node;
        if (attr.type === 'LoadBalancer' && attr.service !== undefined) {
          this.serviceAllocations.push({ ip, service: attr.service, namespace: attr.namespace ?? '' });
        }
      }
      // calicoctl records the Windows owner before the allocation (so its report leaves it "not in
      // use", and its release --from-report would free it); ours is in use.
      if (windowsReserved) this.recordInUseIP(ip, 'Reserved for Windows', lines);
      this.allocatedIPs.add(ip);
      if (this.keepFields) {
        this.allocations.add({
          handle,
          sequences: b.sequences,
          ord,
          texts: attr?.texts,
          attrs: attrsText(attr),
          node,
          borrowed: node !== blockHost,
        });
        if (this.opts.showAllIPs) lines.push(`  ${textOfKey(ip)} allocated; attrs ${attrsText(attr)}`);
      }
      if (node === blockHost) {
        if (onBlockHost++ === 0 && !this.allocationsByNode.has(node)) this.allocationsByNode.set(node, 0);
      } else {
        this.allocationsByNode.set(node, (this.allocationsByNode.get(node) ?? 0) + 1);
      }
    }
    if (onBlockHost > 0)
      this.allocationsByNode.set(blockHost, this.allocationsByNode.get(blockHost)! + onBlockHost);
    return count;
  }

  recordInUseIP(ip: IPKey, owner: string, lines: string[]): void {
    if (this.opts.showAllIPs) lines.push(`  ${textOfKey(ip)} belongs to ${owner}`);
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

export async function checkIPAM(ds: Datastore, options: CheckOptions): Promise<CheckResult> {
  const opts = { ...options, showProblemIPs: options.showProblemIPs || options.showAllIPs };
  const c = new Checker(opts);
  const extras = opts.extraChecks ?? defaultExtraChecks();
  const out = new Sections(opts.print);
  const showProblems = opts.showProblemIPs;
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
  const reading: BlockReading = { handles: c.handles, report: c.reportTexts, attrs: showProblems };
  await ds.scan(
    BLOCK_PREFIX,
    (kv) => {
      const b = readCheckBlock(kv, reading);
      if (b === undefined) return undefined;
      if (isRejected(b)) {
        for (const e of extras) e.rejectedBlock?.(b);
        return undefined;
      }
      if (isUnreadable(b)) return unreadable(b);
      numBlocks++;
      if (numBlocks % 1000 === 0) progress(`Loading IPAM blocks (${numBlocks})`);
      blockLines.push(` IPAM block ${b.cidr} affinity=${b.affinity ?? '<none>'}:`);
      numAllocs += c.recordBlock(b, blockLines);
      for (const e of extras) e.block?.(b);
      return undefined;
    },
    { revision },
  );
  c.allocatedIPs.seal();
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
  const inActivePool = (key: IPKey): boolean => {
    const ip = typeof key === 'number' ? { version: 4 as const, value: BigInt(key) } : parseIP(key);
    return (
      ip !== undefined && active.some((p) => cidrContains(p, { network: ip, prefix: bitsOf(ip.version) }))
    );
  };

  // Nodes.
  progress('Loading nodes');
  out.line('Loading all nodes.');
  const nodes = new Set<string>();
  const numNodeIPs = await recordOwners(ds, NODE_PREFIX, revision, c, out, (kv) => {
    const node = readNode(kv);
    if (isUnreadable(node)) return node;
    nodes.add(node.name);
    return {
      owner: `Node(${node.name})`,
      addresses: node.tunnels.map(([field, value]) => ({
        value,
        failure: `failed to parse ${field} (${value}) of node ${node.name}`,
        hint: `fix the Node resource at ${kv.key}`,
      })),
    };
  });
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
  const numWEPIPs = await recordOwners(ds, WORKLOAD_ENDPOINT_PREFIX, revision, c, out, (kv) => {
    const w = readWorkloadEndpoint(kv);
    if (isUnreadable(w)) return w;
    return {
      owner: `Workload(${w.namespace}/${w.name})`,
      addresses: w.ipNetworks.map((value) => ({
        value,
        failure: `failed to parse IP (${value}) of workload ${w.namespace}/${w.name}`,
        hint: `fix spec.ipNetworks of the WorkloadEndpoint at ${kv.key}`,
      })),
    };
  });
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
  const plain = new PlainHandle();
  await ds.scan(
    HANDLE_PREFIX,
    (kv) => {
      const entry = c.handles.find(kv.key);
      if (entry === NOT_A_HANDLE_KEY) return undefined;
      // Read in its bytes where the backend has them (etcd's stream), else as the text it has.
      const blocks = kv instanceof TransientKeyValue ? plain.read(kv.head(Number.MAX_SAFE_INTEGER)) : -1;
      if (blocks < 0) {
        const handle = readHandle(kv);
        if (handle !== true) return unreadable(handle);
      }
      numHandles++;
      if (numHandles % 20000 === 0) progress(`Loading handles (${numHandles})`);
      const held = c.handles.take(entry);
      // Windows' reservation is held in blocks but never looked for among the handles.
      if (held === undefined || entry === c.handles.windowsEntry)
        leakedHandles.push({ ID: parseHandleKey(kv.key)!, UID: null, Revision: String(kv.modRevision) });
      if (held === undefined) return undefined;
      const matchesHeld =
        typeof held === 'string' &&
        (blocks < 0
          ? matchesOneAddress(held, kv.value)
          : blocks === 1 && plain.firstIsOne && plain.firstIs(held));
      if (!matchesHeld) for (const e of extras) e.handle?.({ kv, held });
      return undefined;
    },
    { revision, pages: HANDLE_PAGES },
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
  const leaked = (ip: IPKey): boolean => {
    if (c.inUseIPs.has(ip)) return false;
    numLeakedIPs++;
    if (opts.collect) leakedIPs.push(textOfKey(ip));
    return true;
  };
  c.allocatedIPs.forEachAddress((ip, firstRow) => {
    if (!leaked(ip) || !showProblems) return;
    for (let row = firstRow; row >= 0; row = c.allocatedIPs.nextRow(row))
      out.line(`  ${textOfKey(ip)} leaked; attrs ${c.allocations.attrsOf(row)}`);
  });
  numProblems += numLeakedIPs;
  out.line(`Found ${numLeakedIPs} IPs that are allocated in IPAM but not actually in use.`);
  out.flush();

  out.line('Scanning for IPs that are in use by a workload or node but not allocated in IPAM...');
  const notAllocated: string[] = [];
  const nonCalico: string[] = [];
  let numNotAllocated = 0;
  let numNonCalico = 0;
  for (const [key, owners] of c.inUseIPs) {
    if (c.allocatedIPs.has(key)) {
      if (showProblems && ownerCount(owners) > 1) out.line(`  ${textOfKey(key)} has multiple owners.`);
      continue;
    }
    const ip = textOfKey(key);
    if (showProblems && ownerCount(owners) > 1) out.line(`  ${ip} has multiple owners.`);
    if (!inActivePool(key)) {
      if (showProblems)
        for (const o of ownerList(owners)) out.line(`  ${ip} in use by ${o} is not in any active IP pool.`);
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
  for (const id of c.handles.missing()) {
    if (id === WINDOWS_RESERVED_HANDLE) continue;
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
      write: (enc) => writeReportAllocations(c, enc),
      allocations: () => reportAllocations(c),
    },
  };
}

/**
 * A block as the check reads it: walked in its bytes, else decoded in full (readBlock), which also
 * says why a block cannot be read; undefined for a key that is not a block's.
 */
function readCheckBlock(
  kv: KeyValue,
  reading: BlockReading,
): CheckBlock | RejectedBlock | Unreadable | undefined {
  const keyNet = blockKeyNetwork(kv.key);
  if (!keyNet) return undefined;
  const walked = reading.attrs ? undefined : walkBlock(kv, keyNet, reading);
  if (walked) return walked;
  const full = readBlock(kv, reading.report !== undefined);
  return full === undefined || isRejected(full) || isUnreadable(full) ? full : fromDecoded(full, reading);
}

/** A resource that uses addresses: its owner name and its addresses as stored. */
interface AddressOwner {
  owner: string;
  addresses: { value: string; failure: string; hint: string }[];
}

/**
 * Records the addresses of every resource under prefix as in use (getNodeIPs, getWEPIPs). The first
 * address that does not parse fails the check, as in calicoctl, once the lines before it are out.
 * Returns how many addresses were recorded.
 */
async function recordOwners(
  ds: Datastore,
  prefix: string,
  revision: number,
  c: Checker,
  out: Sections,
  read: (kv: KeyValue) => AddressOwner | Unreadable,
): Promise<number> {
  let count = 0;
  let failure: OperationError | undefined;
  await ds.scan(
    prefix,
    (kv) => {
      if (failure) return undefined;
      const found = read(kv);
      if (isUnreadable(found)) return void c.unreadable.push(found);
      // All of a resource's addresses parse before any is recorded (calicoctl's getNodeIPs).
      const ips: string[] = [];
      for (const a of found.addresses) {
        const ip = normaliseIP(a.value);
        if (ip === undefined) {
          failure = new OperationError(`${a.failure}: ${invalidCIDR(a.value)}`, { hint: a.hint });
          return undefined;
        }
        ips.push(ip);
      }
      const lines: string[] = [];
      for (const ip of ips) c.recordInUseIP(keyOfText(ip), found.owner, lines);
      count += ips.length;
      out.add(lines);
      return undefined;
    },
    { revision },
  );
  out.flush();
  if (failure) throw failure;
  return count;
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
function reportAllocations(c: Checker): [string, ReportAllocation[]][] {
  const rows = c.allocations;
  const out: [string, ReportAllocation[]][] = [];
  c.allocatedIPs.forEachInTextOrder((key, firstRow) => {
    const ip = textOfKey(key);
    const owners = c.inUseIPs.get(key);
    const list: ReportAllocation[] = [];
    for (let row = firstRow; row >= 0; row = c.allocatedIPs.nextRow(row)) {
      const allocation: ReportAllocation = {
        ip,
        sequenceNumber: rows.sequenceOf(row),
        inUse: owners !== undefined,
        owners: owners === undefined ? null : ownerList(owners),
      };
      const texts = c.reportTexts!.get(rows.textsOf(row));
      const handle = rows.handleOf(row);
      if (handle >= 0) allocation.handle = c.handles.idOf(handle);
      if (texts.pod !== undefined) allocation.pod = texts.pod;
      if (texts.namespace !== undefined) allocation.namespace = texts.namespace;
      if (rows.nodeOf(row) !== '') allocation.node = rows.nodeOf(row);
      if (texts.type !== undefined) allocation.type = texts.type;
      if (texts.timestamp !== undefined) allocation.creationTimestamp = texts.timestamp;
      if (rows.borrowedAt(row)) allocation.borrowed = true;
      list.push(allocation);
    }
    out.push([ip, list]);
  });
  return out;
}

/**
 * What reportAllocations lists, written straight into the report's encoder: the handle and the
 * attribute's texts as the bytes they were kept in, each allocation from its row.
 */
function writeReportAllocations(c: Checker, enc: ReportEncoder): void {
  const rows = c.allocations;
  const texts = c.reportTexts!;
  c.allocatedIPs.forEachInTextOrder((key, firstRow) => {
    const owners = c.inUseIPs.get(key);
    const list = owners === undefined ? null : ownerList(owners);
    enc.address(key);
    for (let row = firstRow; row >= 0; row = c.allocatedIPs.nextRow(row)) {
      enc.allocation(key);
      const handle = rows.handleOf(row);
      if (handle >= 0) c.handles.writeId(handle, enc);
      rows.writeSequence(row, enc);
      const ref = rows.textsOf(row);
      texts.writeBeforeNode(ref, enc);
      enc.textField('node', rows.nodeOf(row));
      texts.writeAfterNode(ref, enc);
      enc.endAllocation(owners !== undefined, rows.borrowedAt(row), list);
    }
  });
}

/** The octets' decimal strings in Go's string order: OCTET_OF_RANK[rank] is the octet, OCTET_RANK its inverse. */
const OCTET_OF_RANK = Array.from({ length: 256 }, (_, n) => n).sort((a, b) =>
  compareGoStrings(String(a), String(b)),
);
const OCTET_RANK = OCTET_OF_RANK.reduce<number[]>((rank, octet, r) => ((rank[octet] = r), rank), []);

/** A 32-bit value with each octet mapped through table. */
function octetwise(value: number, table: readonly number[]): number {
  return (
    table[Math.floor(value / 16777216)]! * 16777216 +
    (table[(value >>> 16) & 255]! << 16) +
    (table[(value >>> 8) & 255]! << 8) +
    table[value & 255]!
  );
}
