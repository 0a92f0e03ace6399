/**
 * The kinds whose spec is kept as written (metadata is modelled, spec passed through without
 * checks): their names and table columns are all they have, so they share this module.
 */
import { col, count, joined, name, naming, spec, truncatedJoin } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { passThroughSchema } from '../schemas.js';
import { API_VERSION, type ResourceObject } from '../types.js';

function passThrough(
  kind: string,
  plural: string,
  shortNames: string[],
  namespaced: boolean,
  columns: Pick<KindDescriptor, 'ps' | 'wide' | 'virtual'>,
): KindDescriptor {
  return { ...naming(kind, plural, shortNames, namespaced), schema: passThroughSchema(kind), ...columns };
}

const nets = { ps: [name], wide: [name, truncatedJoin('NETS', spec('nets'))] };
const workload = {
  heading: 'WORKLOAD',
  cell: (r: ResourceObject) => (spec('workload')(r) as string) || (spec('pod')(r) as string) || '',
};
const bgpFilterColumns = [
  name,
  count('NUMEXPORTV4', spec('exportV4')),
  count('NUMIMPORTV4', spec('importV4')),
  count('NUMEXPORTV6', spec('exportV6')),
  count('NUMIMPORTV6', spec('importV6')),
];

function natText(nat: unknown): string {
  const n = (nat ?? {}) as { internalIP?: string; externalIP?: string };
  return `{${n.internalIP ?? ''} ${n.externalIP ?? ''}}`;
}

export const passThroughKinds: KindDescriptor[] = [
  passThrough(
    'StagedKubernetesNetworkPolicy',
    'stagedkubernetesnetworkpolicies',
    ['stagedkubernetespolicy', 'sknp', 'stagedkubernetespolicies', 'skpol', 'skpols'],
    true,
    { ps: [name], wide: [name, col('PODSELECTOR', spec('podSelector'))] },
  ),
  passThrough('GlobalNetworkSet', 'globalnetworksets', ['gnetsets'], false, nets),
  passThrough('NetworkSet', 'networksets', ['netsets'], true, nets),
  passThrough('HostEndpoint', 'hostendpoints', ['hep', 'heps'], false, {
    ps: [name, col('NODE', spec('node'))],
    wide: [
      name,
      col('NODE', spec('node')),
      col('INTERFACE', spec('interfaceName')),
      joined('IPS', spec('expectedIPs')),
      joined('PROFILES', spec('profiles')),
    ],
  }),
  passThrough('WorkloadEndpoint', 'workloadendpoints', ['wep', 'weps'], true, {
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
  }),
  passThrough('Profile', 'profiles', ['pro', 'pros'], false, {
    // The profile libcalico-go returns with every profile list (never stored).
    virtual: [
      {
        kind: 'Profile',
        apiVersion: API_VERSION,
        metadata: { name: 'projectcalico-default-allow', resourceVersion: '1' },
        spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
      },
    ],
    ps: [name],
    wide: [
      name,
      {
        heading: 'LABELS',
        cell: (r) => {
          const labels = (spec('labelsToApply')(r) as Record<string, string> | undefined) ?? {};
          return Object.keys(labels)
            .sort()
            .map((k) => `${k}=${labels[k]}`)
            .join(',');
        },
      },
    ],
  }),
  passThrough('BGPFilter', 'bgpfilters', ['bgpf', 'bgpfs', 'bf', 'bfs'], false, {
    ps: bgpFilterColumns,
    wide: bgpFilterColumns,
  }),
];
