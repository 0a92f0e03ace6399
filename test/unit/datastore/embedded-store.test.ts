/** The SQL store's history window and etcd's request checks, on an in-memory database with a fake clock. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { createSchema } from '../../../src/datastore/embedded/schema.js';
import {
  RETAIN_MAX_REVISIONS,
  RETAIN_MIN_MS,
  RETAIN_MIN_REVISIONS,
  SqlStore,
} from '../../../src/datastore/embedded/store.js';
import { OperationError } from '../../../src/errors.js';

function memoryStore(clock: { now: number }): SqlStore {
  const db = new Database(':memory:');
  createSchema(db);
  return new SqlStore(db, () => clock.now);
}

function put(store: SqlStore, key: string, value: string): number {
  return store.txn({ compare: [], success: [{ type: 'put', key, value }] }).revision;
}

describe('embedded store history window', () => {
  it('keeps old revisions readable for the minimum number of revisions while they are young', () => {
    const clock = { now: 1_000_000 };
    const store = memoryStore(clock);
    for (let i = 1; i <= RETAIN_MIN_REVISIONS + 500; i++) put(store, '/k', `v${i}`);
    // Everything is younger than the time window: nothing is compacted yet.
    expect(store.range({ key: '/k', revision: 1 }).kvs[0]?.value).toBe('v1');
  });

  it('keeps the old version of every key a transaction overwrites that its compares did not show absent', () => {
    const store = memoryStore({ now: 1_000_000 });
    const before = put(store, '/calico/b', 'old');
    put(store, '/calico/z', 'old z');
    // The compares show [/calico/c, /calico/y) and /calico/a without keys, not /calico/b nor /calico/z.
    const res = store.txn({
      compare: [
        { key: '/calico/c', rangeEnd: '/calico/y', target: 'version', op: '==', value: 0 },
        { key: '/calico/a', target: 'createRevision', op: '==', value: 0 },
        { key: '/calico/z', target: 'version', op: '!=', value: 0 },
      ],
      success: [
        { type: 'put', key: '/calico/a', value: 'new a' },
        { type: 'put', key: '/calico/b', value: 'new' },
        { type: 'put', key: '/calico/d', value: 'new d' },
        { type: 'put', key: '/calico/z', value: 'new z' },
      ],
    });
    expect(res.succeeded).toBe(true);
    expect(store.range({ key: '/calico/b', revision: before }).kvs[0]?.value).toBe('old');
    expect(store.range({ key: '/calico/z', revision: before + 1 }).kvs[0]?.value).toBe('old z');
    expect(store.range({ key: '/calico/b' }).kvs[0]?.value).toBe('new');
    const atBefore = store.range({ key: '/calico/', rangeEnd: '/calico0', revision: before + 1 });
    expect(atBefore.kvs.map((kv) => kv.key)).toEqual(['/calico/b', '/calico/z']);
  });

  it('compacts revisions older than both windows, like etcd', () => {
    const clock = { now: 1_000_000 };
    const store = memoryStore(clock);
    for (let i = 1; i <= 1200; i++) put(store, '/k', `v${i}`);
    clock.now += RETAIN_MIN_MS + 1;
    for (let i = 1201; i <= 1300; i++) put(store, '/k', `v${i}`);
    // Compaction at 1300 drops what is older than 1300 - 1000 = 300.
    expect(store.range({ key: '/k', revision: 300 }).kvs[0]?.value).toBe('v300');
    expect(store.range({ key: '/k', revision: 1250 }).kvs[0]).toMatchObject({
      value: 'v1250',
      version: 1250,
    });
    const err = (() => {
      try {
        store.range({ key: '/k', revision: 299 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OperationError);
    expect((err as Error).message).toBe('mvcc: required revision has been compacted');
  });

  it('never keeps more than the maximum number of revisions, however young', () => {
    const clock = { now: 1_000_000 };
    const store = memoryStore(clock);
    for (let i = 1; i <= RETAIN_MAX_REVISIONS + 100; i++) put(store, '/k', 'v');
    expect(() => store.range({ key: '/k', revision: 99 })).toThrow(/compacted/);
    expect(store.range({ key: '/k', revision: 100 }).kvs[0]?.version).toBe(100);
  });
});

describe('embedded store request checks', () => {
  it('rejects a txn that writes one key twice, as etcd does, and writes nothing', () => {
    const store = memoryStore({ now: 0 });
    const twice = () =>
      store.txn({
        compare: [],
        success: [
          { type: 'put', key: '/a', value: '1' },
          { type: 'delete', key: '/', rangeEnd: '0' },
        ],
      });
    expect(twice).toThrow('etcdserver: duplicate key given in txn request');
    expect(store.currentRevision()).toBe(0);
  });

  it('rejects a read at a future revision', () => {
    const store = memoryStore({ now: 0 });
    put(store, '/a', '1');
    expect(() => store.range({ key: '/a', revision: 2 })).toThrow(
      'mvcc: required revision is a future revision',
    );
  });

  it('reads from a key to the end of the keyspace with rangeEnd "\\0"', () => {
    const store = memoryStore({ now: 0 });
    for (const k of ['/a', '/b', '/c']) put(store, k, k);
    expect(store.range({ key: '/b', rangeEnd: '\0' }).kvs.map((kv) => kv.key)).toEqual(['/b', '/c']);
    expect(store.range({ key: '\0', rangeEnd: '\0' }).count).toBe(3);
  });
});
