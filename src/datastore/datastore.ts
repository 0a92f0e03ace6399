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
  type TxnRequest,
  type TxnResponse,
  type WriteOutcome,
} from './contract.js';

export const DEFAULT_PAGE_SIZE = 500;

export function createDatastore(backend: KVBackend): Datastore {
  return {
    info: backend.info,

    async get(key, opts = {}) {
      const res = await backend.range({ key, revision: opts.revision });
      return res.kvs[0];
    },

    async list(prefix, opts = {}) {
      const pageSize = opts.pageSize && opts.pageSize > 0 ? opts.pageSize : DEFAULT_PAGE_SIZE;
      const end = prefixEnd(prefix);
      const readPage = (from: string, revision: number | undefined) =>
        backend.range({ key: from, rangeEnd: end, revision, limit: pageSize });
      const first = await readPage(prefix, opts.revision);
      // etcd answers with the current revision; the pages are read at the requested one if any.
      const revision = opts.revision && opts.revision > 0 ? opts.revision : first.revision;
      return pagedStream(revision, first, (from) => readPage(from, revision), prefix);
    },

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
 * Pages through [prefix, prefixEnd(prefix)) at one revision, holding one page at a time. The
 * first page, already read to fix the revision, is served by the first iteration; iterating
 * again reads from the start at the same revision.
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
        yield* page.kvs;
        const last = page.kvs[page.kvs.length - 1];
        if (!page.more || !last) return;
        // The smallest key after last in byte order.
        page = await readFrom(last.key + '\0');
      }
    },
  };
}
