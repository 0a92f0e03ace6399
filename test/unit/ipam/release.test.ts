/**
 * Releasing addresses against a real embedded datastore seeded with Calico-format values: the
 * rewritten block, handle and affinity bytes must be what libcalico-go v3.32.1 writes.
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { Datastore } from '../../../src/datastore/contract.js';
import { releaseByHandle, releaseIPs } from '../../../src/ipam/release.js';
import { parseIP, type IPAddr } from '../../../src/resources/ip.js';
import { datastoreWith } from './memory-datastore.js';

const POOL_KEY = '/calico/resources/v3/projectcalico.org/ippools/pool-a';
const pool = (selector = 'all()') =>
  `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-a","uid":"u1","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"10.0.1.0/24","ipipMode":"Always","blockSize":29,"nodeSelector":${JSON.stringify(selector)}}}`;
const NODE_KEY = '/calico/resources/v3/projectcalico.org/nodes/node1';
const NODE =
  '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1","labels":{"zone":"a"}},"spec":{}}';

const BLOCK_KEY = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-29';
const AFF_KEY = '/calico/ipam/v2/host/node1/ipv4/block/10.0.1.0-29';
const AFF = '{"state":"confirmed","deleted":false}';
const POD_A = 'k8s-pod-network.aaaa';
const POD_B = 'k8s-pod-network.bbbb';

/**
 * A churned /29: ordinal 0 tunnel (attr 0), 2 and 5 pod A (attr 1, shared), 3 pod B (attr 2),
 * free ordinals out of order with earlier releases at the tail, sequence numbers above 2^53.
 */
const churned = (affinity: string | null = '"host:node1"') =>
  `{"cidr":"10.0.1.0/29","affinity":${affinity},"allocations":[0,null,1,2,null,1,null,null],` +
  '"unallocated":[6,7,1,4],"attributes":[' +
  '{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}},' +
  `{"handle_id":"${POD_A}","secondary":{"namespace":"ns","node":"node1","pod":"a"}},` +
  `{"handle_id":"${POD_B}","secondary":{"namespace":"ns","node":"node1","pod":"b"}}],` +
  '"sequenceNumber":9007199254740993,' +
  '"sequenceNumberForAllocation":{"0":9007199254740001,"2":9007199254740991,"3":9007199254740992,"5":9007199254740993},' +
  '"deleted":false}';

const handle = (n: number) => `{"block":{"10.0.1.0/29":${n}},"deleted":false}`;

const ip = (text: string): IPAddr => parseIP(text)!;

describe('releaseIPs', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function seed(kvs: Record<string, string>): Promise<Datastore> {
    const store = await datastoreWith(kvs);
    cleanup = store.cleanup;
    return store.ds;
  }
  const value = async (ds: Datastore, key: string) => (await ds.get(key))?.value;

  it('frees pod B: attribute compacted, ordinal at the tail, its sequence entry gone, sequenceNumber + 1 exactly', async () => {
    const ds = await seed({
      [POOL_KEY]: pool(),
      [BLOCK_KEY]: churned(),
      [AFF_KEY]: AFF,
      '/calico/ipam/v2/handle/k8s-pod-network.bbbb': handle(1),
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.3') }]);
    expect(r.released).toEqual([{ ip: '10.0.1.3', block: '10.0.1.0/29', handle: POD_B }]);
    expect(r.blocks).toEqual([{ block: '10.0.1.0/29', key: BLOCK_KEY, action: 'updated' }]);
    expect(r.handles).toEqual([{ handle: POD_B, block: '10.0.1.0/29', count: 1, action: 'deleted' }]);
    expect(r.warnings).toEqual([]);
    expect(await value(ds, BLOCK_KEY)).toBe(
      '{"cidr":"10.0.1.0/29","affinity":"host:node1","allocations":[0,null,1,null,null,1,null,null],' +
        '"unallocated":[6,7,1,4,3],"attributes":[' +
        '{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}},' +
        `{"handle_id":"${POD_A}","secondary":{"namespace":"ns","node":"node1","pod":"a"}}],` +
        '"sequenceNumber":9007199254740994,' +
        '"sequenceNumberForAllocation":{"0":9007199254740001,"2":9007199254740991,"5":9007199254740993},' +
        '"deleted":false}',
    );
    expect(await value(ds, '/calico/ipam/v2/handle/k8s-pod-network.bbbb')).toBeUndefined();
    expect(await value(ds, AFF_KEY)).toBe(AFF);
  });

  it('moves attribute indexes down when an earlier attribute goes, and decrements a shared handle', async () => {
    const ds = await seed({
      [POOL_KEY]: pool(),
      [BLOCK_KEY]: churned(),
      '/calico/ipam/v2/handle/ipip-tunnel-addr-node1': handle(1),
      '/calico/ipam/v2/handle/k8s-pod-network.aaaa': handle(2),
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.0') }, { ip: ip('10.0.1.5') }]);
    expect(r.released.map((x) => x.ip)).toEqual(['10.0.1.0', '10.0.1.5']);
    const block = JSON.parse((await value(ds, BLOCK_KEY))!) as Record<string, unknown>;
    expect(block['allocations']).toEqual([null, null, 0, 1, null, null, null, null]);
    expect(block['unallocated']).toEqual([6, 7, 1, 4, 0, 5]);
    expect((block['attributes'] as { handle_id: string }[]).map((a) => a.handle_id)).toEqual([POD_A, POD_B]);
    expect(await value(ds, '/calico/ipam/v2/handle/k8s-pod-network.aaaa')).toBe(handle(1));
    expect(await value(ds, '/calico/ipam/v2/handle/ipip-tunnel-addr-node1')).toBeUndefined();
  });

  it('deletes a block that is empty and has no affinity, but keeps an affine one', async () => {
    const single = (affinity: string) =>
      `{"cidr":"10.0.1.8/29","affinity":${affinity},"allocations":[null,0,null,null,null,null,null,null],` +
      '"unallocated":[0,2,3,4,5,6,7],"attributes":[{"handle_id":"h1"}],"sequenceNumber":5,' +
      '"sequenceNumberForAllocation":{"1":4},"deleted":false}';
    const key = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29';
    const ds = await seed({
      [POOL_KEY]: pool(),
      [key]: single('null'),
      '/calico/ipam/v2/handle/h1': '{"block":{"10.0.1.8/29":1},"deleted":false}',
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.9') }]);
    expect(r.blocks).toEqual([{ block: '10.0.1.8/29', key, action: 'deleted' }]);
    expect(await value(ds, key)).toBeUndefined();
    expect(await value(ds, '/calico/ipam/v2/handle/h1')).toBeUndefined();

    await ds.create(key, single('"host:node9"'));
    const again = await releaseIPs(ds, [{ ip: ip('10.0.1.9') }]);
    expect(again.blocks[0]?.action).toBe('updated');
    expect(again.warnings).toEqual([
      'failed to decrement handle h1: resource does not exist: IPAMHandleKey(id=h1) with error: <nil>',
    ]);
    expect(await value(ds, key)).toBe(
      '{"cidr":"10.0.1.8/29","affinity":"host:node9","allocations":[null,null,null,null,null,null,null,null],' +
        '"unallocated":[0,2,3,4,5,6,7,1],"attributes":[],"sequenceNumber":6,"sequenceNumberForAllocation":{},"deleted":false}',
    );
  });

  it('reports free addresses and addresses no block holds as not assigned, writing nothing', async () => {
    const ds = await seed({ [POOL_KEY]: pool(), [BLOCK_KEY]: churned() });
    const before = await ds.currentRevision();
    const r = await releaseIPs(ds, [
      { ip: ip('10.0.1.4') },
      { ip: ip('10.0.1.200') },
      { ip: ip('192.0.2.1') },
    ]);
    expect(r.released).toEqual([]);
    expect(r.notAssigned.sort()).toEqual(['10.0.1.200', '10.0.1.4', '192.0.2.1']);
    expect(await ds.currentRevision()).toBe(before);
  });

  it('finds the block by scanning when no pool contains the address (pool deleted)', async () => {
    const ds = await seed({
      [BLOCK_KEY]: churned(),
      '/calico/ipam/v2/handle/k8s-pod-network.bbbb': handle(1),
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.3') }]);
    expect(r.released.map((x) => x.ip)).toEqual(['10.0.1.3']);
  });

  it('refuses a stale report entry (sequence number or handle changed) and writes nothing', async () => {
    const ds = await seed({ [POOL_KEY]: pool(), [BLOCK_KEY]: churned() });
    const before = await ds.currentRevision();
    const seq = await releaseIPs(ds, [
      { ip: ip('10.0.1.3'), handle: POD_B, sequenceNumber: 9007199254740991n },
    ]);
    expect(seq.failures).toEqual([
      { block: '10.0.1.0/29', message: 'update conflict: 10.0.1.3', stale: true },
    ]);
    const h = await releaseIPs(ds, [
      { ip: ip('10.0.1.3'), handle: POD_A, sequenceNumber: 9007199254740992n },
    ]);
    expect(h.failures).toHaveLength(1);
    expect(await ds.currentRevision()).toBe(before);
    const ok = await releaseIPs(ds, [
      { ip: ip('10.0.1.3'), handle: POD_B, sequenceNumber: 9007199254740992n },
    ]);
    expect(ok.released).toHaveLength(1);
  });

  it('names a corrupt block by key and leaves it alone', async () => {
    const ds = await seed({ [POOL_KEY]: pool(), [BLOCK_KEY]: '{"cidr":"10.0.1.0/29","allocations":"oops"}' });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.3') }]);
    expect(r.failures).toEqual([
      {
        block: '10.0.1.0/29',
        message: `IPAM block ${BLOCK_KEY} has a corrupt value: allocations is not an array`,
        stale: false,
      },
    ]);
    expect(await value(ds, BLOCK_KEY)).toBe('{"cidr":"10.0.1.0/29","allocations":"oops"}');
  });

  it('computes a dry run without writing', async () => {
    const ds = await seed({
      [POOL_KEY]: pool(),
      [BLOCK_KEY]: churned(),
      '/calico/ipam/v2/handle/k8s-pod-network.bbbb': handle(1),
    });
    const before = await ds.currentRevision();
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.3') }], { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.blocks).toEqual([{ block: '10.0.1.0/29', key: BLOCK_KEY, action: 'updated' }]);
    expect(r.handles).toEqual([{ handle: POD_B, block: '10.0.1.0/29', count: 1, action: 'deleted' }]);
    expect(await ds.currentRevision()).toBe(before);
  });

  it('releases the affinity of a now-empty block whose pool no longer selects the node', async () => {
    const tunnelOnly =
      '{"cidr":"10.0.1.0/29","affinity":"host:node1","allocations":[0,null,null,null,null,null,null,null],' +
      '"unallocated":[1,2,3,4,5,6,7],"attributes":[{"handle_id":"t"}],"sequenceNumber":1,' +
      '"sequenceNumberForAllocation":{"0":0},"deleted":false}';
    const ds = await seed({
      [POOL_KEY]: pool("zone == 'b'"),
      [NODE_KEY]: NODE,
      [BLOCK_KEY]: tunnelOnly,
      [AFF_KEY]: AFF,
      '/calico/ipam/v2/handle/t': handle(1),
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.0') }]);
    expect(r.affinitiesReleased).toEqual([AFF_KEY]);
    expect(await value(ds, BLOCK_KEY)).toBeUndefined();
    expect(await value(ds, AFF_KEY)).toBeUndefined();
  });

  it('keeps the affinity while the pool still selects the node', async () => {
    const ds = await seed({
      [POOL_KEY]: pool("zone == 'a'"),
      [NODE_KEY]: NODE,
      [BLOCK_KEY]: churned(),
      [AFF_KEY]: AFF,
    });
    const r = await releaseIPs(ds, [{ ip: ip('10.0.1.3') }]);
    expect(r.affinitiesReleased).toEqual([]);
    expect(await value(ds, AFF_KEY)).toBe(AFF);
  });
});

describe('releaseIPs over many blocks', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('releases blocks eight at a time and reports them in block order, whichever finishes first', async () => {
    // 20 affine /29 blocks of pool-a's /24... each with one pod at ordinal 1.
    const kvs: Record<string, string> = { [POOL_KEY]: pool() };
    const requests: { ip: IPAddr }[] = [];
    for (let b = 0; b < 20; b++) {
      const base = b * 8;
      const pod = `k8s-pod-network.p${b}`;
      kvs[`/calico/ipam/v2/assignment/ipv4/block/10.0.1.${base}-29`] =
        `{"cidr":"10.0.1.${base}/29","affinity":"host:node1","allocations":[null,0,null,null,null,null,null,null],` +
        `"unallocated":[0,2,3,4,5,6,7],"attributes":[{"handle_id":"${pod}","secondary":{"namespace":"ns","node":"node1","pod":"p${b}"}}],` +
        `"sequenceNumber":7,"sequenceNumberForAllocation":{"1":6},"deleted":false}`;
      kvs[`/calico/ipam/v2/handle/${pod}`] = `{"block":{"10.0.1.${base}/29":1},"deleted":false}`;
      requests.push({ ip: ip(`10.0.1.${base + 1}`) });
    }
    const store = await datastoreWith(kvs);
    cleanup = store.cleanup;
    let inFlight = 0;
    let most = 0;
    // Block writes are held, then answered in reverse order of their block (later blocks finish
    // first). A wave is answered once the event loop has run every promise job that could start
    // another write (setImmediate runs after them; the embedded store answers without I/O waits),
    // so how many were in flight at once is decided by the code, not by a clock.
    let held: { block: number; answer: () => void }[] = [];
    const answerWave = () => {
      const wave = held.sort((a, b) => b.block - a.block);
      held = [];
      for (const w of wave) w.answer();
    };
    const slowWrites: Datastore = {
      ...store.ds,
      update: async (key, value, modRevision) => {
        most = Math.max(most, ++inFlight);
        const block = Number(/10\.0\.1\.(\d+)-29$/.exec(key)?.[1] ?? 0) / 8;
        await new Promise<void>((answer) => {
          if (held.push({ block, answer }) === 1) setImmediate(answerWave);
        });
        inFlight--;
        return store.ds.update(key, value, modRevision);
      },
    };
    const result = await releaseIPs(slowWrites, requests);
    expect(most).toBe(8);
    expect(result.released.map((r) => r.ip)).toEqual(
      requests.map((r) => `10.0.1.${Number(r.ip.value & 255n)}`),
    );
    expect(result.blocks.map((b) => b.block)).toEqual(requests.map((_, b) => `10.0.1.${b * 8}/29`));
    expect(result.handles.map((h) => h.handle)).toEqual(requests.map((_, b) => `k8s-pod-network.p${b}`));
    expect(result.failures).toEqual([]);
    for (let b = 0; b < 20; b++) {
      expect(await store.ds.get(`/calico/ipam/v2/handle/k8s-pod-network.p${b}`)).toBeUndefined();
      expect(
        (await store.ds.get(`/calico/ipam/v2/assignment/ipv4/block/10.0.1.${b * 8}-29`))?.value,
      ).toContain('"allocations":[null,null,');
    }
  });
});

describe('releaseByHandle', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('frees every ordinal of the handle in order and, as Calico, keeps their sequence entries', async () => {
    const store = await datastoreWith({
      [POOL_KEY]: pool(),
      [BLOCK_KEY]: churned(),
      '/calico/ipam/v2/handle/k8s-pod-network.aaaa': handle(2),
    });
    cleanup = store.cleanup;
    const r = await releaseByHandle(store.ds, POD_A);
    expect(r.released.map((x) => x.ip)).toEqual(['10.0.1.2', '10.0.1.5']);
    expect((await store.ds.get(BLOCK_KEY))?.value).toBe(
      '{"cidr":"10.0.1.0/29","affinity":"host:node1","allocations":[0,null,null,1,null,null,null,null],' +
        '"unallocated":[6,7,1,4,2,5],"attributes":[' +
        '{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}},' +
        `{"handle_id":"${POD_B}","secondary":{"namespace":"ns","node":"node1","pod":"b"}}],` +
        '"sequenceNumber":9007199254740994,' +
        '"sequenceNumberForAllocation":{"0":9007199254740001,"2":9007199254740991,"3":9007199254740992,"5":9007199254740993},' +
        '"deleted":false}',
    );
    expect(await store.ds.get('/calico/ipam/v2/handle/k8s-pod-network.aaaa')).toBeUndefined();
  });

  it('fails for a handle that does not exist', async () => {
    const store = await datastoreWith({ [POOL_KEY]: pool() });
    cleanup = store.cleanup;
    await expect(releaseByHandle(store.ds, 'nope')).rejects.toThrow(
      'resource does not exist: IPAMHandleKey(id=nope) with error: <nil>',
    );
  });
});
