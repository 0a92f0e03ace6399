/**
 * `ipam show --watch`: the data of `ipam show` (per pool, --show-blocks, or --by-node) kept
 * current through datastore/follow.ts. Each block is kept as the little `ipam show` counts of it
 * (its summary, or its per-node counts), so a change re-reads only the blocks it touched, and the
 * totals are kept by the same folders a one-shot `ipam show` uses (UtilizationFolder,
 * NodeUsageCounter): a changed block is taken back out of them and counted again. Only the block
 * rows of --show-blocks (in key order) and a change of the pools fold every record again.
 */
import type { Datastore, KeyValue, WatchBatch } from '../datastore/contract.js';
import type { FollowedView } from '../datastore/follow.js';
import { IPPOOL_PREFIX } from '../resources/well-known-keys.js';
import { BLOCK_PREFIX, parseBlockKey } from './keys.js';
import { CorruptBlockError, decodeBlock } from './block.js';
import { DecodedHolders } from './block-owners.js';
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
  private readonly skipped = new Map<string, SkippedValue>();
  private sortedKeys: string[] | undefined;
  private lastRevision = 0;
  private config: IPAMConfig | undefined;
  /** The running totals; undefined when they must be folded again from the records. */
  private folder: UtilizationFolder | undefined;
  private nodes: NodeUsageCounter | undefined;

  constructor(
    private readonly ds: Datastore,
    readonly variant: ShowVariant,
  ) {}

  async load(): Promise<number> {
    this.pools.clear();
    this.blocks.clear();
    this.skipped.clear();
    this.sortedKeys = undefined;
    this.folder = undefined;
    this.nodes = undefined;
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
      if (pool) {
        if (ev.type === 'put') this.readPool(ev.kv);
        else this.pools.delete(key);
        this.folder = undefined; // blocks may belong to other pools now
      } else if (ev.type === 'put') this.readBlock(ev.kv);
      else this.setBlock(key, undefined);
    }
    this.lastRevision = Math.max(this.lastRevision, batch.revision);
  }

  /** The revision of the last change applied (or of the last load). */
  revision(): number {
    return this.lastRevision;
  }

  /** `ipam show` / `--show-blocks` as of the last change. */
  utilization(): Utilization {
    const folder = (this.variant === 'blocks' ? undefined : this.folder) ?? this.fold();
    if (this.variant !== 'blocks') this.folder = folder;
    return folder.result(this.lastRevision);
  }

  /** `ipam show --by-node` as of the last change, with the IPAM settings read at the last load. */
  nodeUsage(): { report: NodeUsageReport; config: IPAMConfig } {
    if (!this.nodes) {
      this.nodes = new NodeUsageCounter();
      for (const record of this.records()) if (record instanceof NodeUsageCounter) this.nodes.merge(record);
    }
    const skipped = [...this.skipped.keys()].sort().map((k) => this.skipped.get(k)!);
    const nodes = this.nodes;
    const report = {
      revision: this.lastRevision,
      nodes: nodes.result(),
      unclassified: nodes.unclassified,
      skipped,
    };
    return { report, config: this.config! };
  }

  private fold(): UtilizationFolder {
    const pools = [...this.pools.keys()].sort().map((k) => this.pools.get(k)!);
    const folder = new UtilizationFolder(
      pools.filter((p): p is PoolInfo => !('reason' in p)),
      pools.filter((p): p is PoolProblem => 'reason' in p),
      this.variant === 'blocks',
    );
    for (const record of this.records()) if (!(record instanceof NodeUsageCounter)) folder.add(record);
    return folder;
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
    if (record) this.setBlock(kv.key, record);
    return undefined;
  }

  /** The block's new record (undefined: gone), taken out of the running totals and counted again. */
  private setBlock(key: string, record: BlockRecord | undefined): void {
    const old = this.blocks.get(key);
    if (old === undefined || record === undefined) this.sortedKeys = undefined;
    if (old instanceof NodeUsageCounter) this.nodes?.merge(old, -1);
    else if (old) this.folder?.remove(old);
    this.skipped.delete(key);
    if (record === undefined) this.blocks.delete(key);
    else {
      this.blocks.set(key, record);
      if (record instanceof NodeUsageCounter) this.nodes?.merge(record);
      else this.folder?.add(record);
      if (isSkipped(record)) this.skipped.set(key, record);
    }
  }
}

const isSkipped = (record: BlockRecord): record is SkippedValue =>
  !(record instanceof NodeUsageCounter) && !('summary' in record);

/** One block's counts for --by-node, as collectNodeUsage adds them up. */
function nodeCounts(kv: KeyValue): NodeUsageCounter | SkippedValue | undefined {
  if (!parseBlockKey(kv.key)) return undefined;
  try {
    const counter = new NodeUsageCounter();
    counter.add(new DecodedHolders(decodeBlock(kv)));
    return counter;
  } catch (err) {
    if (!(err instanceof CorruptBlockError)) throw err;
    return { key: err.key, reason: err.reason };
  }
}
