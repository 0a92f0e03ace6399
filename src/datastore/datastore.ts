/**
 * The Datastore the rest of the tool uses, built once on a backend's range and txn calls, with
 * calico's compare-and-swap rules (libcalico-go etcdv3 backend): create puts only when the key's
 * version is 0, update and delete compare the mod revision, and a failed compare reads the key
 * back so the caller learns why.
 *
 * Every write goes through writeResolvingLostAnswers(): a write whose answer was lost (the member
 * hung, the leader died) is resolved by reading what is stored, never taken as lost or applied.
 */
import { OperationError, WriteOutcomeUnknownError } from '../errors.js';
import { estimatePageEnd, type PageDensity } from './page-end.js';
import { valueLength } from './value-head.js';
import {
  prefixEnd,
  rangeEndBytes,
  type Datastore,
  type DatastoreInfo,
  type KVBackend,
  type KeyValue,
  type KeyValueStream,
  type RangeRequest,
  type RangeResponse,
  type ScanOptions,
  type ScanResult,
  type TxnOpResult,
  type TxnRequest,
  type TxnResponse,
  type WriteOutcome,
} from './contract.js';

export const DEFAULT_PAGE_SIZE = 500;
/**
 * etcd walks the whole rest of the range in its index for every page with a limit (to count it),
 * so a long listing in small pages costs time quadratic in its length: 50,000 IPAM blocks in pages
 * of 500 take half as long again as in pages of 2,000. Without an explicit page size, pages after
 * the first grow with the listing (to about 1/25 of it, at most MAX_AUTO_PAGE_SIZE keys).
 */
const AUTO_PAGES = 25;
const MAX_AUTO_PAGE_SIZE = 2000;
const STREAM_PAGES = 10;
const MIN_STREAM_PAGE_SIZE = 2000;
/**
 * A streamed page is kept by nobody but etcd, which builds each response whole: pages are capped at
 * about this many bytes (5,000 IPAM blocks of 9 KB) rather than keys, so 300,000 IPAM handles of
 * ~100 bytes are read in ten pages, not sixty that each make etcd count the rest of the range. (One
 * page would save etcd a third of its work there, but a loaded etcd then takes longer than the
 * default 5 s --timeout to start answering it.) The size of the keys to come is estimated from the
 * last keys read (RECENT_KEYS), since a prefix holds sections of very different values: a whole
 * datastore is 9 KB IPAM blocks, then 100-byte handles. Sized by its first keys alone, the export
 * read 340,000 keys in 68 pages of 5,000 and etcd spent 5 s counting (docs/performance.md).
 */
const MAX_STREAM_PAGE_BYTES = 45_000_000;
const MAX_STREAM_PAGE_SIZE = 5000;
/** The estimate of the next keys' size follows about this many of the last keys read. */
const RECENT_KEYS = 256;
/**
 * A page's limit is at most this many times the most keys a page of its section has held (the
 * estimate of their size may be wrong).
 */
const PAGE_GROWTH = 8;

export function createDatastore(backend: KVBackend): Datastore {
  const write = (req: TxnRequest): Promise<TxnResponse> => writeResolvingLostAnswers(backend, req);
  const multiKeyTransactions = backend.multiKeyTransactions !== false;
  const txn = async (req: TxnRequest): Promise<TxnResponse> => {
    if (!multiKeyTransactions) refuseMultiKey(backend.info, req);
    return writes(req) ? write(req) : backend.txn(req);
  };
  return {
    info: backend.info,
    multiKeyTransactions,

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

    scan: <T>(prefix: string, visit: (kv: KeyValue) => T | undefined, opts: ScanOptions = {}) =>
      scanRange(backend, prefix, visit, opts),

    async count(prefix) {
      const res = await backend.range({ key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true });
      return res.count;
    },

    async currentRevision(key = '\0') {
      const res = await backend.range({ key, countOnly: true });
      return res.revision;
    },

    async create(key, value) {
      const res = await write({
        compare: [{ key, target: 'version', op: '==', value: 0 }],
        success: [{ type: 'put', key, value }],
        failure: [{ type: 'get', key }],
      });
      if (res.succeeded) return { ok: true, revision: res.revision };
      return failed('exists', res);
    },

    async update(key, value, modRevision) {
      const res = await write({
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
      const res = await write(req);
      if (!res.succeeded) return failed('conflict', res);
      const deleted = res.results[0]?.type === 'delete' ? res.results[0].deleted : 0;
      return deleted > 0 ? { ok: true, revision: res.revision } : { ok: false, reason: 'missing' };
    },

    async watch(prefix, opts, onChanges) {
      if (!backend.watch)
        throw new OperationError(`the ${backend.info.type} datastore cannot watch for changes`);
      const req = { key: prefix, rangeEnd: prefixEnd(prefix), startRevision: opts.fromRevision + 1 };
      return backend.watch({ ...req, outageMs: opts.outageMs }, onChanges);
    },

    txn,
    close: () => backend.close(),
  };
}

/** Refuses, before anything is sent, a transaction that a one-key-at-a-time store cannot make atomic. */
function refuseMultiKey(info: DatastoreInfo, req: TxnRequest): void {
  const keys = new Set<string>();
  for (const c of req.compare) keys.add(c.key);
  for (const op of [...req.success, ...(req.failure ?? [])]) {
    if (op.type === 'get') continue;
    keys.add(op.key);
    if (op.type === 'delete' && op.rangeEnd !== undefined) keys.add(op.rangeEnd);
  }
  if (keys.size > 1)
    throw new OperationError(
      `the ${info.type} datastore cannot write ${keys.size} keys in one atomic transaction`,
      { code: 'MultiKeyTransaction' },
    );
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
      let page = prefetched ?? (await readFrom(prefix));
      prefetched = undefined;
      for (;;) {
        const last = page.kvs[page.kvs.length - 1];
        // The next page (from the smallest key after last in byte order) is asked for before this
        // one is handed out, so the store produces it while the caller works through this one.
        const next = page.more && last ? readFrom(last.key + '\0') : undefined;
        // A caller that stops early never awaits it: its failure must not be an unhandled rejection.
        next?.catch(() => undefined);
        yield* page.kvs;
        if (!next) return;
        page = await next;
      }
    },
  };
}

/**
 * Streamed pages hold nothing in memory, so they can be larger: fewer requests, each of which makes
 * etcd count the rest of its range (docs/performance.md, "Concurrent segments, then streaming").
 */
function streamPageSize(
  keys: number,
  recentBytes: number,
  pages: number | undefined,
  previous: number,
): number {
  const max = Math.max(MAX_STREAM_PAGE_SIZE, Math.floor(MAX_STREAM_PAGE_BYTES / Math.max(1, recentBytes)));
  const wanted = Math.max(MIN_STREAM_PAGE_SIZE, Math.ceil(keys / (pages ?? STREAM_PAGES)));
  return Math.min(max, wanted, Math.max(MIN_STREAM_PAGE_SIZE, previous * PAGE_GROWTH));
}

function autoPageSize(keys: number): number {
  return Math.min(MAX_AUTO_PAGE_SIZE, Math.max(DEFAULT_PAGE_SIZE, Math.ceil(keys / AUTO_PAGES)));
}

/**
 * A scan's buffered pages (backends without a stream: the embedded store) are held whole, so they
 * are capped at about this many bytes rather than at MAX_AUTO_PAGE_SIZE keys: 300,000 IPAM handles
 * are then read in 25 pages, not 150 that each count the rest of the range.
 */
const MAX_SCAN_PAGE_BYTES = 16_000_000;

function scanPageSize(keys: number, averageBytes: number): number {
  const byBytes = Math.floor(MAX_SCAN_PAGE_BYTES / Math.max(1, averageBytes));
  return Math.max(DEFAULT_PAGE_SIZE, Math.min(byBytes, Math.ceil(keys / AUTO_PAGES)));
}

/**
 * Datastore.scan: the first page fixes the revision and shows how long the range is; the rest is
 * read in pages from its last key on, streamed where the backend can (each key visited as it
 * arrives, nothing kept), and pinned to the first page's revision on the same store, so they need
 * no consensus round to be current (etcd's serializable reads): a member behind it would fail, not
 * lie. With ScanOptions.sections the range is read as sections one after another, each so (its
 * first page sized as a scan's first, its pages ending at its end), all at one revision.
 */
async function scanRange<T>(
  backend: KVBackend,
  prefix: string,
  visit: (kv: KeyValue) => T | undefined,
  opts: ScanOptions,
): Promise<ScanResult<T>> {
  const end = prefixEnd(prefix);
  const results: T[] = [];
  let last: string | undefined;
  let taken = 0;
  // Bytes a key, weighted to the last RECENT_KEYS read: the next page starts where this one ends.
  let recentBytes = -1;
  // Every SAMPLE_EVERY-th key of the latest read, from its first: with `last` and `taken`, how
  // densely its keys lie and which bytes they use.
  let samples: string[] = [];
  const take = (kv: KeyValue): void => {
    if (taken % SAMPLE_EVERY === 0) samples.push(kv.key);
    last = kv.key;
    taken++;
    const bytes = kv.key.length + valueLength(kv);
    recentBytes = recentBytes < 0 ? bytes : recentBytes + (bytes - recentBytes) / RECENT_KEYS;
    const result = visit(kv);
    if (result !== undefined) results.push(result);
  };
  // A page's keys are counted and sampled from its first.
  const startPage = (): void => {
    taken = 0;
    samples = [];
  };
  const read = async (req: RangeRequest): Promise<RangeResponse> => {
    startPage();
    const res = backend.streamRange ? await backend.streamRange(req, take) : await backend.range(req);
    res.kvs.forEach(take);
    return res;
  };
  // A page sent before its turn: its keys are handed to take() only once read() is called.
  const prefetching = backend.streamRange !== undefined && !backend.streamWholeRange;
  const sendAhead = (req: PageRequest): SentPage => {
    let open = (): void => undefined;
    let abandon = (_err: Error): void => undefined;
    const turn = new Promise<void>((resolve, reject) => {
      open = resolve;
      abandon = reject;
    });
    turn.catch(() => undefined);
    const response = backend.streamRange!(req, take, turn);
    // A scan that fails first never reads it: its failure must not be an unhandled rejection.
    response.catch(() => undefined);
    return {
      req,
      read: () => {
        startPage();
        open();
        return response;
      },
      abandon: () => abandon(new Error('the scan ended before this page was read')),
    };
  };
  // A backend that streams the whole range at no cost reads it in one call (limit 0: none).
  const firstLimit = backend.streamWholeRange
    ? 0
    : backend.streamRange
      ? MIN_STREAM_PAGE_SIZE
      : DEFAULT_PAGE_SIZE;
  const cuts = backend.streamWholeRange
    ? []
    : (opts.sections ?? []).filter((key) => key > prefix && key < end).sort();
  const bounds = [prefix, ...new Set(cuts), end];
  let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
  // The first page of every section after the first that holds keys, sent once that one's first
  // page has been read (the revision is known, and the page the client waits for first is not
  // built alongside them). etcd walks a whole section to count its first page (nothing cheaper says
  // how long it is: the pods' 317,000 handles at 10k blocks); sent ahead, that walk is done while
  // the sections before it are read, not while the client waits for it.
  const firstPages: (SentPage | undefined)[] = [];
  try {
    for (let s = 0; s + 1 < bounds.length; s++) {
      const rangeEnd = bounds[s + 1]!;
      // Pinned to a revision this store served already, a read needs no consensus round.
      const pinned = s > 0 ? { serializable: true } : {};
      const sent = firstPages[s];
      const first = sent
        ? await sent.read()
        : await read({ key: bounds[s]!, rangeEnd, revision, limit: firstLimit, ...pinned });
      revision ||= first.revision;
      if (prefetching && firstPages.length === 0 && taken > 0)
        for (let later = s + 1; later + 1 < bounds.length; later++) {
          const page = { key: bounds[later]!, rangeEnd: bounds[later + 1]!, limit: firstLimit };
          firstPages[later] = sendAhead({ ...page, revision, serializable: true });
        }
      const remaining = first.count - taken;
      // Keys of the section visited so far: all first.count of them (at one revision) end it.
      let seen = taken;
      // The most keys a page of the section has held: the next page's limit grows from it, not from
      // the last limit (a page that ends at its estimate holds fewer), so no page outgrows what was read.
      let held = taken;
      // The last page that showed how densely keys lie; none after a page that ended early and held
      // nothing (the next one then reads to the section's end, as without an estimate).
      let density: PageDensity | undefined;
      // The page after the one being read, sent already, its answer held back until its turn.
      let ahead: SentPage | undefined;
      let stopped = false;
      try {
        for (let more = first.more && taken > 0; more && last !== undefined; ) {
          if (taken >= 2) density = latestDensity(samples, last, taken);
          else if (taken === 0) density = undefined;
          const limit = backend.streamRange
            ? streamPageSize(remaining, recentBytes, opts.pages, held)
            : scanPageSize(remaining, recentBytes);
          // A page that stopped at its limit is followed by the rest of its range, then the page
          // sent ahead; otherwise by that page, or by one ended about where its limit will be (so that
          // etcd counts this page, not the whole rest of the section).
          const current: SentPage | undefined = stopped ? undefined : ahead;
          const page: PageRequest = current?.req ?? {
            key: last + '\0',
            rangeEnd: ahead?.req.key ?? nearerEnd(density && estimatePageEnd(density, limit), rangeEnd),
            revision,
            limit,
            serializable: true,
          };
          if (current) ahead = undefined;
          const response: Promise<RangeResponse> = current ? current.read() : read(page);
          // The next page goes out now, so that etcd builds it while this one is read: from this
          // one's end to where `limit` more keys are estimated to end; not when the section's count
          // says its keys end within this page.
          const planned = page.limit ?? limit;
          if (
            prefetching &&
            !ahead &&
            density &&
            page.rangeEnd !== rangeEnd &&
            seen + planned < first.count
          ) {
            const end = aheadEnd(density, planned, limit, page.rangeEnd, rangeEnd);
            // Its limit has room for an estimate a little short (a page that stops at its limit is
            // followed by the rest of its range, asked for on its own), within what any page may hold.
            const most = streamPageSize(Infinity, recentBytes, 1, held);
            const roomy = Math.min(limit + (limit >> 2), most);
            if (end !== undefined)
              ahead = sendAhead({ ...page, key: page.rangeEnd, rangeEnd: end, limit: roomy });
          }
          const res = await response;
          seen += taken;
          held = Math.max(held, taken);
          stopped = res.more && taken > 0;
          // A page that ends before the section does is followed by the rest, unless the section's
          // count says every key of it has been visited.
          more = stopped || (page.rangeEnd !== rangeEnd && seen < first.count);
        }
      } finally {
        ahead?.abandon();
      }
    }
  } finally {
    for (const page of firstPages) page?.abandon();
  }
  return { revision, results };
}

/** A scan's page after its first: always ended (raw bytes as latin1, as RangeRequest.rangeEnd). */
type PageRequest = RangeRequest & { rangeEnd: string };

/** A page sent ahead of its turn (backend.streamRange's turn). */
interface SentPage {
  req: PageRequest;
  /** Its turn: hands its keys over, as they arrive, and resolves with the response. */
  read(): Promise<RangeResponse>;
  /** Cancels it, unless it was read. */
  abandon(): void;
}

/**
 * How densely the keys of a read lie, judged from its second half: a page may begin among keys of
 * another kind (a few tunnel handles, then hundreds of thousands of pods').
 */
function latestDensity(samples: readonly string[], last: string, taken: number): PageDensity {
  const half = samples.length >> 1;
  return { first: samples[half]!, last, count: taken - half * SAMPLE_EVERY, samples: samples.slice(half) };
}

/**
 * Where a page sent ahead from `start` (the end of the page before it, estimated for `before` keys
 * after the last key read) ends: about `keys` keys after start by the latest density. Pages differ
 * in density, so an estimate that falls at or before start is made again for more keys before it
 * (at most AHEAD_ESTIMATES times). Undefined when none goes past start, or one runs past the keys
 * the density describes or the section's end: a page to the section's end with a limit makes etcd
 * count the whole rest of the section, so that page is left to be asked for on its turn, from what
 * has been read by then, as without sending ahead.
 */
function aheadEnd(
  density: PageDensity,
  before: number,
  keys: number,
  start: string,
  sectionEnd: string,
): string | undefined {
  const from = Buffer.from(start, 'latin1');
  for (let i = 0, planned = before; i < AHEAD_ESTIMATES; i++, planned *= 2) {
    const end = nearerEnd(estimatePageEnd(density, planned + keys), sectionEnd);
    if (end === sectionEnd) return undefined;
    if (Buffer.compare(rangeEndBytes(end), from) > 0) return end;
  }
  return undefined;
}

const AHEAD_ESTIMATES = 4;

/** One key in this many of a page is kept to learn which bytes its keys use (page-end.ts). */
const SAMPLE_EVERY = 64;

/** The estimated end of a page if it lies before the section's end (both raw bytes as latin1). */
function nearerEnd(estimate: string | undefined, sectionEnd: string): string {
  return estimate !== undefined &&
    Buffer.compare(Buffer.from(estimate, 'latin1'), rangeEndBytes(sectionEnd)) < 0
    ? estimate
    : sectionEnd;
}

/** How many times one write is sent again after its answer was lost and a read showed it had not landed. */
const LOST_ANSWER_RESENDS = 3;

/**
 * One write transaction, exact when its answer is lost. Every write of this tool is a
 * compare-and-swap (or puts values that are the same whoever writes them), so what is stored says
 * whether it landed: after a lost answer the keys it writes are read back, and
 * - every key it puts holds its value at one mod revision, and every key it deletes is gone: it
 *   landed, and its success is returned as etcd would have;
 * - otherwise it is sent again, and etcd's answer decides: it succeeds, or its compare fails
 *   because someone else changed the keys, and that failure is returned (after one more look for
 *   this write's own values, which a member that had held the first request may have applied
 *   in between). A first request that a resumed member applies even later can only fail its compare.
 * After LOST_ANSWER_RESENDS lost answers in a row the last one is thrown (exit 3, the hint says the
 * write may or may not have been applied).
 */
async function writeResolvingLostAnswers(backend: KVBackend, req: TxnRequest): Promise<TxnResponse> {
  let lost = 0;
  for (;;) {
    let res: TxnResponse;
    try {
      res = await backend.txn(req);
    } catch (err) {
      if (!(err instanceof WriteOutcomeUnknownError) || !err.worthReading || lost >= LOST_ANSWER_RESENDS)
        throw err;
      lost++;
      // A read that fails too leaves the outcome unknown: the write's own error says so.
      const landed = await landedAs(backend, req).catch(() => {
        throw err;
      });
      if (landed) return landed;
      continue;
    }
    if (!res.succeeded && lost > 0) return (await landedAs(backend, req)) ?? res;
    return res;
  }
}

/** The response req would have had if what is stored now shows that it was applied; else undefined. */
async function landedAs(backend: KVBackend, req: TxnRequest): Promise<TxnResponse | undefined> {
  const puts = req.success.filter((op) => op.type === 'put');
  const deletes = req.success.filter((op) => op.type === 'delete');
  const stored = await Promise.all(
    [...puts, ...deletes].map((op) =>
      backend.range(
        op.type === 'delete' && op.rangeEnd !== undefined
          ? { key: op.key, rangeEnd: op.rangeEnd, countOnly: true }
          : { key: op.key },
      ),
    ),
  );
  const putRevisions = new Set<number>();
  for (const [i, op] of puts.entries()) {
    const kv = stored[i]!.kvs[0];
    if (op.type !== 'put' || !kv) return undefined;
    if (!(backend.sameWrite ? backend.sameWrite(op.key, op.value, kv.value) : kv.value === op.value))
      return undefined;
    putRevisions.add(kv.modRevision);
  }
  // One transaction writes all its keys at one revision.
  if (putRevisions.size > 1) return undefined;
  if (stored.slice(puts.length).some((res) => res.count > 0)) return undefined;
  const revision =
    putRevisions.size === 1 ? [...putRevisions][0]! : Math.max(0, ...stored.map((r) => r.revision));
  const results = await Promise.all(
    req.success.map(async (op): Promise<TxnOpResult> => {
      if (op.type === 'put') return { type: 'put' };
      // The keys it deleted are gone; how many there were is not known: at least one.
      if (op.type === 'delete') return { type: 'delete', deleted: 1 };
      return { type: 'get', kvs: (await backend.range({ key: op.key, rangeEnd: op.rangeEnd })).kvs };
    }),
  );
  return { succeeded: true, revision, results };
}

function writes(req: TxnRequest): boolean {
  return [...req.success, ...(req.failure ?? [])].some((op) => op.type !== 'get');
}
