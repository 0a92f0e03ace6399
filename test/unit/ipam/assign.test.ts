/**
 * The allocator against a real embedded datastore: the keys written must be Calico's.
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { Datastore } from '../../../src/datastore/contract.js';
import { assign } from '../../../src/ipam/assign.js';
import { fnv1_32 } from '../../../src/ipam/block-search.js';
import { parseIP } from '../../../src/resources/ip.js';
import { POOL_PREFIX, poolValue } from './fixtures.js';
import { datastoreWith } from './memory-datastore.js';

const pool = (name: string, cidr: string, blockSize: number, extra: Record<string, unknown> = {}) => ({
  [POOL_PREFIX + name]: poolValue(name, cidr, blockSize, extra),
});
const nodeRes = (name: string, labels: Record<string, string>) => ({
  [`/calico/resources/v3/projectcalico.org/nodes/${name}`]: JSON.stringify({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, labels },
    spec: {},
  }),
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function store(kvs: Record<string, string>): Promise<Datastore> {
  const s = await datastoreWith(kvs);
  cleanup = s.cleanup;
  return s.ds;
}

async function dump(ds: Datastore, prefix = '/calico/ipam/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const kv of await ds.list(prefix)) out[kv.key] = kv.value;
  return out;
}

describe('assign (auto)', () => {
  it('claims a block for the node (pending, block, confirmed) and counts the handle', async () => {
    const ds = await store(pool('p', '10.9.0.0/24', 28));
    const r = await assign(ds, { node: 'node1', handleID: 'h1', attrs: {}, num: 3 });
    // The node's ring in the pool starts at FNV-1(node) mod number of blocks.
    const start = fnv1_32('node1') % 16;
    const base = `10.9.0.${start * 16}`;
    expect(r.addresses).toEqual([0, 1, 2].map((i) => `10.9.0.${start * 16 + i}`));
    expect(r.blocks).toEqual([{ cidr: `${base}/28`, assigned: 3, claimed: true }]);
    const keys = await dump(ds);
    expect(keys[`/calico/ipam/v2/host/node1/ipv4/block/${base}-28`]).toBe(
      '{"state":"confirmed","deleted":false}',
    );
    expect(keys['/calico/ipam/v2/handle/h1']).toBe(`{"block":{"${base}/28":3},"deleted":false}`);
    const block = keys[`/calico/ipam/v2/assignment/ipv4/block/${base}-28`]!;
    const seq = BigInt(/"sequenceNumber":(\d+)/.exec(block)![1]!);
    expect(block).toMatch(
      new RegExp(
        `^\\{"cidr":"${base}/28","affinity":"host:node1","affinity_claim_time":"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ",` +
          `"allocations":\\[0,0,0(,null){13}\\],"unallocated":\\[${[...Array(13).keys()].map((i) => i + 3).join(',')}\\],` +
          `"attributes":\\[\\{"handle_id":"h1","secondary":\\{"node":"node1"\\}\\}\\],"sequenceNumber":${seq},` +
          `"sequenceNumberForAllocation":\\{"0":${seq - 1n},"1":${seq - 1n},"2":${seq - 1n}\\},"deleted":false\\}$`,
      ),
    );
    // A second request fills the same affine block first, then claims another.
    const r2 = await assign(ds, { node: 'node1', handleID: 'h2', attrs: { pod: 'x' }, num: 14 });
    expect(r2.blocks.map((b) => [b.assigned, b.claimed])).toEqual([
      [13, false],
      [1, true],
    ]);
    const h2 = (await dump(ds))['/calico/ipam/v2/handle/h2']!;
    expect(h2).toContain(`"${base}/28":13`);
  });

  it('rolls an unmet request back completely and says what was missing', async () => {
    const ds = await store(pool('small', '10.9.0.0/30', 30));
    await expect(assign(ds, { node: 'node1', handleID: 'h', attrs: {}, num: 5 })).rejects.toThrow(
      'Assigned 4 out of 5 requested IPv4 addresses; No IPs available in pools: [10.9.0.0/30]',
    );
    expect(await dump(ds)).toEqual({});
  });

  it('uses only pools whose nodeSelector selects the node', async () => {
    const ds = await store({
      ...pool('a-zone', '10.1.0.0/24', 26, { nodeSelector: "zone == 'a'" }),
      ...pool('b-zone', '10.2.0.0/24', 26, { nodeSelector: "zone == 'b'" }),
      ...nodeRes('node1', { zone: 'b' }),
    });
    const r = await assign(ds, { node: 'node1', handleID: 'h', attrs: {}, num: 1 });
    expect(r.addresses[0]).toMatch(/^10\.2\.0\./);
    await expect(assign(ds, { node: 'node2', handleID: 'h', attrs: {}, num: 1 })).rejects.toThrow(
      'no configured Calico pools for node node2',
    );
    await expect(
      assign(ds, { node: 'node1', handleID: 'h', attrs: {}, num: 1, pool: 'a-zone' }),
    ).rejects.toThrow(
      `IPPool a-zone (10.1.0.0/24) does not select node node1: nodeSelector is "zone == 'a'"`,
    );
  });

  it('borrows from another node’s block without strict affinity, and stops at maxBlocksPerHost with it', async () => {
    const ds = await store(pool('p', '10.9.0.0/29', 29));
    await assign(ds, { node: 'node2', handleID: 'a', attrs: {}, num: 2 });
    const r = await assign(ds, { node: 'node1', handleID: 'b', attrs: {}, num: 2 });
    expect(r.addresses).toEqual(['10.9.0.2', '10.9.0.3']);
    expect(r.blocks).toEqual([{ cidr: '10.9.0.0/29', assigned: 2, claimed: false }]);

    await ds.create(
      '/calico/ipam/v2/config',
      '{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":1}',
    );
    await expect(assign(ds, { node: 'node1', handleID: 'c', attrs: {}, num: 1 })).rejects.toThrow(
      'Assigned 0 out of 1 requested IPv4 addresses; No more free affine blocks and strict affinity enabled',
    );
  });
});

describe('assign (--ip)', () => {
  it('assigns one address, claiming its block, and refuses it twice', async () => {
    const ds = await store(pool('p', '10.9.0.0/24', 26));
    const ip = parseIP('10.9.0.70')!;
    const r = await assign(ds, { node: 'node1', handleID: 'h', attrs: {}, ip });
    expect(r).toEqual({
      node: 'node1',
      handle: 'h',
      addresses: ['10.9.0.70'],
      blocks: [{ cidr: '10.9.0.64/26', assigned: 1, claimed: true }],
    });
    await expect(assign(ds, { node: 'node2', handleID: 'x', attrs: {}, ip })).rejects.toThrow(
      'resource already exists: 10.9.0.70 with error: Address already assigned in block',
    );
    await expect(
      assign(ds, { node: 'node1', handleID: 'x', attrs: {}, ip: parseIP('10.8.0.1')! }),
    ).rejects.toThrow('The provided IP address is not in a configured pool');
    expect(Object.keys(await dump(ds, '/calico/ipam/v2/handle/'))).toEqual(['/calico/ipam/v2/handle/h']);
  });
});
