/**
 * How Datastore.scan pages a long range on a streaming backend (etcd): etcd counts the whole rest of
 * the range for every page it is asked for, so the number of pages is what a whole-datastore read
 * costs etcd, and a page's bytes are what etcd holds to answer it. The backend here is a sorted
 * array answering range requests as etcd 3.4 does (count = keys from the page's start to the range
 * end); the datastore under test is the real one.
 */
import { describe, expect, it } from 'vitest';

import type { KeyValue, KVBackend, RangeRequest, RangeResponse } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { EXPORT_SECTIONS } from '../../../src/datastore/transfer.js';
import { generateDataset } from '../../../bench/dataset.js';
import { Prng } from '../../../bench/prng.js';

interface Page {
  limit: number;
  keys: number;
  bytes: number;
  /** The keys etcd walks to count the rest of the page's range. */
  walked: number;
  key: string;
  rangeEnd: string | undefined;
  /** When it was sent, and when its keys began to be handed over (steps of one sequence). */
  sent: number;
  started: number;
}

/** A read-only backend over sorted keys, recording every page streamed. */
function sortedBackend(entries: readonly (readonly [string, string])[]): {
  backend: KVBackend;
  pages: Page[];
} {
  const pages: Page[] = [];
  // Events in order: a page sent, a page's keys beginning to be handed over.
  let step = 0;
  const kv = ([key, value]: readonly [string, string]): KeyValue => ({
    key,
    value,
    createRevision: 1,
    modRevision: 1,
    version: 1,
  });
  const select = (req: RangeRequest): { hits: (readonly [string, string])[]; count: number } => {
    const inRange = entries.filter(([k]) => k >= req.key && (req.rangeEnd === undefined || k < req.rangeEnd));
    return { hits: req.limit ? inRange.slice(0, req.limit) : inRange, count: inRange.length };
  };
  const backend: KVBackend = {
    info: { type: 'etcdv3', endpoints: ['http://127.0.0.1:2379'], source: 'test' },
    range: async (req): Promise<RangeResponse> => {
      const { hits, count } = select(req);
      return { kvs: hits.map(kv), more: hits.length < count, count, revision: 7 };
    },
    streamRange: async (req, onKeyValue, turn): Promise<RangeResponse> => {
      // Answered later, as over a network; a page sent ahead on its turn, as etcd's is once its
      // stream's window opens.
      const sent = step++;
      await (turn ?? Promise.resolve());
      const started = step++;
      const { hits, count } = select(req);
      let bytes = 0;
      for (const e of hits) {
        bytes += e[0].length + e[1].length;
        onKeyValue(kv(e));
      }
      pages.push({
        limit: req.limit ?? 0,
        keys: hits.length,
        bytes,
        walked: count,
        key: req.key,
        rangeEnd: req.rangeEnd,
        sent,
        started,
      });
      return { kvs: [], more: hits.length < count, count, revision: 7 };
    },
    txn: () => Promise.reject(new Error('read-only')),
    close: async () => undefined,
  };
  return { backend, pages };
}

describe('Datastore.scan page sizes on a streaming backend', () => {
  // A whole Calico datastore in miniature: 9 KB IPAM blocks sort before 100-byte handles. One
  // string per kind, shared by every key, so the test holds a few KB whatever the key count.
  const block = 'b'.repeat(9000);
  const handle = 'h'.repeat(100);
  const entries: [string, string][] = [
    ...Array.from({ length: 12_000 }, (_, i) => [`/calico/ipam/v2/assignment/${String(i).padStart(6, '0')}`, block] as [string, string]),
    ...Array.from({ length: 300_000 }, (_, i) => [`/calico/ipam/v2/handle/${String(i).padStart(7, '0')}`, handle] as [string, string]),
  ]; // prettier-ignore

  it('sizes each page by the keys just read: large values in small pages, then small ones in few large pages', async () => {
    const { backend, pages } = sortedBackend(entries);
    const ds = createDatastore(backend);
    let visited = 0;
    let previous = '';
    await ds.scan(
      '/calico/',
      (kv) => {
        expect(kv.key > previous).toBe(true);
        previous = kv.key;
        visited++;
        return undefined;
      },
      { pages: 3 },
    );
    expect(visited).toBe(entries.length);
    // Sized by the blocks at its start alone, the 312,000 keys took 62 pages of 5,000. (A page that
    // ends where its keys were estimated to may hold fewer, and an estimate past the blocks finds
    // none, and so may the page sent ahead of it: a few pages more.)
    expect(pages.length).toBeLessThanOrEqual(15);
    for (const p of pages) expect(p.bytes).toBeLessThanOrEqual(50_000_000);
  });

  it('reads each section on its own: the count of every page walks only the rest of its section, and the same keys are visited', async () => {
    const whole = sortedBackend(entries);
    const all: string[] = [];
    await createDatastore(whole.backend).scan('/calico/', (kv) => void all.push(kv.key), { pages: 1 });
    const cut = sortedBackend(entries);
    const visited: string[] = [];
    const sections = [
      '/calico/ipam/v2/handle/',
      '/calico/ipam/v2/assignment/',
      '/calico/ipam/v2/handle0',
      '/elsewhere/',
    ];
    await createDatastore(cut.backend).scan('/calico/', (kv) => void visited.push(kv.key), {
      pages: 1,
      sections,
    });
    expect(visited).toEqual(all);
    // Sections in key order, whatever order they were given in; a key outside the range cuts nothing.
    const sectionEnds = [
      '/calico/ipam/v2/assignment/',
      '/calico/ipam/v2/handle/',
      '/calico/ipam/v2/handle0',
      '/calico0',
    ];
    expect([
      ...new Set(cut.pages.map((p) => p.rangeEnd).filter((end) => sectionEnds.includes(end!))),
    ]).toEqual(sectionEnds);
    // Any other page ends inside its section (where its keys are estimated to end: see below).
    for (const p of cut.pages) {
      const sectionEnd = sectionEnds.find((end) => end > p.key)!;
      expect(p.rangeEnd! > p.key && p.rangeEnd! <= sectionEnd).toBe(true);
    }
    // The pages of the blocks count the 12,000 blocks at most, no longer the 300,000 handles after them.
    const blockPages = (pages: Page[]) => pages.filter((p) => p.keys > 0 && p.bytes / p.keys > 1000);
    expect(Math.max(...blockPages(whole.pages).map((p) => p.walked))).toBeGreaterThan(300_000);
    for (const p of blockPages(cut.pages)) expect(p.walked).toBeLessThanOrEqual(12_000);
  });

  it('grows a page at most eightfold over the one before (what follows may be larger than what was read)', async () => {
    const { backend, pages } = sortedBackend(entries);
    await createDatastore(backend).scan('/calico/ipam/v2/handle/', () => undefined);
    const limits = pages.map((p) => p.limit);
    for (let i = 1; i < limits.length; i++) expect(limits[i]).toBeLessThanOrEqual(limits[i - 1]! * 8);
  });

  it("ends each page about where its limit does, so that etcd counts a section about twice, not once per page (the benchmark's datastore, read as the export reads it)", async () => {
    const dataset = benchmarkDataset();
    const pages = await readAsExport(dataset);
    // Each section's first page counts the whole section; the pages after it, about their own keys
    // (the pages all ending at the section's end counted 2.9 times the datastore's keys).
    expect(walkedKeys(pages)).toBeLessThanOrEqual(2.2 * dataset.length);
    // Once a section's count of keys has been visited, nothing more of it is asked for.
    const bounds = ['/calico/', ...EXPORT_SECTIONS, '/calico0'].sort();
    for (const p of pages.filter((p) => !bounds.includes(p.key))) {
      const sectionEnd = bounds.find((end) => end > p.key)!;
      expect(dataset.some(([key]) => key >= p.key && key < sectionEnd)).toBe(true);
    }
    for (const p of pages) expect(p.bytes).toBeLessThanOrEqual(50_000_000);
  });

  it('grows a page from the keys pages have held, not from their limits (a page that ends at its estimate holds fewer)', async () => {
    const entries = clusterHandles(3000, 100_000);
    const { backend, pages } = sortedBackend(entries);
    let visited = 0;
    await createDatastore(backend).scan('/calico/ipam/v2/handle/', () => void visited++, { pages: 1 });
    expect(visited).toBe(entries.length);
    let held = 0;
    for (const p of pages) {
      expect(p.limit).toBeLessThanOrEqual(Math.max(2000, 8 * held));
      held = Math.max(held, p.keys);
    }
  });

  it("reads the pods' handles as a section of their own: etcd walks the handles about twice, not once more after the tunnel handles", async () => {
    // More tunnel handles than a section's first page holds (2,450 nodes at 10k blocks): the last
    // page estimated from their density finds nothing, and, in one section with the pods' handles,
    // the page after it was read to the section's end and walked all the pods' handles again.
    const entries = clusterHandles(3000, 100_000);
    expect(walkedKeys(await readAsExport(entries))).toBeLessThanOrEqual(2.2 * entries.length);
  });

  it('sends each page while the one before it is read, and still hands every key over once, in order', async () => {
    const dataset = benchmarkDataset();
    const { backend, pages } = sortedBackend(dataset);
    const visited: string[] = [];
    await createDatastore(backend).scan('/calico/', (kv) => void visited.push(kv.key), {
      sections: EXPORT_SECTIONS,
    });
    expect(visited).toEqual(dataset.map(([key]) => key));
    // Every page that goes on from where the one before it ended (not a section's first, nor the
    // rest of a page that stopped at its limit) was sent before that one's keys began to arrive.
    const continuing = pages.filter(
      (p, i) => i > 0 && p.key === pages[i - 1]!.rangeEnd && !EXPORT_SECTIONS.includes(p.key),
    );
    const sectionFirst = pages.filter((p) => p.key === '/calico/' || EXPORT_SECTIONS.includes(p.key));
    expect(continuing.length).toBeGreaterThan((pages.length - sectionFirst.length) / 3);
    for (const p of continuing) expect(p.sent).toBeLessThan(pages[pages.indexOf(p) - 1]!.started);
    // The first page of every section after the first that holds keys was sent before the next
    // section's keys began to arrive: etcd walks each section to count its first page, meanwhile.
    expect(sectionFirst.length).toBe(EXPORT_SECTIONS.length + 1);
    const firstHolding = sectionFirst.findIndex((p) => p.keys > 0);
    expect(firstHolding).toBeLessThan(2);
    for (const p of sectionFirst.slice(firstHolding + 1))
      expect(p.sent).toBeLessThan(sectionFirst[firstHolding + 1]!.started);
  });

  it('reports a page that fails while the next one is sent, and hands nothing of the next one over', async () => {
    const dataset = entries.slice(0, 40_000);
    const { backend } = sortedBackend(dataset);
    const streamRange = backend.streamRange!.bind(backend);
    let calls = 0;
    const failing: KVBackend = {
      ...backend,
      streamRange: async (req, onKeyValue, turn) => {
        if (++calls !== 3) return streamRange(req, onKeyValue, turn);
        let handed = 0;
        await streamRange(
          req,
          (kv) => {
            if (++handed > 10) throw new Error('connection closed');
            onKeyValue(kv);
          },
          turn,
        );
        throw new Error('unreachable');
      },
    };
    const visited: string[] = [];
    const scan = createDatastore(failing).scan('/calico/', (kv) => void visited.push(kv.key));
    await expect(scan).rejects.toThrow('connection closed');
    // The third page sent (the second sent ahead) failed after 10 keys; nothing was visited after them.
    expect(calls).toBeGreaterThan(3);
    expect(visited).toEqual(dataset.slice(0, visited.length).map(([key]) => key));
    const failedAt = visited.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(visited.length).toBe(failedAt);
  });
});

/** The pages of a scan of entries as the export reads them, having checked that it visits every key in order. */
async function readAsExport(entries: readonly (readonly [string, string])[]): Promise<Page[]> {
  const { backend, pages } = sortedBackend(entries);
  const visited: string[] = [];
  await createDatastore(backend).scan('/calico/', (kv) => void visited.push(kv.key), {
    pages: 1,
    sections: EXPORT_SECTIONS,
  });
  expect(visited).toEqual(entries.map(([key]) => key));
  return pages;
}

/** The keys etcd walks for the pages. */
function walkedKeys(pages: readonly Page[]): number {
  return pages.reduce((sum, p) => sum + p.walked, 0);
}

/** The benchmark's datastore at 3,000 blocks, with leaks, in key order. */
function benchmarkDataset(): (readonly [string, string])[] {
  return [...generateDataset({ blocks: 3000, leaks: true })].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Handles as a cluster has them, in key order: nodes' tunnel handles, then pods' (hex container ids). */
function clusterHandles(nodes: number, pods: number): [string, string][] {
  const rng = new Prng(7);
  const hex = (): string =>
    Array.from({ length: 8 }, () => rng.uint32().toString(16).padStart(8, '0')).join('');
  const handle = 'h'.repeat(100);
  return [
    ...Array.from({ length: nodes }, (_, i) => [`/calico/ipam/v2/handle/ipip-tunnel-addr-node-${i}`, handle] as [string, string]),
    ...Array.from({ length: pods }, () => [`/calico/ipam/v2/handle/k8s-pod-network.${hex()}`, handle] as [string, string]),
  ].sort(([a], [b]) => (a < b ? -1 : 1)); // prettier-ignore
}
