/**
 * The one engine behind create, apply, replace, delete and validate (calicoctl's
 * ExecuteConfigCommand + resourcemgr + clientv3): namespace rules, metadata merging, validation,
 * compare-and-swap writes with bounded retries, and a typed result per resource.
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomBytes } from 'node:crypto';

import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import { LOST_COMPARE, retryLostCompares } from '../datastore/cas.js';
import { initialisedClusterType } from '../datastore/cluster-type.js';
import type { Datastore } from '../datastore/contract.js';
import {
  isCalicoError,
  OperationError,
  RefusedError,
  type CalicoError,
  InputError,
  UnreachableError,
} from '../errors.js';
import { decodeResource, DecodeError } from '../resources/decode.js';
import { kindDescriptor, resourceKey, type KindDescriptor } from '../resources/registry.js';
import {
  alreadyExistsError,
  conflictError,
  encodeForStorage,
  notFoundError,
  ResourceStore,
} from '../resources/store.js';
import {
  validationMessage,
  API_VERSION,
  resourceId,
  type ResourceObject,
  type ErroredField,
} from '../resources/types.js';
import { validateMetadata } from '../resources/validate.js';
import { AtomicPlan, MAX_ATOMIC_OPS, tooManyForAtomic } from './atomic.js';
import { hooksFor } from './kinds/hooks.js';
import { mergePatch } from './merge-patch.js';

export type Verb = 'create' | 'apply' | 'replace' | 'delete' | 'validate' | 'patch' | 'label';
export type FileVerb = 'create' | 'apply' | 'replace' | 'delete';
export type Outcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'deleted'
  | 'skipped'
  | 'validated'
  | 'failed'
  /** --atomic: this resource was fine, but nothing was written because another one failed. */
  | 'aborted';

/** A label change as calicoctl's `label` command makes it. */
export type LabelChange = { key: string; value: string; overwrite: boolean } | { key: string; remove: true };

/** What `label` did, for calicoctl's message. */
export type LabelAction = 'set' | 'updated' | 'removed';

export interface ResourceResult {
  kind: string;
  name: string;
  namespace?: string;
  outcome: Outcome;
  /** The resource version after the write (or of the stored object for unchanged/skipped). */
  resourceVersion?: string;
  error?: CalicoError;
  /** With --dry-run: the stored and the new value as Go JSON (undefined when absent). */
  before?: string;
  after?: string;
  /** The file and document the resource came from, when it came from -f. */
  source?: { file: string; document: number };
  /** label only: what was done, to which key, of the resource as named on the command line. */
  label?: { action: LabelAction; key: string; target: string };
}

export interface EngineItem {
  resource: ResourceObject;
  descriptor: KindDescriptor;
  /** Where the resource came from (-f), for the hint of a failure. */
  file?: string;
  document?: number;
}

export interface EngineOptions {
  namespace?: string;
  allNamespaces?: boolean;
  skipExists?: boolean;
  skipNotExists?: boolean;
  dryRun?: boolean;
  /** Write everything in one transaction, or nothing. */
  atomic?: boolean;
}

/** Where the engine's writes go: straight to the store, or into one --atomic transaction. */
interface Writer {
  create(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject>;
  update(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject>;
  delete(d: KindDescriptor, name: string, namespace?: string, resourceVersion?: string): Promise<unknown>;
}

function validationError(fields: ErroredField[]): InputError {
  const details = fields.flatMap((f) => (f.detail ? [f.detail] : []));
  return new InputError(validationMessage(fields), {
    code: 'ValidationFailed',
    hint:
      details.length > 0 ? details.join('; ') : 'fix the named field; see docs/resources.md for the rules',
  });
}

/** calicoctl handleNamespace. */
export function applyNamespace(d: KindDescriptor, res: ResourceObject, opts: EngineOptions): void {
  const cliNs = opts.namespace ?? '';
  const resNs = res.metadata.namespace ?? '';
  if (d.namespaced) {
    if (opts.allNamespaces && cliNs)
      throw new InputError('cannot use both --namespace and --all-namespaces flags at the same time');
    if (!resNs && cliNs) res.metadata.namespace = cliNs;
    else if (resNs && opts.allNamespaces) res.metadata.namespace = '';
    else if (!resNs && !cliNs && !opts.allNamespaces) res.metadata.namespace = 'default';
    else if (resNs && cliNs && resNs !== cliNs)
      throw new InputError(`resource namespace does not match client namespace. ${resNs} != ${cliNs}`);
  } else if (resNs) {
    throw new InputError(
      `namespace should not be specified for a non-namespaced resource. ${d.kind} is not a namespaced resource`,
    );
  } else if (opts.allNamespaces || cliNs) {
    throw new InputError(`${d.kind} is not namespaced`, { hint: `drop -n/-A for ${d.kind}` });
  }
}

function refused(op: string, d: KindDescriptor, reason?: string): RefusedError {
  return new RefusedError(`operation ${op} is not supported on ${d.kind}${reason ? `: ${reason}` : ''}`, {
    code: 'OperationNotSupported',
    hint: `${d.kind} is managed by Calico itself`,
  });
}

/** Per-object refusals (the kind's refuseObject). */
function checkObjectAllowed(
  d: KindDescriptor,
  res: ResourceObject,
  op: 'create' | 'update' | 'delete',
): void {
  const r = d.refuseObject?.(res, op);
  if (r)
    throw new RefusedError(
      `operation ${r.operation} is not supported on ${resourceId(d.kind, res.metadata.name, d.namespaced ? res.metadata.namespace : undefined)}: ${r.reason}`,
      { code: 'OperationNotSupported', hint: r.hint },
    );
}

/** prepareMetadataForCreate: keep only name, namespace, resourceVersion, labels, annotations. */
function createMetadata(res: ResourceObject): ResourceObject {
  const m = res.metadata;
  return {
    ...res,
    metadata: {
      name: m.name,
      namespace: m.namespace || undefined,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      annotations: m.annotations,
    },
  };
}

/** mergeMetadataForUpdate: everything from the stored object except labels and annotations. */
function mergeForUpdate(stored: ResourceObject, input: ResourceObject): ResourceObject {
  return {
    ...input,
    metadata: { ...stored.metadata, labels: input.metadata.labels, annotations: input.metadata.annotations },
  };
}

/** The checks clientv3 runs before storing: the kind's checks against the store, then its fields. */
async function validateForWrite(
  store: ResourceStore,
  d: KindDescriptor,
  res: ResourceObject,
  old: ResourceObject | undefined,
  planned: readonly ResourceObject[] = [],
): Promise<void> {
  d.writeDefaults?.(res);
  const storeErrs = (await d.validateWithStore?.(store, res, old, planned)) ?? [];
  if (storeErrs.length > 0) throw validationError(storeErrs);
  const errs = [...validateMetadata(res, d.nameRule), ...(d.validate?.(res) ?? [])];
  if (errs.length > 0) throw validationError(errs);
  if (!old) await hooksFor(d).checkCreate?.(store, res);
}

/** Offline validation (`validate -f`): no datastore, so no overlap or immutability checks. */
export function validateOffline(d: KindDescriptor, res: ResourceObject): void {
  const copy = structuredClone(res);
  d.writeDefaults?.(copy);
  const errs = [...validateMetadata(copy, d.nameRule), ...(d.validate?.(copy) ?? [])];
  if (errs.length > 0) throw validationError(errs);
}

export class ApplyEngine {
  readonly store: ResourceStore;
  /** The --atomic plan being built, if any. */
  private plan: AtomicPlan | undefined;
  /**
   * create/apply/replace initialise the datastore (EnsureInitialized) before their first write;
   * it is deferred until a resource has passed validation, so bad input writes nothing at all.
   */
  private initPending = false;

  constructor(
    readonly ds: Datastore,
    private readonly opts: EngineOptions = {},
  ) {
    this.store = new ResourceStore(ds);
  }

  private get writer(): Writer {
    return this.plan ?? this.store;
  }

  async run(verb: FileVerb, items: readonly EngineItem[]): Promise<ResourceResult[]> {
    if (this.opts.atomic) return this.runAtomic(verb, items);
    this.initPending = verb !== 'delete' && !this.opts.dryRun;
    return this.each(verb, items);
  }

  /**
   * Handles the items in order. Once the datastore is unreachable every further item would wait out
   * its own --timeout and fail the same way, so the rest are not attempted (outcome `aborted`).
   */
  private async each(verb: FileVerb, items: readonly EngineItem[]): Promise<ResourceResult[]> {
    const results: ResourceResult[] = [];
    for (const item of items) {
      const result = await this.one(verb, item);
      results.push(result);
      if (result.error instanceof UnreachableError) {
        for (const rest of items.slice(results.length))
          results.push(resultOf(rest.descriptor, rest.resource, rest, 'aborted'));
        break;
      }
    }
    return results;
  }

  /**
   * Plans every write (reading and validating as usual), then commits them in one transaction.
   * If any resource fails, or a guard no longer holds at commit time, nothing is written.
   */
  private async runAtomic(verb: FileVerb, items: readonly EngineItem[]): Promise<ResourceResult[]> {
    if (items.length > MAX_ATOMIC_OPS) throw tooManyForAtomic(items.length, 'the input');
    const plan = new AtomicPlan(this.store);
    this.plan = plan;
    try {
      // Planned, so it is committed together with the resources or not at all.
      if (verb !== 'delete' && !this.opts.dryRun)
        await ensureInitialized(this.store, (d, res) => plan.create(d, res));
      const results = await this.each(verb, items);
      if (results.some((r) => r.outcome === 'failed')) return abortRest(results);
      plan.checkLimits();
      if (this.opts.dryRun) return results;
      const committed = await plan.commit();
      if (committed.ok) {
        for (const r of results)
          if (r.outcome === 'created' || r.outcome === 'updated')
            r.resourceVersion = String(committed.revision);
        return results;
      }
      for (const r of results) {
        const d = kindDescriptor(r.kind);
        const err = d && committed.failures.get(resourceKey(d, r.name, r.namespace));
        if (err) Object.assign(r, { outcome: 'failed', error: err });
      }
      if (!results.some((r) => r.outcome === 'failed'))
        results[0] = {
          ...results[0]!,
          outcome: 'failed',
          error: new OperationError('datastore initialisation conflicted with another writer', {
            code: 'UpdateConflict',
            hint: 'run the command again',
          }),
        };
      return abortRest(results);
    } finally {
      this.plan = undefined;
    }
  }

  private async initOnce(): Promise<void> {
    if (!this.initPending) return;
    this.initPending = false;
    await ensureInitialized(this.store);
  }

  private async one(verb: FileVerb, item: EngineItem): Promise<ResourceResult> {
    const d = item.descriptor;
    const res = structuredClone(item.resource);
    // After applyNamespace, which may fill in the namespace.
    const base = () => resultOf(d, res, item);
    try {
      applyNamespace(d, res, this.opts);
      switch (verb) {
        case 'create':
          return { ...base(), ...(await this.create(d, res)) };
        case 'apply':
          return { ...base(), ...(await this.apply(d, res)) };
        case 'replace':
          return { ...base(), ...(await this.update(d, res)) };
        case 'delete':
          return { ...base(), ...(await this.delete(d, res)) };
      }
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      if (err.code === 'ResourceExists' && this.opts.skipExists) return { ...base(), outcome: 'skipped' };
      if (err.code === 'ResourceNotFound' && this.opts.skipNotExists)
        return { ...base(), outcome: 'skipped' };
      return { ...base(), error: err };
    }
  }

  private async create(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.create) throw refused(d.refuse.create, d);
    checkObjectAllowed(d, input, 'create');
    const res = createMetadata(input);
    await validateForWrite(this.store, d, res, undefined, this.plan?.plannedOf(d));
    await this.initOnce();
    const required = d.createNeeds?.(res);
    if (required) await this.requireExisting(required.kind, required.name);
    if (this.opts.dryRun) {
      const existing = await this.tryGet(d, res);
      if (existing) throw alreadyExistsError(d.kind, res.metadata.name, res.metadata.namespace);
      return {
        outcome: 'created',
        after: encodeForStorage(d, {
          ...res,
          metadata: { ...res.metadata, uid: '<new>', creationTimestamp: '<now>' },
        }),
      };
    }
    const out = await this.writer.create(d, res);
    return { outcome: 'created', resourceVersion: out.metadata.resourceVersion };
  }

  /** The object a create needs must exist (or be created earlier in the same --atomic plan). */
  private async requireExisting(kind: string, name: string): Promise<void> {
    const key = resourceKey(kindDescriptor(kind)!, name);
    if (this.plan?.willExist(key)) return;
    if (!(await this.ds.get(key))) throw notFoundError(kind, name);
  }

  private async apply(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.apply) throw refused(d.refuse.apply, d, 'resource is readonly');
    const rv = input.metadata.resourceVersion;
    try {
      return await this.create(d, { ...input, metadata: { ...input.metadata, resourceVersion: undefined } });
    } catch (err) {
      const fallBack =
        isCalicoError(err) && (err.code === 'ResourceExists' || err.code === 'OperationNotSupported');
      if (!fallBack) throw err;
      return this.update(d, { ...input, metadata: { ...input.metadata, resourceVersion: rv } });
    }
  }

  private async tryGet(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject | undefined> {
    try {
      return await this.store.get(d, res.metadata.name ?? '', res.metadata.namespace);
    } catch (err) {
      if (isCalicoError(err) && err.code === 'ResourceNotFound') return undefined;
      throw err;
    }
  }

  private async update(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.update) throw refused(d.refuse.update, d);
    const rv = input.metadata.resourceVersion;
    return this.updateLoop(d, input, Boolean(rv), (stored) => {
      if (rv && rv !== stored.metadata.resourceVersion)
        throw conflictError(d.kind, input.metadata.name, d.namespaced ? input.metadata.namespace : undefined);
      return mergeForUpdate(stored, input);
    });
  }

  /**
   * Read, change, validate, compare-and-swap, by the one retry policy (src/datastore/cas.ts): a
   * lost compare reads again and retries, unless the caller pinned a resourceVersion. The round is
   * the engine's own rather than updateKey's: it reads through the store (virtual objects, corrupt
   * entries), validates against the store, and its write may go into an --atomic plan or, with
   * --dry-run, not be made at all.
   */
  private async updateLoop(
    d: KindDescriptor,
    target: ResourceObject,
    pinned: boolean,
    change: (stored: ResourceObject) => ResourceObject,
  ): Promise<Partial<ResourceResult>> {
    let lost: CalicoError | undefined;
    return retryLostCompares(
      async () => {
        const stored = await this.store.get(d, target.metadata.name ?? '', target.metadata.namespace);
        const res = change(stored);
        checkObjectAllowed(d, res, 'update');
        await validateForWrite(this.store, d, res, stored);
        if (this.opts.dryRun) {
          const before = encodeForStorage(d, stored);
          const after = encodeForStorage(d, res);
          return {
            outcome: before === after ? 'unchanged' : 'updated',
            before,
            after,
            resourceVersion: stored.metadata.resourceVersion,
          };
        }
        try {
          await this.initOnce();
          const out = await this.writer.update(d, res);
          return { outcome: 'updated', resourceVersion: out.metadata.resourceVersion };
        } catch (err) {
          // With a resourceVersion the user asked for exactly that revision: no retry.
          if (pinned || !isCalicoError(err) || err.code !== 'UpdateConflict') throw err;
          lost = err;
          return LOST_COMPARE;
        }
      },
      () => {
        throw lost;
      },
    );
  }

  private async delete(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.delete) throw refused(d.refuse.delete, d);
    checkObjectAllowed(d, input, 'delete');
    const name = input.metadata.name ?? '';
    const ns = d.namespaced ? input.metadata.namespace : undefined;
    const rv = input.metadata.resourceVersion || undefined;
    if (this.opts.dryRun) {
      const stored = await this.store.get(d, name, ns);
      if (rv && rv !== stored.metadata.resourceVersion) throw conflictError(d.kind, name, ns);
      return {
        outcome: 'deleted',
        before: encodeForStorage(d, stored),
        resourceVersion: stored.metadata.resourceVersion,
      };
    }
    const hooks = hooksFor(d);
    if (hooks.delete) {
      await hooks.delete(this.store, d, name, rv, this.plan !== undefined);
      return { outcome: 'deleted' };
    }
    await this.writer.delete(d, name, ns, rv);
    return { outcome: 'deleted' };
  }

  /** The one resource named on the command line, with calicoctl's namespace rules applied. */
  private target(d: KindDescriptor, name: string): ResourceObject {
    const res: ResourceObject = { kind: d.kind, apiVersion: API_VERSION, metadata: { name } };
    applyNamespace(d, res, this.opts);
    return res;
  }

  /**
   * calicoctl patch: merge the patch into the stored object, decode the result as strictly as a
   * file, validate, and compare-and-swap; a lost race re-reads and re-applies the patch.
   */
  async patch(d: KindDescriptor, name: string, patch: Record<string, unknown>): Promise<ResourceResult> {
    const target = this.target(d, name);
    try {
      const out = await this.updateLoop(d, target, false, (stored) => {
        const merged = mergePatch(parseGoJson(encodeGoJson(stored, d.schema)), patch);
        const patched = decodePatched(d, merged);
        for (const field of ['name', 'namespace'] as const)
          if ((patched.metadata[field] ?? '') !== (stored.metadata[field] ?? ''))
            throw new InputError(`a patch cannot change metadata.${field}`, {
              code: 'InvalidPatch',
              hint: 'patch changes fields of one resource; create a new resource to rename it',
            });
        return { ...patched, metadata: { ...patched.metadata, ...serverSet(stored) } };
      });
      return { ...resultOf(d, target), ...out };
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      const passThrough = ['ResourceNotFound', 'InvalidPatch', 'UnknownField', 'InvalidFieldType'];
      const wrapped = passThrough.includes(err.code) ? err : prefixError(err, 'updating existing resource: ');
      return { ...resultOf(d, target), error: wrapped };
    }
  }

  /** calicoctl label: set, overwrite or remove one label, then update (retried on a lost race). */
  async label(
    d: KindDescriptor,
    name: string,
    change: LabelChange,
    argText: string,
  ): Promise<ResourceResult> {
    const target = this.target(d, name);
    let action: LabelAction = 'set';
    const base = resultOf(d, target);
    let stage: 'get' | 'update' = 'get';
    try {
      const out = await this.updateLoop(d, target, false, (stored) => {
        stage = 'update';
        let labels: Record<string, string> = { ...stored.metadata.labels };
        const present = Object.hasOwn(labels, change.key);
        if ('remove' in change) {
          if (!present)
            throw new InputError(`cannot remove label of ${argText}, key ${change.key} does not exist`, {
              code: 'LabelNotFound',
            });
          labels = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== change.key));
          action = 'removed';
        } else if (present) {
          if (!change.overwrite && labels[change.key] !== change.value)
            throw new InputError(
              `failed to update label of ${argText}, key ${change.key} is already present. please use '--overwrite' to set a new value`,
              { code: 'LabelExists', hint: 'add --overwrite to replace the value' },
            );
          labels[change.key] = change.value;
          action = 'updated';
        } else {
          labels[change.key] = change.value;
          action = 'set';
        }
        return { ...stored, metadata: { ...stored.metadata, labels } };
      });
      return { ...base, ...out, label: { action, key: change.key, target: argText } };
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      return { ...base, error: labelError(err, stage, argText) };
    }
  }
}

/** Server-set metadata a patch cannot change (they come from the stored object). */
function serverSet(stored: ResourceObject): Partial<ResourceObject['metadata']> {
  const { uid, creationTimestamp, resourceVersion } = stored.metadata;
  return { uid, creationTimestamp, resourceVersion };
}

function decodePatched(d: KindDescriptor, merged: unknown): ResourceObject {
  try {
    const res = decodeResource(merged, d.schema) as unknown as ResourceObject;
    res.metadata ??= {};
    return res;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    if (err.unknownField !== undefined)
      throw new InputError(
        `field in document is not recognized or is in the wrong location: ${err.unknownField}`,
        {
          code: 'UnknownField',
          hint: `remove "${err.unknownField}" from the patch or move it to where the ${d.kind} schema expects it`,
        },
      );
    throw new InputError(
      `creating resource from patched data: error unmarshaling JSON: while decoding JSON: ${err.message}`,
      {
        code: 'InvalidFieldType',
        hint: 'give the field a value of the type shown',
      },
    );
  }
}

/** The same error (class, code, exit code) with another message and optionally another hint. */
function reword(err: CalicoError, message: string, hint = err.hint): CalicoError {
  return Object.assign(Object.create(Object.getPrototypeOf(err) as object) as CalicoError, err, {
    message,
    hint,
  });
}

/** calicoctl's context prefix, once. */
function prefixError(err: CalicoError, prefix: string): CalicoError {
  return err.message.startsWith(prefix) ? err : reword(err, prefix + err.message);
}

/** calicoctl label's wording: a missing resource, or an update that failed for any reason. */
function labelError(err: CalicoError, stage: 'get' | 'update', argText: string): CalicoError {
  if (err.code === 'LabelNotFound' || err.code === 'LabelExists') return err;
  if (stage === 'get') {
    if (err.code === 'ResourceNotFound') return reword(err, `${argText} not found`, err.message);
    return prefixError(err, `failed to get ${argText}, error `);
  }
  return reword(err, `failed to update ${argText}, label not changed`, err.message);
}

/** A resource's result: failed until something else is known. */
function resultOf(
  d: KindDescriptor,
  res: ResourceObject,
  from: Pick<EngineItem, 'file' | 'document'> = {},
  outcome: Outcome = 'failed',
): ResourceResult {
  return {
    kind: d.kind,
    name: res.metadata.name ?? '',
    ...(d.namespaced ? { namespace: res.metadata.namespace } : {}),
    outcome,
    ...(from.file ? { source: { file: from.file, document: from.document ?? 0 } } : {}),
  };
}

function abortRest(results: ResourceResult[]): ResourceResult[] {
  return results.map((r) =>
    r.outcome === 'failed' ? r : { ...r, outcome: 'aborted', resourceVersion: undefined },
  );
}

/**
 * clientv3 EnsureInitialized (v3.30+): ClusterInformation `default` with a fresh 32-hex GUID and
 * datastoreReady true, and the default tiers. On Kubernetes the cluster type gets `kdd` appended
 * (clientv3 ensureClusterInformation), on a new ClusterInformation and on an existing one without it.
 * Failures are ignored, as calicoctl does.
 */
export async function ensureInitialized(
  store: ResourceStore,
  create: (d: KindDescriptor, res: ResourceObject) => Promise<unknown> = (d, res) => store.create(d, res),
): Promise<void> {
  const make = (kind: string, name: string, spec: Record<string, unknown>): ResourceObject => ({
    kind,
    apiVersion: API_VERSION,
    metadata: { name },
    spec,
  });
  const clusterType = initialisedClusterType(store.ds.info, '');
  const wanted: ResourceObject[] = [
    make('ClusterInformation', 'default', {
      clusterGUID: randomBytes(16).toString('hex'),
      ...(clusterType !== undefined ? { clusterType } : {}),
      datastoreReady: true,
    }),
    make('Tier', 'default', { order: 1000000, defaultAction: 'Deny' }),
    make('Tier', 'kube-admin', { order: 1000, defaultAction: 'Pass' }),
    make('Tier', 'kube-baseline', { order: 10000000, defaultAction: 'Pass' }),
  ];
  for (const res of wanted) {
    const d = kindDescriptor(res.kind)!;
    try {
      const existing = await store.ds.get(store.key(d, res));
      if (existing && d.kind === 'ClusterInformation') await initialiseClusterType(store, d);
      if (existing) continue;
      await create(d, { ...res, metadata: { ...res.metadata, creationTimestamp: goTimestamp() } });
    } catch (err) {
      if (!(err instanceof OperationError) && !isCalicoError(err)) throw err;
    }
  }
}

/** EnsureInitialized's clusterType on an existing ClusterInformation default (`kdd` on Kubernetes). */
async function initialiseClusterType(store: ResourceStore, d: KindDescriptor): Promise<void> {
  const info = await store.get(d, 'default');
  const clusterType = initialisedClusterType(store.ds.info, info.spec?.clusterType);
  if (clusterType !== undefined) await store.update(d, { ...info, spec: { ...info.spec, clusterType } });
}
