/**
 * The policy Rule and what it holds (api/pkg/apis/projectcalico/v3/policy_common.go), in Go
 * declaration order with Go's tags: the ingress and egress of the four policy kinds and of Profile.
 */
import { S } from '../../codec/go-json.js';
import { f, fz, named, numOrString, str, struct } from '../schemas.js';

const icmpFields = struct(
  'ICMPFields',
  [f('type', S.int({ pointer: true })), f('code', S.int({ pointer: true }))],
  true,
);

const ports = named(S.slice(numOrString('port')), '[]numorstring.Port');

const entityRule = struct('EntityRule', [
  f('nets', S.slice(S.string())),
  f('selector', S.string()),
  f('namespaceSelector', S.string()),
  f('services', struct('ServiceMatch', [f('name', S.string()), f('namespace', S.string())], true)),
  f('ports', ports),
  f('notNets', S.slice(S.string())),
  f('notSelector', S.string()),
  f('notPorts', ports),
  f(
    'serviceAccounts',
    struct('ServiceAccountMatch', [f('names', S.slice(S.string())), f('selector', S.string())], true),
  ),
]);

const httpMatch = struct(
  'HTTPMatch',
  [
    f('methods', S.slice(S.string())),
    f(
      'paths',
      named(S.slice(struct('HTTPPath', [f('exact', S.string()), f('prefix', S.string())])), '[]v3.HTTPPath'),
    ),
  ],
  true,
);

export const rule = struct('Rule', [
  f('action', str('v3.Action'), false),
  f('ipVersion', S.int({ pointer: true })),
  f('protocol', numOrString('protocol', true)),
  f('icmp', icmpFields),
  f('notProtocol', numOrString('protocol', true)),
  f('notICMP', icmpFields),
  fz('source', entityRule),
  fz('destination', entityRule),
  f('http', httpMatch),
  f('metadata', struct('RuleMetadata', [f('annotations', S.map(S.string()))], true)),
]);

/** []v3.Rule, the ingress or egress of a policy or a profile. */
export const rules = named(S.slice(rule), '[]v3.Rule');
