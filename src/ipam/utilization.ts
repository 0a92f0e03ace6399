/**
 * `ipam show` / `ipam show --show-blocks` data, as libcalico-go's GetUtilization computes it:
 * pools in key (= name) order plus a last pseudo-pool "orphaned allocation blocks" (0.0.0.0/0);
 * each block, in key order, belongs to the first of them its network overlaps. Blocks are scanned
 * at the pools' revision and only small summaries are kept.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { parseCIDR } from '../resources/ip.js';
import { BLOCK_PREFIX, blockKeyNetwork, networkSize, networkText, type Network } from './keys.js';
import { CorruptBlockError } from './block.js';
import { summarizeBlock, type BlockSummary } from './block-summary.js';
import { listPools, type PoolInfo, type PoolProblem } from './pools.js';
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

/** One block as `ipam show` counts it: its summary and its CIDR as printed. */
export interface BlockRead {
  summary: BlockSummary;
  cidr: string;
}

/** A block key's summary, why its value is skipped, or undefined for a key that is not a block. */
export function readBlock(kv: KeyValue): BlockRead | SkippedValue | undefined {
  const fromKey = blockKeyNetwork(kv.key);
  if (!fromKey) return undefined; // Calico's lister ignores keys that are not blocks.
  // The value's cidr is nearly always the key's network in canonical form: parsed once, from the key.
  const { net: keyNet, text: keyText } = fromKey;
  try {
    const summary = summarizeBlock(kv, { text: keyText, net: keyNet });
    return { summary, cidr: summary.net === keyNet ? keyText : networkText(summary.net) };
  } catch (err) {
    if (!(err instanceof CorruptBlockError)) throw err;
    return { key: err.key, reason: err.reason };
  }
}

/**
 * Folds blocks, in key order, into the pools as GetUtilization does: each block to the first pool
 * its network overlaps, else to the orphan pseudo-pool (IPv4), else nowhere (IPv6).
 */
export class UtilizationFolder {
  private readonly buckets: Bucket[] = [];
  /** Sizes by family and prefix: every block of a pool has the same one. */
  private readonly sizes = new Map<number, bigint>();
  readonly skipped: SkippedValue[];

  constructor(
    pools: readonly PoolInfo[],
    problems: readonly PoolProblem[],
    private readonly withBlocks: boolean,
  ) {
    this.skipped = problems.map((p) => ({ key: p.key, reason: p.reason }));
    for (const pool of pools) {
      if (!pool.net) {
        // Calico's GetUtilization panics here (net.MustParseNetwork); say which pool instead.
        throw new OperationError(
          `IP pool ${pool.name} has an invalid CIDR ${JSON.stringify(pool.cidrText)}`,
          {
            hint: `fix spec.cidr of ${pool.key}`,
          },
        );
      }
      this.buckets.push({ usage: emptyUsage(pool.name, pool.net), net: pool.net });
    }
    const orphanNet = parseCIDR('0.0.0.0/0')!;
    this.buckets.push({ usage: emptyUsage(ORPHAN_POOL_NAME, orphanNet), net: orphanNet });
  }

  add(read: BlockRead | SkippedValue): void {
    if (!('summary' in read)) {
      this.skipped.push(read);
      return;
    }
    const counted = this.count(read.summary, 1);
    if (counted && this.withBlocks) {
      const { bucket, total, inUse } = counted;
      bucket.usage.blocks.push({ cidr: read.cidr, affinity: read.summary.affinity, total, inUse });
    }
  }

  /**
   * Takes back what add(read) counted, so a watch can count a changed block again. Only without
   * blocks: the block rows are in key order, which removing and adding again would not keep.
   */
  remove(read: BlockRead | SkippedValue): void {
    if (this.withBlocks) throw new Error('UtilizationFolder.remove is for folders without blocks');
    if ('summary' in read) this.count(read.summary, -1);
    else this.skipped.splice(this.skipped.indexOf(read), 1);
  }

  /** Adds (sign 1) or takes back (-1) a block's addresses in the pool it belongs to. */
  private count(
    summary: BlockSummary,
    sign: 1 | -1,
  ): { bucket: Bucket; total: bigint; inUse: number } | undefined {
    const bucket = this.buckets.find((b) => cidrsOverlap(summary.net, b.net));
    if (!bucket) return undefined; // IPv6 blocks outside every pool: Calico never shows them.
    const sizeKey = summary.net.network.version * 256 + summary.net.prefix;
    let total = this.sizes.get(sizeKey);
    if (total === undefined) this.sizes.set(sizeKey, (total = networkSize(summary.net)));
    const inUse = Number(total) - summary.free;
    bucket.usage.inUse += sign * inUse;
    bucket.usage.blockCount += sign;
    return { bucket, total, inUse };
  }

  result(revision: number): Utilization {
    for (const { usage } of this.buckets) usage.free = usage.total - BigInt(usage.inUse);
    return { revision, pools: this.buckets.map((b) => b.usage), skipped: this.skipped };
  }
}

export async function collectUtilization(ds: Datastore, opts: { withBlocks: boolean }): Promise<Utilization> {
  const { pools, problems, revision } = await listPools(ds);
  const folder = new UtilizationFolder(pools, problems, opts.withBlocks);
  // Each block is summarised while visit runs (its bytes are not kept), in key order.
  const visit = (kv: KeyValue): undefined => {
    const read = readBlock(kv);
    if (read) folder.add(read);
    return undefined;
  };
  await ds.scan(BLOCK_PREFIX, visit, { revision });
  return folder.result(revision);
}

function emptyUsage(name: string, net: Network): PoolUsage {
  const total = networkSize(net);
  return { name, cidr: networkText(net), total, inUse: 0, free: total, blockCount: 0, blocks: [] };
}
