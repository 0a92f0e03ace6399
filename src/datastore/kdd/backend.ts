/**
 * The Kubernetes datastore (KDD): the KVBackend contract over the Kubernetes API, presenting Calico's
 * etcd key space (docs/kdd.md). Each key belongs to one mapping of the table (mapping.ts), which says
 * which object holds it and how its value converts; the backend does the calls:
 *
 * - Revisions are kube-apiserver's: an object's resourceVersion is its etcd mod revision, a list's
 *   the etcd revision it was read at. Kubernetes keeps no create revision or version: a key reports
 *   its mod revision as createRevision and version 1.
 * - Reads of one key are a list with `fieldSelector=metadata.name=` (so that they carry the store's
 *   revision, and can be read at an exact earlier revision); ranges list each collection the range
 *   covers in pages of LIST_PAGE_SIZE, the later collections at the first one's revision (resourceVersionMatch
 *   Exact), in key order: what the API returns in key order is streamed, the rest held and sorted.
 *   A range cut short by a limit keeps its place, so the next page goes on where it stopped.
 * - Transactions are one key (multiKeyTransactions false) and map to one request: create = POST,
 *   update = PUT with resourceVersion, delete = DELETE with preconditions.resourceVersion (IPAM:
 *   Calico's two-step delete).
 */
import type { KubeClientSettings } from '../../config/kubeconfig.js';
import { compareGoStrings, encodeGoJson, parseGoJson, S } from '../../codec/go-json.js';
import { OperationError, WatchCompactedError } from '../../errors.js';
import { LOST_COMPARE, retryLostCompares } from '../cas.js';
import type {
  Compare,
  KVBackend,
  KeyValue,
  RangeRequest,
  RangeResponse,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResponse,
  Watch,
  WatchBatch,
  WatchRequest,
} from '../contract.js';
import { answerError, collectionPath, kubeApi, parseBody, type KubeList } from './api.js';
import { KubeClient } from './client.js';
import { splitList, type SplitList } from './list-items.js';
import type {
  KddMapping,
  KubeApi,
  KubeCollection,
  KubeObject,
  KubeWriteResult,
  PresentedValue,
} from './mapping.js';
import { kddMappingTable } from './table.js';
import type { MappingTable } from './mapping.js';
import { watchKdd } from './watch.js';

export interface KddBackendOptions {
  timeoutMs: number;
  /** Where the configuration came from ("environment", "config file …"). */
  source: string;
  /** Told about objects a list skips because they cannot be converted (printed on stderr by src/cli). */
  warn?: (line: string) => void;
}

/**
 * Objects per list page. client-go's pager asks for 500 (kdd.md §7); half as many keep two pages of
 * IPAM blocks (the one handed out and the next, already asked for) a few MB smaller, for `ipam show`'s
 * memory budget, at the cost of twice as many requests (docs/kdd.md, "Lists").
 */
export const LIST_PAGE_SIZE = 250;
/** Cursors of ranges cut short by a limit, kept for the next page. */
const MAX_CURSORS = 8;

interface ReadState {
  /** The revision the range is read at: fixed by its first list. */
  revision?: number;
}

interface Cursor {
  source: AsyncGenerator<KeyValue, void>;
  state: ReadState;
  /** The key read ahead to learn whether there was more. */
  next?: KeyValue;
}

export async function openKddBackend(
  settings: KubeClientSettings,
  opts: KddBackendOptions,
): Promise<KVBackend> {
  const client = await KubeClient.open(settings, opts.timeoutMs);
  return new KddBackend(client, kddMappingTable(), opts);
}

export class KddBackend implements KVBackend {
  readonly info;
  readonly multiKeyTransactions = false;
  /** Ranges are read whole in one call: a later page would list the collections again. */
  readonly streamWholeRange = true;
  private readonly api: KubeApi;
  private readonly cursors = new Map<string, Cursor>();

  constructor(
    private readonly client: KubeClient,
    private readonly table: MappingTable,
    private readonly opts: KddBackendOptions,
  ) {
    this.info = { type: 'kubernetes' as const, server: client.server, source: opts.source };
    this.api = kubeApi(client);
  }

  async range(req: RangeRequest): Promise<RangeResponse> {
    if (req.rangeEnd === undefined) return this.getOne(req);
    if (req.countOnly) {
      let count = 0;
      const state: ReadState = req.revision ? { revision: req.revision } : {};
      for await (const kv of this.source(req.key, req.rangeEnd, state, true)) if (kv) count++;
      return { kvs: [], more: false, count, revision: state.revision ?? (await this.currentRevision()) };
    }
    const kvs: KeyValue[] = [];
    const res = await this.readRange(req, (kv) => kvs.push(kv));
    return { ...res, kvs };
  }

  async streamRange(req: RangeRequest, onKeyValue: (kv: KeyValue) => void): Promise<RangeResponse> {
    if (req.rangeEnd === undefined || req.countOnly) {
      const res = await this.range(req);
      res.kvs.forEach(onKeyValue);
      return { ...res, kvs: [] };
    }
    return this.readRange(req, onKeyValue);
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    const writes = req.success.filter((op): op is Exclude<TxnOp, { type: 'get' }> => op.type !== 'get');
    if (writes.length === 0 && req.compare.length === 0) {
      return {
        succeeded: true,
        revision: await this.currentRevision(),
        results: await this.reads(req.success),
      };
    }
    const [write] = writes;
    if (writes.length !== 1 || !write || (write.type === 'delete' && write.rangeEnd !== undefined))
      throw new OperationError('the kubernetes datastore writes one key per transaction', {
        code: 'MultiKeyTransaction',
      });
    const compare = req.compare[0];
    if (req.compare.length > 1 || (compare && (compare.key !== write.key || compare.rangeEnd !== undefined)))
      throw new OperationError('the kubernetes datastore compares one key per transaction', {
        code: 'MultiKeyTransaction',
      });
    const expect = expectation(compare);
    const mapping = this.table.forKey(write.key);
    if (!mapping || !mapping.locate(write.key))
      throw new OperationError(`the kubernetes datastore has no place for ${write.key}`, {
        code: 'UnmappedKey',
      });
    const outcome =
      write.type === 'put'
        ? await this.put(mapping, write.key, write.value, expect)
        : await this.remove(mapping, write.key, expect);
    if (outcome.ok) {
      const results = await Promise.all(
        req.success.map(async (op): Promise<TxnOpResult> => {
          if (op.type === 'put') return { type: 'put' };
          if (op.type === 'delete') return { type: 'delete', deleted: outcome.deleted };
          return {
            type: 'get',
            kvs: (await this.range({ key: op.key, ...(op.rangeEnd ? { rangeEnd: op.rangeEnd } : {}) })).kvs,
          };
        }),
      );
      return { succeeded: true, revision: outcome.revision, results };
    }
    const results = await this.reads(req.failure ?? []);
    return { succeeded: false, revision: await this.currentRevision(), results };
  }

  watch(req: WatchRequest, onChanges: (batch: WatchBatch) => void): Promise<Watch> {
    return watchKdd(
      this.client,
      this.table.forRange(req.key, req.rangeEnd ?? req.key + '\0'),
      req,
      onChanges,
      (m, obj, c) => this.presentSafely(m, obj, c),
    );
  }

  sameWrite(key: string, written: string, stored: string): boolean {
    return sameStoredValue(this.table, key, written, stored);
  }

  async close(): Promise<void> {
    for (const cursor of this.cursors.values()) await cursor.source.return(undefined);
    this.cursors.clear();
    this.client.close();
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  private async reads(ops: TxnOp[]): Promise<TxnOpResult[]> {
    const results: TxnOpResult[] = [];
    for (const op of ops) {
      if (op.type !== 'get')
        throw new OperationError('a failure branch may only read', { code: 'UnsupportedTxn' });
      const res = await this.range({ key: op.key, ...(op.rangeEnd ? { rangeEnd: op.rangeEnd } : {}) });
      results.push({ type: 'get', kvs: res.kvs });
    }
    return results;
  }

  /** The store's current revision: a one-item list's revision. */
  private async currentRevision(): Promise<number> {
    const c = this.table.all[0]?.collections[0];
    if (!c) return 0;
    const res = await this.client.request({ method: 'GET', path: `${collectionPath(c)}?limit=1` });
    if (res.status === 404) return 0;
    if (res.status !== 200) throw answerError(this.client, res, `list ${c.plural}`);
    return revisionOf(
      parseBody<KubeList>(res, `list ${c.plural}`).metadata?.resourceVersion,
      `list ${c.plural}`,
    );
  }

  /** One key: the object that holds it, read with a name field selector (at a revision if asked). */
  private async getOne(req: RangeRequest): Promise<RangeResponse> {
    const mapping = this.table.forKey(req.key);
    const loc = mapping?.locate(req.key);
    if (!mapping || !loc) {
      return { kvs: [], more: false, count: 0, revision: req.revision || (await this.currentRevision()) };
    }
    const query = new URLSearchParams({ fieldSelector: `metadata.name=${loc.name}` });
    if (req.revision) {
      query.set('resourceVersion', String(req.revision));
      query.set('resourceVersionMatch', 'Exact');
    }
    const path = `${collectionPath(loc.collection, loc.namespace)}?${query.toString()}`;
    const what = `get ${loc.collection.plural} ${loc.name}`;
    const res = await this.client.request({ method: 'GET', path });
    // A missing resource type (CRD not installed) holds nothing, as Calico's lists treat it.
    if (res.status === 404) return { kvs: [], more: false, count: 0, revision: req.revision ?? 0 };
    if (res.status !== 200) throw this.readError(res, what);
    const list = parseBody<KubeList>(res, what);
    const revision = revisionOf(list.metadata?.resourceVersion, what);
    const obj = list.items?.[0];
    if (!obj) return { kvs: [], more: false, count: 0, revision };
    if (!req.revision && mapping.isMarkedDeleted?.(obj)) {
      // Calico's Get finishes a two-step delete it meets and reports the object missing.
      await this.api.delete(loc, { uid: String(obj.metadata.uid ?? '') });
      return { kvs: [], more: false, count: 0, revision };
    }
    const presented = mapping.present(obj, loc.collection);
    if (!presented || presented.key !== req.key) return { kvs: [], more: false, count: 0, revision };
    const kv = keyValue(presented, obj, req.keysOnly === true);
    return { kvs: [kv], more: false, count: 1, revision };
  }

  private readError(res: { status: number; body: string }, what: string): Error {
    if (res.status === 410)
      return new WatchCompactedError(`${what}: the revision asked for is no longer kept by the API server`, {
        hint: 'read at the current revision (omit the resource version)',
      });
    return answerError(this.client, res, what);
  }

  /**
   * A range, handed over key by key up to req.limit; one cut short keeps its cursor so that the next
   * page (from the last key on, at the same revision) goes on without listing again.
   */
  private async readRange(req: RangeRequest, onKeyValue: (kv: KeyValue) => void): Promise<RangeResponse> {
    const end = req.rangeEnd!;
    const keysOnly = req.keysOnly === true;
    const id = cursorId(req.key, end, req.revision, keysOnly);
    let cursor = this.cursors.get(id);
    this.cursors.delete(id);
    if (!cursor) {
      const state: ReadState = req.revision ? { revision: req.revision } : {};
      cursor = { source: this.source(req.key, end, state, keysOnly), state };
    }
    const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
    let handed = 0;
    let last: KeyValue | undefined;
    try {
      while (handed < limit) {
        const kv = cursor.next ?? (await cursor.source.next()).value;
        cursor.next = undefined;
        if (!kv) break;
        onKeyValue(kv);
        last = kv;
        handed++;
      }
      if (handed === limit && last) {
        const ahead = (await cursor.source.next()).value;
        if (ahead) {
          cursor.next = ahead;
          this.keepCursor(cursorId(last.key + '\0', end, cursor.state.revision, keysOnly), cursor);
          return { kvs: [], more: true, count: handed + 1, revision: cursor.state.revision ?? 0 };
        }
      }
    } catch (err) {
      await cursor.source.return(undefined).catch(() => undefined);
      throw err;
    }
    const revision = cursor.state.revision ?? (await this.currentRevision());
    return { kvs: [], more: false, count: handed, revision };
  }

  private keepCursor(id: string, cursor: Cursor): void {
    this.cursors.set(id, cursor);
    for (const [old, c] of this.cursors) {
      if (this.cursors.size <= MAX_CURSORS) break;
      this.cursors.delete(old);
      void c.source.return(undefined).catch(() => undefined);
    }
  }

  /** Every key in [start, end) in key order, listing each collection of each mapping in turn. */
  private async *source(
    start: string,
    end: string,
    state: ReadState,
    keysOnly: boolean,
  ): AsyncGenerator<KeyValue, void> {
    const beforeEnd = (key: string): boolean => end === '\0' || compareGoStrings(key, end) < 0;
    for (const mapping of this.table.forRange(start, end)) {
      const ordered = mapping.listOrder;
      for (const collection of mapping.collections) {
        const held: KeyValue[] = [];
        const namespace = collection.namespaced ? mapping.namespaceOf?.(start, end) : undefined;
        for await (const obj of this.list(collection, state, namespace)) {
          const presented = this.presentSafely(mapping, obj, collection);
          if (!presented) continue;
          const inOrder = ordered === 'key' || ordered(presented.key);
          if (!beforeEnd(presented.key)) {
            // Keys in list order: nothing after this one is in the range either.
            if (ordered === 'key') break;
            continue;
          }
          if (compareGoStrings(presented.key, start) < 0) continue;
          const kv = keyValue(presented, obj, keysOnly);
          if (inOrder) yield kv;
          else held.push(kv);
        }
        held.sort((a, b) => compareGoStrings(a.key, b.key));
        yield* held;
      }
    }
  }

  private presentSafely(
    mapping: KddMapping,
    obj: KubeObject,
    collection: KubeCollection,
  ): PresentedValue | undefined {
    try {
      return mapping.present(obj, collection);
    } catch (err) {
      // Calico's lists skip what they cannot convert, with a warning.
      const where = `${collection.plural} ${obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata.name ?? ''}`;
      this.opts.warn?.(`warning: skipping ${where}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * The objects of a collection in API order, in pages of LIST_PAGE_SIZE (the next page is asked for
   * while this one is handed out, each item parsed as it is handed out: list-items.ts), at
   * state.revision if set, else fixing it from the first page.
   */
  private async *list(
    collection: KubeCollection,
    state: ReadState,
    namespace?: string,
  ): AsyncGenerator<KubeObject, void> {
    const what = `list ${collection.plural}`;
    const page = async (token: string | undefined): Promise<SplitList<KubeObject> | undefined> => {
      const query = new URLSearchParams({ limit: String(LIST_PAGE_SIZE) });
      if (token !== undefined) query.set('continue', token);
      else if (state.revision !== undefined) {
        query.set('resourceVersion', String(state.revision));
        query.set('resourceVersionMatch', 'Exact');
      }
      const res = await this.client.requestBytes({
        method: 'GET',
        path: `${collectionPath(collection, namespace)}?${query.toString()}`,
      });
      // A resource type that is not installed holds nothing (Calico's List swallows the 404).
      if (res.status === 404 && token === undefined) return undefined;
      if (res.status !== 200)
        throw this.readError({ status: res.status, body: res.bytes.toString('utf8') }, what);
      try {
        return splitList<KubeObject>(res.bytes);
      } catch (err) {
        throw new OperationError(
          `${what}: the API server's answer is not a JSON list: ${(err as Error).message}`,
          {
            code: 'KubeBadAnswer',
          },
        );
      }
    };
    const first = await page(undefined);
    if (!first) return;
    state.revision ??= revisionOf(listMeta(first).resourceVersion, what);
    let current: SplitList<KubeObject> | undefined = first;
    while (current) {
      const token: string | undefined = listMeta(current).continue;
      const next: Promise<SplitList<KubeObject> | undefined> | undefined = token ? page(token) : undefined;
      next?.catch(() => undefined);
      const listed: SplitList<KubeObject> = current;
      // Only this page and the next are held.
      current = undefined;
      for (let i = 0; i < listed.length; i++) yield listed.item(i);
      current = await next;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  private async put(
    mapping: KddMapping,
    key: string,
    value: string,
    expect: Expectation,
  ): Promise<WriteResult> {
    this.refuse(mapping, key, expect.kind === 'absent' ? 'Create' : 'Update');
    const collection = mapping.locate(key)!.collection;
    if (expect.kind === 'absent') {
      const res = mapping.create
        ? await mapping.create(this.api, key, value)
        : await this.api.create(collection, mapping.toObject(key, value, undefined));
      return written(res);
    }
    if (expect.kind === 'revision') {
      const res = mapping.update
        ? await mapping.update(this.api, key, value, expect.revision)
        : await this.api.replace(
            collection,
            withRevision(mapping.toObject(key, value, undefined), expect.revision),
          );
      return written(res);
    }
    // An unconditional put (Calico's Apply): create, else replace what is there now, on the one
    // compare-and-swap retry policy; when every round lost, the last round's answer.
    let last: WriteResult | undefined;
    return retryLostCompares(
      async () => {
        const created = await this.put(mapping, key, value, { kind: 'absent' });
        if (created.ok) return created;
        const current = (await this.getOne({ key })).kvs[0];
        last = current
          ? await this.put(mapping, key, value, { kind: 'revision', revision: current.modRevision })
          : created;
        return last.ok ? last : LOST_COMPARE;
      },
      () => last!,
    );
  }

  private async remove(mapping: KddMapping, key: string, expect: Expectation): Promise<WriteResult> {
    this.refuse(mapping, key, 'Delete');
    if (expect.kind === 'absent') {
      // Delete if absent: nothing to delete, or the compare fails.
      const current = await this.getOne({ key });
      return current.kvs.length > 0 ? { ok: false } : { ok: true, deleted: 0, revision: current.revision };
    }
    const revision = expect.kind === 'revision' ? expect.revision : undefined;
    const loc = mapping.locate(key)!;
    if (mapping.delete) return deleted(await mapping.delete(this.api, key, revision), revision);
    if (mapping.deletion === 'plain') {
      const res = await this.api.delete(
        loc,
        revision !== undefined ? { resourceVersion: String(revision) } : undefined,
      );
      return deleted(res, revision);
    }
    // Calico's two-step delete: mark it deleted (compare-and-swap on its revision), then delete that
    // very object (its uid), which Kubernetes can compare where it cannot compare a revision.
    const current = await this.api.get(loc);
    const presented = current ? this.presentSafely(mapping, current, loc.collection) : undefined;
    if (!current || !presented)
      return revision === undefined ? { ok: true, deleted: 0, revision: 0 } : { ok: false };
    const currentRevision = revisionOf(current.metadata.resourceVersion, `get ${loc.name}`);
    if (revision !== undefined && currentRevision !== revision) return { ok: false };
    const marked = markDeleted(presented.value);
    const res = await this.api.replace(
      loc.collection,
      withRevision(mapping.toObject(key, marked, current), currentRevision),
    );
    if (!res.ok)
      return res.reason === 'missing' && revision === undefined
        ? { ok: true, deleted: 0, revision: 0 }
        : { ok: false };
    const gone = await this.api.delete(loc, { uid: String(current.metadata.uid ?? '') });
    // Someone else finished it: it is deleted all the same.
    if (!gone.ok && gone.reason !== 'missing') return { ok: false };
    return {
      ok: true,
      deleted: 1,
      revision: revisionOf(res.object.metadata.resourceVersion, `update ${loc.name}`),
    };
  }

  private refuse(mapping: KddMapping, key: string, op: 'Create' | 'Update' | 'Delete'): void {
    const reason = mapping.unsupported?.[op];
    if (reason === undefined) return;
    // Calico's ResourceKey: the Calico name (`<namespace>/<name>` when namespaced), not the object's.
    const name = key.startsWith(mapping.prefix) ? key.slice(mapping.prefix.length) : key;
    throw new OperationError(
      `operation ${op} is not supported on ${mapping.kind}(${name})${typeof reason === 'string' ? `: ${reason}` : ''}`,
      { code: 'OperationNotSupported' },
    );
  }
}

type Expectation = { kind: 'any' } | { kind: 'absent' } | { kind: 'revision'; revision: number };

/**
 * What a transaction's compare asks of its key: nothing, that it is absent (version or mod revision
 * 0), or that it is at a mod revision. Kubernetes can check nothing else.
 */
function expectation(compare: Compare | undefined): Expectation {
  if (!compare) return { kind: 'any' };
  const n = Number(compare.value);
  if (compare.op === '==' && (compare.target === 'version' || compare.target === 'modRevision') && n === 0)
    return { kind: 'absent' };
  if (compare.op === '==' && compare.target === 'modRevision') return { kind: 'revision', revision: n };
  throw new OperationError(
    `the kubernetes datastore cannot compare ${compare.target} ${compare.op} ${String(compare.value)}`,
    { code: 'UnsupportedCompare' },
  );
}

type WriteResult = { ok: true; revision: number; deleted: number } | { ok: false };

function written(res: KubeWriteResult): WriteResult {
  if (!res.ok) return { ok: false };
  return { ok: true, deleted: 0, revision: revisionOf(res.object.metadata.resourceVersion, 'write') };
}

function deleted(res: KubeWriteResult, revision: number | undefined): WriteResult {
  if (res.ok) {
    const rv = res.object.metadata?.resourceVersion;
    return { ok: true, deleted: 1, revision: rv ? revisionOf(rv, 'delete') : 0 };
  }
  // A missing object: nothing deleted (an unconditional delete), or a failed compare.
  if (res.reason === 'missing' && revision === undefined) return { ok: true, deleted: 0, revision: 0 };
  return { ok: false };
}

function withRevision(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

/** The etcd value with `deleted: true` (the IPAM values all carry it at the top). */
function markDeleted(value: string): string {
  const parsed = parseGoJson(value) as Record<string, unknown>;
  return encodeGoJson({ ...parsed, deleted: true }, S.any());
}

function keyValue(p: PresentedValue, obj: KubeObject, keysOnly: boolean): KeyValue {
  const modRevision =
    p.modRevision ??
    revisionOf(obj.metadata.resourceVersion, `${obj.kind ?? 'object'} ${obj.metadata.name ?? ''}`);
  return { key: p.key, value: keysOnly ? '' : p.value, createRevision: modRevision, modRevision, version: 1 };
}

/** kube-apiserver's resourceVersions are etcd revisions; anything else cannot be compared. */
export function revisionOf(rv: string | undefined, what: string): number {
  if (rv !== undefined && /^\d+$/.test(rv)) return Number(rv);
  throw new OperationError(
    `${what}: the API server answered with resourceVersion ${JSON.stringify(rv ?? '')}, which is not an etcd revision`,
    {
      code: 'KubeOpaqueRevision',
      hint: 'calicoctl-ts needs an API server that stores its objects in etcd (kube-apiserver)',
    },
  );
}

/**
 * Whether stored is what writing written at key leaves in Kubernetes: written converted to its object
 * and back (a block's null attributes come back as []), compared without the uid, which kube-apiserver
 * gives a created object itself.
 */
export function sameStoredValue(table: MappingTable, key: string, written: string, stored: string): boolean {
  const mapping = table.forKey(key);
  const loc = mapping?.locate(key);
  if (!mapping || !loc) return written === stored;
  try {
    const presented = mapping.present(mapping.toObject(key, written, undefined), loc.collection);
    return presented !== undefined && withoutUid(presented.value) === withoutUid(stored);
  } catch {
    return false;
  }
}

/** A value's text with its metadata.uid left out (values without metadata unchanged). */
function withoutUid(value: string): string {
  const parsed = parseGoJson(value);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return value;
  const meta = parsed.metadata;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) delete meta.uid;
  return encodeGoJson(parsed, S.any());
}

function listMeta(list: SplitList<KubeObject>): { resourceVersion?: string; continue?: string } {
  const meta = list.rest.metadata;
  return meta && typeof meta === 'object' ? (meta as { resourceVersion?: string; continue?: string }) : {};
}

function cursorId(from: string, end: string, revision: number | undefined, keysOnly: boolean): string {
  return `${from}\u0001${end}\u0001${revision ?? ''}\u0001${keysOnly ? 1 : 0}`;
}
