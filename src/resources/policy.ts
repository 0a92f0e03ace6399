/**
 * What libcalico-go v3.30+ does to the four policy kinds (NetworkPolicy, GlobalNetworkPolicy and
 * their Staged variants) on the way in and out of etcd (calico.md §1.2):
 * - clientv3 defaulting (api/pkg/defaults/networkpolicy.go plus the CRD default of `tier`):
 *   `types` from the rules present, `spec.tier` "default", label `projectcalico.org/tier`;
 * - the etcdv3 backend stores the name as given in annotation `projectcalico.org/metadata`;
 * - reading removes that annotation and restores the name from it (or, for data written before
 *   v3.30, strips a leading "default." when the tier is the default one), and adds the tier label
 *   when it is missing (clientv3 defaultTierLabelIfMissing).
 */
import { quoteGoString } from '../codec/go-json.js';
import type { ResourceObject } from './types.js';

export const POLICY_METADATA_ANNOTATION = 'projectcalico.org/metadata';
export const TIER_LABEL = 'projectcalico.org/tier';
export const DEFAULT_TIER = 'default';

/** Kubernetes NetworkPolicies are stored under this name prefix in etcd mode. */
export const KNP_PREFIX = 'knp.default.';

export function defaultPolicy(res: ResourceObject): void {
  const spec = (res.spec ??= {});
  if (!Array.isArray(spec.types) || spec.types.length === 0) {
    const has = (rules: unknown) => Array.isArray(rules) && rules.length > 0;
    if (!has(spec.egress)) spec.types = ['Ingress'];
    else if (!has(spec.ingress)) spec.types = ['Egress'];
    else spec.types = ['Ingress', 'Egress'];
  }
  if (!spec.tier) spec.tier = DEFAULT_TIER;
  res.metadata.labels = { ...res.metadata.labels, [TIER_LABEL]: spec.tier as string };
}

/** etcdv3 storePolicyName: the annotation holds json.Marshal(map{"name": name}). */
export function withStoredPolicyName(res: ResourceObject): ResourceObject {
  const annotation = `{"name":${quoteGoString(res.metadata.name ?? '')}}`;
  return {
    ...res,
    metadata: {
      ...res.metadata,
      annotations: { ...res.metadata.annotations, [POLICY_METADATA_ANNOTATION]: annotation },
    },
  };
}

/** model.determinePolicyName plus clientv3's tier label default, applied to a stored policy. */
export function restorePolicyName(res: ResourceObject): void {
  const m = res.metadata;
  const stored = m.annotations?.[POLICY_METADATA_ANNOTATION];
  if (stored) {
    let meta: unknown;
    try {
      meta = JSON.parse(stored);
    } catch (err) {
      throw new Error(
        `CRD annotation "${POLICY_METADATA_ANNOTATION}" contained invalid JSON: ${(err as Error).message}`,
      );
    }
    const name = meta && typeof meta === 'object' ? (meta as { name?: unknown }).name : undefined;
    m.name = typeof name === 'string' ? name : '';
    const rest = Object.fromEntries(
      Object.entries(m.annotations ?? {}).filter(([k]) => k !== POLICY_METADATA_ANNOTATION),
    );
    m.annotations = Object.keys(rest).length > 0 ? rest : undefined;
  } else {
    const tier = res.spec?.tier;
    if ((tier === DEFAULT_TIER || !tier) && m.name?.startsWith('default.')) m.name = m.name.slice(8);
  }
  if (m.labels?.[TIER_LABEL] === undefined) m.labels = { ...m.labels, [TIER_LABEL]: DEFAULT_TIER };
}
