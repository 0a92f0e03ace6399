/**
 * The Calico kinds stored as custom resources of crd.projectcalico.org/v1 (kdd.md §3, §4), one
 * mapping each: the etcd key `/calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name>` is the CR
 * `<plural>.crd.projectcalico.org` of that name (and namespace); its etcd value is the v3 object as
 * Calico's etcd backend stores it (Go JSON in struct order, policies with their name annotation),
 * rebuilt from the CR's spec and the metadata conversion of metadata.ts.
 */
import { compareGoStrings, parseGoJson } from '../../codec/go-json.js';
import { prefixEnd } from '../contract.js';
import { InputError } from '../../errors.js';
import { restorePolicyName } from '../../resources/kinds/policy.js';
import {
  kindDescriptor,
  parseResourceKey,
  resourceKey,
  resourcePrefix,
  type KindDescriptor,
} from '../../resources/registry.js';
import { encodeForStorage } from '../../resources/store.js';
import { API_VERSION, type ResourceObject } from '../../resources/types.js';
import type { KddMapping, KubeCollection, KubeObject, ObjectLocation } from './mapping.js';
import {
  calicoMeta,
  CRD_API_VERSION,
  CRD_GROUP,
  customResourceMeta,
  METADATA_ANNOTATION,
  POLICY_KINDS,
} from './metadata.js';

/** kdd.md §4: the kinds calicoctl reads and writes as CRs (v1 mode), by v3 kind. */
const CRD_KINDS = [
  'IPPool',
  'IPReservation',
  'BGPConfiguration',
  'BGPPeer',
  'BGPFilter',
  'FelixConfiguration',
  'ClusterInformation',
  'GlobalNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'NetworkPolicy',
  'StagedNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
  'GlobalNetworkSet',
  'NetworkSet',
  'HostEndpoint',
  'Tier',
  'KubeControllersConfiguration',
  'IPAMConfiguration',
] as const;

/**
 * Kinds stored in a CRD of another name: the v3 IPAMConfiguration is the IPAM configuration's
 * IPAMConfig `default` (libcalico-go k8s/resources/ipam_config_v3.go), also presented at
 * /calico/ipam/v2/config (ipam.ts).
 */
const STORED_AS: Readonly<Record<string, { plural: string; kind: string }>> = {
  IPAMConfiguration: { plural: 'ipamconfigs', kind: 'IPAMConfig' },
};

/** The tier of a policy without one. */
const DEFAULT_TIER = 'default';
/** apiv3.DefaultTierOrder. */
const DEFAULT_TIER_ORDER = 1_000_000;

export function crdCollection(d: Pick<KindDescriptor, 'plural' | 'kind' | 'namespaced'>): KubeCollection {
  const stored = STORED_AS[d.kind] ?? { plural: d.plural, kind: d.kind };
  return { group: CRD_GROUP, version: 'v1', ...stored, namespaced: d.namespaced };
}

export function genericMappings(): KddMapping[] {
  return CRD_KINDS.map((kind) => genericMapping(kindDescriptor(kind)!));
}

function genericMapping(d: KindDescriptor): KddMapping {
  const collection = crdCollection(d);
  const prefix = resourcePrefix(d);
  return {
    kind: d.kind,
    prefix,
    collections: [collection],
    listOrder: 'key',
    deletion: 'plain',
    locate(key): ObjectLocation | undefined {
      const parsed = parseResourceKey(d, key);
      if (!parsed || parsed.name === '' || parsed.name.includes('/')) return undefined;
      return parsed.namespace !== undefined
        ? { collection, name: parsed.name, namespace: parsed.namespace }
        : { collection, name: parsed.name };
    },
    ...(d.namespaced
      ? { namespaceOf: (start: string, end: string) => rangeNamespace(prefix, start, end) }
      : {}),
    present(cr) {
      const res = calicoObject(d, cr);
      return {
        key: resourceKey(d, res.metadata.name ?? '', res.metadata.namespace),
        value: encodeForStorage(d, res),
      };
    },
    toObject(key, value) {
      return customResource(d, collection, key, value);
    },
  };
}

/** The v3 object a CR holds (ConvertK8sResourceToCalicoResource plus the kind's read conversion). */
export function calicoObject(d: KindDescriptor, cr: KubeObject): ResourceObject {
  const metadata = calicoMeta(cr);
  const res: ResourceObject = { kind: d.kind, apiVersion: API_VERSION, metadata };
  if (cr.spec !== undefined) res.spec = cr.spec as Record<string, unknown>;
  if (cr.status !== undefined) res.status = cr.status;
  if (POLICY_KINDS.has(d.kind) && !storedPolicyName(cr)) {
    // Data written before v3.30 named default-tier policies `default.<name>` (kdd.md §5.4).
    const tier = res.spec?.tier;
    if ((tier === DEFAULT_TIER || !tier) && metadata.name?.startsWith('default.'))
      metadata.name = metadata.name.slice(8);
  }
  if (d.kind === 'Tier') {
    const spec = (res.spec ??= {});
    spec.order ??= DEFAULT_TIER_ORDER;
    spec.defaultAction ??= 'Deny';
  }
  delete metadata.resourceVersion;
  return res;
}

function storedPolicyName(cr: KubeObject): boolean {
  const text = cr.metadata.annotations?.[METADATA_ANNOTATION];
  if (text === undefined) return false;
  try {
    const meta = JSON.parse(text) as { name?: unknown };
    return typeof meta.name === 'string' && meta.name !== '';
  } catch {
    return false;
  }
}

/** The CR to write for a v3 object stored as etcd would store it at key. */
export function customResource(
  d: KindDescriptor,
  collection: KubeCollection,
  key: string,
  value: string,
): KubeObject {
  let res: ResourceObject;
  try {
    res = parseGoJson(value) as unknown as ResourceObject;
    if (!res || typeof res !== 'object' || Array.isArray(res)) throw new Error('not a JSON object');
  } catch (err) {
    throw new InputError(`cannot store ${key} in Kubernetes: ${(err as Error).message}`, {
      code: 'InvalidValue',
    });
  }
  res.metadata ??= {};
  // The etcd backend's own annotation (the policy name) is not part of the object Calico writes.
  if (POLICY_KINDS.has(d.kind)) restorePolicyName(res);
  const parsed = parseResourceKey(d, key);
  const meta = { ...res.metadata, name: parsed?.name ?? res.metadata.name };
  if (parsed?.namespace !== undefined) meta.namespace = parsed.namespace;
  const cr: KubeObject = {
    apiVersion: CRD_API_VERSION,
    kind: collection.kind,
    metadata: customResourceMeta(d.kind, meta),
  };
  if (res.spec !== undefined) cr.spec = res.spec;
  if (res.status !== undefined) cr.status = res.status;
  return cr;
}

/** The namespace of a range within `<prefix><namespace>/`, or undefined. */
export function rangeNamespace(prefix: string, start: string, end: string): string | undefined {
  if (!start.startsWith(prefix) || end === '\0') return undefined;
  const slash = start.indexOf('/', prefix.length);
  if (slash <= prefix.length) return undefined;
  const namespace = start.slice(prefix.length, slash);
  return compareGoStrings(end, prefixEnd(`${prefix}${namespace}/`)) <= 0 ? namespace : undefined;
}
