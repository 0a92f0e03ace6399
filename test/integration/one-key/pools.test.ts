/**
 * `ippool mode` and `ippool migrate` on a real store without multi-key transactions (as the Kubernetes
 * datastore): the pools are written one at a time, each compare-and-swap; a concurrent writer that
 * wins a later pool stops the write there and the error names exactly what was written; the result
 * is the one-transaction path's.
 */
import { describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { migratePool, type MigrateRequest } from '../../../src/pools/migrate.js';
import { setPoolModes, type ModeRequest } from '../../../src/pools/mode.js';
import { poolKey, storedPool } from '../pools/harness.js';
import { dump, storePairs, touch, type OneKeyStore } from './stores.js';

const POOLS = {
  [poolKey('p1')]: storedPool('p1', { cidr: '10.1.0.0/16', ipipMode: 'Always' }),
  [poolKey('p2')]: storedPool('p2', { cidr: '10.2.0.0/16', ipipMode: 'Always' }),
  [poolKey('p3')]: storedPool('p3', { cidr: '10.3.0.0/16', ipipMode: 'Always' }),
};
const toVxlan = (extra: Partial<ModeRequest> = {}): ModeRequest => ({
  names: ['p1', 'p2', 'p3'],
  all: false,
  encap: { vxlan: 'Always' },
  dryRun: false,
  force: true,
  ...extra,
});
const move = (extra: Partial<MigrateRequest> = {}): MigrateRequest => ({
  old: 'p1',
  to: 'new',
  cidr: '10.9.0.0/16',
  encap: {},
  finish: false,
  status: false,
  dryRun: false,
  ...extra,
});

const pairs = storePairs();
/** Makes the concurrent writer win key: it rewrites key just before the command's write of it. */
function raceOn(one: OneKeyStore, key: string): void {
  let raced = false;
  one.beforeTxn = async (req) => {
    if (!raced && req.success.some((op) => op.key === key)) {
      raced = true;
      await touch(one.direct, key);
    }
  };
}

describe('ippool mode, one pool at a time', () => {
  it('writes each pool compare-and-swap, each with its own revision; the result is the transaction path one', async () => {
    const { one, multi } = await pairs.open(POOLS);
    const got = await setPoolModes(one.ds, toVxlan());
    const want = await setPoolModes(multi, toVxlan());
    const shape = (r: typeof got) => ({
      ...r,
      revision: 0,
      pools: r.pools.map((p) => ({ ...p, resourceVersion: '' })),
    });
    expect(shape(got)).toEqual(shape(want));
    expect(one.writes).toEqual(['p1', 'p2', 'p3'].map((n) => `put ${poolKey(n)}`));
    for (const p of got.pools)
      expect(p.resourceVersion).toBe(String((await one.direct.get(poolKey(p.name)))!.modRevision));
    expect(got.revision).toBe(Number(got.pools[2]!.resourceVersion));
    expect(await dump(one.direct)).toEqual(await dump(multi));
  });

  it('a concurrent writer wins the second pool: conflict (exit 4) naming what was written and what was not', async () => {
    const { one } = await pairs.open(POOLS);
    raceOn(one, poolKey('p2'));
    const err = await setPoolModes(one.ds, toVxlan()).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: ExitCode.Conflict });
    expect((err as Error).message).toBe(
      'update conflict: IPPool(p2) changed since it was read; IPPool(p1) was written, IPPool(p2), IPPool(p3) were not (this datastore writes one pool at a time)',
    );
    const now = await dump(one.direct);
    expect(now[poolKey('p1')]).toBe(storedPool('p1', { cidr: '10.1.0.0/16', vxlanMode: 'Always' }));
    expect(now[poolKey('p2')]).toBe(POOLS[poolKey('p2')]);
    expect(now[poolKey('p3')]).toBe(POOLS[poolKey('p3')]);
    // Re-running converges: p1 is unchanged now, p2 and p3 change.
    one.beforeTxn = undefined;
    const again = await setPoolModes(one.ds, toVxlan());
    expect(again.pools.map((p) => p.outcome)).toEqual(['unchanged', 'changed', 'changed']);
  });

  it('an unchanged pool that moved stops it before anything is written', async () => {
    const { one } = await pairs.open(POOLS);
    await setPoolModes(one.direct, toVxlan({ names: ['p1'] }));
    const before = await dump(one.direct);
    // p1 is already VXLAN: it is only guarded, by a read, and a writer moves it after the plan.
    const err = await setPoolModes(one.ds, {
      ...toVxlan({ names: ['p1', 'p2'] }),
      beforeWrite: () => touch(one.direct, poolKey('p1')),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'update conflict: IPPool(p1) changed since it was read; nothing was written',
    );
    expect((await dump(one.direct))[poolKey('p2')]).toBe(before[poolKey('p2')]);
    expect(one.writes).toEqual([]);
  });
});

describe('ippool migrate, one pool at a time', () => {
  it('creates the new pool, then disables the old one; the result is the transaction path one', async () => {
    const { one, multi } = await pairs.open(POOLS);
    const got = await migratePool(one.ds, move());
    const want = await migratePool(multi, move());
    expect({ ...got, revision: 0 }).toEqual({ ...want, revision: 0 });
    expect(one.writes).toEqual([`put ${poolKey('new')}`, `put ${poolKey('p1')}`]);
  });

  it('a writer wins the old pool after the new one was created: exit 4 saying so, and the next run resumes', async () => {
    const { one, multi } = await pairs.open(POOLS);
    raceOn(one, poolKey('p1'));
    const err = await migratePool(one.ds, move()).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: ExitCode.Conflict });
    expect((err as Error).message).toBe(
      'update conflict: IPPool(p1) changed since it was read; IPPool(new) was written before it (this datastore writes one pool at a time)',
    );
    expect(JSON.parse((await one.direct.get(poolKey('p1')))!.value).spec.disabled).toBeUndefined();
    const resumed = await migratePool(one.ds, move());
    const want = await migratePool(multi, move());
    expect(resumed.stepReached).toBe(want.stepReached);
    expect(resumed.outcome).toBe(want.outcome);
    expect(resumed.actions).toEqual(['disabled IPPool(p1)']);
    const settled = (kvs: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(kvs).map(([k, v]) => [k, v.replace(/"uid":"[^"]*","creationTimestamp":"[^"]*"/, '')]),
      );
    expect(settled(await dump(one.direct))).toEqual(settled(await dump(multi)));
  });
});
