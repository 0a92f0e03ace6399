/**
 * BGPConfiguration (api/pkg/apis/projectcalico/v3/bgpconfig.go): Go layout, columns, the
 * validator's checks and clientv3's fields only the `default` configuration may set.
 */
import { S } from '../../codec/go-json.js';
import { failure, tagFailure } from '../field-rules.js';
import { parseCIDROrIP, parseIP } from '../ip.js';
import { col, goText, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { asNumber, bgpPassword, duration, f, named, resource, str, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';

const cidrBlock = (goName: string) => struct(goName, [f('cidr', S.string())]);

const bgpConfigurationSpec = struct('BGPConfigurationSpec', [
  f('logSeverityScreen', S.string()),
  f('nodeToNodeMeshEnabled', S.bool({ pointer: true })),
  f('asNumber', asNumber(true)),
  f('serviceLoadBalancerIPs', S.slice(cidrBlock('ServiceLoadBalancerIPBlock'))),
  f('serviceExternalIPs', S.slice(cidrBlock('ServiceExternalIPBlock'))),
  f('serviceClusterIPs', S.slice(cidrBlock('ServiceClusterIPBlock'))),
  f('serviceLoadBalancerAggregation', str('*v3.ServiceLoadBalancerAggregation', true)),
  f('communities', S.slice(struct('Community', [f('name', S.string()), f('value', S.string())]))),
  f(
    'prefixAdvertisements',
    S.slice(struct('PrefixAdvertisement', [f('cidr', S.string()), f('communities', S.slice(S.string()))])),
  ),
  f('listenPort', named(S.int(), 'uint16')),
  f('nodeMeshPassword', bgpPassword),
  f('nodeMeshMaxRestartTime', duration()),
  f('bindMode', str('*v3.BindMode', true)),
  f('ignoredInterfaces', S.slice(S.string())),
  f('localWorkloadPeeringIPV4', S.string()),
  f('localWorkloadPeeringIPV6', S.string()),
  f('programClusterRoutes', S.string({ pointer: true })),
  f('ipv4NormalRoutePriority', S.int({ pointer: true })),
  f('ipv6NormalRoutePriority', S.int({ pointer: true })),
]);

const columns = [
  name,
  col('LOGSEVERITY', spec('logSeverityScreen')),
  { heading: 'MESHENABLED', cell: (r: ResourceObject) => goText(spec('nodeToNodeMeshEnabled')(r), '-') },
  { heading: 'ASNUMBER', cell: (r: ResourceObject) => goText(spec('asNumber')(r), '-') },
];

export const bgpconfiguration: KindDescriptor = {
  ...naming('BGPConfiguration', 'bgpconfigurations', ['bgpconfig', 'bgpconfigs']),
  schema: resource('BGPConfiguration', bgpConfigurationSpec),
  ps: columns,
  wide: columns,
  validate: validateBGPConfiguration,
};

const LOG_LEVELS = ['', 'none', 'debug', 'info', 'warning', 'error', 'fatal'];

export function validateBGPConfiguration(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  if (s.logSeverityScreen && !LOG_LEVELS.includes(String(s.logSeverityScreen).toLowerCase()))
    errs.push(tagFailure('LogSeverityScreen', s.logSeverityScreen, 'logLevel'));
  for (const key of ['serviceLoadBalancerIPs', 'serviceExternalIPs', 'serviceClusterIPs']) {
    for (const block of (s[key] as { cidr?: string }[] | undefined) ?? [])
      if (block.cidr && !parseCIDROrIP(block.cidr)) errs.push(tagFailure('CIDR', block.cidr, 'net'));
  }
  if (s.localWorkloadPeeringIPV4 && parseIP(s.localWorkloadPeeringIPV4 as string)?.version !== 4)
    errs.push(tagFailure('LocalWorkloadPeeringIPV4', s.localWorkloadPeeringIPV4, 'ipv4'));
  if (s.localWorkloadPeeringIPV6 && parseIP(s.localWorkloadPeeringIPV6 as string)?.version !== 6)
    errs.push(tagFailure('LocalWorkloadPeeringIPV6', s.localWorkloadPeeringIPV6, 'ipv6'));
  if (s.nodeMeshPassword !== undefined && s.nodeToNodeMeshEnabled === false)
    errs.push(
      failure(
        'Spec.NodeMeshPassword',
        s,
        'spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled',
      ),
    );
  if (s.nodeMeshMaxRestartTime !== undefined && s.nodeToNodeMeshEnabled === false)
    errs.push(
      failure(
        'Spec.NodeMeshMaxRestartTime',
        s,
        'spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled',
      ),
    );
  if (errs.length > 0) return errs;
  // clientv3 bgpConfigurations.ValidateDefaultOnlyFields
  if (res.metadata.name === 'default') return [];
  const only = (field: string, present: boolean, label: string) => {
    if (present)
      errs.push({
        name: `BGPConfiguration.Spec.${field}`,
        reason: `Cannot set ${label} on a non default BGP Configuration.`,
      });
  };
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  only('NodeToNodeMeshEnabled', s.nodeToNodeMeshEnabled !== undefined, 'nodeToNodeMeshEnabled');
  only('ASNumber', s.asNumber !== undefined, 'ASNumber');
  only('ServiceLoadBalancerIPs', nonEmpty(s.serviceLoadBalancerIPs), 'ServiceLoadBalancerIPs');
  only('ServiceExternalIPs', nonEmpty(s.serviceExternalIPs), 'ServiceExternalIPs');
  only('ServiceClusterIPs', nonEmpty(s.serviceClusterIPs), 'ServiceClusterIPs');
  only('NodeMeshPassword', s.nodeMeshPassword !== undefined, 'nodeMeshPassword');
  only('NodeMeshMaxRestartTime', s.nodeMeshMaxRestartTime !== undefined, 'nodeMeshMaxRestartTime');
  return errs;
}
