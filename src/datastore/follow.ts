/**
 * Keeping a view of some prefixes current: read it whole once, then apply the changes a watch
 * reports, so each change costs work proportional to the change. When the store no longer holds
 * the history the watch needs (etcd compacted it), the view is read afresh and watched again from
 * that read: the one way a watch resumes, for every caller.
 */
import { WatchCompactedError } from '../errors.js';
import type { Datastore, Watch, WatchBatch } from './contract.js';

export interface FollowedView {
  /** Reads everything afresh and returns the revision it read at; called again after a compaction. */
  load(): Promise<number>;
  /** The changes under one of the prefixes, in order. */
  apply(batch: WatchBatch): void;
}

export interface FollowOptions {
  /** How long the store may stay unreachable in a row (Datastore.watch). */
  outageMs: number;
  /** Following stops when this says so (checked after each load and each batch). */
  done(): boolean;
  /** Stops following early (Ctrl-C, a timeout): follow then returns 'stopped'. */
  signal?: AbortSignal;
}

export async function follow(
  ds: Datastore,
  prefixes: readonly string[],
  view: FollowedView,
  opts: FollowOptions,
): Promise<'done' | 'stopped'> {
  const stopped = new Promise<'stopped'>((resolve) => {
    if (opts.signal?.aborted) resolve('stopped');
    opts.signal?.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  for (;;) {
    const loading = view.load();
    const revision = await Promise.race([loading, stopped]);
    if (revision === 'stopped') {
      // Nobody waits for the read any more: its failure (the store closing under it) is no error.
      loading.catch(() => undefined);
      return revision;
    }
    if (opts.done()) return 'done';
    let finish!: (outcome: 'done') => void;
    const finished = new Promise<'done'>((resolve) => (finish = resolve));
    const watches: Watch[] = [];
    try {
      for (const prefix of prefixes) {
        const watch = await ds.watch(prefix, { fromRevision: revision, outageMs: opts.outageMs }, (batch) => {
          view.apply(batch);
          if (opts.done()) finish('done');
        });
        watches.push(watch);
      }
      return await Promise.race([finished, stopped, ...watches.map((w) => w.ended)]);
    } catch (err) {
      if (!(err instanceof WatchCompactedError)) throw err;
    } finally {
      await Promise.all(watches.map((w) => w.close()));
    }
  }
}
