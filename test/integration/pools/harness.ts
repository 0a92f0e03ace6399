/**
 * The two datastores the pool commands are tested on (embedded file and a real etcd), with exact
 * key/value seeding, byte-level reads, and the built CLI pointed at each.
 */
import { join } from 'node:path';

import { loadClientConfig } from '../../../src/config/load.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { openDatastore } from '../../../src/datastore/open.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

export const POOLS = '/calico/resources/v3/projectcalico.org/ippools/';
export const poolKey = (name: string) => POOLS + name;

export interface Backend {
  name: 'embedded' | 'etcd';
  env(): Record<string, string>;
}

export interface Harness {
  backends: Backend[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function harness(): Harness {
  let etcd: EtcdServer | undefined;
  const dir = tempDir('calicoctl-ts-pools-');
  return {
    backends: [
      {
        name: 'embedded',
        env: () => ({ DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'datastore.db') }),
      },
      { name: 'etcd', env: () => etcd!.env },
    ],
    start: async () => {
      etcd = await startEtcd();
    },
    stop: async () => {
      await etcd?.stop();
    },
  };
}

/** Runs fn with a datastore opened as the CLI would open it for this backend, then closes it. */
export async function withDs<T>(backend: Backend, fn: (ds: Datastore) => Promise<T>): Promise<T> {
  const ds = await openDatastore(loadClientConfig({ env: backend.env() }), { timeoutMs: 5000 });
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

/** Empties /calico/ and writes the given keys with exactly these values. */
export async function seed(backend: Backend, kvs: Record<string, string>): Promise<void> {
  await withDs(backend, async (ds) => {
    await ds.txn({ compare: [], success: [{ type: 'delete', key: '/calico/', rangeEnd: '/calico0' }] });
    for (const [key, value] of Object.entries(kvs)) {
      const out = await ds.create(key, value);
      if (!out.ok) throw new Error(`could not seed ${key}`);
    }
  });
}

/** Every key under /calico/ with its value and mod revision: "nothing was written" means equal dumps. */
export async function dump(backend: Backend): Promise<Record<string, string>> {
  return withDs(backend, async (ds) => {
    const out: Record<string, string> = {};
    for await (const kv of await ds.list('/calico/')) out[kv.key] = `${kv.modRevision} ${kv.value}`;
    return out;
  });
}

export async function value(backend: Backend, key: string): Promise<string | undefined> {
  return withDs(backend, async (ds) => (await ds.get(key))?.value);
}

export function cli(backend: Backend, ...args: string[]): Promise<CliResult> {
  return runCli(args, { env: backend.env() });
}

/** A pool as libcalico-go v3.32 stores it (struct order, defaults persisted). */
export function storedPool(
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): string {
  const full = {
    vxlanMode: 'Never',
    ipipMode: 'Never',
    blockSize: String(spec.cidr).includes(':') ? 122 : 26,
    nodeSelector: 'all()',
    allowedUses: ['Workload', 'Tunnel'],
    assignmentMode: 'Automatic',
    ...spec,
  };
  const order = [
    'cidr',
    'vxlanMode',
    'ipipMode',
    'natOutgoing',
    'disabled',
    'disableBGPExport',
    'blockSize',
    'nodeSelector',
    'namespaceSelector',
    'allowedUses',
    'assignmentMode',
  ];
  const ordered = Object.fromEntries(
    order
      .filter((k) => (full as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, (full as Record<string, unknown>)[k]]),
  );
  return JSON.stringify({
    kind: 'IPPool',
    apiVersion: 'projectcalico.org/v3',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
      creationTimestamp: '2026-06-01T10:00:00Z',
      ...(annotations ? { annotations } : {}),
    },
    spec: ordered,
  });
}

export const storedNode = (name: string, bgp: Record<string, string>, extra: Record<string, string> = {}) =>
  JSON.stringify({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
      creationTimestamp: '2026-06-01T10:00:00Z',
    },
    spec: { bgp, ...extra },
    status: {},
  });
