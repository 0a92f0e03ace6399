/**
 * StagedKubernetesNetworkPolicy (api/pkg/apis/projectcalico/v3/stagedkubernetesnetworkpolicy.go):
 * a StagedAction over Kubernetes' networking/v1 NetworkPolicySpec types (k8s.io/api
 * networking/v1/types.go, apimachinery meta/v1 LabelSelector), in their Go layout.
 */
import { S } from '../../codec/go-json.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, named, numOrString, resource, str, struct } from '../schemas.js';

function labelSelector(pointer: boolean): ReturnType<typeof struct> {
  const requirement = struct('LabelSelectorRequirement', [
    f('key', S.string(), false),
    f('operator', str('v1.LabelSelectorOperator'), false),
    f('values', S.slice(S.string())),
  ]);
  return struct(
    'LabelSelector',
    [
      f('matchLabels', S.map(S.string())),
      f('matchExpressions', named(S.slice(requirement), '[]v1.LabelSelectorRequirement')),
    ],
    pointer,
  );
}

const ports = named(
  S.slice(
    struct('NetworkPolicyPort', [
      f('protocol', str('*v1.Protocol', true)),
      f('port', numOrString('intOrString', true)),
      f('endPort', named(S.int({ pointer: true }), '*int32')),
    ]),
  ),
  '[]v1.NetworkPolicyPort',
);

const peers = named(
  S.slice(
    struct('NetworkPolicyPeer', [
      f('podSelector', labelSelector(true)),
      f('namespaceSelector', labelSelector(true)),
      f('ipBlock', struct('IPBlock', [f('cidr', S.string(), false), f('except', S.slice(S.string()))], true)),
    ]),
  ),
  '[]v1.NetworkPolicyPeer',
);

const sknpSpec = struct('StagedKubernetesNetworkPolicySpec', [
  f('stagedAction', str('v3.StagedAction')),
  f('podSelector', labelSelector(false), false),
  f(
    'ingress',
    named(
      S.slice(struct('NetworkPolicyIngressRule', [f('ports', ports), f('from', peers)])),
      '[]v1.NetworkPolicyIngressRule',
    ),
  ),
  f(
    'egress',
    named(
      S.slice(struct('NetworkPolicyEgressRule', [f('ports', ports), f('to', peers)])),
      '[]v1.NetworkPolicyEgressRule',
    ),
  ),
  f('policyTypes', named(S.slice(str('v1.PolicyType')), '[]v1.PolicyType')),
]);

export const stagedkubernetesnetworkpolicy: KindDescriptor = {
  ...naming(
    'StagedKubernetesNetworkPolicy',
    'stagedkubernetesnetworkpolicies',
    ['stagedkubernetespolicy', 'sknp', 'stagedkubernetespolicies', 'skpol', 'skpols'],
    true,
  ),
  schema: resource('StagedKubernetesNetworkPolicy', sknpSpec),
  ps: [name],
  wide: [name, col('PODSELECTOR', spec('podSelector'))],
};
