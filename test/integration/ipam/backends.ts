/**
 * The two datastores the IPAM write commands are tested against, behind one small interface: a real
 * etcd (keys written and read with etcdctl) and the embedded store (a SQLite file).
 */
import { join } from 'node:path';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd } from '../../helpers/etcd-server.js';

export interface Backend {
  name: string;
  env: Record<string, string>;
  put(key: string, value: string): Promise<void>;
  /** Every key under the prefix with its exact value. */
  dump(prefix: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startEtcdBackend(): Promise<Backend> {
  const etcd = await startEtcd();
  return {
    name: 'etcd',
    env: etcd.env,
    put: async (key, value) => {
      await etcd.etcdctl(['put', key, value]);
    },
    dump: async (prefix) => {
      const out = await etcd.etcdctl(['get', prefix, '--prefix', '-w', 'json']);
      const parsed = JSON.parse(out) as { kvs?: { key: string; value: string }[] };
      return Object.fromEntries(
        (parsed.kvs ?? []).map((kv) => [
          Buffer.from(kv.key, 'base64').toString('utf8'),
          Buffer.from(kv.value, 'base64').toString('utf8'),
        ]),
      );
    },
    stop: () => etcd.stop(),
  };
}

export function startEmbeddedBackend(): Backend {
  const dir = tempDir('calicoctl-ts-ipam-write-');
  const path = join(dir, 'datastore.db');
  const open = async (): Promise<Datastore> =>
    createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
  return {
    name: 'embedded',
    env: { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path },
    put: async (key, value) => {
      const ds = await open();
      try {
        const cur = await ds.get(key);
        const outcome = cur ? await ds.update(key, value, cur.modRevision) : await ds.create(key, value);
        if (!outcome.ok) throw new Error(`could not write ${key}`);
      } finally {
        await ds.close();
      }
    },
    dump: async (prefix) => {
      const ds = await open();
      try {
        const out: Record<string, string> = {};
        for await (const kv of await ds.list(prefix)) out[kv.key] = kv.value;
        return out;
      } finally {
        await ds.close();
      }
    },
    // The directory goes with the test file (tempDir); there is no process to stop.
    stop: async () => {},
  };
}
