/**
 * The apply engine's update retries a compare-and-swap it lost by the one retry policy
 * (src/datastore/cas.ts), on a real embedded datastore: another writer changes the resource
 * between the engine's read and its write, as a concurrent calicoctl would.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { ApplyEngine } from '../../../src/apply/engine.js';
import { CAS_ATTEMPTS } from '../../../src/datastore/cas.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { kindDescriptor, resourceKey } from '../../../src/resources/registry.js';
import { datastoreWith } from '../ipam/memory-datastore.js';

const netSet = kindDescriptor('GlobalNetworkSet')!;
const key = resourceKey(netSet, 'ns1');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A datastore whose first `races` updates of key are each preceded by another writer's update. */
async function racedStore(races: number): Promise<{ ds: Datastore; raced: () => number }> {
  const { ds, cleanup } = await datastoreWith({});
  cleanups.push(cleanup);
  const created = await new ApplyEngine(ds).run('create', [
    {
      descriptor: netSet,
      resource: {
        kind: 'GlobalNetworkSet',
        apiVersion: 'projectcalico.org/v3',
        metadata: { name: 'ns1' },
        spec: { nets: ['10.0.0.0/24'] },
      },
    },
  ]);
  expect(created[0]!.outcome).toBe('created');
  let raced = 0;
  const racing: Datastore = {
    ...ds,
    async update(k, value, modRevision) {
      if (k === key && raced < races) {
        raced++;
        const current = (await ds.get(k))!;
        const other = JSON.parse(current.value) as { metadata: { labels?: Record<string, string> } };
        other.metadata.labels = { ...other.metadata.labels, [`other${raced}`]: 'x' };
        expect((await ds.update(k, JSON.stringify(other), current.modRevision)).ok).toBe(true);
      }
      return ds.update(k, value, modRevision);
    },
  };
  return { ds: racing, raced: () => raced };
}

const labels = async (ds: Datastore) =>
  (JSON.parse((await ds.get(key))!.value) as { metadata: { labels?: Record<string, string> } }).metadata
    .labels;

describe('the apply engine on a lost compare-and-swap', () => {
  it('reads again and applies its change over the other writer’s', async () => {
    const { ds, raced } = await racedStore(3);
    const result = await new ApplyEngine(ds).label(
      netSet,
      'ns1',
      { key: 'app', value: 'web', overwrite: false },
      'globalnetworksets ns1',
    );
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('updated');
    expect(raced()).toBe(3);
    expect(await labels(ds)).toEqual({ other1: 'x', other2: 'x', other3: 'x', app: 'web' });
  });

  it('gives up with the conflict after the policy’s rounds', async () => {
    const { ds, raced } = await racedStore(Number.POSITIVE_INFINITY);
    const result = await new ApplyEngine(ds).label(
      netSet,
      'ns1',
      { key: 'app', value: 'web', overwrite: false },
      'globalnetworksets ns1',
    );
    expect(raced()).toBe(CAS_ATTEMPTS);
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toBe('failed to update globalnetworksets ns1, label not changed');
    expect(result.error?.hint).toBe('update conflict: GlobalNetworkSet(ns1)');
    expect(result.error?.exitCode).toBe(4);
  });

  it('fails a write pinned to the resourceVersion the other writer replaced, writing nothing', async () => {
    const { ds, raced } = await racedStore(Number.POSITIVE_INFINITY);
    const stored = (await ds.get(key))!;
    const [result] = await new ApplyEngine(ds).run('replace', [
      {
        descriptor: netSet,
        resource: {
          kind: 'GlobalNetworkSet',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name: 'ns1', resourceVersion: String(stored.modRevision) },
          spec: { nets: ['10.0.1.0/24'] },
        },
      },
    ]);
    expect(raced()).toBe(1);
    expect(result!.error?.message).toBe('update conflict: GlobalNetworkSet(ns1)');
    const kept = JSON.parse((await ds.get(key))!.value) as { spec: { nets: string[] } };
    expect(kept.spec.nets).toEqual(['10.0.0.0/24']);
  });
});
