/** HostEndpoint (api/pkg/apis/projectcalico/v3/hostendpoint.go): Go layout and columns. */
import { S } from '../../codec/go-json.js';
import { col, joined, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, named, numOrString, resource, struct } from '../schemas.js';

const endpointPort = struct('EndpointPort', [
  f('name', S.string(), false),
  f('protocol', numOrString('protocol'), false),
  f('port', named(S.int(), 'uint16'), false),
]);

const hostEndpointSpec = struct('HostEndpointSpec', [
  f('node', S.string()),
  f('interfaceName', S.string()),
  f('expectedIPs', S.slice(S.string())),
  f('profiles', S.slice(S.string())),
  f('ports', named(S.slice(endpointPort), '[]v3.EndpointPort')),
]);

export const hostendpoint: KindDescriptor = {
  ...naming('HostEndpoint', 'hostendpoints', ['hep', 'heps']),
  schema: resource('HostEndpoint', hostEndpointSpec),
  ps: [name, col('NODE', spec('node'))],
  wide: [
    name,
    col('NODE', spec('node')),
    col('INTERFACE', spec('interfaceName')),
    joined('IPS', spec('expectedIPs')),
    joined('PROFILES', spec('profiles')),
  ],
};
