/**
 * `ipam split`, `--atomic` and `datastore import` on a real store without multi-key transactions (as
 * the Kubernetes datastore): the split is written step by step in calicoctl's order, --atomic is
 * refused (exit 2) before anything is read or written, and the import puts one key at a time, each
 * compare-and-swap, so a re-run writes nothing that is already there.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ApplyEngine } from '../../../src/apply/engine.js';
import { exportToFile, importFrom } from '../../../src/datastore/transfer.js';
import { ExitCode } from '../../../src/errors.js';
import { splitPool } from '../../../src/ipam/split.js';
import { kindDescriptor } from '../../../src/resources/registry.js';
import { ALL_KEYS } from '../../unit/ipam/fixtures.js';
import { poolKey, storedPool } from '../pools/harness.js';
import { tempDir } from '../../helpers/temp.js';
import { dump, openMultiKeyStore, seed, storePairs } from './stores.js';

const LOCKED = {
  '/calico/resources/v3/projectcalico.org/clusterinformations/default': JSON.stringify({
    kind: 'ClusterInformation',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name: 'default', uid: 'c', creationTimestamp: '2026-06-01T10:00:00Z' },
    spec: { clusterGUID: '0123456789abcdef0123456789abcdef', datastoreReady: false },
  }),
  [poolKey('p1')]: storedPool('p1', { cidr: '10.1.0.0/16', ipipMode: 'Always' }),
};

const pairs = storePairs();
/** Values without the fields each write makes afresh (uids, timestamps). */
const settled = (kvs: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(kvs).map(([k, v]) => [
      k,
      v.replace(/"uid":"[^"]*"/, '').replace(/"creationTimestamp":"[^"]*"/, ''),
    ]),
  );

describe('ipam split, one key at a time', () => {
  it("is written in calicoctl's order (disable, create each, delete) with the transaction path's result", async () => {
    const { one, multi } = await pairs.open(LOCKED);
    const got = await splitPool(one.ds, { number: '2', name: 'p1' });
    expect(got).toEqual(await splitPool(multi, { number: '2', name: 'p1' }));
    expect(one.writes).toEqual([
      `put ${poolKey('p1')}`,
      `put ${poolKey('split-p1-0')}`,
      `put ${poolKey('split-p1-1')}`,
      `delete ${poolKey('p1')}`,
    ]);
    expect(settled(await dump(one.direct))).toEqual(settled(await dump(multi)));
  });
});

describe('--atomic, one key at a time', () => {
  it('is refused with exit 2 before anything is read or written', async () => {
    const { one } = await pairs.open({});
    const pool = JSON.parse(storedPool('p9', { cidr: '10.9.0.0/16' })) as Record<string, unknown>;
    const engine = new ApplyEngine(one.ds, { atomic: true });
    const err = await engine
      .run('apply', [{ resource: pool as never, descriptor: kindDescriptor('IPPool')!, file: 'pools.yaml' }])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: ExitCode.BadInput, code: 'AtomicUnsupported' });
    expect((err as Error).message).toBe(
      '--atomic is not available on the embedded datastore: it writes one object per request, so a file cannot be written all or nothing',
    );
    expect(one.writes).toEqual([]);
    expect(await dump(one.direct)).toEqual({});
  });
});

describe('datastore import, one key at a time', () => {
  it('puts every key compare-and-swap; a re-run writes nothing that is already there', async () => {
    const source = pairs.keep(await openMultiKeyStore());
    await seed(source, ALL_KEYS);
    const file = join(tempDir('calicoctl-ts-one-key-import-'), 'export.jsonl');
    await exportToFile(source, file);
    const { one } = await pairs.open({});
    const summary = await importFrom(one.ds, file, { file, allowNonEmpty: false, dryRun: false });
    const keys = Object.keys(ALL_KEYS).length;
    expect(summary).toMatchObject({ keys, transactions: keys, targetKeysBefore: 0 });
    expect(await dump(one.direct)).toEqual(await dump(source));
    expect(one.writes.every((w) => w.startsWith('put '))).toBe(true);
    expect(one.writes).toHaveLength(keys);

    // Resumed after a failure part-way: one key differs, one is missing; only those two are written.
    const [first, second] = Object.keys(ALL_KEYS).sort();
    const kv = await one.direct.get(first!);
    await one.direct.update(first!, '{}', kv!.modRevision);
    await one.direct.delete(second!);
    one.writes.length = 0;
    await importFrom(one.ds, file, { file, allowNonEmpty: true, dryRun: false });
    expect(one.writes.sort()).toEqual([`put ${first}`, `put ${second}`].sort());
    expect(await dump(one.direct)).toEqual(await dump(source));
  });
});
