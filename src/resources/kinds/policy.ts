/**
 * The four Calico policy kinds (NetworkPolicy, GlobalNetworkPolicy and their Staged variants): one
 * Go layout with variants (the rules are rule.ts's), the same columns and
 * checks, and what libcalico-go v3.30+ does to them on the way in and out of etcd (calico.md §1.2):
 * - clientv3 defaulting (api/pkg/defaults/networkpolicy.go plus the CRD default of `tier`):
 *   `types` from the rules present, `spec.tier` "default", label `projectcalico.org/tier`;
 * - the etcdv3 backend stores the name as given in annotation `projectcalico.org/metadata`;
 * - reading removes that annotation and restores the name from it (or, for data written before
 *   v3.30, strips a leading "default." when the tier is the default one), and adds the tier label
 *   when it is missing (clientv3 defaultTierLabelIfMissing).
 */
import { quoteGoString, S, type Schema } from '../../codec/go-json.js';
import { NAME_RE, selectorFailures, tagFailure } from '../field-rules.js';
import { col, floatCol, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, named, resource, str, struct } from '../schemas.js';
import { rules } from './rule.js';
import type { ErroredField, ResourceObject } from '../types.js';

export const POLICY_METADATA_ANNOTATION = 'projectcalico.org/metadata';
const TIER_LABEL = 'projectcalico.org/tier';
export const DEFAULT_TIER = 'default';

/** Kubernetes NetworkPolicies are stored under this name prefix in etcd mode. */
const KNP_PREFIX = 'knp.default.';

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

/**
 * Policy specs in Go order, strict down to the rules. `staged` adds StagedAction first; `global` adds
 * the GlobalNetworkPolicy fields.
 */
function policySpec(goName: string, opts: { staged?: boolean; global?: boolean }): Schema {
  return struct(goName, [
    ...(opts.staged ? [f('stagedAction', str('v3.StagedAction'))] : []),
    f('tier', S.string()),
    f('order', S.float({ pointer: true })),
    f('ingress', rules),
    f('egress', rules),
    f('selector', S.string()),
    f('types', named(S.slice(str('v3.PolicyType')), '[]v3.PolicyType')),
    ...(opts.global
      ? [f('doNotTrack', S.bool()), f('preDNAT', S.bool()), f('applyOnForward', S.bool())]
      : []),
    f('serviceAccountSelector', S.string()),
    ...(opts.global ? [f('namespaceSelector', S.string())] : []),
    f('performanceHints', named(S.slice(str('v3.PolicyPerformanceHint')), '[]v3.PolicyPerformanceHint')),
  ]);
}

type PolicyKind =
  | 'NetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'StagedNetworkPolicy'
  | 'StagedGlobalNetworkPolicy';

/** A policy kind: the modelled top level, the name annotation, the tier defaults. */
function policy(kind: PolicyKind, plural: string, shortNames: string[], namespaced = false): KindDescriptor {
  const staged = kind.startsWith('Staged');
  const global = kind.includes('Global');
  return {
    ...naming(kind, plural, shortNames, namespaced),
    schema: resource(kind, policySpec(`${kind}Spec`, { staged, global })),
    ps: [name, col('TIER', spec('tier'))],
    wide: [
      name,
      col('TIER', spec('tier')),
      floatCol('ORDER', spec('order')),
      col('SELECTOR', spec('selector')),
    ],
    writeDefaults: defaultPolicy,
    toStorage: withStoredPolicyName,
    readDefaults: restorePolicyName,
    createNeeds: (res) => ({ kind: 'Tier', name: String(res.spec?.tier ?? DEFAULT_TIER) }),
    validate: validatePolicy,
  };
}

export const globalnetworkpolicy = policy('GlobalNetworkPolicy', 'globalnetworkpolicies', ['gnp', 'gnps']);

export const networkpolicy: KindDescriptor = {
  ...policy('NetworkPolicy', 'networkpolicies', ['policy', 'np', 'policies', 'pol', 'pols'], true),
  refuseObject: (res, op) =>
    res.metadata.name?.startsWith(KNP_PREFIX)
      ? {
          operation: { create: 'create or apply', update: 'apply or replace', delete: 'delete' }[op],
          reason: 'kubernetes network policies must be managed through the kubernetes API',
          hint: `choose a name that does not start with "${KNP_PREFIX}"`,
        }
      : undefined,
};

export const stagedglobalnetworkpolicy = policy('StagedGlobalNetworkPolicy', 'stagedglobalnetworkpolicies', [
  'sgnp',
  'sgnps',
]);

export const stagednetworkpolicy = policy(
  'StagedNetworkPolicy',
  'stagednetworkpolicies',
  ['stagedpolicy', 'snp', 'stagedpolicies', 'spol', 'spols'],
  true,
);

const POLICY_TYPES = ['Ingress', 'Egress'];
const STAGED_ACTIONS = ['Set', 'Delete', 'Learn', 'Ignore'];

function ruleSelectors(rules: unknown): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const rule of Array.isArray(rules) ? rules : []) {
    for (const side of ['source', 'destination']) {
      const e = (rule as Record<string, unknown> | null)?.[side] as Record<string, unknown> | undefined;
      if (!e || typeof e !== 'object') continue;
      out.push(
        ['Selector', e.selector],
        ['NotSelector', e.notSelector],
        ['NamespaceSelector', e.namespaceSelector],
      );
      const sa = e.serviceAccounts as Record<string, unknown> | undefined;
      if (sa && typeof sa === 'object') out.push(['Selector', sa.selector]);
    }
  }
  return out;
}

export function validatePolicy(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  if (s.tier && !NAME_RE.test(s.tier as string)) errs.push(tagFailure('Tier', s.tier, 'name'));
  for (const t of (s.types as unknown[] | undefined) ?? [])
    if (!POLICY_TYPES.includes(t as string)) errs.push(tagFailure('Types[0]', t, 'policyType'));
  if (s.stagedAction && !STAGED_ACTIONS.includes(s.stagedAction as string))
    errs.push(tagFailure('StagedAction', s.stagedAction, 'stagedAction'));
  errs.push(
    ...selectorFailures([
      ['Selector', s.selector],
      ['ServiceAccountSelector', s.serviceAccountSelector],
      ['NamespaceSelector', s.namespaceSelector],
      ...ruleSelectors(s.ingress),
      ...ruleSelectors(s.egress),
    ]),
  );
  return errs;
}
