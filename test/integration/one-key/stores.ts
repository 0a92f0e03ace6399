/**
 * A real embedded store that declares itself one-key-at-a-time, as the Kubernetes backend does
 * (test/integration/datastore/multi-key.test.ts), with a hook that runs before each of its
 * transactions: a test makes a concurrent writer win there, deterministically, by writing the key
 * through the same store directly before the transaction is forwarded.
 */
import { join } from 'node:path';

import { afterEach } from 'vitest';

import type { Datastore, KVBackend, TxnOp, TxnRequest } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { tempDir } from '../../helpers/temp.js';

export interface OneKeyStore {
  /** What the command under test gets: multiKeyTransactions false. */
  ds: Datastore;
  /** The same store with multi-key transactions: seeding, reading, and the concurrent writer. */
  direct: Datastore;
  /** Every write sent through ds, in order: `put <key>` or `delete <key>`, `lost` appended when its guard failed. */
  writes: string[];
  /** Runs before a transaction through ds is forwarded. */
  beforeTxn?: (req: TxnRequest) => Promise<void>;
  close(): Promise<void>;
}

async function openEmbedded(): Promise<KVBackend> {
  return openEmbeddedBackend({
    path: join(tempDir('calicoctl-ts-one-key-'), 'store.db'),
    source: 'test',
    timeoutMs: 5000,
  });
}

export async function openOneKeyStore(): Promise<OneKeyStore> {
  const inner = await openEmbedded();
  const store: OneKeyStore = {
    direct: createDatastore(inner),
    writes: [],
    ds: undefined as unknown as Datastore,
    close: () => inner.close(),
  };
  const written = (op: TxnOp) => op.type !== 'get';
  store.ds = createDatastore({
    info: inner.info,
    multiKeyTransactions: false,
    range: (req) => inner.range(req),
    txn: async (req) => {
      await store.beforeTxn?.(req);
      const res = await inner.txn(req);
      for (const op of req.success.filter(written))
        store.writes.push(`${op.type} ${op.key}${res.succeeded ? '' : ' lost'}`);
      return res;
    },
    close: () => inner.close(),
  });
  return store;
}

/** A plain embedded store (multi-key transactions, as etcd): the same command there is the reference. */
export async function openMultiKeyStore(): Promise<Datastore> {
  return createDatastore(await openEmbedded());
}

export async function seed(ds: Datastore, kvs: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(kvs)) {
    const out = await ds.create(key, value);
    if (!out.ok) throw new Error(`could not seed ${key}`);
  }
}

export async function dump(ds: Datastore, prefix = '/calico/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const kv of await ds.list(prefix)) out[kv.key] = kv.value;
  return out;
}

/** Rewrites key with the same value through the direct store: its mod revision moves on. */
export async function touch(direct: Datastore, key: string): Promise<void> {
  const kv = await direct.get(key);
  if (!kv) throw new Error(`touch: ${key} is missing`);
  const out = await direct.update(key, kv.value, kv.modRevision);
  if (!out.ok) throw new Error(`touch: ${key} moved`);
}

/** A one-key store and a multi-key reference store. */
export interface StorePair {
  one: OneKeyStore;
  multi: Datastore;
}

/**
 * For a test file: opens, per call, a one-key store and a multi-key reference, both seeded with kvs,
 * and closes every store opened (also through `keep`) after each test.
 */
export function storePairs(): {
  open(kvs: Record<string, string>): Promise<StorePair>;
  keep<T extends { close(): Promise<void> }>(store: T): T;
} {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  const keep = <T extends { close(): Promise<void> }>(store: T): T => {
    opened.push(store);
    return store;
  };
  return {
    keep,
    async open(kvs) {
      const one = keep(await openOneKeyStore());
      const multi = keep(await openMultiKeyStore());
      await seed(one.direct, kvs);
      await seed(multi, kvs);
      return { one, multi };
    },
  };
}
