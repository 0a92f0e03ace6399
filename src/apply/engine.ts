/**
 * The one engine behind create, apply, replace, delete and validate (calicoctl's
 * ExecuteConfigCommand + resourcemgr + clientv3): namespace rules, metadata merging, validation,
 * compare-and-swap writes with bounded retries, and a typed result per resource.
 */
import { randomBytes } from 'node:crypto';

import type { Datastore } from '../datastore/contract.js';
import { isCalicoError, OperationError, RefusedError, type CalicoError, InputError } from '../errors.js';
import { kindDescriptor, type KindDescriptor } from '../resources/registry.js';
import {
  alreadyExistsError,
  conflictError,
  encodeForStorage,
  nowTimestamp,
  ResourceStore,
} from '../resources/store.js';
import {
  validationMessage,
  API_VERSION,
  type ResourceObject,
  type ErroredField,
} from '../resources/types.js';
import { validateIPPool, validateMetadata } from '../resources/validate.js';
import { deleteIPPool, checkBlockSizeConflict } from './ippool-delete.js';

export type Verb = 'create' | 'apply' | 'replace' | 'delete' | 'validate';
export type Outcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'skipped' | 'validated' | 'failed';

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
}

export interface EngineItem {
  resource: ResourceObject;
  descriptor: KindDescriptor;
}

export interface EngineOptions {
  namespace?: string;
  allNamespaces?: boolean;
  skipExists?: boolean;
  skipNotExists?: boolean;
  dryRun?: boolean;
  /** Pause between update retries (ms); calicoctl waits 1 s. */
  retryDelayMs?: number;
}

const UPDATE_ATTEMPTS = 5;

function validationError(fields: ErroredField[]): InputError {
  return new InputError(validationMessage(fields), {
    code: 'ValidationFailed',
    hint: 'fix the named field; see docs/resources.md for the rules',
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

/** The checks clientv3 runs before storing (needs the store for IPPool overlap/immutability). */
async function validateForWrite(
  store: ResourceStore,
  d: KindDescriptor,
  res: ResourceObject,
  old: ResourceObject | undefined,
): Promise<void> {
  if (d.kind === 'IPPool') {
    const others = old
      ? []
      : (await store.list(d)).items.map((p) => ({
          name: p.metadata.name ?? '',
          cidr: String(p.spec?.cidr ?? ''),
        }));
    const poolErrs = validateIPPool(res, old, others);
    if (poolErrs.length > 0) throw validationError(poolErrs);
  }
  const errs = [...validateMetadata(res), ...(d.validate?.(res) ?? [])];
  if (errs.length > 0) throw validationError(errs);
  if (d.kind === 'IPPool' && !old) await checkBlockSizeConflict(store.ds, res);
}

/** Offline validation (`validate -f`): no datastore, so no overlap or immutability checks. */
export function validateOffline(d: KindDescriptor, res: ResourceObject): void {
  const copy = structuredClone(res);
  const errs = [
    ...validateMetadata(copy),
    ...(d.kind === 'IPPool' ? validateIPPool(copy, undefined, []) : []),
    ...(d.validate?.(copy) ?? []),
  ];
  if (errs.length > 0) throw validationError(errs);
}

export class ApplyEngine {
  readonly store: ResourceStore;
  constructor(
    readonly ds: Datastore,
    private readonly opts: EngineOptions = {},
  ) {
    this.store = new ResourceStore(ds);
  }

  async run(verb: Exclude<Verb, 'validate'>, items: readonly EngineItem[]): Promise<ResourceResult[]> {
    if (verb !== 'delete' && !this.opts.dryRun) await ensureInitialized(this.store);
    const results: ResourceResult[] = [];
    for (const item of items) results.push(await this.one(verb, item));
    return results;
  }

  private async one(verb: Exclude<Verb, 'validate'>, item: EngineItem): Promise<ResourceResult> {
    const d = item.descriptor;
    const res = structuredClone(item.resource);
    const base = (): ResourceResult => ({
      kind: d.kind,
      name: res.metadata.name ?? '',
      ...(d.namespaced ? { namespace: res.metadata.namespace } : {}),
      outcome: 'failed',
    });
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
    const res = createMetadata(input);
    await validateForWrite(this.store, d, res, undefined);
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
    const out = await this.store.create(d, res);
    return { outcome: 'created', resourceVersion: out.metadata.resourceVersion };
  }

  private async apply(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.apply) throw refused(d.refuse.apply, d, 'resource is readonly');
    const rv = input.metadata.resourceVersion;
    try {
      return await this.create(d, { ...input, metadata: { ...input.metadata, resourceVersion: undefined } });
    } catch (err) {
      if (!isCalicoError(err) || err.code !== 'ResourceExists') throw err;
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
    for (let attempt = 1; ; attempt++) {
      const stored = await this.store.get(d, input.metadata.name ?? '', input.metadata.namespace);
      if (rv && rv !== stored.metadata.resourceVersion)
        throw conflictError(d.kind, input.metadata.name, d.namespaced ? input.metadata.namespace : undefined);
      const res = mergeForUpdate(stored, input);
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
        const out = await this.store.update(d, res);
        return { outcome: 'updated', resourceVersion: out.metadata.resourceVersion };
      } catch (err) {
        // With a resourceVersion the user asked for exactly that revision: no retry.
        if (rv || !isCalicoError(err) || err.code !== 'UpdateConflict' || attempt >= UPDATE_ATTEMPTS)
          throw err;
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 1000));
      }
    }
  }

  private async delete(d: KindDescriptor, input: ResourceObject): Promise<Partial<ResourceResult>> {
    if (d.refuse?.delete) throw refused(d.refuse.delete, d);
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
    if (d.kind === 'IPPool') {
      await deleteIPPool(this.store, d, name, rv);
      return { outcome: 'deleted' };
    }
    await this.store.delete(d, name, ns, rv);
    return { outcome: 'deleted' };
  }
}

/**
 * clientv3 EnsureInitialized (v3.30+): ClusterInformation `default` with a fresh 32-hex GUID and
 * datastoreReady true, and the default tiers. Failures are ignored, as calicoctl does.
 */
export async function ensureInitialized(store: ResourceStore): Promise<void> {
  const make = (kind: string, name: string, spec: Record<string, unknown>): ResourceObject => ({
    kind,
    apiVersion: API_VERSION,
    metadata: { name },
    spec,
  });
  const wanted: ResourceObject[] = [
    make('ClusterInformation', 'default', {
      clusterGUID: randomBytes(16).toString('hex'),
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
      if (existing) continue;
      await store.create(d, { ...res, metadata: { ...res.metadata, creationTimestamp: nowTimestamp() } });
    } catch (err) {
      if (!(err instanceof OperationError) && !isCalicoError(err)) throw err;
    }
  }
}
