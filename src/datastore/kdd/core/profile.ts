/**
 * Calico Profiles from Namespaces and ServiceAccounts (libcalico-go v3.32.1 k8s/resources/profile.go,
 * k8s/conversion/conversion.go NamespaceToProfile, ServiceAccountToProfile; kdd.md §5.3): `kns.<ns>`
 * for every Namespace (its labels as `pcns.` labels to apply, allow-all rules) and `ksa.<ns>.<sa>` for
 * every ServiceAccount (its labels as `pcsa.` labels to apply, no rules), each as the etcd value
 * Calico's etcd backend would hold for that Profile. They are read-only: create, update and delete
 * are refused as Calico refuses them.
 *
 * Differences from calicoctl on a Kubernetes datastore, so that output equals the etcd output for the
 * same data: the virtual `projectcalico-default-allow` comes from the resource layer, last (calicoctl
 * lists it first on Kubernetes), and the resourceVersion shown is the Namespace's or ServiceAccount's
 * own (calicoctl shows `<nsRV>/` and `/<saRV>`; revisions in this tool's contract are numbers).
 */
import { compareGoStrings, encodeGoJson } from '../../../codec/go-json.js';
import { profile } from '../../../resources/kinds/profile.js';
import { PROFILE_PREFIX } from '../../../resources/well-known-keys.js';
import type { KddMapping, KubeObject, ObjectLocation, PresentedValue } from '../mapping.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from './collections.js';
import { convertUID } from '../metadata.js';

const profileSchema = profile.schema;

/** labelsToApply: the object's labels under prefix, plus `<prefix>projectcalico.org/name`, in Go's map order. */
function labelsToApply(prefix: string, obj: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) labels[prefix + k] = v;
  labels[`${prefix}projectcalico.org/name`] = obj.metadata.name ?? '';
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compareGoStrings(a, b)));
}

function profileValue(name: string, obj: KubeObject, spec: Record<string, unknown>): string {
  return encodeGoJson(
    {
      kind: 'Profile',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name,
        uid: convertUID(obj.metadata.uid ?? ''),
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec,
    },
    profileSchema,
  );
}

/** NamespaceToProfile. */
export function presentNamespace(ns: KubeObject): PresentedValue {
  const name = `kns.${ns.metadata.name ?? ''}`;
  const value = profileValue(name, ns, {
    ingress: [{ action: 'Allow' }],
    egress: [{ action: 'Allow' }],
    labelsToApply: labelsToApply('pcns.', ns),
  });
  return { key: PROFILE_PREFIX + name, value };
}

/** ServiceAccountToProfile. */
export function presentServiceAccount(sa: KubeObject): PresentedValue {
  const name = `ksa.${sa.metadata.namespace || 'default'}.${sa.metadata.name ?? ''}`;
  return {
    key: PROFILE_PREFIX + name,
    value: profileValue(name, sa, { labelsToApply: labelsToApply('pcsa.', sa) }),
  };
}

/** The Namespace or ServiceAccount a profile key names (`kns.<ns>`, `ksa.<ns>.<sa>`), else undefined. */
function locateProfile(key: string): ObjectLocation | undefined {
  if (!key.startsWith(PROFILE_PREFIX)) return undefined;
  const name = key.slice(PROFILE_PREFIX.length);
  if (name.includes('/')) return undefined;
  if (name.startsWith('kns.') && name.length > 4) return { collection: NAMESPACES, name: name.slice(4) };
  // ProfileNameToServiceAccount: strings.SplitN(name, ".", 3).
  const [prefix, namespace, ...rest] = name.split('.');
  const sa = rest.join('.');
  if (prefix !== 'ksa' || !namespace || rest.length === 0 || sa === '') return undefined;
  return { collection: SERVICE_ACCOUNTS, name: sa, namespace };
}

export const profileMapping: KddMapping = {
  kind: 'Profile',
  prefix: PROFILE_PREFIX,
  // `kns.` keys sort before `ksa.` ones; within each, the apiserver's (namespace/)name order is the
  // key order: the key's '.' after the namespace sorts against [a-z0-9-] as the apiserver's '/' does.
  collections: [NAMESPACES, SERVICE_ACCOUNTS],
  listOrder: 'key',
  locate: locateProfile,
  present: (obj, collection) =>
    collection.plural === NAMESPACES.plural ? presentNamespace(obj) : presentServiceAccount(obj),
  toObject(key) {
    throw new Error(`operation Update is not supported on Profile(${key.slice(PROFILE_PREFIX.length)})`);
  },
  unsupported: { Create: true, Update: true, Delete: true },
  deletion: 'plain',
};
