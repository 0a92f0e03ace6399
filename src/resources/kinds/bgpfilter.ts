/** BGPFilter (api/pkg/apis/projectcalico/v3/bgpfilter.go): Go layout and columns. */
import { S } from '../../codec/go-json.js';
import { count, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { asNumber, f, named, resource, str, struct } from '../schemas.js';

const asPath = named(S.slice(asNumber()), '[]numorstring.ASNumber');

const operation = struct('BGPFilterOperation', [
  f(
    'addCommunity',
    struct('BGPFilterAddCommunity', [f('value', str('*v3.BGPCommunityValue', true), false)], true),
  ),
  f('prependASPath', struct('BGPFilterPrependASPath', [f('prefix', asPath, false)], true)),
  f(
    'setPriority',
    struct('BGPFilterSetPriority', [f('value', named(S.int({ pointer: true }), '*int'), false)], true),
  ),
]);

/** BGPFilterRuleV4 and BGPFilterRuleV6 differ only in their type names. */
function filterRule(version: 'V4' | 'V6'): ReturnType<typeof struct> {
  const prefixBound = named(S.int({ pointer: true }), '*int32');
  return struct(`BGPFilterRule${version}`, [
    f('cidr', S.string()),
    f(
      'prefixLength',
      struct(`BGPFilterPrefixLength${version}`, [f('min', prefixBound), f('max', prefixBound)], true),
    ),
    f('source', str('v3.BGPFilterMatchSource')),
    f('interface', S.string()),
    f('matchOperator', str('v3.BGPFilterMatchOperator')),
    f('peerType', str('v3.BGPFilterPeerType')),
    f(
      'communities',
      struct(
        'BGPFilterCommunityMatch',
        [f('values', named(S.slice(str('v3.BGPCommunityValue')), '[]v3.BGPCommunityValue'), false)],
        true,
      ),
    ),
    f('asPathPrefix', asPath),
    f('priority', named(S.int({ pointer: true }), '*int')),
    f('action', str('v3.BGPFilterAction'), false),
    f('operations', named(S.slice(operation), '[]v3.BGPFilterOperation')),
  ]);
}

const rulesV4 = named(S.slice(filterRule('V4')), '[]v3.BGPFilterRuleV4');
const rulesV6 = named(S.slice(filterRule('V6')), '[]v3.BGPFilterRuleV6');

const bgpFilterSpec = struct('BGPFilterSpec', [
  f('exportV4', rulesV4),
  f('importV4', rulesV4),
  f('exportV6', rulesV6),
  f('importV6', rulesV6),
]);

const columns = [
  name,
  count('NUMEXPORTV4', spec('exportV4')),
  count('NUMIMPORTV4', spec('importV4')),
  count('NUMEXPORTV6', spec('exportV6')),
  count('NUMIMPORTV6', spec('importV6')),
];

export const bgpfilter: KindDescriptor = {
  ...naming('BGPFilter', 'bgpfilters', ['bgpf', 'bgpfs', 'bf', 'bfs']),
  schema: resource('BGPFilter', bgpFilterSpec),
  ps: columns,
  wide: columns,
};
