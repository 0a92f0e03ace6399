/**
 * The Datastore the rest of the tool uses, built once on a backend's range and txn calls, with
 * calico's compare-and-swap rules (libcalico-go etcdv3 backend): create puts only when the key's
 * version is 0, update and delete compare the mod revision, and a failed compare reads the key
 * back so the caller learns why.
 */
import {
  prefixEnd,
  type Datastore,
  type KVBackend,
  type KeyValue,
  type KeyValueStream,
  type RangeResponse,
  type ScanResult,
  type TxnRequest,
  type TxnResponse,
  type WriteOutcome,
} from './contract.js';
import { splitRange } from './split.js';

export const DEFAULT_PAGE_SIZE = 500;
/**
 * etcd walks the whole rest of the range in its index for every page with a limit (to count it),
 * so a long listing in small pages costs time quadratic in its length: 50,000 IPAM blocks in pages
 * of 500 take half as long again as in pages of 2,000. Without an explicit page size, pages after
 * the first grow with the listing (to about 1/25 of it, at most MAX_AUTO_PAGE_SIZE keys).
 */
const AUTO_PAGES = 25;
const MAX_AUTO_PAGE_SIZE = 2000;

export function createDatastore(backend: KVBackend): Datastore {
  return {
    info: backend.info,

    async get(key, opts = {}) {
      const res = await backend.range({ key, revision: opts.revision });
      return res.kvs[0];
    },

    async list(prefix, opts = {}) {
      const explicit = opts.pageSize && opts.pageSize > 0 ? opts.pageSize : undefined;
      const end = prefixEnd(prefix);
      const readPage = (from: string, revision: number | undefined, limit: number) =>
        backend.range({ key: from, rangeEnd: end, revision, limit });
      const first = await readPage(prefix, opts.revision, explicit ?? DEFAULT_PAGE_SIZE);
      const pageSize = explicit ?? autoPageSize(first.count);
      // etcd answers with the current revision; the pages are read at the requested one if any.
      const revision = opts.revision && opts.revision > 0 ? opts.revision : first.revision;
      return pagedStream(revision, first, (from) => readPage(from, revision, pageSize), prefix);
    },

    scan: <T>(prefix: string, visit: (kv: KeyValue) => T | undefined, opts: { revision?: number } = {}) =>
      scanRange(backend, prefix, visit, opts.revision),

    async count(prefix) {
      const res = await backend.range({ key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true });
      return res.count;
    },

    async currentRevision() {
      const res = await backend.range({ key: '\0', countOnly: true });
      return res.revision;
    },

    async create(key, value) {
      const res = await backend.txn({
        compare: [{ key, target: 'version', op: '==', value: 0 }],
        success: [{ type: 'put', key, value }],
        failure: [{ type: 'get', key }],
      });
      if (res.succeeded) return { ok: true, revision: res.revision };
      return failed('exists', res);
    },

    async update(key, value, modRevision) {
      const res = await backend.txn({
        compare: [{ key, target: 'modRevision', op: '==', value: modRevision }],
        success: [{ type: 'put', key, value }],
        failure: [{ type: 'get', key }],
      });
      if (res.succeeded) return { ok: true, revision: res.revision };
      return failed('conflict', res);
    },

    async delete(key, modRevision) {
      const req: TxnRequest =
        modRevision === undefined
          ? { compare: [], success: [{ type: 'delete', key }] }
          : {
              compare: [{ key, target: 'modRevision', op: '==', value: modRevision }],
              success: [{ type: 'delete', key }],
              failure: [{ type: 'get', key }],
            };
      const res = await backend.txn(req);
      if (!res.succeeded) return failed('conflict', res);
      const deleted = res.results[0]?.type === 'delete' ? res.results[0].deleted : 0;
      return deleted > 0 ? { ok: true, revision: res.revision } : { ok: false, reason: 'missing' };
    },

    txn: (req: TxnRequest) => backend.txn(req),
    close: () => backend.close(),
  };
}

/** A failed compare-and-swap: the failure branch's get says whether the key is there at all. */
function failed(reason: 'exists' | 'conflict', res: TxnResponse): WriteOutcome {
  const read = res.results[0];
  const current = read?.type === 'get' ? read.kvs[0] : undefined;
  if (!current) return { ok: false, reason: 'missing' };
  return { ok: false, reason, current };
}

/**
 * Pages through [prefix, prefixEnd(prefix)) at one revision, holding at most two pages (the one
 * being read and the next, already requested). The first page, already read to fix the revision,
 * is served by the first iteration; iterating again reads from the start at the same revision.
 */
function pagedStream(
  revision: number,
  first: RangeResponse,
  readFrom: (from: string) => Promise<RangeResponse>,
  prefix: string,
): KeyValueStream {
  let prefetched: RangeResponse | undefined = first;
  return {
    revision,
    async *[Symbol.asyncIterator](): AsyncIterator<KeyValue> {
      const firstPage = prefetched ?? (await readFrom(prefix));
      prefetched = undefined;
      for await (const kvs of pagesFrom(firstPage, readFrom)) yield* kvs;
    },
  };
}

/**
 * The pages of a range from its first one on. The next page (from the smallest key after the last
 * one in byte order) is asked for before a page is handed out, so the store produces it while the
 * caller works through this one.
 */
async function* pagesFrom(
  first: RangeResponse,
  readFrom: (from: string) => Promise<RangeResponse>,
): AsyncGenerator<KeyValue[]> {
  let page = first;
  for (;;) {
    const last = page.kvs[page.kvs.length - 1];
    const next = page.more && last ? readFrom(last.key + '\0') : undefined;
    // A caller that stops early never awaits it: its failure must not be an unhandled rejection.
    next?.catch(() => undefined);
    yield page.kvs;
    if (!next) return;
    page = await next;
  }
}

function autoPageSize(keys: number): number {
  return Math.min(MAX_AUTO_PAGE_SIZE, Math.max(DEFAULT_PAGE_SIZE, Math.ceil(keys / AUTO_PAGES)));
}

/**
 * Datastore.scan: the first page fixes the revision and shows how long the range is. The rest is
 * read as consecutive segments at once, as many as the backend allows: the first segment goes on
 * from the first page straight away, while count-only reads find where to cut (split.ts); once
 * they have, the first segment stops at the first cut it has not passed and the other segments
 * start. Results are kept per segment and joined in segment order, which is key order.
 */
async function scanRange<T>(
  backend: KVBackend,
  prefix: string,
  visit: (kv: KeyValue) => T | undefined,
  atRevision: number | undefined,
): Promise<ScanResult<T>> {
  const end = prefixEnd(prefix);
  const first = await backend.range({
    key: prefix,
    rangeEnd: end,
    revision: atRevision,
    limit: DEFAULT_PAGE_SIZE,
  });
  const revision = atRevision && atRevision > 0 ? atRevision : first.revision;
  const after = first.kvs[first.kvs.length - 1]?.key;
  if (!first.more || after === undefined) return { revision, results: visitAll(first.kvs, visit, []) };

  const remaining = first.count - first.kvs.length;
  const segmenting = backend.scanSegments ?? { max: 1, minKeys: Infinity };
  const parts = Math.min(segmenting.max, Math.floor(remaining / segmenting.minKeys));
  const limit = autoPageSize(remaining / Math.max(parts, 1));
  // Pages after the first are pinned to its revision on the same store: they need no consensus
  // round to be current (etcd's serializable reads), and a member behind it would fail, not lie.
  const read = (from: string, to: string) =>
    backend.range({ key: from, rangeEnd: to, revision, limit, serializable: true });

  // The first segment's end: the range's (undefined) until the cut points are known. Cuts are ASCII,
  // so comparing keys with them as JS strings agrees with etcd's byte order.
  let bound: string | undefined;
  let visited = after; // the last key the first segment has visited
  const lead = (async () => {
    const out: T[] = [];
    for (let page = first; ; ) {
      const last = page.kvs[page.kvs.length - 1]?.key;
      const goOn = page.more && last !== undefined && (bound === undefined || last + '\0' < bound);
      const next = goOn ? read(last + '\0', bound ?? end) : undefined;
      next?.catch(() => undefined);
      for (const kv of page.kvs) {
        if (bound !== undefined && kv.key >= bound) break; // asked for before the bound was set
        const result = visit(kv);
        if (result !== undefined) out.push(result);
        visited = kv.key;
      }
      if (!next) return out;
      page = await next;
    }
  })();

  const rest = (async () => {
    const counter = (from: string, to: string) =>
      backend
        .range({ key: from, rangeEnd: to, revision, countOnly: true, serializable: true })
        .then((r) => r.count);
    const segments = await splitRange(counter, {
      after,
      end,
      prefixLength: prefix.length,
      parts,
      sample: first.kvs.map((kv) => kv.key),
    });
    // Cuts the first segment has already read past are dropped: it reads on to the next one.
    const cuts = segments
      .slice(1)
      .map((s) => s.from)
      .filter((cut) => cut > visited);
    bound = cuts[0];
    return Promise.all(
      cuts.map(async (from, j) => {
        const to = cuts[j + 1] ?? end;
        const out: T[] = [];
        for await (const kvs of pagesFrom(await read(from, to), (key) => read(key, to)))
          visitAll(kvs, visit, out);
        return out;
      }),
    );
  })();

  const [own, others] = await Promise.all([lead, rest]);
  return { revision, results: own.concat(...others) };
}

function visitAll<T>(kvs: readonly KeyValue[], visit: (kv: KeyValue) => T | undefined, out: T[]): T[] {
  for (const kv of kvs) {
    const result = visit(kv);
    if (result !== undefined) out.push(result);
  }
  return out;
}
