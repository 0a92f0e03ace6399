/**
 * Writes a generated dataset into a store: etcd through etcd3 transactions of 128 puts (etcd's
 * default --max-txn-ops), a few in flight at once; the embedded store through the project's own
 * backend and Datastore, in larger transactions since SQLite pays per commit, not per row.
 */
import { Etcd3 } from 'etcd3';

import { createDatastore } from '../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../src/datastore/embedded/backend.js';
import type { Entry } from './dataset.js';

export interface LoadResult {
  keys: number;
  seconds: number;
}

const ETCD_BATCH = 128;
const ETCD_IN_FLIGHT = 4;
const EMBEDDED_BATCH = 2000;

export async function loadIntoEtcd(endpoint: string, entries: Iterable<Entry>): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  const client = new Etcd3({ hosts: endpoint });
  const inFlight = new Set<Promise<unknown>>();
  let keys = 0;
  try {
    for (const batch of batches(entries, ETCD_BATCH)) {
      const put = client.kv
        .txn({
          success: batch.map(([key, value]) => ({
            request_put: { key: Buffer.from(key), value: Buffer.from(value) },
          })),
        })
        .finally(() => inFlight.delete(put));
      inFlight.add(put);
      keys += batch.length;
      if (inFlight.size >= ETCD_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    client.close();
  }
  return { keys, seconds: secondsSince(started) };
}

export async function loadIntoEmbedded(path: string, entries: Iterable<Entry>): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  const store = createDatastore(await openEmbeddedBackend({ path, source: 'bench', timeoutMs: 60_000 }));
  let keys = 0;
  try {
    for (const batch of batches(entries, EMBEDDED_BATCH)) {
      await store.txn({ compare: [], success: batch.map(([key, value]) => ({ type: 'put', key, value })) });
      keys += batch.length;
    }
  } finally {
    await store.close();
  }
  return { keys, seconds: secondsSince(started) };
}

function* batches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
