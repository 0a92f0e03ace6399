/**
 * `ipam assign` on a real store without multi-key transactions (as the Kubernetes datastore): Calico's
 * order (handle counted first, then the block compare-and-swap, the count taken back when that
 * compare is lost; on a rollback the block first, then the handle), with the same results and the
 * same stored values as on a store that writes block and handle in one transaction.
 */
import { describe, expect, it } from 'vitest';

import { assign, type AssignRequest } from '../../../src/ipam/assign.js';
import { ALL_KEYS } from '../../unit/ipam/fixtures.js';
import { POOL_PREFIX, poolValue } from '../../unit/ipam/fixtures.js';
import { dump, storePairs, touch } from './stores.js';

const CHURNED = '/calico/ipam/v2/assignment/ipv4/block/10.65.79.0-26';
const HANDLE = '/calico/ipam/v2/handle/h-one';
const request = (extra: Partial<AssignRequest> = {}): AssignRequest => ({
  node: 'node1',
  handleID: 'h-one',
  attrs: {},
  num: 1,
  ...extra,
});

const pairs = storePairs();

describe('ipam assign, one key at a time', () => {
  it('counts the handle, then writes the block: same result and values as one transaction', async () => {
    const { one, multi } = await pairs.open(ALL_KEYS);
    const got = await assign(one.ds, request());
    expect(got).toEqual(await assign(multi, request()));
    expect(got.addresses).toEqual(['10.65.79.11']);
    expect(one.writes).toEqual([`put ${HANDLE}`, `put ${CHURNED}`]);
    expect(await dump(one.direct)).toEqual(await dump(multi));
    expect((await one.direct.get(HANDLE))?.value).toBe('{"block":{"10.65.79.0/26":1},"deleted":false}');
  });

  it('claims a new block for a node as the one-transaction path does', async () => {
    const { one, multi } = await pairs.open(ALL_KEYS);
    const req = request({ node: 'node7', num: 2, pool: '10.66.0.0/16' });
    const got = await assign(one.ds, req);
    expect(got).toEqual(await assign(multi, req));
    expect(got.blocks).toEqual([{ cidr: '10.66.22.64/29', assigned: 2, claimed: true }]);
    expect((await one.direct.get(HANDLE))?.value).toBe('{"block":{"10.66.22.64/29":2},"deleted":false}');
    // The pending affinity, the block, the confirmed affinity, then the handle and the block again.
    expect(one.writes.slice(-2)).toEqual([
      `put ${HANDLE}`,
      'put /calico/ipam/v2/assignment/ipv4/block/10.66.22.64-29',
    ]);
  });

  it('takes the handle count back when another writer wins the block, then assigns from a fresh read', async () => {
    const { one, multi } = await pairs.open(ALL_KEYS);
    let raced = false;
    one.beforeTxn = async (req) => {
      if (!raced && req.success.some((op) => op.key === CHURNED)) {
        raced = true;
        await touch(one.direct, CHURNED);
      }
    };
    const got = await assign(one.ds, request());
    expect(raced).toBe(true);
    expect(one.writes).toEqual([
      `put ${HANDLE}`,
      `put ${CHURNED} lost`,
      `delete ${HANDLE}`,
      `put ${HANDLE}`,
      `put ${CHURNED}`,
    ]);
    expect(got).toEqual(await assign(multi, request()));
    expect((await one.direct.get(HANDLE))?.value).toBe('{"block":{"10.65.79.0/26":1},"deleted":false}');
  });

  it('rolls back a request it cannot meet: the block first, then the handle; nothing is left', async () => {
    const tiny = { [POOL_PREFIX + 'tiny']: poolValue('tiny', '10.99.0.0/30', 30) };
    const { one, multi } = await pairs.open(tiny);
    const req = request({ num: 5, pool: 'tiny' });
    const err = await assign(one.ds, req).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PoolsExhausted' });
    expect((err as Error).message).toMatch(/^Assigned 4 out of 5 requested IPv4 addresses/);
    expect(await assign(multi, req).catch((e: unknown) => (e as Error).message)).toBe((err as Error).message);
    const block = '/calico/ipam/v2/assignment/ipv4/block/10.99.0.0-30';
    const assigned = one.writes.indexOf(`put ${block}`, one.writes.indexOf(`put ${HANDLE}`));
    const released = one.writes.indexOf(`put ${block}`, assigned + 1);
    expect(assigned).toBeGreaterThan(0);
    expect(one.writes.slice(released, released + 2)).toEqual([`put ${block}`, `delete ${HANDLE}`]);
    const left = await dump(one.direct);
    expect(Object.keys(left).filter((k) => k.startsWith('/calico/ipam/v2/'))).toEqual(
      Object.keys(await dump(multi)).filter((k) => k.startsWith('/calico/ipam/v2/')),
    );
    expect(left[HANDLE]).toBeUndefined();
  });
});
