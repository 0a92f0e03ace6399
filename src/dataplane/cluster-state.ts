/**
 * What the datastore says about the data plane, read once at one revision: the facts from which the
 * expected kernel state of a node is computed (dataplane.md §8). Reading is done here; everything
 * after is a pure function of this snapshot and a kernel state, so a watch can re-run it.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { affinityHost, decodeBlock, type DecodedBlock } from '../ipam/block.js';
import {
  decodeGoBlock,
  DecodedHolders,
  hostHoldingWholeBlock,
  type BlockHolders,
} from '../ipam/block-owners.js';
import {
  BLOCK_PREFIX,
  blockKeyNetwork,
  IPAM_PREFIX,
  networkText,
  ordinalToIP,
  ipText,
} from '../ipam/keys.js';
import { listPools } from '../ipam/pools.js';
import { isCalicoError } from '../errors.js';
import { kindDescriptor, resourcePrefix } from '../resources/registry.js';
import { ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';

export type EncapMode = 'Always' | 'CrossSubnet' | 'Never';

export interface PoolFacts {
  name: string;
  cidr: string;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  /** allowedUses is exactly [LoadBalancer]: no routes at all (v3.32.1). */
  loadBalancerOnly: boolean;
}

/** An allocation routed somewhere other than its block's host: a borrowed address. */
export interface ForeignAllocation {
  ip: string;
  node: string;
  /** The allocation's `type` attribute (`vxlanTunnelAddress`, `ipipTunnelAddress`, ...), or ''. */
  type: string;
}

export interface BlockFacts {
  cidr: string;
  /** The affinity's host (`host:` or `virtual:` stripped, as Block.Host()), or '' for none. */
  host: string;
  foreign: ForeignAllocation[];
}

export interface NodeFacts {
  name: string;
  /** spec.bgp.ipv4Address with its prefix, e.g. 192.168.1.10/24. */
  ipv4Address?: string;
  ipv6Address?: string;
  ipv4IPIPTunnelAddr?: string;
  ipv4VXLANTunnelAddr?: string;
  ipv6VXLANTunnelAddr?: string;
  vxlanTunnelMACAddr?: string;
  vxlanTunnelMACAddrV6?: string;
}

export interface WorkloadFacts {
  /** namespace/name of the WorkloadEndpoint. */
  name: string;
  node: string;
  interfaceName: string;
  /** spec.ipNetworks, e.g. 10.65.0.2/32. */
  ipNetworks: string[];
  mac?: string;
}

export interface ClusterState {
  pools: PoolFacts[];
  blocks: BlockFacts[];
  /** Block-affinity keys per host (what BIRD blackholes), for the nodes being checked. */
  affinities: Record<string, string[]>;
  nodes: NodeFacts[];
  /** Workload endpoints of the nodes being checked. */
  workloads: WorkloadFacts[];
  /** FelixConfiguration specs by name (`default`, `node.<name>`). */
  felixConfigurations: Record<string, Record<string, unknown>>;
  /** BGPConfiguration `default` spec, if any. */
  bgpConfiguration?: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const mode = (v: unknown): EncapMode => (v === 'Always' || v === 'CrossSubnet' ? v : 'Never');

/** The prefixes readClusterState reads for these nodes: what a watch of it follows. */
export function clusterStatePrefixes(checkedNodes: readonly string[]): string[] {
  const kinds = ['IPPool', 'Node', 'WorkloadEndpoint', 'FelixConfiguration', 'BGPConfiguration'];
  return [
    ...kinds.map((k) => resourcePrefix(kindDescriptor(k)!)),
    BLOCK_PREFIX,
    ...checkedNodes.map(affinityPrefix),
  ];
}

/** Everything of the snapshot but the blocks: what a block's expected routes are computed from. */
export type ClusterSettings = Omit<ClusterState, 'blocks'>;

/**
 * What readClusterState tells while it reads, so that node check works while the blocks, the
 * longest read by far, are still arriving.
 */
export interface ClusterStateProgress {
  /**
   * Once the first Node resource has arrived (or the Nodes were read, when there are none): their
   * read is sent after the blocks', so every request has been sent by then.
   */
  answered?: () => void;
  /** Everything but the blocks, once read (in a large cluster, long before the last block). */
  settings?: (settings: ClusterSettings) => void;
  /** Each live block's facts as it is read, in the snapshot's order (also before `settings`). */
  block?: (facts: BlockFacts) => void;
}

/** Reads the snapshot, telling progress as it goes. */
export async function readClusterState(
  ds: Datastore,
  checkedNodes: readonly string[],
  progress: ClusterStateProgress = {},
): Promise<ClusterState> {
  const store = new ResourceStore(ds);
  const wanted = new Set(checkedNodes);
  let answered = progress.answered;
  const answer = (): void => {
    answered?.();
    answered = undefined;
  };
  // In this order: the Nodes' request goes after the blocks'.
  const poolList = listPools(ds);
  const blockList = readBlocks(ds, progress.block);
  const affinities = Promise.all(checkedNodes.map((n) => readAffinities(ds, n)));
  const nodeList = scanResources(ds, 'Node', (n) => {
    answer();
    return nodeFacts(n);
  });
  const settings = Promise.all([
    poolList,
    affinities,
    nodeList.finally(answer),
    scanResources(ds, 'WorkloadEndpoint', (w) => {
      const facts = workloadFacts(w);
      return wanted.has(facts.node) ? facts : undefined;
    }),
    store.list(kindDescriptor('FelixConfiguration')!),
    getOptional(store, 'BGPConfiguration', 'default'),
  ]).then(([pools, affinityLists, nodes, workloads, felix, bgp]): ClusterSettings => {
    const read = settingsOf(pools, checkedNodes, affinityLists, nodes, workloads, felix.items, bgp);
    progress.settings?.(read);
    return read;
  });
  const [{ pools, ...rest }, blocks] = await Promise.all([settings, blockList]);
  return { pools, blocks, ...rest };
}

function settingsOf(
  pools: Awaited<ReturnType<typeof listPools>>,
  checkedNodes: readonly string[],
  affinityLists: string[][],
  nodes: NodeFacts[],
  workloads: WorkloadFacts[],
  felix: readonly ResourceObject[],
  bgp: ResourceObject | undefined,
): ClusterSettings {
  return {
    pools: pools.pools.map((p) => {
      const spec = p.resource.spec ?? {};
      return {
        name: p.name,
        cidr: p.net ? networkText(p.net) : p.cidrText,
        ipipMode: mode(spec['ipipMode']),
        vxlanMode: mode(spec['vxlanMode']),
        loadBalancerOnly: p.allowedUses.length === 1 && p.allowedUses[0] === 'LoadBalancer',
      };
    }),
    affinities: Object.fromEntries(checkedNodes.map((n, i) => [n, affinityLists[i]!])),
    nodes,
    workloads,
    felixConfigurations: Object.fromEntries(felix.map((f) => [f.metadata.name ?? '', f.spec ?? {}])),
    ...(bgp ? { bgpConfiguration: bgp.spec ?? {} } : {}),
  };
}

/**
 * Every live block's CIDR, host and borrowed addresses. A /26 block is ~9 KB of JSON and a large
 * cluster has 10,000 of them. The usual block, whose every address is its host's, lends nothing:
 * it is checked whole in one native match of its bytes (hostHoldingWholeBlock) and gives its host.
 * The few others (4% in the benchmark: addresses lent, no owner, another layout) are decoded,
 * those in Go's layout by JSON.parse after another such match (decodeGoBlock), the rest by
 * decodeBlock: both native, where a walk of their bytes in JavaScript, or decodeBlock's checks,
 * would mostly run before the optimizing compiler has compiled them, at several times the cost.
 */
async function readBlocks(ds: Datastore, onBlock?: (facts: BlockFacts) => void): Promise<BlockFacts[]> {
  const { results } = await ds.scan(BLOCK_PREFIX, (kv): BlockFacts | undefined => {
    const facts = blockFactsOf(kv);
    if (facts) onBlock?.(facts);
    return facts;
  });
  return results;
}

/** One live block's facts; undefined for a deleted block or one Calico cannot decode. */
function blockFactsOf(kv: KeyValue): BlockFacts | undefined {
  const fromKey = blockKeyNetwork(kv.key);
  if (fromKey) {
    const host = hostHoldingWholeBlock(kv, fromKey);
    if (host !== undefined) return { cidr: fromKey.text, host, foreign: [] };
  }
  let block: DecodedBlock;
  try {
    block = (fromKey && decodeGoBlock(kv, fromKey)) ?? decodeBlock(kv);
  } catch {
    // A block Calico cannot decode programs nothing; `ipam check` reports it.
    return undefined;
  }
  if (block.value.deleted) return undefined;
  return blockFacts(new DecodedHolders(block), networkText(block.net));
}

function hostOf(affinity: string | null): string {
  return affinity?.startsWith('virtual:') ? affinity.slice('virtual:'.length) : affinityHost(affinity);
}

/**
 * Block.Host(), and the allocations whose secondary.node is another node (routesFromBlock); an
 * allocation whose attribute is missing names no node. cidr is the block's network's text. Most
 * blocks lend nothing, so each attribute is asked once first (a block's addresses share them), and
 * the ordinals are walked only in a block where an attribute names another node.
 */
function blockFacts(block: BlockHolders, cidr: string): BlockFacts {
  const host = hostOf(block.affinity);
  for (let attr = 0; attr < block.attributes; attr++) {
    if (namesOtherNode(block, attr, host)) return { cidr, host, foreign: lentAddresses(block, host) };
  }
  return { cidr, host, foreign: [] };
}

/** The addresses of the block held by another node than host, in ordinal order. */
function lentAddresses(block: BlockHolders, host: string): ForeignAllocation[] {
  const foreign: ForeignAllocation[] = [];
  for (let ord = 0; ord < block.ordinals; ord++) {
    const attr = block.attributeAt(ord);
    if (attr < 0 || attr >= block.attributes || !namesOtherNode(block, attr, host)) continue;
    foreign.push({
      ip: ipText(ordinalToIP(block.net, ord)),
      node: block.secondary(attr, 'node')!,
      type: block.secondary(attr, 'type') ?? '',
    });
  }
  return foreign;
}

/** Whether the attribute's secondary.node is set and is neither empty nor host. */
function namesOtherNode(block: BlockHolders, attr: number, host: string): boolean {
  return block.hasNode(attr) && !block.nodeIs(attr, host) && !block.nodeIs(attr, '');
}

const AFFINITY_BLOCK = /\/ipv[46]\/block\/([^/]+)$/;

async function readAffinities(ds: Datastore, node: string): Promise<string[]> {
  const stream = await ds.list(affinityPrefix(node));
  const cidrs: string[] = [];
  for await (const kv of stream) {
    const m = AFFINITY_BLOCK.exec(kv.key);
    if (m) cidrs.push(m[1]!.replace('-', '/'));
  }
  return cidrs;
}

/**
 * Every resource of a kind, as stored, each folded into what node check needs. A cluster has
 * thousands of Nodes and WorkloadEndpoints and node check reads a few string fields of each, so
 * values are parsed as JSON without the full resource decoder (defaults, validation); one that is
 * not a JSON object is skipped, as libcalico-go skips entries it cannot decode in a list.
 */
async function scanResources<T>(
  ds: Datastore,
  kind: string,
  fold: (res: ResourceObject) => T | undefined,
): Promise<T[]> {
  const { results } = await ds.scan(resourcePrefix(kindDescriptor(kind)!), (kv) => {
    let res: unknown;
    try {
      res = JSON.parse(kv.value);
    } catch {
      return undefined;
    }
    if (typeof res !== 'object' || res === null || Array.isArray(res)) return undefined;
    // Freshly parsed and nobody else's: given a metadata in place rather than copied.
    const obj = res as ResourceObject;
    obj.metadata ??= {};
    return fold(obj);
  });
  return results;
}

async function getOptional(
  store: ResourceStore,
  kind: string,
  name: string,
): Promise<ResourceObject | undefined> {
  try {
    return await store.get(kindDescriptor(kind)!, name);
  } catch (err) {
    if (isCalicoError(err) && err.code === 'ResourceNotFound') return undefined;
    throw err;
  }
}

function nodeFacts(n: ResourceObject): NodeFacts {
  const spec = n.spec ?? {};
  const bgp = (spec['bgp'] ?? {}) as Record<string, unknown>;
  const facts: NodeFacts = { name: n.metadata.name ?? '' };
  const set = (field: keyof Omit<NodeFacts, 'name'>, v: unknown): void => {
    const s = str(v);
    if (s !== undefined) facts[field] = s;
  };
  set('ipv4Address', bgp['ipv4Address']);
  set('ipv6Address', bgp['ipv6Address']);
  set('ipv4IPIPTunnelAddr', bgp['ipv4IPIPTunnelAddr']);
  set('ipv4VXLANTunnelAddr', spec['ipv4VXLANTunnelAddr']);
  set('ipv6VXLANTunnelAddr', spec['ipv6VXLANTunnelAddr']);
  set('vxlanTunnelMACAddr', spec['vxlanTunnelMACAddr']);
  set('vxlanTunnelMACAddrV6', spec['vxlanTunnelMACAddrV6']);
  return facts;
}

function workloadFacts(w: ResourceObject): WorkloadFacts {
  const spec = w.spec ?? {};
  const nets = Array.isArray(spec['ipNetworks']) ? (spec['ipNetworks'] as unknown[]) : [];
  const mac = str(spec['mac']);
  return {
    name: `${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`,
    node: str(spec['node']) ?? '',
    interfaceName: str(spec['interfaceName']) ?? '',
    ipNetworks: nets.filter((n): n is string => typeof n === 'string'),
    ...(mac ? { mac } : {}),
  };
}

/** Where a host's block affinities are. */
function affinityPrefix(node: string): string {
  return `${IPAM_PREFIX}host/${node}/`;
}
