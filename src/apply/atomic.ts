/**
 * `--atomic`: every write of one command gathered into a single datastore transaction, guarded by
 * one compare per key (version == 0 for a create, the mod revision read for an update or delete),
 * so the whole file is written or nothing is. etcd refuses a transaction with more than
 * `--max-txn-ops` operations (128 by default) or a request above `--max-request-bytes` (1.5 MiB by
 * default); larger plans are refused up front with a clear error instead. A store without
 * multi-key transactions (Kubernetes) refuses --atomic before anything is read or written.
 */
import type { Compare, Datastore, TxnOp } from '../datastore/contract.js';
import { InputError, type CalicoError } from '../errors.js';
import type { KindDescriptor } from '../resources/registry.js';
import {
  alreadyExistsError,
  conflictError,
  encodeForStorage,
  notFoundError,
  type ResourceStore,
} from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';

/** etcd's default --max-txn-ops. */
export const MAX_ATOMIC_OPS = 128;
/** etcd's default --max-request-bytes (1.5 MiB) less room for the request's own framing. */
export const MAX_ATOMIC_BYTES = 1.5 * 1024 * 1024 - 64 * 1024;

export function tooManyForAtomic(count: number, what: string): InputError {
  return new InputError(
    `--atomic can write at most ${MAX_ATOMIC_OPS} resources in one transaction (etcd's default --max-txn-ops); ${what} has ${count}`,
    { code: 'AtomicTooLarge', hint: 'split the file into smaller files, or drop --atomic' },
  );
}

/**
 * --atomic on a store that writes one object per request (Kubernetes): no sequence of one-key
 * writes makes a file all-or-nothing (a later conflict would leave the earlier resources written,
 * and undoing them is not safe against other writers), so it is refused before anything is read.
 */
export function atomicUnavailable(type: string): InputError {
  return new InputError(
    `--atomic is not available on the ${type} datastore: it writes one object per request, so a file cannot be written all or nothing`,
    {
      code: 'AtomicUnsupported',
      hint: 'drop --atomic (each resource is then written on its own, compare-and-swap, and reported), or use --dry-run to check the whole file first',
    },
  );
}

interface PlannedWrite {
  key: string;
  descriptor: KindDescriptor;
  name: string;
  namespace?: string;
  op: 'create' | 'update' | 'delete';
  compare: Compare;
  txnOp: TxnOp;
}

export type CommitOutcome =
  | { ok: true; revision: number }
  /** Keys whose guard no longer held, each with the error a single write would have reported. */
  | { ok: false; failures: Map<string, CalicoError> };

export class AtomicPlan {
  private readonly writes: PlannedWrite[] = [];
  private readonly byKey = new Map<string, PlannedWrite>();
  private bytes = 0;

  constructor(private readonly store: ResourceStore) {
    if (!store.ds.multiKeyTransactions) throw atomicUnavailable(store.ds.info.type);
  }

  private get ds(): Datastore {
    return this.store.ds;
  }

  get size(): number {
    return this.writes.length;
  }

  /** True when the key is created or updated by this plan (so it exists once committed). */
  willExist(key: string): boolean {
    const w = this.byKey.get(key);
    return w !== undefined && w.op !== 'delete';
  }

  /** IPPools this plan creates, for the overlap check of later pools in the same file. */
  /** What the plan creates, in order: a kind's checks against the store see it as stored. */
  private readonly planned: Array<{ kind: string; res: ResourceObject }> = [];

  plannedOf(d: KindDescriptor): ResourceObject[] {
    return this.planned.filter((p) => p.kind === d.kind).map((p) => p.res);
  }

  private add(w: PlannedWrite): void {
    if (this.byKey.has(w.key))
      throw new InputError(
        `${w.descriptor.kind}(${w.namespace ? `${w.namespace}/` : ''}${w.name}) appears more than once; an --atomic transaction can write each resource once`,
        { code: 'AtomicDuplicate', hint: 'remove the duplicate document' },
      );
    this.bytes += Buffer.byteLength(w.key) + (w.txnOp.type === 'put' ? Buffer.byteLength(w.txnOp.value) : 0);
    this.writes.push(w);
    this.byKey.set(w.key, w);
  }

  async create(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject> {
    const { name = '', namespace } = res.metadata;
    const ns = d.namespaced ? namespace : undefined;
    const key = this.store.key(d, res);
    if (this.willExist(key) || (await this.ds.get(key))) throw alreadyExistsError(d.kind, name, ns);
    const toStore = this.store.prepareCreate(res);
    this.add({
      key,
      descriptor: d,
      name,
      namespace: ns,
      op: 'create',
      compare: { key, target: 'version', op: '==', value: 0 },
      txnOp: { type: 'put', key, value: encodeForStorage(d, toStore) },
    });
    this.planned.push({ kind: d.kind, res });
    return toStore;
  }

  async update(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject> {
    const { name = '', namespace } = res.metadata;
    const rev = this.store.updateRevision(res);
    const key = this.store.key(d, res);
    this.add({
      key,
      descriptor: d,
      name,
      namespace: d.namespaced ? namespace : undefined,
      op: 'update',
      compare: { key, target: 'modRevision', op: '==', value: rev },
      txnOp: { type: 'put', key, value: encodeForStorage(d, res) },
    });
    return res;
  }

  async delete(d: KindDescriptor, name: string, namespace?: string, resourceVersion?: string): Promise<void> {
    const ns = d.namespaced ? namespace : undefined;
    const current = await this.store.get(d, name, ns);
    const rev = this.store.revisionOf(resourceVersion) ?? Number(current.metadata.resourceVersion);
    if (String(rev) !== current.metadata.resourceVersion) throw conflictError(d.kind, name, ns);
    const key = this.store.key(d, current);
    this.add({
      key,
      descriptor: d,
      name,
      namespace: ns,
      op: 'delete',
      compare: { key, target: 'modRevision', op: '==', value: rev },
      txnOp: { type: 'delete', key },
    });
  }

  /** Refuses a plan etcd would reject, before anything is sent. */
  checkLimits(): void {
    if (this.writes.length > MAX_ATOMIC_OPS)
      throw tooManyForAtomic(this.writes.length, 'this transaction (including datastore initialisation)');
    if (this.bytes > MAX_ATOMIC_BYTES)
      throw new InputError(
        `--atomic transaction would be ${this.bytes} bytes; etcd accepts at most 1.5 MiB per request by default (--max-request-bytes)`,
        { code: 'AtomicTooLarge', hint: 'split the file into smaller files, or drop --atomic' },
      );
  }

  async commit(): Promise<CommitOutcome> {
    if (this.writes.length === 0) return { ok: true, revision: await this.ds.currentRevision() };
    const resp = await this.ds.txn({
      compare: this.writes.map((w) => w.compare),
      success: this.writes.map((w) => w.txnOp),
    });
    if (resp.succeeded) return { ok: true, revision: resp.revision };
    // Someone wrote in between: find which guards failed so each resource gets its own error.
    const failures = new Map<string, CalicoError>();
    for (const w of this.writes) {
      const kv = await this.ds.get(w.key);
      if (w.op === 'create') {
        if (kv) failures.set(w.key, alreadyExistsError(w.descriptor.kind, w.name, w.namespace));
      } else if (!kv) {
        failures.set(w.key, notFoundError(w.descriptor.kind, w.name, w.namespace));
      } else if (kv.modRevision !== w.compare.value) {
        failures.set(w.key, conflictError(w.descriptor.kind, w.name, w.namespace));
      }
    }
    return { ok: false, failures };
  }
}
