/**
 * Datastore.watch on both backends, through the library: what it reports, replayed on a read,
 * gives the next read (puts, overwrites, deletes, a delete and re-create, keys outside the prefix
 * ignored), in revision order up to the last write; closing it ends it. On etcd, a start revision
 * that was compacted ends it with WatchCompactedError, which follow() turns into a fresh read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Datastore, KeyValue, WatchBatch } from '../../../src/datastore/contract.js';
import { follow } from '../../../src/datastore/follow.js';
import { WatchCompactedError } from '../../../src/errors.js';
import { harness, withDs, type Backend } from '../pools/harness.js';

const h = harness();
beforeAll(() => h.start(), 30_000);
afterAll(() => h.stop());

const PREFIX = '/calico/test-watch/';

async function snapshot(ds: Datastore): Promise<{ revision: number; kvs: Map<string, string> }> {
  const stream = await ds.list(PREFIX);
  const kvs = new Map<string, string>();
  for await (const kv of stream) kvs.set(kv.key, kv.value);
  return { revision: stream.revision, kvs };
}

function replay(kvs: Map<string, string>, batch: WatchBatch): void {
  for (const ev of batch.events) {
    if (ev.type === 'put') kvs.set(ev.kv.key, ev.kv.value);
    else kvs.delete(ev.key);
  }
}

describe.each(h.backends)('Datastore.watch on $name', (backend: Backend) => {
  it('reports every change under the prefix, in revision order, up to the last write', async () => {
    await withDs(backend, async (ds) => {
      await ds.txn({ compare: [], success: [{ type: 'delete', key: '/calico/', rangeEnd: '/calico0' }] });
      await ds.create(`${PREFIX}keep`, 'k1');
      await ds.create(`${PREFIX}gone`, 'g1');
      const start = await snapshot(ds);
      const batches: WatchBatch[] = [];
      let notify: (() => void) | undefined;
      const watch = await ds.watch(PREFIX, { fromRevision: start.revision, outageMs: 5000 }, (b) => {
        batches.push(b);
        notify?.();
      });
      const kv = async (key: string): Promise<KeyValue> => (await ds.get(key))!;
      await ds.update(`${PREFIX}keep`, 'k2', (await kv(`${PREFIX}keep`)).modRevision);
      await ds.create(`${PREFIX}new`, 'n1');
      await ds.create('/calico/test-watcher-outside', 'x');
      await ds.delete(`${PREFIX}gone`);
      await ds.create(`${PREFIX}again`, 'a1');
      await ds.delete(`${PREFIX}again`);
      await ds.create(`${PREFIX}again`, 'a2');
      const end = await snapshot(ds);
      await new Promise<void>((resolve) => {
        notify = () => {
          if (batches.at(-1)!.revision >= end.revision) resolve();
        };
        if (batches.length > 0) notify();
      });
      await watch.close();
      const replayed = new Map(start.kvs);
      for (const b of batches) replay(replayed, b);
      expect(replayed).toEqual(end.kvs);
      const revisions = batches.map((b) => b.revision);
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(revisions.at(-1)).toBe(end.revision);
      for (const b of batches)
        for (const ev of b.events)
          expect((ev.type === 'put' ? ev.kv.key : ev.key).startsWith(PREFIX)).toBe(true);
    });
  });

  it.runIf(backend.name === 'etcd')(
    'a compacted start revision: the watch ends with WatchCompactedError, and follow reads afresh',
    async () => {
      await withDs(backend, async (ds) => {
        const old = await ds.currentRevision();
        await ds.create(`${PREFIX}c1`, 'v');
        await ds.create(`${PREFIX}c2`, 'v');
        const etcd = backend.env().ETCD_ENDPOINTS!;
        const { execFileSync } = await import('node:child_process');
        execFileSync('etcdctl', ['--endpoints', etcd, 'compact', String(await ds.currentRevision())]);
        const watch = await ds
          .watch(PREFIX, { fromRevision: old, outageMs: 5000 }, () => undefined)
          .catch((err: unknown) => ({ ended: Promise.reject(err), close: async () => undefined }));
        await expect(watch.ended).rejects.toBeInstanceOf(WatchCompactedError);
        await watch.close();

        // follow: a first read pinned before the compaction, then a fresh one.
        const loads: number[] = [];
        const outcome = await follow(
          ds,
          [PREFIX],
          {
            load: async () => {
              loads.push(loads.length === 0 ? old : await ds.currentRevision());
              return loads.at(-1)!;
            },
            apply: () => undefined,
          },
          { outageMs: 5000, done: () => loads.length === 2 },
        );
        expect(outcome).toBe('done');
        expect(loads).toHaveLength(2);
      });
    },
  );
});
