/**
 * What a kind's writes do to IPAM, as hooks the apply engine calls without naming a kind
 * (docs/architecture.md, "One shape for each thing"). They are here, not in the kind's module in
 * src/resources/kinds/, because IPAM sits above resources and below apply: resources never import
 * ipam. Everything else about a kind, checks against the store included, is in its module.
 */
import type { ResourceObject } from '../../resources/types.js';
import type { ResourceStore } from '../../resources/store.js';
import type { KindDescriptor } from '../../resources/registry.js';
import { ippoolHooks } from './ippool.js';
import { nodeHooks } from './node.js';

export interface KindHooks {
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
