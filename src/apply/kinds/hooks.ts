/**
 * What the apply engine does for a kind beyond the generic rules, as hooks the engine calls without
 * naming a kind (docs/architecture.md, "One shape for each thing"). A kind whose writes need the
 * store or IPAM has a module here (they sit in apply/ because apply is the layer above ipam); the
 * facts that need neither (schema, columns, defaults, field validation) are in its descriptor.
 */
import type { ErroredField, ResourceObject } from '../../resources/types.js';
import type { ResourceStore } from '../../resources/store.js';
import type { KindDescriptor } from '../../resources/registry.js';
import { ippoolHooks } from './ippool.js';
import { nodeHooks } from './node.js';

export interface KindHooks {
  /**
   * Checks that need the store, run first and reported on their own (IPPool: overlap with other
   * pools, including those created earlier in the same --atomic transaction, immutable fields).
   */
  validateWithStore?(
    store: ResourceStore,
    d: KindDescriptor,
    res: ResourceObject,
    old: ResourceObject | undefined,
    planned: readonly ResourceObject[],
  ): Promise<ErroredField[]>;
  /** What validateWithStore checks that `validate -f` can check offline, after the metadata checks. */
  validateOffline?(res: ResourceObject): ErroredField[];
  /** A create's last check, after every field check passed (IPPool: blocks of another size). */
  checkCreate?(store: ResourceStore, res: ResourceObject): Promise<void>;
  /**
   * Deletes the object and what it owns, in place of the plain compare-and-swap delete (IPPool:
   * disable, release its block affinities, delete). inAtomicPlan: the delete was asked as part of
   * an --atomic transaction, which such a delete cannot be.
   */
  delete?(
    store: ResourceStore,
    d: KindDescriptor,
    name: string,
    resourceVersion: string | undefined,
    inAtomicPlan: boolean,
  ): Promise<void>;
}

const HOOKS: Record<string, KindHooks> = { IPPool: ippoolHooks, Node: nodeHooks };

export function hooksFor(d: KindDescriptor): KindHooks {
  return HOOKS[d.kind] ?? {};
}
