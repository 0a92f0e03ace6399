/**
 * `ipam show --watch`: the data of `ipam show` (per pool, --show-blocks, or --by-node) kept
 * current through datastore/follow.ts. Each block is kept as the little `ipam show` counts of it
 * (its summary, or its per-node counts), so a change re-reads only the blocks it touched; a
 * snapshot folds those small records again, in key order, through the same folders a one-shot
 * `ipam show` uses (UtilizationFolder, NodeUsageCounter).
 */
import type { Datastore, KeyValue, WatchBatch } from '../datastore/contract.js';
import type { FollowedView } from '../datastore/follow.js';
import { IPPOOL_PREFIX } from '../resources/well-known-keys.js';
import { BLOCK_PREFIX, parseBlockKey } from './block-key.js';
import { CorruptBlockError, decodeBlock } from './block.js';
import { readIPAMConfig, type IPAMConfig } from './config.js';
import { NodeUsageCounter, type NodeUsageReport } from './node-usage.js';
import { decodePool, type PoolInfo, type PoolProblem } from './pools.js';
import {
  readBlock,
  UtilizationFolder,
  type BlockRead,
  type SkippedValue,
  type Utilization,
} from './utilization.js';

export type ShowVariant = 'pools' | 'blocks' | 'by-node';

/** The prefixes a view follows: the pools and the blocks. */
export const SHOW_PREFIXES = [IPPOOL_PREFIX, BLOCK_PREFIX] as const;

type BlockRecord = BlockRead | NodeUsageCounter | SkippedValue;

export class IpamShowView implements FollowedView {
  private readonly pools = new Map<string, PoolInfo | PoolProblem>();
  private readonly blocks = new Map<string, BlockRecord>();
  private sortedKeys: string[] | undefined;
  private lastRevision = 0;
  private config: IPAMConfig | undefined;

  constructor(
    private readonly ds: Datastore,
    readonly variant: ShowVariant,
  ) {}

  async load(): Promise<number> {
    this.pools.clear();
    this.blocks.clear();
    this.sortedKeys = undefined;
    const { revision } = await this.ds.scan(IPPOOL_PREFIX, (kv) => this.readPool(kv));
    await this.ds.scan(BLOCK_PREFIX, (kv) => this.readBlock(kv), { revision });
    if (this.variant === 'by-node') this.config = (await readIPAMConfig(this.ds)).config;
    this.lastRevision = revision;
    return revision;
  }

  apply(batch: WatchBatch): void {
    for (const ev of batch.events) {
      const key = ev.type === 'put' ? ev.kv.key : ev.key;
      const pool = key.startsWith(IPPOOL_PREFIX);
      if (ev.type === 'put') {
        if (pool) this.readPool(ev.kv);
        else this.readBlock(ev.kv);
      } else if (pool) this.pools.delete(key);
      else if (this.blocks.delete(key)) this.sortedKeys = undefined;
    }
    this.lastRevision = Math.max(this.lastRevision, batch.revision);
  }

  /** The revision of the last change applied (or of the last load). */
  revision(): number {
    return this.lastRevision;
  }

  /** `ipam show` / `--show-blocks` as of the last change. */
  utilization(): Utilization {
    const pools = [...this.pools.keys()].sort().map((k) => this.pools.get(k)!);
    const folder = new UtilizationFolder(
      pools.filter((p): p is PoolInfo => !('reason' in p)),
      pools.filter((p): p is PoolProblem => 'reason' in p),
      this.variant === 'blocks',
    );
    for (const record of this.records()) if (!(record instanceof NodeUsageCounter)) folder.add(record);
    return folder.result(this.lastRevision);
  }

  /** `ipam show --by-node` as of the last change, with the IPAM settings read at the last load. */
  nodeUsage(): { report: NodeUsageReport; config: IPAMConfig } {
    const total = new NodeUsageCounter();
    const skipped: SkippedValue[] = [];
    for (const record of this.records()) {
      if (record instanceof NodeUsageCounter) total.merge(record);
      else if (!('summary' in record)) skipped.push(record);
    }
    const report = {
      revision: this.lastRevision,
      nodes: total.result(),
      unclassified: total.unclassified,
      skipped,
    };
    return { report, config: this.config! };
  }

  private *records(): Iterable<BlockRecord> {
    this.sortedKeys ??= [...this.blocks.keys()].sort();
    for (const key of this.sortedKeys) yield this.blocks.get(key)!;
  }

  private readPool(kv: KeyValue): undefined {
    this.pools.set(kv.key, decodePool(kv));
    return undefined;
  }

  private readBlock(kv: KeyValue): undefined {
    const record = this.variant === 'by-node' ? nodeCounts(kv) : readBlock(kv);
    if (!record) return undefined;
    if (!this.blocks.has(kv.key)) this.sortedKeys = undefined;
    this.blocks.set(kv.key, record);
    return undefined;
  }
}

/** One block's counts for --by-node, as collectNodeUsage adds them up. */
function nodeCounts(kv: KeyValue): NodeUsageCounter | SkippedValue | undefined {
  if (!parseBlockKey(kv.key)) return undefined;
  try {
    const counter = new NodeUsageCounter();
    counter.add(decodeBlock(kv));
    return counter;
  } catch (err) {
    if (!(err instanceof CorruptBlockError)) throw err;
    return { key: err.key, reason: err.reason };
  }
}
