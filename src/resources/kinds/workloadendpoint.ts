/**
 * WorkloadEndpoint: calicoctl handles libcalico-go's internal type
 * (libcalico-go/lib/apis/internalapi/workloadendpoint.go), Go layout and columns.
 */
import { S } from '../../codec/go-json.js';
import { col, joined, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, named, numOrString, resource, struct } from '../schemas.js';
import type { ResourceObject } from '../types.js';

const uint16 = (): ReturnType<typeof S.int> => named(S.int(), 'uint16');

const workloadEndpointPort = struct('WorkloadEndpointPort', [
  f('name', S.string(), false),
  f('protocol', numOrString('protocol'), false),
  f('port', uint16(), false),
  f('hostPort', uint16(), false),
  f('hostIP', S.string(), false),
]);

const int64 = (): ReturnType<typeof S.int> => named(S.int(), 'int64');
const qosControls = struct(
  'QoSControls',
  [
    ...[
      'ingressBandwidth',
      'ingressBurst',
      'ingressPeakrate',
      'ingressMinburst',
      'egressBandwidth',
      'egressBurst',
      'egressPeakrate',
      'egressMinburst',
      'ingressPacketRate',
      'ingressPacketBurst',
      'egressPacketRate',
      'egressPacketBurst',
      'ingressMaxConnections',
      'egressMaxConnections',
    ].map((field) => f(field, int64())),
    f('dscp', numOrString('dscp', true)),
  ],
  true,
);

const workloadEndpointSpec = struct('WorkloadEndpointSpec', [
  f('orchestrator', S.string()),
  f('workload', S.string()),
  f('node', S.string()),
  f('containerID', S.string()),
  f('pod', S.string()),
  f('endpoint', S.string()),
  f('serviceAccountName', S.string()),
  f('ipNetworks', S.slice(S.string())),
  f(
    'ipNATs',
    named(
      S.slice(struct('IPNAT', [f('internalIP', S.string(), false), f('externalIP', S.string(), false)])),
      '[]internalapi.IPNAT',
    ),
  ),
  f('ipv4Gateway', S.string()),
  f('ipv6Gateway', S.string()),
  f('profiles', S.slice(S.string())),
  f('interfaceName', S.string()),
  f('mac', S.string()),
  f('ports', named(S.slice(workloadEndpointPort), '[]internalapi.WorkloadEndpointPort')),
  f('allowSpoofedSourcePrefixes', S.slice(S.string())),
  f('qosControls', qosControls),
]);

const workload = {
  heading: 'WORKLOAD',
  cell: (r: ResourceObject) => (spec('workload')(r) as string) || (spec('pod')(r) as string) || '',
};

function natText(nat: unknown): string {
  const n = (nat ?? {}) as { internalIP?: string; externalIP?: string };
  return `{${n.internalIP ?? ''} ${n.externalIP ?? ''}}`;
}

export const workloadendpoint: KindDescriptor = {
  ...naming('WorkloadEndpoint', 'workloadendpoints', ['wep', 'weps'], true),
  schema: resource('WorkloadEndpoint', workloadEndpointSpec),
  ps: [
    workload,
    col('NODE', spec('node')),
    joined('NETWORKS', spec('ipNetworks')),
    col('INTERFACE', spec('interfaceName')),
  ],
  wide: [
    name,
    workload,
    col('NODE', spec('node')),
    joined('NETWORKS', spec('ipNetworks')),
    col('INTERFACE', spec('interfaceName')),
    joined('PROFILES', spec('profiles')),
    {
      heading: 'NATS',
      cell: (r) => ((spec('ipNATs')(r) as unknown[] | undefined) ?? []).map(natText).join(','),
    },
  ],
};
