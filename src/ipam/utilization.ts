/**
 * `ipam show` / `ipam show --show-blocks` data, as libcalico-go's GetUtilization computes it:
 * pools in key (= name) order plus a last pseudo-pool "orphaned allocation blocks" (0.0.0.0/0);
 * each block, in key order, belongs to the first of them its network overlaps. Blocks are scanned
 * at the pools' revision and only small summaries are kept.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { parseCIDR } from '../resources/ip.js';
import { BLOCK_PREFIX, blockKeyNetwork, networkSize, networkText, type Network } from './block-key.js';
import { CorruptBlockError } from './block.js';
import { summarizeBlock } from './block-summary.js';
import { listPools, type PoolProblem } from './pools.js';
import { cidrsOverlap } from '../resources/ip.js';

export const ORPHAN_POOL_NAME = 'orphaned allocation blocks';

export interface BlockUsage {
  cidr: string;
  /** The block's affinity as stored (`host:<node>`), or null. */
  affinity: string | null;
  /** Shared by all blocks of one size; free is total - inUse (not stored: one BigInt per block). */
  total: bigint;
  inUse: number;
}

export interface PoolUsage {
  /** The pool's name, or ORPHAN_POOL_NAME for blocks no pool covers. */
  name: string;
  cidr: string;
  /** The pool's whole size (2^(bits - prefix)), not the sum of its blocks. */
  total: bigint;
  inUse: number;
  free: bigint;
  blockCount: number;
  /** Filled only when blocks were asked for. */
  blocks: BlockUsage[];
}

export interface SkippedValue {
  key: string;
  reason: string;
}

export interface Utilization {
  revision: number;
  /** Real pools then the orphan pseudo-pool (always last). */
  pools: PoolUsage[];
  /** Values Calico's decoder would skip (calicoctl skips them silently; we name them). */
  skipped: SkippedValue[];
}

interface Bucket {
  usage: PoolUsage;
  net: Network;
}

export async function collectUtilization(ds: Datastore, opts: { withBlocks: boolean }): Promise<Utilization> {
  const { pools, problems, revision } = await listPools(ds);
  const skipped: SkippedValue[] = problems.map((p: PoolProblem) => ({ key: p.key, reason: p.reason }));
  const buckets: Bucket[] = [];
  for (const pool of pools) {
    if (!pool.net) {
      // Calico's GetUtilization panics here (net.MustParseNetwork); say which pool instead.
      throw new OperationError(`IP pool ${pool.name} has an invalid CIDR ${JSON.stringify(pool.cidrText)}`, {
        hint: `fix spec.cidr of ${pool.key}`,
      });
    }
    buckets.push({ usage: emptyUsage(pool.name, pool.net), net: pool.net });
  }
  const orphanNet = parseCIDR('0.0.0.0/0')!;
  buckets.push({ usage: emptyUsage(ORPHAN_POOL_NAME, orphanNet), net: orphanNet });

  // Sizes by family and prefix: every block of a pool has the same one.
  const sizes = new Map<number, bigint>();
  // Each block is summarised while visit runs (its bytes are not kept), in key order.
  const visit = (kv: KeyValue): undefined => {
    const fromKey = blockKeyNetwork(kv.key);
    if (!fromKey) return undefined; // Calico's lister ignores keys that are not blocks.
    // The value's cidr is nearly always the key's network in canonical form: parsed once, from the key.
    const { net: keyNet, text: keyText } = fromKey;
    let summary;
    try {
      summary = summarizeBlock(kv, { text: keyText, net: keyNet });
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      skipped.push({ key: err.key, reason: err.reason });
      return undefined;
    }
    const bucket = buckets.find((b) => cidrsOverlap(summary.net, b.net));
    if (!bucket) return undefined; // IPv6 blocks outside every pool: Calico never shows them.
    const sizeKey = summary.net.network.version * 256 + summary.net.prefix;
    let total = sizes.get(sizeKey);
    if (total === undefined) sizes.set(sizeKey, (total = networkSize(summary.net)));
    const inUse = Number(total) - summary.free;
    bucket.usage.inUse += inUse;
    bucket.usage.blockCount++;
    if (opts.withBlocks) {
      const cidr = summary.net === keyNet ? keyText : networkText(summary.net);
      bucket.usage.blocks.push({ cidr, affinity: summary.affinity, total, inUse });
    }
    return undefined;
  };
  await ds.scan(BLOCK_PREFIX, visit, { revision });
  for (const { usage } of buckets) usage.free = usage.total - BigInt(usage.inUse);
  return { revision, pools: buckets.map((b) => b.usage), skipped };
}

function emptyUsage(name: string, net: Network): PoolUsage {
  const total = networkSize(net);
  return { name, cidr: networkText(net), total, inUse: 0, free: total, blockCount: 0, blocks: [] };
}
