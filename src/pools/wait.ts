/**
 * `ippool migrate OLD --wait`: run the step asked for, then block until the pool being drained
 * passes the check `--finish` makes (holders.ts isDrained, over the same reading of each block,
 * blockHolders), and with --finish go on finishing. The pool's blocks are read once and then
 * followed through a watch (datastore/follow.ts): a change re-reads only the blocks it touched.
 */
import type { Datastore, KeyValue, WatchBatch } from '../datastore/contract.js';
import { follow } from '../datastore/follow.js';
import { TimedOutError } from '../errors.js';
import { parseCIDR, type CIDR } from '../resources/ip.js';
import { blockHolders, blockPrefixOf, holdersByNode, isDrained, type Holder } from './holders.js';
import { migratePool, type DrainReport, type MigrateRequest, type MigrateResult } from './migrate.js';
import { CorruptBlockError } from '../ipam/block.js';

/** Where a drain stands, each time the number of addresses left changes. */
export interface DrainProgress {
  pool: string;
  cidr: string;
  /** Addresses still held (blocks that cannot be read count one each). */
  left: number;
  /** left when this wait started. */
  total: number;
  /** The nodes that hold the most, most first. */
  nodes: { node: string; count: number }[];
  /** When the count was seen (RFC 3339). */
  at: string;
}

export interface WaitOptions {
  /** Give up after this long (TimedOutError, exit 6), as given (text) and in ms; none waits for ever. */
  timeout?: { text: string; ms: number };
  /** How long the datastore may stay unreachable in a row while waiting. */
  outageMs: number;
  /** Ctrl-C: stop waiting, write nothing. */
  signal?: AbortSignal;
  /** Called once at the start and each time the count changes. */
  onProgress(progress: DrainProgress): void;
}

export type WaitOutcome = { kind: 'result'; result: MigrateResult } | { kind: 'interrupted' };

/**
 * Runs migratePool as asked; while it stops at a drain step with addresses left (waiting, or
 * --finish refused), waits for that pool to drain and runs it again (a resize drains twice).
 */
export async function migrateAndWait(
  ds: Datastore,
  req: MigrateRequest,
  opts: WaitOptions,
): Promise<WaitOutcome> {
  const deadline = opts.timeout ? Date.now() + opts.timeout.ms : undefined;
  // What every run wrote, in order (the first creates and disables, the last deletes).
  const actions: string[] = [];
  for (;;) {
    const run = await migratePool(ds, req);
    actions.push(...run.actions);
    const result = { ...run, actions: [...actions] };
    const draining = result.draining;
    if (!draining || (result.outcome !== 'waiting' && result.outcome !== 'refused'))
      return { kind: 'result', result };
    const outcome = await waitForDrain(ds, draining, opts, deadline);
    if (outcome === 'interrupted') return { kind: 'interrupted' };
  }
}

/** Blocks until the pool holds nothing; 'interrupted' on opts.signal; TimedOutError past the timeout. */
export async function waitForDrain(
  ds: Datastore,
  report: Pick<DrainReport, 'pool' | 'cidr'>,
  opts: WaitOptions,
  deadline: number | undefined,
): Promise<'drained' | 'interrupted'> {
  const cidr = parseCIDR(report.cidr) as CIDR;
  const view = new DrainView(ds, cidr);
  const timeout =
    deadline === undefined ? undefined : AbortSignal.timeout(Math.max(0, deadline - Date.now()));
  const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  let total: number | undefined;
  let shown: number | undefined;
  const progress = (): DrainProgress => ({
    pool: report.pool,
    cidr: report.cidr,
    left: view.left(),
    total: (total ??= view.left()),
    nodes: view.nodes(),
    at: new Date().toISOString(),
  });
  const done = (): boolean => {
    const left = view.left();
    if (left !== shown) {
      shown = left;
      opts.onProgress(progress());
    }
    return view.drained();
  };
  const outcome = await follow(ds, [blockPrefixOf(cidr)], view, {
    outageMs: opts.outageMs,
    done,
    ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
  });
  if (outcome === 'done') return 'drained';
  if (opts.signal?.aborted) return 'interrupted';
  const now = progress();
  const where = now.nodes.map((n) => `${n.node || '(no node)'} ${n.count}`).join(', ');
  throw new TimedOutError(
    `gave up waiting after --wait-timeout ${opts.timeout?.text ?? ''}: ${now.left} address(es) still held in IPPool(${report.pool}) ${report.cidr}${where ? ` (${where})` : ''}`,
    {
      hint: `restart the workloads holding them ('calicoctl-ts ippool migrate ${report.pool} --status' lists them), or wait longer with a larger --wait-timeout`,
    },
  );
}

/** What each block of the pool holds, kept current from the watch's changes. */
class DrainView {
  private readonly blocks = new Map<string, { holders: Holder[]; corrupt: boolean }>();

  constructor(
    private readonly ds: Datastore,
    private readonly pool: CIDR,
  ) {}

  async load(): Promise<number> {
    this.blocks.clear();
    const { revision } = await this.ds.scan(blockPrefixOf(this.pool), (kv) => this.read(kv));
    return revision;
  }

  apply(batch: WatchBatch): void {
    for (const ev of batch.events) {
      if (ev.type === 'delete') this.blocks.delete(ev.key);
      else this.read(ev.kv);
    }
  }

  /** Addresses held, and one for each block that cannot be read. */
  left(): number {
    let left = 0;
    for (const b of this.blocks.values()) left += b.corrupt ? 1 : b.holders.length;
    return left;
  }

  drained(): boolean {
    const blocks = [...this.blocks.values()];
    const corrupt = blocks.filter((b) => b.corrupt);
    return isDrained({ left: this.left() - corrupt.length, corrupt });
  }

  nodes(): { node: string; count: number }[] {
    const holders = [...this.blocks.values()].flatMap((b) => b.holders);
    return holdersByNode(holders).sort((a, b) => b.count - a.count || a.node.localeCompare(b.node));
  }

  private read(kv: KeyValue): undefined {
    try {
      const found = blockHolders(kv, this.pool);
      if (found) this.blocks.set(kv.key, { holders: found.holders, corrupt: false });
      else this.blocks.delete(kv.key);
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      this.blocks.set(kv.key, { holders: [], corrupt: true });
    }
    return undefined;
  }
}
