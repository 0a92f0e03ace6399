/**
 * The kinds calicoctl manages, one module each in src/resources/kinds/ (names, Go layout, columns,
 * defaults, validation), listed here in calicoctl's order; what a descriptor holds; and the lookups
 * and etcd keys every command uses (calicoctl's resourcemgr).
 */
import type { Schema } from '../codec/go-json.js';
import { InputError } from '../errors.js';
import type { NameRule } from './field-rules.js';
import type { Column } from './kind.js';
import { bgpconfiguration } from './kinds/bgpconfiguration.js';
import { bgpfilter } from './kinds/bgpfilter.js';
import { bgppeer } from './kinds/bgppeer.js';
import { clusterinformation } from './kinds/clusterinformation.js';
import { felixconfiguration } from './kinds/felixconfiguration.js';
import { hostendpoint } from './kinds/hostendpoint.js';
import { ipamconfiguration } from './kinds/ipamconfiguration.js';
import { ippool } from './kinds/ippool.js';
import { ipreservation } from './kinds/ipreservation.js';
import { kubecontrollersconfiguration } from './kinds/kubecontrollersconfiguration.js';
import { globalnetworkset, networkset } from './kinds/networkset.js';
import { node } from './kinds/node.js';
import { workloadendpoint } from './kinds/workloadendpoint.js';
import {
  globalnetworkpolicy,
  networkpolicy,
  stagedglobalnetworkpolicy,
  stagednetworkpolicy,
} from './kinds/policy.js';
import { profile } from './kinds/profile.js';
import { stagedkubernetesnetworkpolicy } from './kinds/stagedkubernetesnetworkpolicy.js';
import { tier } from './kinds/tier.js';
import type { ResourceStore } from './store.js';
import type { ErroredField, ResourceObject } from './types.js';
import { RESOURCES } from './well-known-keys.js';

export type { Column, TableContext } from './kind.js';

export interface RefusalText {
  operation: string;
  reason: string;
  hint: string;
}

/** One kind, as its module describes it; the engine, the store and the table printer read it. */
export interface KindDescriptor {
  kind: string;
  listKind: string;
  /** Lower-case plural path segment of the etcd key. */
  plural: string;
  /** Command-line names, lower case. */
  aliases: readonly string[];
  namespaced: boolean;
  schema: Schema;
  ps: readonly Column[];
  wide: readonly Column[];
  /** Operations refused, with calicoctl's operation text. */
  refuse?: { create?: string; update?: string; delete?: string; apply?: string };
  /** Defaults applied when the object is read (and persisted when written). */
  readDefaults?: (res: ResourceObject) => void;
  /** A rule for metadata.name checked before the one every kind has (Tier's DNS label). */
  nameRule?: NameRule;
  /** Field checks that need nothing but the object (also what `validate -f` checks offline). */
  validate?: (res: ResourceObject) => ErroredField[];
  /**
   * Checks that need the store, run before the field checks and reported on their own (IPPool:
   * overlap with the other pools, including those planned earlier in the same --atomic
   * transaction; fields that cannot change). `old` is the stored object on update.
   */
  validateWithStore?: (
    store: ResourceStore,
    res: ResourceObject,
    old: ResourceObject | undefined,
    planned: readonly ResourceObject[],
  ) => Promise<ErroredField[]>;
  /** clientv3 defaulting before every create and update (policies: types, tier, tier label). */
  writeDefaults?: (res: ResourceObject) => void;
  /** What the etcdv3 backend adds on every write (policies: the name annotation). */
  toStorage?: (res: ResourceObject) => ResourceObject;
  /** An object a create must find stored (policies: the Tier named in spec.tier, clientv3 policy Create). */
  createNeeds?: (res: ResourceObject) => { kind: string; name: string };
  /** Refuses an operation for this particular object: calicoctl's operation text and reason. */
  refuseObject?: (res: ResourceObject, op: 'create' | 'update' | 'delete') => RefusalText | undefined;
  /** Objects libcalico-go returns for this kind without storing them (get by name, and every list). */
  virtual?: readonly ResourceObject[];
  /** The order of a list when it is not the key order (Tiers: by spec.order). */
  sortList?: (items: ResourceObject[]) => void;
}

const descriptors: KindDescriptor[] = [
  ippool,
  ipreservation,
  ipamconfiguration,
  node,
  bgpconfiguration,
  bgppeer,
  clusterinformation,
  felixconfiguration,
  kubecontrollersconfiguration,
  tier,
  globalnetworkpolicy,
  networkpolicy,
  stagedglobalnetworkpolicy,
  stagednetworkpolicy,
  stagedkubernetesnetworkpolicy,
  globalnetworkset,
  networkset,
  hostendpoint,
  workloadendpoint,
  profile,
  bgpfilter,
];

const byAlias = new Map<string, KindDescriptor>();
const byKind = new Map<string, KindDescriptor>();
for (const d of descriptors) {
  byKind.set(d.kind, d);
  for (const a of d.aliases) byAlias.set(a, d);
}

/** The descriptor for a command-line kind name (case-insensitive alias). */
export function resolveKind(alias: string): KindDescriptor {
  const d = byAlias.get(alias.toLowerCase());
  if (!d)
    throw new InputError(`resource type '${alias}' is not supported`, {
      code: 'UnknownResourceType',
      hint: `valid resource types: ${descriptors.map((x) => x.aliases[0]).join(', ')}`,
    });
  return d;
}

/** The descriptor of an exact Kind (as in a manifest), or undefined. */
export function kindDescriptor(kind: string): KindDescriptor | undefined {
  return byKind.get(kind);
}

/** The descriptor of a `<Kind>List` kind, or undefined. */
export function listKindDescriptor(listKind: string): KindDescriptor | undefined {
  return listKind.endsWith('List') ? byKind.get(listKind.slice(0, -4)) : undefined;
}

/** Every name a kind can be given on the command line (for shell completion). */
export function allKindNames(): string[] {
  return descriptors.flatMap((d) => d.aliases);
}

// ---------------------------------------------------------------------------------------------
// etcd keys (calico.md §1.1)

export function resourceKey(d: KindDescriptor, name: string, namespace?: string): string {
  return d.namespaced
    ? `${RESOURCES}${d.plural}/${namespace ?? ''}/${name}`
    : `${RESOURCES}${d.plural}/${name}`;
}

/** The prefix to list a kind (optionally one namespace). */
export function resourcePrefix(d: KindDescriptor, namespace?: string): string {
  return d.namespaced && namespace ? `${RESOURCES}${d.plural}/${namespace}/` : `${RESOURCES}${d.plural}/`;
}

function unescapeName(s: string): string {
  return s.replaceAll('%2f', '/').replaceAll('%25', '%');
}

/** Parses a v3 key strictly as libcalico-go does; undefined when it is not one of d's keys. */
export function parseResourceKey(
  d: KindDescriptor,
  key: string,
): { name: string; namespace?: string } | undefined {
  const parts = key.split('/');
  if (parts[0] !== '' || parts[1] !== 'calico' || parts[2] !== 'resources' || parts[3] !== 'v3')
    return undefined;
  if (parts[4] !== 'projectcalico.org' || parts[5] !== d.plural) return undefined;
  if (d.namespaced && parts.length === 8) return { namespace: parts[6]!, name: unescapeName(parts[7]!) };
  if (!d.namespaced && parts.length === 7) return { name: unescapeName(parts[6]!) };
  return undefined;
}
