/**
 * The datastore contract: etcd v3 semantics shared by the etcd and the embedded backends.
 *
 * Revisions behave as etcd's: one global counter that every successful write transaction
 * increments by exactly one; each key carries the revision that created it, the revision
 * that last modified it, and a version (1 on create, +1 per put, reset by delete).
 * Keys and values are the exact strings Calico stores (UTF-8 JSON values, ASCII keys);
 * ranges are returned in byte order of the key.
 */

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

/** A read of one key (no rangeEnd) or of the half-open range [key, rangeEnd). */
export interface RangeRequest {
  key: string;
  /** Exclusive end. Use prefixEnd(prefix) to read every key under a prefix. */
  rangeEnd?: string;
  /** Read as of this revision; undefined or 0 reads the latest. */
  revision?: number;
  /** At most this many keys; undefined or 0 means no limit. */
  limit?: number;
  /** Return keys and revisions with empty values. */
  keysOnly?: boolean;
  /** Return only the count. */
  countOnly?: boolean;
  /**
   * Serve from the member's own state without a consensus round (etcd's serializable read). Only
   * for reads pinned to a revision the same store has already served (a later page of a listing).
   */
  serializable?: boolean;
}

export interface RangeResponse {
  kvs: KeyValue[];
  /** True when limit cut the result short. */
  more: boolean;
  /** Number of keys in the whole range (ignoring limit). */
  count: number;
  /** The store revision the read was served at. */
  revision: number;
}

export type CompareTarget = 'version' | 'createRevision' | 'modRevision' | 'value';
export type CompareOp = '==' | '!=' | '<' | '>';

/** A guard of a transaction; a missing key has version, createRevision and modRevision 0. */
export interface Compare {
  key: string;
  /**
   * The compare then holds when it holds for every key in [key, rangeEnd) (raw bytes as latin1, as
   * a RangeRequest's), a range without keys counting as one missing key (etcd 3.3 and later).
   */
  rangeEnd?: string;
  target: CompareTarget;
  op: CompareOp;
  value: number | string;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string; rangeEnd?: string }
  | { type: 'get'; key: string; rangeEnd?: string };

export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export type TxnOpResult =
  | { type: 'put' }
  | { type: 'delete'; deleted: number }
  | { type: 'get'; kvs: KeyValue[] };

export interface TxnResponse {
  succeeded: boolean;
  /** The store revision after the transaction (incremented once if it wrote anything). */
  revision: number;
  /** One result per executed op, in order. */
  results: TxnOpResult[];
}

/** What a backend implements. Everything else is built on these three calls. */
export interface KVBackend {
  readonly info: DatastoreInfo;
  range(req: RangeRequest): Promise<RangeResponse>;
  /**
   * range() with each KeyValue handed to onKeyValue as it arrives instead of collected (the
   * response's kvs are empty); a KeyValue is valid only until onKeyValue returns. Optional: a
   * backend without it is read with range().
   *
   * With `turn` (a scan's next page, sent while the current one is read): the request may go out at
   * once, but no KeyValue is handed over before turn resolves; if turn rejects, the call rejects
   * and nothing of it is handed over. A scan gives one only to a backend that reads in pages (not
   * streamWholeRange).
   */
  streamRange?(
    req: RangeRequest,
    onKeyValue: (kv: KeyValue) => void,
    turn?: Promise<void>,
  ): Promise<RangeResponse>;
  /**
   * True when a streamed read costs nothing per key held (an in-process store): a scan then reads
   * the whole range in one streamRange call instead of in pages, each of which would count the
   * rest of the range again.
   */
  readonly streamWholeRange?: boolean;
  txn(req: TxnRequest): Promise<TxnResponse>;
  /**
   * False for a store that compares and writes one key at a time (Kubernetes: one object per
   * request): the datastore then refuses a transaction that guards or writes more than one key,
   * before sending anything, and callers that write several keys use their one-key-at-a-time path.
   * Absent means true (etcd, the embedded store).
   */
  readonly multiKeyTransactions?: boolean;
  /**
   * Reports the changes to a key range from a revision on (etcd's Watch), until closed or until it
   * fails. Optional: the datastore reports a backend without it (see watch.ts in each backend).
   */
  watch?(req: WatchRequest, onChanges: (batch: WatchBatch) => void): Promise<Watch>;
  /**
   * Whether stored is what a put of written at key leaves in the store: how the datastore recognises a
   * write whose answer was lost. Absent: the same bytes. A store that sets part of a value itself says
   * so here (Kubernetes gives a created object its own uid).
   */
  sameWrite?(key: string, written: string, stored: string): boolean;
  close(): Promise<void>;
}

/** Watch the half-open range [key, rangeEnd) (one key without rangeEnd) from startRevision on. */
export interface WatchRequest {
  key: string;
  rangeEnd?: string;
  /** The first revision whose changes are reported (a read's revision + 1). */
  startRevision: number;
  /**
   * How long the store may stay unreachable in a row while watching: the watch reconnects meanwhile,
   * and fails with an UnreachableError after this long.
   */
  outageMs: number;
}

/** One change: a put carries the key as it is now; a delete only its key. */
export type WatchEvent = { type: 'put'; kv: KeyValue } | { type: 'delete'; key: string; modRevision: number };

/**
 * The changes up to and including revision, in revision order. The embedded store may coalesce the
 * changes of several revisions into one batch (a key then appears once, as it is at revision).
 */
export interface WatchBatch {
  revision: number;
  events: WatchEvent[];
}

/** A running watch. */
export interface Watch {
  /**
   * Settles only when the watch stops by itself: rejects with a WatchCompactedError when the
   * history it needed is gone (read afresh and watch again from there), or with an UnreachableError
   * once the store was unreachable for longer than outageMs.
   */
  readonly ended: Promise<never>;
  close(): Promise<void>;
}

export type DatastoreInfo =
  | { type: 'etcdv3'; endpoints: string[]; source: string }
  | { type: 'embedded'; path: string; source: string }
  /** server: the API server's URL. */
  | { type: 'kubernetes'; server: string; source: string };

/** Outcome of a single-key compare-and-swap write. */
export type WriteOutcome =
  | { ok: true; revision: number }
  | { ok: false; reason: 'exists' | 'conflict' | 'missing'; current?: KeyValue };

/** A prefix listing pinned to one revision, streamed in pages so memory stays bounded. */
export interface KeyValueStream extends AsyncIterable<KeyValue> {
  /** The revision every page is read at. */
  readonly revision: number;
}

/** What a scan returns: the visitor's results in key order, and the revision everything was read at. */
export interface ScanResult<T> {
  revision: number;
  results: T[];
}

export interface ScanOptions {
  /** Read at this revision; by default at the revision of the first page. */
  revision?: number;
  /**
   * On etcd, the rest of the range after the first page is read in about this many pages (by
   * default 10; a page is still never larger than about 45 MB). etcd counts the rest of the range
   * for every page, so a caller reading a whole datastore (hundreds of thousands of keys) asks for a
   * few large ones.
   */
  pages?: number;
  /**
   * Keys (ASCII) where the range is cut into sections read one after another, each in pages whose
   * range ends at the section's end, so that etcd, which counts the rest of a page's range for
   * every page, counts only the rest of the section. What is visited does not change; a caller that
   * knows where the layout of a long range changes (a whole datastore) cuts it there.
   */
  sections?: readonly string[];
}

/** What the rest of the tool uses. Implemented once over any KVBackend (see datastore.ts). */
export interface Datastore {
  readonly info: DatastoreInfo;
  /** Whether one txn may guard and write several keys atomically (see KVBackend). */
  readonly multiKeyTransactions: boolean;
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: { revision?: number; pageSize?: number }): Promise<KeyValueStream>;
  /**
   * Every key under prefix at one revision, passed to visit in key order; what visit returns
   * (undefined dropped) comes back as results. Unlike list(), a KeyValue is valid only while visit
   * runs (a streaming backend reuses its bytes): read its value there, keep only what visit returns.
   */
  scan<T>(prefix: string, visit: (kv: KeyValue) => T | undefined, opts?: ScanOptions): Promise<ScanResult<T>>;
  count(prefix: string): Promise<number>;
  /**
   * The store's revision now, read with a count of the one key `key` ("\0" by default): a read of one
   * key, which etcd answers without walking a range; a user allowed only a prefix names a key under it.
   */
  currentRevision(key?: string): Promise<number>;
  /** Put only if the key does not exist (version == 0). */
  create(key: string, value: string): Promise<WriteOutcome>;
  /** Put only if the key's modRevision equals modRevision. */
  update(key: string, value: string, modRevision: number): Promise<WriteOutcome>;
  /** Delete; compare-and-swap on modRevision when given. */
  delete(key: string, modRevision?: number): Promise<WriteOutcome>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  /** The changes under prefix after fromRevision (a read's revision), as KVBackend.watch. */
  watch(
    prefix: string,
    opts: { fromRevision: number; outageMs: number },
    onChanges: (batch: WatchBatch) => void,
  ): Promise<Watch>;
  close(): Promise<void>;
}

/**
 * The hint of an UnreachableError raised by a write whose answer was lost: the store may or may not
 * have applied it (the etcd backend's failure mapping; callers that report partial work read it).
 */
export const WRITE_OUTCOME_UNKNOWN =
  'the last write may or may not have been applied; re-read before retrying';

/** The exclusive end of the range holding every key that starts with prefix (etcd's rule). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] as number;
    if (b < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = b + 1;
      return end.toString('latin1');
    }
  }
  // All 0xff: etcd uses "\0" meaning "to the end of the keyspace".
  return '\0';
}

/** A range end as etcd takes it: prefixEnd() makes raw bytes held as latin1 (they may not be UTF-8). */
export function rangeEndBytes(end: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(end) ? Buffer.from(end, 'latin1') : Buffer.from(end, 'utf8');
}
