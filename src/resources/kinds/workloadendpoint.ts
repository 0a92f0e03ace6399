/**
 * WorkloadEndpoint, the one kind whose spec is still kept as written (metadata is modelled, spec
 * passed through without checks): its names and table columns are all it has.
 */
import { col, joined, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { passThroughSchema } from '../schemas.js';
import type { ResourceObject } from '../types.js';

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
  schema: passThroughSchema('WorkloadEndpoint'),
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
