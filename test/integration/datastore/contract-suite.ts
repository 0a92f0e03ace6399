/**
 * The datastore contract, written once and run against every backend (contract.test.ts). Each test
 * works under its own key prefix, so one store serves the whole suite; revisions are asserted
 * relative to what the store reports, since the etcd store has its own history.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Datastore, KeyValue, KVBackend, RangeRequest } from '../../../src/datastore/contract.js';
import { prefixEnd } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';

export interface BackendUnderTest {
  /** Opens a fresh connection to the shared store (a second client, or a second SQLite handle). */
  connect(): Promise<KVBackend>;
  stop(): Promise<void>;
}

/** Go's encoder writes uint64 sequence numbers exactly, and escapes <, >, & but not other non-ASCII. */
const AWKWARD_VALUE =
  '{"sequenceNumber":18446744073709551615,"note":"zoë ☃ 𝄞 \\u003c\\u0026\\u003e","n":-0.5e-7,"nested":{"a":[1,2,3]}}';

async function collect(stream: AsyncIterable<KeyValue>): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  for await (const kv of stream) out.push(kv);
  return out;
}

export function describeContract(name: string, start: () => Promise<BackendUnderTest>): void {
  describe(`datastore contract: ${name}`, () => {
    let target: BackendUnderTest;
    let ds: Datastore;
    let p: string;

    beforeAll(async () => {
      target = await start();
      ds = createDatastore(await target.connect());
    });
    afterAll(async () => {
      await ds?.close();
      await target?.stop();
    });
    // Every test gets a fresh prefix.
    const fresh = (): string => (p = `/calico/contract-test/${randomUUID()}/`);

    it('counts revisions globally and per key (create/mod revision, version)', async () => {
      fresh();
      const before = await ds.currentRevision();
      const a = await ds.create(`${p}a`, 'one');
      expect(a).toEqual({ ok: true, revision: before + 1 });
      const b = await ds.create(`${p}b`, 'x');
      expect(b).toEqual({ ok: true, revision: before + 2 });
      const u = await ds.update(`${p}a`, 'two', before + 1);
      expect(u).toEqual({ ok: true, revision: before + 3 });
      expect(await ds.get(`${p}a`)).toEqual({
        key: `${p}a`,
        value: 'two',
        createRevision: before + 1,
        modRevision: before + 3,
        version: 2,
      });
      expect(await ds.currentRevision()).toBe(before + 3);
    });

    it('delete resets the version; a re-created key starts again at version 1', async () => {
      fresh();
      const c = await ds.create(`${p}k`, 'v1');
      if (!c.ok) throw new Error('create failed');
      await ds.update(`${p}k`, 'v2', c.revision);
      const d = await ds.delete(`${p}k`);
      expect(d.ok).toBe(true);
      expect(await ds.get(`${p}k`)).toBeUndefined();
      const again = await ds.create(`${p}k`, 'v3');
      if (!again.ok) throw new Error('re-create failed');
      expect(await ds.get(`${p}k`)).toMatchObject({
        value: 'v3',
        version: 1,
        createRevision: again.revision,
        modRevision: again.revision,
      });
    });

    it('returns ranges in byte order of the key', async () => {
      fresh();
      const names = [
        '10.0.0.64-26',
        '10.0.0.128-26',
        '10.0.0.0-26',
        'a',
        'A',
        '_',
        'z',
        '\u{ff5e}',
        '\u{1f600}',
      ];
      for (const n of names) await ds.create(p + n, n);
      const keys = (await collect(await ds.list(p))).map((kv) => kv.key.slice(p.length));
      // U+FF5E is EF BD 9E in UTF-8 and sorts before U+1F600 (F0 ...), unlike UTF-16 order.
      expect(keys).toEqual([
        '10.0.0.0-26',
        '10.0.0.128-26',
        '10.0.0.64-26',
        'A',
        '_',
        'a',
        'z',
        '\u{ff5e}',
        '\u{1f600}',
      ]);
    });

    it('reads a prefix and nothing outside it', async () => {
      fresh();
      const base = p.slice(0, -1);
      await ds.create(`${base}`, 'the prefix without slash');
      await ds.create(`${base}/x`, 'in');
      await ds.create(`${base}/y/z`, 'in, deeper');
      await ds.create(`${base}0`, 'next after the slash');
      await ds.create(`${base}.`, 'just before the slash');
      const res = await collect(await ds.list(p));
      expect(res.map((kv) => kv.value)).toEqual(['in', 'in, deeper']);
      expect(await ds.count(p)).toBe(2);
    });

    it('honours limit, more and count, keysOnly and countOnly', async () => {
      fresh();
      for (let i = 0; i < 7; i++) await ds.create(`${p}${i}`, `value-${i}`);
      const backend = await target.connect();
      try {
        const page = await backend.range({ key: p, rangeEnd: prefixEnd(p), limit: 3 });
        expect(page.kvs.map((kv) => kv.value)).toEqual(['value-0', 'value-1', 'value-2']);
        expect(page.more).toBe(true);
        expect(page.count).toBe(7);
        const all = await backend.range({ key: p, rangeEnd: prefixEnd(p), limit: 7 });
        expect(all.more).toBe(false);
        expect(all.kvs).toHaveLength(7);
        const keys = await backend.range({ key: p, rangeEnd: prefixEnd(p), keysOnly: true, limit: 2 });
        expect(keys.kvs.map((kv) => [kv.key, kv.value, kv.version])).toEqual([
          [`${p}0`, '', 1],
          [`${p}1`, '', 1],
        ]);
        const counted = await backend.range({ key: p, rangeEnd: prefixEnd(p), countOnly: true });
        expect(counted).toMatchObject({ kvs: [], count: 7, more: false });
        const single = await backend.range({ key: `${p}3` });
        expect(single.kvs.map((kv) => kv.value)).toEqual(['value-3']);
        expect(single.count).toBe(1);
        expect(single.revision).toBe(await ds.currentRevision());
      } finally {
        await backend.close();
      }
    });

    it('reads at an older revision see the keys as they were', async () => {
      fresh();
      const c = await ds.create(`${p}k`, 'v1');
      if (!c.ok) throw new Error('create failed');
      const r1 = c.revision;
      const u = await ds.update(`${p}k`, 'v2', r1);
      if (!u.ok) throw new Error('update failed');
      await ds.create(`${p}other`, 'o');
      await ds.delete(`${p}k`);
      const now = await ds.currentRevision();
      expect(await ds.get(`${p}k`, { revision: r1 })).toMatchObject({
        value: 'v1',
        version: 1,
        modRevision: r1,
      });
      expect(await ds.get(`${p}k`, { revision: u.revision })).toMatchObject({ value: 'v2', version: 2 });
      expect(await ds.get(`${p}k`)).toBeUndefined();
      expect(await ds.get(`${p}k`, { revision: r1 - 1 })).toBeUndefined();
      const atR1 = await collect(await ds.list(p, { revision: r1 }));
      expect(atR1.map((kv) => kv.value)).toEqual(['v1']);
      const atU = await ds.list(p, { revision: u.revision });
      expect(atU.revision).toBe(u.revision);
      expect((await collect(atU)).map((kv) => kv.value)).toEqual(['v2']);
      expect((await collect(await ds.list(p))).map((kv) => kv.value)).toEqual(['o']);
      await expect(ds.get(`${p}k`, { revision: now + 1000 })).rejects.toThrow(/future revision/);
    });

    it('pages a listing at one revision while another client writes', async () => {
      fresh();
      for (let i = 0; i < 30; i++) await ds.create(`${p}${String(i).padStart(2, '0')}`, `v${i}`);
      const writer = createDatastore(await target.connect());
      try {
        const stream = await ds.list(p, { pageSize: 4 });
        const seen: string[] = [];
        let wrote = false;
        for await (const kv of stream) {
          seen.push(`${kv.key.slice(p.length)}=${kv.value}`);
          if (!wrote) {
            wrote = true;
            await writer.delete(`${p}20`);
            await writer.create(`${p}05a`, 'new');
            const cur = await writer.get(`${p}29`);
            await writer.update(`${p}29`, 'changed', cur!.modRevision);
          }
        }
        expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}=v${i}`));
        expect(stream.revision).toBeLessThan(await ds.currentRevision());
        expect(await ds.count(p)).toBe(30);
      } finally {
        await writer.close();
      }
    });

    it('scans a long range at one revision: every key once, in key order, values read while visited', async () => {
      fresh();
      // Block-like keys over several pages, a few odd ones, and some values large enough to arrive
      // in pieces on a streaming backend.
      const keys = Array.from({ length: 2600 }, (_, i) => `ipv4/block/10.${i % 251}.${(i * 7) % 256}.0-26`);
      keys.push('ipv6/block/fd00::-122', 'z', 'ipv4/block/10.9.~', 'ipv4/block/10.9.\x7f', 'é-not-ascii');
      const valueOf = (k: string, i: number) => (i % 50 === 0 ? `v-${k}-${'x☃'.repeat(20_000)}` : `v-${k}`);
      for (let i = 0; i < keys.length; i += 64) {
        const success = keys
          .slice(i, i + 64)
          .map((k, j) => ({ type: 'put' as const, key: p + k, value: valueOf(k, i + j) }));
        await ds.txn({ compare: [], success });
      }
      const values = new Map(keys.map((k, i) => [k, valueOf(k, i)]));
      const inner = await target.connect();
      let streamed = 0;
      const scanning = createDatastore({
        info: inner.info,
        range: (req) => inner.range(req),
        txn: (req) => inner.txn(req),
        close: () => inner.close(),
        ...(inner.streamWholeRange ? { streamWholeRange: true } : {}),
        ...(inner.streamRange
          ? {
              streamRange: (req: RangeRequest, onKeyValue: (kv: KeyValue) => void) => {
                streamed++;
                return inner.streamRange!(req, onKeyValue);
              },
            }
          : {}),
      });
      const writer = createDatastore(await target.connect());
      try {
        let writes: Promise<unknown> | undefined;
        const { revision, results } = await scanning.scan(p, (kv) => {
          // Writes during the scan are not seen: it reads at the first page's revision.
          writes ??= Promise.all([
            writer.delete(p + keys[2000]!),
            writer.create(`${p}ipv4/block/10.5.new`, 'new'),
          ]);
          const key = kv.key.slice(p.length);
          if (kv.value !== values.get(key)) return `${key} has a wrong value`;
          return key.endsWith('.0-26') && key.includes('.3.') ? undefined : key;
        });
        const expected = [...keys]
          .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
          .filter((k) => !(k.endsWith('.0-26') && k.includes('.3.')));
        expect(results).toEqual(expected);
        await writes;
        expect(revision).toBeLessThan(await ds.currentRevision());
        // The etcd backend streams the pages; the embedded store streams the whole range at once.
        if (inner.streamRange) expect(streamed).toBeGreaterThan(0);
        if (inner.streamWholeRange) expect(streamed).toBe(1);

        // Scanned again at that revision, after the writes: the keys as they were, from history.
        const again = await scanning.scan(p, (kv) => kv.key.slice(p.length), { revision });
        expect(again.results).toEqual(
          [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      } finally {
        await scanning.close();
        await writer.close();
      }
    });

    it('create refuses an existing key and returns it', async () => {
      fresh();
      const first = await ds.create(`${p}k`, 'a');
      const second = await ds.create(`${p}k`, 'b');
      expect(second).toMatchObject({ ok: false, reason: 'exists', current: { value: 'a' } });
      expect(first.ok && second.ok === false && second.current?.modRevision === first.revision).toBe(true);
    });

    it('update compares the mod revision: conflict returns the current value, missing says so', async () => {
      fresh();
      const c = await ds.create(`${p}k`, 'a');
      if (!c.ok) throw new Error('create failed');
      const ok = await ds.update(`${p}k`, 'b', c.revision);
      expect(ok.ok).toBe(true);
      const stale = await ds.update(`${p}k`, 'c', c.revision);
      expect(stale).toMatchObject({ ok: false, reason: 'conflict', current: { value: 'b', version: 2 } });
      expect((await ds.get(`${p}k`))?.value).toBe('b');
      expect(await ds.update(`${p}nothing`, 'x', 5)).toEqual({ ok: false, reason: 'missing' });
      expect(await ds.get(`${p}nothing`)).toBeUndefined();
    });

    it('delete with a revision compares it; delete of a missing key says missing and writes nothing', async () => {
      fresh();
      const c = await ds.create(`${p}k`, 'a');
      if (!c.ok) throw new Error('create failed');
      expect(await ds.delete(`${p}k`, c.revision - 1)).toMatchObject({
        ok: false,
        reason: 'conflict',
        current: { value: 'a' },
      });
      const before = await ds.currentRevision();
      expect(await ds.delete(`${p}k`, c.revision)).toEqual({ ok: true, revision: before + 1 });
      expect(await ds.delete(`${p}k`)).toEqual({ ok: false, reason: 'missing' });
      expect(await ds.delete(`${p}k`, c.revision)).toEqual({ ok: false, reason: 'missing' });
      expect(await ds.currentRevision()).toBe(before + 1);
    });

    it('a transaction is all or nothing, runs the failure branch, and bumps the revision once', async () => {
      fresh();
      await ds.create(`${p}guard`, 'g');
      const before = await ds.currentRevision();
      const failed = await ds.txn({
        compare: [
          { key: `${p}guard`, target: 'value', op: '==', value: 'g' },
          { key: `${p}absent`, target: 'version', op: '>', value: 0 },
        ],
        success: [
          { type: 'put', key: `${p}a`, value: '1' },
          { type: 'put', key: `${p}b`, value: '2' },
        ],
        failure: [{ type: 'get', key: `${p}guard` }],
      });
      expect(failed.succeeded).toBe(false);
      expect(failed.revision).toBe(before);
      expect(failed.results).toEqual([{ type: 'get', kvs: [expect.objectContaining({ value: 'g' })] }]);
      expect(await ds.count(p)).toBe(1);

      const ok = await ds.txn({
        compare: [
          { key: `${p}guard`, target: 'value', op: '==', value: 'g' },
          { key: `${p}absent`, target: 'version', op: '==', value: 0 },
          { key: `${p}absent`, target: 'createRevision', op: '<', value: 1 },
        ],
        success: [
          { type: 'put', key: `${p}a`, value: '1' },
          { type: 'put', key: `${p}b`, value: '2' },
          { type: 'delete', key: `${p}guard` },
          { type: 'get', key: p, rangeEnd: prefixEnd(p) },
        ],
      });
      expect(ok.succeeded).toBe(true);
      expect(ok.revision).toBe(before + 1);
      expect(ok.results.slice(0, 3)).toEqual([
        { type: 'put' },
        { type: 'put' },
        { type: 'delete', deleted: 1 },
      ]);
      const got = ok.results[3];
      expect(got?.type === 'get' && got.kvs.map((kv) => [kv.key.slice(p.length), kv.modRevision])).toEqual([
        ['a', before + 1],
        ['b', before + 1],
      ]);
      // A value compare on a missing key fails; a txn that writes nothing keeps the revision.
      const noop = await ds.txn({
        compare: [{ key: `${p}absent`, target: 'value', op: '!=', value: 'x' }],
        success: [{ type: 'put', key: `${p}c`, value: '3' }],
        failure: [{ type: 'delete', key: `${p}absent` }],
      });
      expect(noop).toEqual({
        succeeded: false,
        revision: before + 1,
        results: [{ type: 'delete', deleted: 0 }],
      });
      expect(await ds.currentRevision()).toBe(before + 1);
    });

    it('compares a range: every key in it, and a range without keys as one missing key', async () => {
      fresh();
      const absent = (from: string, to: string) =>
        ({ key: `${p}${from}`, rangeEnd: `${p}${to}`, target: 'version', op: '==', value: 0 }) as const;
      const put = (key: string) => ({ type: 'put', key: `${p}${key}`, value: key }) as const;
      // Nothing in [a, c): the keys are created.
      expect((await ds.txn({ compare: [absent('a', 'c')], success: [put('a'), put('b')] })).succeeded).toBe(
        true,
      );
      // b is in [b, d), c is not yet: nothing is written.
      const before = await ds.currentRevision();
      expect((await ds.txn({ compare: [absent('b', 'd')], success: [put('c')] })).succeeded).toBe(false);
      expect(await ds.currentRevision()).toBe(before);
      // The range end is not in the range; every key in it must hold (versions 1 and 1, not 2).
      expect((await ds.txn({ compare: [absent('c', 'e')], success: [put('c')] })).succeeded).toBe(true);
      const versionOne = {
        key: `${p}a`,
        rangeEnd: `${p}c\0`,
        target: 'version',
        op: '==',
        value: 1,
      } as const;
      expect((await ds.txn({ compare: [versionOne], success: [] })).succeeded).toBe(true);
      await ds.txn({ compare: [], success: [put('b')] });
      expect((await ds.txn({ compare: [versionOne], success: [] })).succeeded).toBe(false);
      // A value compare on a range without keys fails, as on one missing key.
      const noValue = { key: `${p}x`, rangeEnd: `${p}z`, target: 'value', op: '!=', value: 'v' } as const;
      expect((await ds.txn({ compare: [noValue], success: [] })).succeeded).toBe(false);
    });

    it('keeps values byte for byte: big integers, non-ASCII, escapes, large values', async () => {
      fresh();
      const big = JSON.stringify({ pad: 'x'.repeat(200_000), tail: 'é' });
      await ds.create(`${p}awkward`, AWKWARD_VALUE);
      await ds.create(`${p}big`, big);
      await ds.create(`${p}empty`, '');
      expect((await ds.get(`${p}awkward`))?.value).toBe(AWKWARD_VALUE);
      const all = await collect(await ds.list(p));
      expect(all.map((kv) => kv.value)).toEqual([AWKWARD_VALUE, big, '']);
      expect(Buffer.from(all[0]!.value)).toEqual(Buffer.from(AWKWARD_VALUE));
    });
  });
}
