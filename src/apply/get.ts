/**
 * The read side of the resource commands: get by names, by file, or list a kind, with calicoctl's
 * namespace rules, per-name errors collected, and --export stripping server-set fields.
 */
import type { Datastore } from '../datastore/contract.js';
import { InputError, isCalicoError, type CalicoError } from '../errors.js';
import type { KindDescriptor } from '../resources/registry.js';
import { ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';
import { applyNamespace } from './engine.js';

export type GetResult =
  | { type: 'item'; descriptor: KindDescriptor; resource: ResourceObject }
  | { type: 'list'; descriptor: KindDescriptor; items: ResourceObject[]; resourceVersion?: string };

export interface GetRequest {
  descriptor: KindDescriptor;
  /** Name to get; undefined or '' lists the kind. */
  name?: string;
  namespace?: string;
  resourceVersion?: string;
}

export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  export?: boolean;
}

export interface GetOutcome {
  objects: GetResult[];
  errors: CalicoError[];
}

/** Clears what the server sets; single objects also lose their namespace (as calicoctl --export). */
const SERVER_SET = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
  'selfLink',
  'managedFields',
]);

export function exportResource(res: ResourceObject, dropNamespace: boolean): ResourceObject {
  const metadata = Object.fromEntries(
    Object.entries(res.metadata).filter(([k]) => !SERVER_SET.has(k) && !(dropNamespace && k === 'namespace')),
  );
  return { ...res, metadata };
}

export async function getResources(
  ds: Datastore,
  requests: readonly GetRequest[],
  opts: GetOptions,
): Promise<GetOutcome> {
  const store = new ResourceStore(ds);
  const objects: GetResult[] = [];
  const errors: CalicoError[] = [];
  for (const req of requests) {
    const d = req.descriptor;
    const probe: ResourceObject = {
      kind: d.kind,
      apiVersion: '',
      metadata: { name: req.name, namespace: req.namespace, resourceVersion: req.resourceVersion },
    };
    try {
      applyNamespace(d, probe, opts);
      const ns = probe.metadata.namespace || undefined;
      if (req.name) {
        if (d.namespaced && !ns)
          throw new InputError('cannot use --all-namespace flag for getting a single resource');
        const res = await store.get(d, req.name, ns, req.resourceVersion);
        objects.push({
          type: 'item',
          descriptor: d,
          resource: opts.export ? exportResource(res, true) : res,
        });
      } else {
        const list = await store.list(d, ns, req.resourceVersion);
        objects.push({
          type: 'list',
          descriptor: d,
          items: opts.export ? list.items.map((r) => exportResource(r, false)) : list.items,
          ...(opts.export ? {} : { resourceVersion: String(list.revision) }),
        });
      }
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      errors.push(err);
    }
  }
  return { objects, errors };
}
