/**
 * Who still holds addresses inside a pool, from the IPAM blocks' allocation attributes (node,
 * namespace, pod, tunnel type): the workloads to restart before the pool can go. An address whose
 * attribute carries `releasedAt` (Calico's release cooldown) counts as released, not held.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { ipText, ordinalToIP, parseBlockKey, versionBlockPrefix } from '../ipam/keys.js';
import {
  affinityHost,
  attributeOf,
  CorruptBlockError,
  decodeBlock,
  WINDOWS_RESERVED_HANDLE,
} from '../ipam/block.js';
import { cidrContains, formatCIDR, type CIDR } from '../resources/ip.js';

export type HolderKind = 'pod' | 'tunnel' | 'vm' | 'other';

export interface Holder {
  ip: string;
  /** The node the address was allocated for (its `node` attribute, else the block's owner). */
  node: string;
  namespace?: string;
  pod?: string;
  kind: HolderKind;
  /** The `type` attribute, e.g. ipipTunnelAddress. */
  type?: string;
  handleId?: string;
  block: string;
}

export interface PoolBlock {
  key: string;
  cidr: string;
  modRevision: number;
  affinity: string | null;
  /** Nothing but released (or Windows-reserved) addresses: Calico would delete it once unowned. */
  empty: boolean;
}

export interface HolderReport {
  cidr: string;
  /** The store revision the blocks were read at. */
  revision: number;
  blocks: PoolBlock[];
  holders: Holder[];
  /** Addresses still marked allocated but released (cooldown), which do not hold the pool. */
  released: number;
  corrupt: { key: string; reason: string }[];
}

function kindOf(secondary: Record<string, string>): HolderKind {
  if (secondary.pod) return 'pod';
  if (secondary['vmi-name']) return 'vm';
  if (secondary.type?.endsWith('TunnelAddress')) return 'tunnel';
  return 'other';
}

/** What one block of a pool holds: the addresses in use, and how many are released (cooldown). */
export interface BlockHolders {
  cidr: string;
  holders: Holder[];
  released: number;
  affinity: string | null;
}

/**
 * The block at kv if it lies inside pool, else undefined; throws CorruptBlockError for a value that
 * cannot be read. The one reading of a block that both --finish and --wait go by.
 */
export function blockHolders(kv: KeyValue, pool: CIDR): BlockHolders | undefined {
  const net = parseBlockKey(kv.key);
  if (!net || !cidrContains(pool, net)) return undefined;
  const block = decodeBlock(kv);
  const owner = affinityHost(block.value.affinity);
  const allocations = block.value.allocations ?? [];
  const found: BlockHolders = {
    cidr: formatCIDR(block.net),
    holders: [],
    released: 0,
    affinity: block.value.affinity,
  };
  for (let ord = 0; ord < allocations.length; ord++) {
    const attr = attributeOf(block, ord);
    if (!attr) continue;
    if (attr.releasedAt !== undefined && attr.releasedAt !== null) {
      found.released++;
      continue;
    }
    // Calico counts Windows-reserved addresses as not in use (block.empty).
    if (attr.handle_id?.toLowerCase() === WINDOWS_RESERVED_HANDLE) continue;
    const secondary = attr.secondary ?? {};
    const holder: Holder = {
      ip: ipText(ordinalToIP(block.net, ord)),
      node: secondary.node || owner,
      kind: kindOf(secondary),
      block: found.cidr,
    };
    if (secondary.namespace) holder.namespace = secondary.namespace;
    if (secondary.pod ?? secondary['vmi-name']) holder.pod = secondary.pod ?? secondary['vmi-name'];
    if (secondary.type) holder.type = secondary.type;
    if (attr.handle_id) holder.handleId = attr.handle_id;
    found.holders.push(holder);
  }
  return found;
}

/** A pool can be deleted when no address in it is held and every block could be read. */
export function isDrained(report: { left: number; corrupt: readonly unknown[] }): boolean {
  return report.left === 0 && report.corrupt.length === 0;
}

/** The prefix holding the blocks of pool's address family. */
export const blockPrefixOf = (pool: CIDR): string => versionBlockPrefix(pool.ip.version);

export async function poolHolders(ds: Datastore, pool: CIDR): Promise<HolderReport> {
  const stream = await ds.list(blockPrefixOf(pool));
  const report: HolderReport = {
    cidr: formatCIDR(pool),
    revision: stream.revision,
    blocks: [],
    holders: [],
    released: 0,
    corrupt: [],
  };
  for await (const kv of stream) {
    try {
      const found = blockHolders(kv, pool);
      if (!found) continue;
      report.holders.push(...found.holders);
      report.released += found.released;
      report.blocks.push({
        key: kv.key,
        cidr: found.cidr,
        modRevision: kv.modRevision,
        affinity: found.affinity,
        empty: found.holders.length === 0,
      });
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      report.corrupt.push({ key: err.key, reason: err.reason });
    }
  }
  report.holders.sort(compareHolders);
  return report;
}

/** By node, namespace, pod, then address. */
function compareHolders(a: Holder, b: Holder): number {
  return (
    a.node.localeCompare(b.node) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    (a.pod ?? '').localeCompare(b.pod ?? '') ||
    a.ip.localeCompare(b.ip, undefined, { numeric: true })
  );
}

/** Addresses held per node, for the summary line of each node. */
export function holdersByNode(holders: readonly Holder[]): { node: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const h of holders) counts.set(h.node, (counts.get(h.node) ?? 0) + 1);
  return [...counts].map(([node, count]) => ({ node, count }));
}
