/**
 * The Kubernetes datastore backend on a real kube-apiserver (test/helpers/kube-apiserver.ts): the
 * Datastore contract (compare-and-swap, revisions, lists in key order, counts, the IPAM two-step
 * delete, watch) over the key space of docs/kdd.md, with what it writes checked against the objects
 * in the API server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/load.js';
import type { Datastore, KeyValue, WatchBatch } from '../../../src/datastore/contract.js';
import { convertUID } from '../../../src/datastore/kdd/metadata.js';
import { WatchCompactedError } from '../../../src/errors.js';
import { openDatastore } from '../../../src/datastore/open.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';

const CRD_API = '/apis/crd.projectcalico.org/v1';
const POOL_PREFIX = '/calico/resources/v3/projectcalico.org/ippools/';

let cluster: KubeCluster;
let ds: Datastore;

/** The v3 uid of a key's object: ConvertUID of the uid kube-apiserver gave the CR. */
async function uidOf(key: string): Promise<string> {
  const kv = await ds.get(key);
  return (JSON.parse(kv!.value) as { metadata: { uid: string } }).metadata.uid;
}

const WRITTEN_UID = '3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21';

function pool(name: string, cidr: string, uid = WRITTEN_UID): string {
  return (
    `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","uid":"${uid}","creationTimestamp":"2026-06-01T10:00:00Z"},` +
    `"spec":{"cidr":"${cidr}","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}`
  );
}

function emptyBlock(cidr: string, size: number): string {
  const nulls = Array.from({ length: size }, () => 'null').join(',');
  const free = Array.from({ length: size }, (_, i) => i).join(',');
  return `{"cidr":"${cidr}","affinity":"host:node1","allocations":[${nulls}],"unallocated":[${free}],"attributes":[],"sequenceNumber":1780308000000000002,"sequenceNumberForAllocation":{},"deleted":false}`;
}

async function collect(prefix: string, pageSize?: number): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  for await (const kv of await ds.list(prefix, pageSize ? { pageSize } : {})) out.push(kv);
  return out;
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  const config = loadClientConfig({
    env: cluster.env,
    defaultConfigFile: `${tempDir()}/none.cfg`,
  });
  ds = await openDatastore(config, { timeoutMs: 10_000, env: cluster.env });
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await ds?.close();
  await cluster?.stop();
});

describe('compare-and-swap on resourceVersion', () => {
  const key = `${POOL_PREFIX}cas`;

  it('create once, update on the revision read, delete on it', async () => {
    expect(ds.multiKeyTransactions).toBe(false);
    const created = await ds.create(key, pool('cas', '10.10.0.0/16'));
    expect(created.ok).toBe(true);
    const again = await ds.create(key, pool('cas', '10.10.0.0/16'));
    expect(again).toMatchObject({ ok: false, reason: 'exists', current: { key } });

    // kube-apiserver gives the object its own uid: it reads back converted (ConvertUID), the rest as written.
    const kv = await ds.get(key);
    const cr = (await cluster.request('GET', `${CRD_API}/ippools/cas`)).body as {
      metadata: { resourceVersion: string; uid: string; annotations: Record<string, string> };
    };
    const uid = await uidOf(key);
    expect(uid).toBe(convertUID(cr.metadata.uid));
    expect(kv?.value).toBe(pool('cas', '10.10.0.0/16', uid));
    expect(kv?.modRevision).toBe(created.ok ? created.revision : -1);
    // kube-apiserver's resourceVersion is the revision reported.
    expect(Number(cr.metadata.resourceVersion)).toBe(kv?.modRevision);
    expect(cr.metadata.annotations['projectcalico.org/metadata']).toBe(
      '{"creationTimestamp":"2026-06-01T10:00:00Z"}',
    );

    const updated = await ds.update(key, pool('cas', '10.11.0.0/16', uid), kv!.modRevision);
    expect(updated.ok).toBe(true);
    const stale = await ds.update(key, pool('cas', '10.12.0.0/16', uid), kv!.modRevision);
    expect(stale).toMatchObject({
      ok: false,
      reason: 'conflict',
      current: { value: pool('cas', '10.11.0.0/16', uid) },
    });
    // A value naming another object of the same name (another uid) loses its compare, as on etcd.
    const now = (await ds.get(key))!.modRevision;
    expect(await ds.update(key, pool('cas', '10.12.0.0/16'), now)).toMatchObject({
      ok: false,
      reason: 'conflict',
    });
    const staleDelete = await ds.delete(key, kv!.modRevision);
    expect(staleDelete).toMatchObject({ ok: false, reason: 'conflict' });
    const removed = await ds.delete(key, updated.ok ? updated.revision : -1);
    expect(removed.ok).toBe(true);
    expect(await ds.get(key)).toBeUndefined();
    expect(await ds.update(key, pool('cas', '10.11.0.0/16', uid), 5)).toMatchObject({
      ok: false,
      reason: 'missing',
    });
    expect(await ds.delete(key)).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('reads a key as it was at an earlier revision', async () => {
    const k = `${POOL_PREFIX}history`;
    const first = await ds.create(k, pool('history', '10.20.0.0/16'));
    const uid = await uidOf(k);
    const second = await ds.update(k, pool('history', '10.21.0.0/16', uid), first.ok ? first.revision : 0);
    expect(second.ok).toBe(true);
    expect((await ds.get(k, { revision: first.ok ? first.revision : 0 }))?.value).toBe(
      pool('history', '10.20.0.0/16', uid),
    );
    expect((await ds.get(k))?.value).toBe(pool('history', '10.21.0.0/16', uid));
    await ds.delete(k);
  });

  it('refuses a transaction over two keys before sending anything', async () => {
    await expect(
      ds.txn({
        compare: [],
        success: [
          { type: 'put', key: `${POOL_PREFIX}a`, value: pool('a', '10.30.0.0/16') },
          { type: 'put', key: `${POOL_PREFIX}b`, value: pool('b', '10.31.0.0/16') },
        ],
      }),
    ).rejects.toThrow(/cannot write 2 keys in one atomic transaction/);
    expect(await ds.get(`${POOL_PREFIX}a`)).toBeUndefined();
  });
});

describe('lists', () => {
  const blocks = [
    ['10.0.0.0/26', '/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26'],
    ['10.0.0.64/26', '/calico/ipam/v2/assignment/ipv4/block/10.0.0.64-26'],
    ['10.0.1.0/26', '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26'],
    ['10.0.10.0/26', '/calico/ipam/v2/assignment/ipv4/block/10.0.10.0-26'],
    ['9.0.0.0/26', '/calico/ipam/v2/assignment/ipv4/block/9.0.0.0-26'],
    ['fd00::/122', '/calico/ipam/v2/assignment/ipv6/block/fd00::-122'],
    ['fd00::1:0/122', '/calico/ipam/v2/assignment/ipv6/block/fd00::1:0-122'],
    ['2001:db8::/122', '/calico/ipam/v2/assignment/ipv6/block/2001:db8::-122'],
  ] as const;
  const handles = ['k8s-pod-network.b', 'K8s-Pod-Network.A', 'ipip-tunnel-addr-node1', 'Z-handle'];

  beforeAll(async () => {
    for (const [cidr, key] of blocks) {
      const res = await ds.create(key, emptyBlock(cidr, 64));
      expect(res.ok).toBe(true);
    }
    for (const id of handles) {
      const res = await ds.create(
        `/calico/ipam/v2/handle/${id}`,
        '{"block":{"10.0.0.0/26":1},"deleted":false}',
      );
      expect(res.ok).toBe(true);
    }
  });

  it('come in etcd key order whatever order the API lists the objects in, page after page', async () => {
    const want = blocks.map(([, key]) => key).sort();
    expect((await collect('/calico/ipam/v2/assignment/')).map((kv) => kv.key)).toEqual(want);
    expect((await collect('/calico/ipam/v2/assignment/', 3)).map((kv) => kv.key)).toEqual(want);
    expect((await collect('/calico/ipam/v2/assignment/ipv6/', 1)).map((kv) => kv.key)).toEqual(
      want.filter((k) => k.includes('ipv6')),
    );
    const handleKeys = handles.map((id) => `/calico/ipam/v2/handle/${id}`).sort();
    expect((await collect('/calico/ipam/v2/handle/', 2)).map((kv) => kv.key)).toEqual(handleKeys);
  });

  it('keep every integer of a block exact, and its value byte for byte', async () => {
    const kv = await ds.get('/calico/ipam/v2/assignment/ipv4/block/10.0.0.64-26');
    expect(kv?.value).toBe(emptyBlock('10.0.0.64/26', 64));
  });

  it('scan a range over several kinds in key order, at one revision', async () => {
    const scanned = await ds.scan('/calico/ipam/v2/', (kv) => kv.key);
    const keys = [
      ...blocks.map(([, key]) => key),
      ...handles.map((id) => `/calico/ipam/v2/handle/${id}`),
    ].sort();
    expect(scanned.results).toEqual(keys);
    expect(scanned.revision).toBeGreaterThan(0);
    expect(await ds.count('/calico/ipam/v2/handle/')).toBe(handles.length);
  });

  it('an IPAM object is deleted in two steps, and a get finishes one left marked', async () => {
    const key = '/calico/ipam/v2/handle/K8s-Pod-Network.A';
    const kv = await ds.get(key);
    expect(await ds.delete(key, kv!.modRevision)).toMatchObject({ ok: true });
    expect((await cluster.request('GET', `${CRD_API}/ipamhandles/k8s-pod-network.a`)).status).toBe(404);

    // Left marked deleted (step one of another client's delete): a get finishes it.
    const other = '/calico/ipam/v2/handle/k8s-pod-network.b';
    const marked = await ds.update(
      other,
      '{"block":{"10.0.0.0/26":1},"deleted":true}',
      (await ds.get(other))!.modRevision,
    );
    expect(marked.ok).toBe(true);
    expect((await ds.list('/calico/ipam/v2/handle/')) !== undefined).toBe(true);
    expect(await ds.get(other)).toBeUndefined();
    expect((await cluster.request('GET', `${CRD_API}/ipamhandles/k8s-pod-network.b`)).status).toBe(404);
  });
});

describe('namespaced kinds', () => {
  it('a range within one namespace lists that namespace only, and in key order', async () => {
    for (const ns of ['ns-a', 'ns-b'])
      expect((await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
        201,
      );
    const prefix = '/calico/resources/v3/projectcalico.org/networksets/';
    const set = (ns: string, name: string): string =>
      `{"kind":"NetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","namespace":"${ns}","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"nets":["10.9.0.0/24"]}}`;
    for (const [ns, name] of [
      ['ns-b', 'z'],
      ['ns-a', 'b'],
      ['ns-a', 'a'],
    ] as const)
      expect((await ds.create(`${prefix}${ns}/${name}`, set(ns, name))).ok).toBe(true);
    expect((await collect(`${prefix}ns-a/`)).map((kv) => kv.key)).toEqual([
      `${prefix}ns-a/a`,
      `${prefix}ns-a/b`,
    ]);
    expect((await collect(prefix)).map((kv) => kv.key)).toEqual([
      `${prefix}ns-a/a`,
      `${prefix}ns-a/b`,
      `${prefix}ns-b/z`,
    ]);
  });
});

describe('watch', () => {
  it('reports puts and deletes of the watched prefix from a revision on', async () => {
    const from = await ds.currentRevision();
    const batches: WatchBatch[] = [];
    const watch = await ds.watch(POOL_PREFIX, { fromRevision: from, outageMs: 10_000 }, (b) =>
      batches.push(b),
    );
    try {
      const key = `${POOL_PREFIX}watched`;
      const created = await ds.create(key, pool('watched', '10.40.0.0/16'));
      expect(created.ok).toBe(true);
      await ds.delete(key);
      await expect
        .poll(() => batches.flatMap((b) => b.events.map((e) => e.type)), { timeout: 10_000 })
        .toEqual(['put', 'delete']);
      const put = batches[0]!.events[0]!;
      expect(put.type === 'put' && put.kv).toMatchObject({ key });
      expect(put.type === 'put' && put.kv.value).toMatch(/"cidr":"10.40.0.0\/16"/);
      expect(batches[0]!.revision).toBe(created.ok ? created.revision : -1);
    } finally {
      await watch.close();
    }
  });

  it('reports an affinity deleted in two steps as deleted (it is hidden once marked)', async () => {
    const key = '/calico/ipam/v2/host/node9/ipv4/block/10.9.0.0-26';
    expect((await ds.create(key, '{"state":"confirmed","deleted":false}')).ok).toBe(true);
    const from = await ds.currentRevision();
    const batches: WatchBatch[] = [];
    const watch = await ds.watch('/calico/ipam/v2/host/', { fromRevision: from, outageMs: 10_000 }, (b) =>
      batches.push(b),
    );
    try {
      expect(await ds.delete(key)).toMatchObject({ ok: true });
      await expect
        .poll(() => batches.flatMap((b) => b.events.map((e) => (e.type === 'delete' ? e.key : ''))).at(-1), {
          timeout: 10_000,
        })
        .toBe(key);
      expect(batches.flatMap((b) => b.events).every((e) => e.type === 'delete')).toBe(true);
    } finally {
      await watch.close();
    }
  });

  it('a start revision the API server no longer has: the watch ends with WatchCompactedError', async () => {
    // Make sure the revision is gone from etcd too, not only from the API server's watch cache.
    const now = await ds.currentRevision();
    await cluster.etcd.etcdctl(['compact', String(now)]);
    const watch = await ds.watch(POOL_PREFIX, { fromRevision: 1, outageMs: 10_000 }, () => undefined);
    try {
      await expect(watch.ended).rejects.toBeInstanceOf(WatchCompactedError);
    } finally {
      await watch.close();
    }
  });
});
