/**
 * A deterministic Calico etcd datastore of a given size, as calico v3.32 would have written it
 * (key layout and JSON of reference/calico.md §1–§2): IPv4 /26 blocks of 10.0.0.0/8 and a few IPv6
 * /122 blocks, each about half full after a history of allocations and releases (so `unallocated`
 * is in churned FIFO order and attribute indices are compacted the way ipam_block.go does it), a
 * tunnel address in each node's first block, some borrowed addresses, a few orphaned blocks, the
 * confirmed affinities, one handle per address, the pools, the nodes and ClusterInformation.
 *
 * Everything is streamed as [key, value] pairs so that 50,000 blocks need no more memory than one.
 */
import { Prng } from './prng.js';

export interface DatasetOptions {
  /** IPAM blocks in total (IPv4 and IPv6). */
  blocks: number;
  seed?: number;
  /**
   * The shape of issue 14's cluster: one node per four IPv4 blocks, handles whose allocations are
   * gone (about 3 a block, to ~32 handles a block in all) and allocations whose handle is gone (2%),
   * so `ipam check` has leaks to find.
   */
  leaks?: boolean;
}

export interface DatasetStats {
  blocksV4: number;
  blocksV6: number;
  nodes: number;
  orphanedBlocks: number;
  churnedBlocks: number;
  allocatedAddresses: number;
  borrowedAddresses: number;
  handles: number;
  /** Handles that no allocation names (leaks option). */
  leakedHandles: number;
  /** Allocations whose handle is missing (leaks option). */
  handlelessAllocations: number;
  affinities: number;
  /** An assigned address (the first node's tunnel address), for `ipam show --ip`. */
  sampleAddress: string;
  keys: number;
  blockValueBytes: number;
  totalBytes: number;
}

export type Entry = readonly [key: string, value: string];

export const DEFAULT_SEED = 20260601;
export const BLOCK_PREFIX = '/calico/ipam/v2/assignment/';
export const IPV4_POOL = { name: 'default-ipv4-ippool', cidr: '10.0.0.0/8', blockSize: 26 };
export const IPV6_POOL = { name: 'default-ipv6-ippool', cidr: 'fd5f:abcd:64::/48', blockSize: 122 };

const BLOCK_ADDRESSES = 64;
/** 10.0.0.0/8 holds 2^18 /26 blocks; the IPv6 blocks are drawn from the first 2^20 /122s of the /48. */
const V4_BLOCK_SLOTS = 1 << 18;
const V6_BLOCK_SLOTS = 1 << 20;
const IPV6_SHARE = 0.02;
const ORPHAN_SHARE = 0.003;
const CHURNED_SHARE = 0.3;
const BORROWING_SHARE = 0.04;
/** Leaks option: the share of allocations whose handle is missing, and leaked handles per block. */
const HANDLELESS_SHARE = 0.02;
const MAX_LEAKED_HANDLES_PER_BLOCK = 6;
/** "Now" for the data: every timestamp is before it, so the output never depends on the clock. */
const NOW_MS = Date.UTC(2026, 5, 1, 12, 0, 0);
const DAY_MS = 86_400_000;
const RESOURCES = '/calico/resources/v3/projectcalico.org';
/** Kubernetes' alphabet for generated name suffixes (k8s.io/apimachinery/pkg/util/rand). */
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

type WorkloadKind = 'deployment' | 'daemonset' | 'statefulset' | 'cronjob';
const WORKLOADS: readonly (readonly [namespace: string, app: string, kind: WorkloadKind])[] = [
  ['default', 'web-frontend', 'deployment'],
  ['default', 'api-gateway', 'deployment'],
  ['kube-system', 'coredns', 'deployment'],
  ['kube-system', 'metrics-server', 'deployment'],
  ['kube-system', 'ebs-csi-node', 'daemonset'],
  ['monitoring', 'prometheus-k8s', 'statefulset'],
  ['monitoring', 'kube-state-metrics', 'deployment'],
  ['monitoring', 'grafana', 'deployment'],
  ['logging', 'fluent-bit', 'daemonset'],
  ['logging', 'loki-ingester', 'statefulset'],
  ['ingress-nginx', 'ingress-nginx-controller', 'deployment'],
  ['payments', 'payments-api', 'deployment'],
  ['payments', 'ledger-worker', 'deployment'],
  ['payments', 'fraud-scoring-service', 'deployment'],
  ['checkout', 'checkout-service', 'deployment'],
  ['checkout', 'cart-redis', 'statefulset'],
  ['search', 'search-indexer', 'deployment'],
  ['search', 'elasticsearch-data', 'statefulset'],
  ['data-pipeline', 'kafka-broker', 'statefulset'],
  ['data-pipeline', 'stream-processor', 'deployment'],
  ['data-pipeline', 'nightly-batch-etl', 'cronjob'],
  ['ml-training', 'trainer-worker', 'statefulset'],
  ['ml-training', 'feature-store-api', 'deployment'],
  ['cert-manager', 'cert-manager-webhook', 'deployment'],
  ['istio-system', 'istiod', 'deployment'],
];

export function emptyStats(): DatasetStats {
  return {
    blocksV4: 0,
    blocksV6: 0,
    nodes: 0,
    orphanedBlocks: 0,
    churnedBlocks: 0,
    allocatedAddresses: 0,
    borrowedAddresses: 0,
    handles: 0,
    leakedHandles: 0,
    handlelessAllocations: 0,
    affinities: 0,
    sampleAddress: '',
    keys: 0,
    blockValueBytes: 0,
    totalBytes: 0,
  };
}

/** Yields every key of the dataset once; stats are filled in as it goes. */
export function* generateDataset(opts: DatasetOptions, stats: DatasetStats = emptyStats()): Generator<Entry> {
  const emit = (key: string, value: string): Entry => {
    stats.keys++;
    stats.totalBytes += key.length + value.length;
    if (key.startsWith(BLOCK_PREFIX)) stats.blockValueBytes += value.length;
    return [key, value];
  };
  const rng = new Prng(opts.seed ?? DEFAULT_SEED);
  const blocksV6 = opts.blocks >= 50 ? Math.round(opts.blocks * IPV6_SHARE) : 0;
  const blocksV4 = opts.blocks - blocksV6;
  const nodeCount = Math.max(1, Math.round(blocksV4 / (opts.leaks ? 4 : 2)));
  stats.blocksV4 = blocksV4;
  stats.blocksV6 = blocksV6;
  stats.nodes = nodeCount;

  const clusterCreatedMs = NOW_MS - 400 * DAY_MS;
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    name: nodeName(i),
    createdMs: NOW_MS - rng.int(1, 360) * DAY_MS - rng.int(0, DAY_MS - 1),
    tunnelAddress: '',
  }));

  yield emit(`${RESOURCES}/clusterinformations/default`, clusterInformation(rng, clusterCreatedMs));
  yield emit(
    '/calico/ipam/v2/config',
    '{"auto_allocate_blocks":true,"kubeVirtVMAddressPersistence":"Enabled"}',
  );
  yield emit(`${RESOURCES}/ippools/${IPV4_POOL.name}`, ipPool(rng, clusterCreatedMs, IPV4_POOL, true));
  yield emit(`${RESOURCES}/ippools/${IPV6_POOL.name}`, ipPool(rng, clusterCreatedMs, IPV6_POOL, false));

  const v4Slots = distinctSlots(rng, blocksV4, V4_BLOCK_SLOTS);
  const v6Slots = distinctSlots(rng, blocksV6, V6_BLOCK_SLOTS);
  for (let i = 0; i < blocksV4 + blocksV6; i++) {
    const v6 = i >= blocksV4;
    const slot = v6 ? (v6Slots[i - blocksV4] as number) : (v4Slots[i] as number);
    // Every node owns at least one IPv4 block (its first holds its tunnel address); the rest are spread.
    const ownerIndex = !v6 && i < nodeCount ? i : rng.int(0, nodeCount - 1);
    const owner = nodes[ownerIndex]!;
    const orphaned = !v6 && i >= nodeCount && rng.chance(ORPHAN_SHARE);
    const block = simulateBlock(rng, {
      base: v6 ? v6Base(slot) : v4Base(slot),
      owner: orphaned ? undefined : owner,
      tunnelFor: !v6 && i < nodeCount ? owner : undefined,
      nodes,
      stats,
    });
    if (block.tunnelAddress) {
      owner.tunnelAddress = block.tunnelAddress;
      stats.sampleAddress ||= block.tunnelAddress;
    }
    const family = v6 ? 'ipv6' : 'ipv4';
    const dashed = block.cidr.replace('/', '-');
    yield emit(`${BLOCK_PREFIX}${family}/block/${dashed}`, block.json);
    if (!orphaned) {
      stats.affinities++;
      yield emit(
        `/calico/ipam/v2/host/${owner.name}/${family}/block/${dashed}`,
        '{"state":"confirmed","deleted":false}',
      );
    }
    const handleValue = `{"block":{"${block.cidr}":1},"deleted":false}`;
    for (const handle of block.handles) {
      if (opts.leaks && rng.chance(HANDLELESS_SHARE)) {
        stats.handlelessAllocations++;
        continue;
      }
      stats.handles++;
      yield emit(`/calico/ipam/v2/handle/${handle}`, handleValue);
    }
    // Handles of pods whose addresses were released without them (a crashed CNI DEL, say).
    for (let n = opts.leaks ? rng.int(0, MAX_LEAKED_HANDLES_PER_BLOCK) : 0; n > 0; n--) {
      stats.handles++;
      stats.leakedHandles++;
      yield emit(`/calico/ipam/v2/handle/k8s-pod-network.${rng.hex(64)}`, handleValue);
    }
  }

  for (const [i, node] of nodes.entries()) {
    yield emit(`${RESOURCES}/nodes/${node.name}`, nodeResource(rng, node, i));
  }
}

interface NodeInfo {
  name: string;
  createdMs: number;
  tunnelAddress: string;
}

interface BlockPlan {
  base: BlockBase;
  /** The affine node; undefined for an orphaned block (affinity null). */
  owner: NodeInfo | undefined;
  /** Allocate this node's IPIP tunnel address first. */
  tunnelFor: NodeInfo | undefined;
  nodes: readonly NodeInfo[];
  stats: DatasetStats;
}

interface BlockResult {
  cidr: string;
  json: string;
  handles: string[];
  tunnelAddress: string | undefined;
}

interface Attribute {
  handle: string;
  json: string;
}

/**
 * Replays a block's life as ipam_block.go would: allocate from the front of `unallocated`, append
 * one attribute per allocation, stamp sequenceNumberForAllocation with the block's sequence
 * number; release appends the ordinal to `unallocated` and deletes the attribute, re-indexing the
 * others. Every update increments the block's sequence number.
 */
function simulateBlock(rng: Prng, plan: BlockPlan): BlockResult {
  const { base, owner, stats } = plan;
  const earliest = owner ? owner.createdMs : NOW_MS - 300 * DAY_MS;
  const claimMs = earliest + Math.floor(rng.next() * (NOW_MS - earliest) * 0.3);
  let seq = BigInt(claimMs) * 1_000_000n + BigInt(rng.int(0, 999_999));

  const allocations: number[] = new Array<number>(BLOCK_ADDRESSES).fill(-1);
  const unallocated: number[] = Array.from({ length: BLOCK_ADDRESSES }, (_, i) => i);
  const attributes: Attribute[] = [];
  const seqForAllocation = new Map<number, bigint>();
  const releasable: number[] = [];
  let tunnelAddress: string | undefined;

  const allocate = (attr: Attribute): number => {
    const ordinal = unallocated.shift()!;
    attributes.push(attr);
    allocations[ordinal] = attributes.length - 1;
    seqForAllocation.set(ordinal, seq);
    seq++;
    return ordinal;
  };
  const release = (ordinal: number): void => {
    const index = allocations[ordinal]!;
    attributes.splice(index, 1);
    for (let o = 0; o < BLOCK_ADDRESSES; o++) {
      if (allocations[o]! > index) allocations[o]!--;
    }
    allocations[ordinal] = -1;
    unallocated.push(ordinal);
    seqForAllocation.delete(ordinal);
    seq++;
  };

  if (plan.tunnelFor) {
    const node = plan.tunnelFor.name;
    const ordinal = allocate({
      handle: `ipip-tunnel-addr-${node}`,
      json: `{"handle_id":"ipip-tunnel-addr-${node}","secondary":{"node":"${node}","type":"ipipTunnelAddress"}}`,
    });
    tunnelAddress = base.address(ordinal);
  }

  const target = targetFill(rng) - (tunnelAddress ? 1 : 0);
  const churned = rng.chance(CHURNED_SHARE);
  if (churned) stats.churnedBlocks++;
  const borrowShare = !owner ? 1 : rng.chance(BORROWING_SHARE) ? rng.next() * 0.25 : 0;
  let toAllocate = Math.max(0, target) + (churned ? rng.int(16, 160) : rng.int(0, 4));
  let toRelease = toAllocate - Math.max(0, target);
  const span = NOW_MS - claimMs;
  let clock = claimMs;
  const step = span / (toAllocate + toRelease + 1);

  // Bounded: every pass consumes one allocation or one release.
  while (toAllocate + toRelease > 0) {
    clock += Math.floor(step * rng.next() * 2);
    const mustRelease = unallocated.length === 0 || toAllocate === 0;
    const mayRelease = releasable.length > 0 && toRelease > 0;
    if (mayRelease && (mustRelease || rng.chance(toRelease / (toAllocate + toRelease)))) {
      const pick = rng.int(0, releasable.length - 1);
      const ordinal = releasable[pick]!;
      releasable[pick] = releasable[releasable.length - 1]!;
      releasable.pop();
      release(ordinal);
      toRelease--;
    } else {
      const onNode = rng.chance(borrowShare) ? rng.pick(plan.nodes) : owner;
      releasable.push(
        allocate(podAttribute(rng, (onNode ?? rng.pick(plan.nodes)).name, Math.min(clock, NOW_MS))),
      );
      toAllocate--;
    }
  }

  const handles: string[] = [];
  const ownerName = owner?.name;
  for (const attr of attributes) {
    handles.push(attr.handle);
    stats.allocatedAddresses++;
    if (!attr.json.includes(`"node":"${ownerName}"`)) stats.borrowedAddresses++;
  }
  if (!owner) stats.orphanedBlocks++;

  const affinity = owner ? `"host:${owner.name}","affinity_claim_time":"${rfc3339(claimMs)}"` : 'null';
  const allocText = allocations.map((a) => (a < 0 ? 'null' : String(a))).join(',');
  const everUsed = seqForAllocation.size > 0 || unallocated[0] !== 0 || attributes.length > 0;
  const attrText =
    attributes.length > 0 || everUsed ? `[${attributes.map((a) => a.json).join(',')}]` : 'null';
  const seqText = [...seqForAllocation.entries()]
    .map(([o, s]) => [String(o), s] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([o, s]) => `"${o}":${s}`)
    .join(',');
  const json =
    `{"cidr":"${base.cidr}","affinity":${affinity},"allocations":[${allocText}],` +
    `"unallocated":[${unallocated.join(',')}],"attributes":${attrText},"sequenceNumber":${seq},` +
    `"sequenceNumberForAllocation":{${seqText}},"deleted":false}`;
  return { cidr: base.cidr, json, handles, tunnelAddress };
}

/** Mostly around half full, with some full and some nearly empty blocks. */
function targetFill(rng: Prng): number {
  const r = rng.next();
  if (r < 0.05) return BLOCK_ADDRESSES;
  if (r < 0.1) return rng.int(1, 8);
  return rng.int(18, 40);
}

function podAttribute(rng: Prng, node: string, atMs: number): Attribute {
  const [namespace, app, kind] = rng.pick(WORKLOADS);
  const handle = `k8s-pod-network.${rng.hex(64)}`;
  const pod = podName(rng, app, kind);
  const timestamp = goTimeString(atMs, rng.int(0, 999_999));
  return {
    handle,
    json:
      `{"handle_id":"${handle}","secondary":{"namespace":"${namespace}","node":"${node}",` +
      `"pod":"${pod}","timestamp":"${timestamp}"}}`,
  };
}

function podName(rng: Prng, app: string, kind: WorkloadKind): string {
  switch (kind) {
    case 'deployment':
      return `${app}-${rng.chars(K8S_ALPHABET, rng.int(9, 10))}-${rng.chars(K8S_ALPHABET, 5)}`;
    case 'daemonset':
      return `${app}-${rng.chars(K8S_ALPHABET, 5)}`;
    case 'statefulset':
      return `${app}-${rng.int(0, 11)}`;
    case 'cronjob':
      return `${app}-${29_000_000 + rng.int(0, 999_999)}-${rng.chars(K8S_ALPHABET, 5)}`;
  }
}

interface BlockBase {
  cidr: string;
  address(ordinal: number): string;
}

function v4Base(slot: number): BlockBase {
  const base = 10 * 2 ** 24 + slot * BLOCK_ADDRESSES;
  return { cidr: `${ipv4(base)}/26`, address: (ordinal) => ipv4(base + ordinal) };
}

function v6Base(slot: number): BlockBase {
  const offset = slot * BLOCK_ADDRESSES;
  const at = (ordinal: number): string =>
    ipv6([0xfd5f, 0xabcd, 0x64, 0, 0, 0, Math.floor((offset + ordinal) / 65536), (offset + ordinal) % 65536]);
  return { cidr: `${at(0)}/122`, address: at };
}

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** RFC 5952 text (Go's net.IP.String): lower-case, the longest run of two or more zero groups as "::". */
export function ipv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function distinctSlots(rng: Prng, count: number, space: number): number[] {
  if (count > space / 2) throw new Error(`cannot place ${count} blocks in a pool of ${space}`);
  const seen = new Set<number>();
  const out: number[] = [];
  // Calico claims blocks at random places in the pool; with count <= space/2 this ends quickly.
  while (out.length < count) {
    const slot = rng.int(0, space - 1);
    if (seen.has(slot)) continue;
    seen.add(slot);
    out.push(slot);
  }
  return out;
}

function nodeName(index: number): string {
  const n = index + 10;
  return `ip-172-${20 + (n >>> 16)}-${(n >>> 8) & 255}-${n & 255}.ec2.internal`;
}

function nodeAddress(index: number): string {
  const n = index + 10;
  return `172.${20 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Go's time.Time.String() in UTC, as the CNI plugin stores it: trailing zeros of the fraction dropped. */
function goTimeString(ms: number, subMillisNanos: number): string {
  const iso = new Date(ms).toISOString();
  const nanos = (ms % 1000) * 1_000_000 + subMillisNanos;
  const fraction = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function metadata(rng: Prng, name: string, createdMs: number): string {
  return `{"name":"${name}","uid":"${rng.uuid()}","creationTimestamp":"${rfc3339(createdMs)}"}`;
}

function clusterInformation(rng: Prng, createdMs: number): string {
  return (
    `{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":${metadata(rng, 'default', createdMs)},` +
    `"spec":{"clusterGUID":"${rng.hex(32)}","clusterType":"k8s,bgp","calicoVersion":"v3.32.1","datastoreReady":true}}`
  );
}

function ipPool(
  rng: Prng,
  createdMs: number,
  pool: { name: string; cidr: string; blockSize: number },
  ipip: boolean,
): string {
  const spec =
    `{"cidr":"${pool.cidr}","vxlanMode":"Never","ipipMode":"${ipip ? 'Always' : 'Never'}",` +
    `${ipip ? '"natOutgoing":true,' : ''}"blockSize":${pool.blockSize},"nodeSelector":"all()",` +
    `"allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}`;
  return `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":${metadata(rng, pool.name, createdMs)},"spec":${spec}}`;
}

function nodeResource(rng: Prng, node: NodeInfo, index: number): string {
  const address = nodeAddress(index);
  const tunnel = node.tunnelAddress ? `,"ipv4IPIPTunnelAddr":"${node.tunnelAddress}"` : '';
  return (
    `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":${metadata(rng, node.name, node.createdMs)},` +
    `"spec":{"bgp":{"ipv4Address":"${address}/16"${tunnel}},` +
    `"orchRefs":[{"nodeName":"${node.name}","orchestrator":"k8s"}],` +
    `"addresses":[{"address":"${address}/16","type":"CalicoNodeIP"},{"address":"${address}","type":"InternalIP"}]},` +
    `"status":{}}`
  );
}
