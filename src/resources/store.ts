/**
 * Calico v3 objects over the Datastore, as libcalico-go's etcdv3 backend and clientv3 store them
 * (calico.md §1.2): the value is the whole object in Go JSON without resourceVersion; the
 * resourceVersion read back is the key's mod revision; create/update/delete are compare-and-swap.
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomUUID } from 'node:crypto';

import { encodeGoJson } from '../codec/go-json.js';
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { ConflictError, InputError, OperationError } from '../errors.js';
import { parseResourceKey, resourceKey, resourcePrefix, type KindDescriptor } from './registry.js';
import { decodeStored } from './stored.js';
import { API_VERSION, resourceId, type ResourceObject } from './types.js';

export function notFoundError(kind: string, name: string | undefined, namespace?: string): OperationError {
  return new OperationError(
    `resource does not exist: ${resourceId(kind, name, namespace)} with error: <nil>`,
    {
      code: 'ResourceNotFound',
    },
  );
}

export function alreadyExistsError(
  kind: string,
  name: string | undefined,
  namespace?: string,
): OperationError {
  return new OperationError(
    `resource already exists: ${resourceId(kind, name, namespace)} with error: <nil>`,
    {
      code: 'ResourceExists',
      hint: 'use apply or replace to change an existing resource, or create --skip-exists',
    },
  );
}

export function conflictError(kind: string, name: string | undefined, namespace?: string): ConflictError {
  return new ConflictError(`update conflict: ${resourceId(kind, name, namespace)}`, {
    hint: 'the resource changed since it was read; get it again and reapply your change',
  });
}

export function encodeForStorage(d: KindDescriptor, res: ResourceObject): string {
  const stored: ResourceObject = {
    ...(d.toStorage ? d.toStorage(res) : res),
    kind: d.kind,
    apiVersion: API_VERSION,
  };
  stored.metadata = { ...stored.metadata, resourceVersion: undefined, selfLink: undefined };
  return encodeGoJson(stored, d.schema);
}

export function decodeFromStorage(d: KindDescriptor, kv: KeyValue): ResourceObject {
  return decodeStored(kv, d.readDefaults);
}

export interface ListResult {
  items: ResourceObject[];
  /** The store revision of the listing (List metadata.resourceVersion). */
  revision: number;
}

export class ResourceStore {
  constructor(readonly ds: Datastore) {}

  key(d: KindDescriptor, res: ResourceObject): string {
    return resourceKey(d, res.metadata.name ?? '', res.metadata.namespace);
  }

  revisionOf(rv: string | undefined): number | undefined {
    if (rv === undefined || rv === '') return undefined;
    if (!/^\d+$/.test(rv))
      throw new InputError(
        `error with field Metadata.ResourceVersion = '${rv}' (Reason: failed to validate Field: ResourceVersion because of Tag: resourceVersion )`,
        {
          code: 'ValidationFailed',
          hint: 'resourceVersion is the decimal etcd revision printed by get; remove it to use the latest',
        },
      );
    return Number(rv);
  }

  async get(
    d: KindDescriptor,
    name: string,
    namespace?: string,
    resourceVersion?: string,
  ): Promise<ResourceObject> {
    const virtual = d.virtual?.find((v) => v.metadata.name === name);
    if (virtual) return structuredClone(virtual);
    const key = resourceKey(d, name, namespace);
    const kv = await this.ds.get(key, { revision: this.revisionOf(resourceVersion) });
    if (!kv) throw notFoundError(d.kind, name, d.namespaced ? namespace : undefined);
    try {
      return decodeFromStorage(d, kv);
    } catch (err) {
      throw new OperationError(
        `failed to parse datastore entry key=${key}; value=${kv.value}: ${(err as Error).message}`,
        {
          code: 'CorruptEntry',
          hint: 'the stored value is not valid JSON for this kind; fix or delete the key',
        },
      );
    }
  }

  /** Lists a kind (one namespace, or all when namespace is undefined), skipping unparsable entries. */
  async list(d: KindDescriptor, namespace?: string, resourceVersion?: string): Promise<ListResult> {
    const stream = await this.ds.list(resourcePrefix(d, namespace), {
      revision: this.revisionOf(resourceVersion),
    });
    const items: ResourceObject[] = [];
    for await (const kv of stream) {
      const parsed = parseResourceKey(d, kv.key);
      if (!parsed) continue;
      try {
        items.push(decodeFromStorage(d, kv));
      } catch {
        // libcalico-go silently skips entries it cannot decode in a list.
      }
    }
    items.push(...(d.virtual ?? []).map((v) => structuredClone(v)));
    d.sortList?.(items);
    return { items, revision: stream.revision };
  }

  /** What clientv3 create stores: a fresh uid and creationTimestamp; no resourceVersion allowed. */
  prepareCreate(res: ResourceObject): ResourceObject {
    if (res.metadata.resourceVersion)
      throw new InputError(
        `error with field Metadata.ResourceVersion = '${res.metadata.resourceVersion}' (field must not be set for a Create request)`,
        { code: 'ValidationFailed', hint: 'remove metadata.resourceVersion, or use apply/replace' },
      );
    return {
      ...res,
      metadata: {
        ...res.metadata,
        uid: res.metadata.uid || randomUUID(),
        creationTimestamp: res.metadata.creationTimestamp || goTimestamp(),
      },
    };
  }

  /** The revision an update compares against; clientv3 requires the server-set metadata. */
  updateRevision(res: ResourceObject): number {
    const rev = this.revisionOf(res.metadata.resourceVersion);
    if (rev === undefined || !res.metadata.uid || !res.metadata.creationTimestamp)
      throw new InputError(
        `error with field Metadata.ResourceVersion (field must be set for an Update request)`,
        { code: 'ValidationFailed' },
      );
    return rev;
  }

  /** clientv3 create: fails if the key exists. */
  async create(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject> {
    const { name, namespace } = res.metadata;
    const toStore = this.prepareCreate(res);
    const outcome = await this.ds.create(this.key(d, res), encodeForStorage(d, toStore));
    if (!outcome.ok) throw alreadyExistsError(d.kind, name, d.namespaced ? namespace : undefined);
    toStore.metadata.resourceVersion = String(outcome.revision);
    return toStore;
  }

  /** clientv3 update: compare-and-swap on the given resourceVersion. */
  async update(d: KindDescriptor, res: ResourceObject): Promise<ResourceObject> {
    const { name, namespace } = res.metadata;
    const rev = this.updateRevision(res);
    const outcome = await this.ds.update(this.key(d, res), encodeForStorage(d, res), rev);
    if (!outcome.ok) {
      if (outcome.reason === 'missing')
        throw notFoundError(d.kind, name, d.namespaced ? namespace : undefined);
      throw conflictError(d.kind, name, d.namespaced ? namespace : undefined);
    }
    return { ...res, metadata: { ...res.metadata, resourceVersion: String(outcome.revision) } };
  }

  /** Deletes; compare-and-swap when resourceVersion is given. Returns the deleted object. */
  async delete(
    d: KindDescriptor,
    name: string,
    namespace?: string,
    resourceVersion?: string,
  ): Promise<ResourceObject> {
    const ns = d.namespaced ? namespace : undefined;
    const current = await this.get(d, name, ns);
    const rev = this.revisionOf(resourceVersion);
    const outcome = await this.ds.delete(resourceKey(d, name, ns), rev);
    if (!outcome.ok) {
      if (outcome.reason === 'missing') throw notFoundError(d.kind, name, ns);
      throw conflictError(d.kind, name, ns);
    }
    return current;
  }
}
