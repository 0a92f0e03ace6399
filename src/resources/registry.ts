/**
 * One descriptor per kind: names and aliases on the command line, etcd key layout, Go struct
 * layout, defaults, validation, read-only operations and table columns (calicoctl's resourcemgr).
 */
import { formatShortest } from '../codec/go-float.js';
import type { Schema } from '../codec/go-json.js';
import { InputError } from '../errors.js';
import { defaultPolicy, KNP_PREFIX, restorePolicyName, withStoredPolicyName } from './policy.js';
import { passThroughSchema, resourceSchemas } from './schemas.js';
import { API_VERSION, type ErroredField, type ResourceObject } from './types.js';
import { ippoolReadDefaults } from './kinds/ippool.js';
import {
  validateBGPConfiguration,
  validateBGPPeer,
  validateIPAMConfiguration,
  validateIPReservation,
  validateNode,
  validatePolicy,
} from './validate.js';

/** What table cells may need beyond the object itself. */
export interface TableContext {
  /** The cluster-wide AS number for Node ASN cells: "64512", or "unknown". */
  globalASNumber: string;
}

export interface Column {
  heading: string;
  cell: (res: ResourceObject, ctx: TableContext) => string;
}

export interface KindDescriptor {
  kind: string;
  listKind: string;
  /** Lower-case plural path segment of the etcd key. */
  plural: string;
  /** Command-line names, lower case. */
  aliases: readonly string[];
  namespaced: boolean;
  schema: Schema;
  /** Spec fully modelled (strict) or passed through as written. */
  modelled: boolean;
  ps: readonly Column[];
  wide: readonly Column[];
  /** Extra custom-columns headings (NAMESPACE and the like). */
  extra?: readonly Column[];
  /** Operations refused, with calicoctl's operation text. */
  refuse?: { create?: string; update?: string; delete?: string; apply?: string };
  /** Defaults applied when the object is read (and persisted when written). */
  readDefaults?: (res: ResourceObject) => void;
  /** Field checks that need nothing but the object (IPPool's live in the engine: they need the store). */
  validate?: (res: ResourceObject) => ErroredField[];
  /** clientv3 defaulting before every create and update (policies: types, tier, tier label). */
  writeDefaults?: (res: ResourceObject) => void;
  /** What the etcdv3 backend adds on every write (policies: the name annotation). */
  toStorage?: (res: ResourceObject) => ResourceObject;
  /** A create must find the Tier named in spec.tier (clientv3 policy Create). */
  needsTier?: boolean;
  /** Refuses an operation for this particular object: calicoctl's operation text and reason. */
  refuseObject?: (res: ResourceObject, op: 'create' | 'update' | 'delete') => RefusalText | undefined;
  /** Objects libcalico-go returns for this kind without storing them (get by name, and every list). */
  virtual?: readonly ResourceObject[];
  /** The order of a list when it is not the key order (Tiers: by spec.order). */
  sortList?: (items: ResourceObject[]) => void;
}

export interface RefusalText {
  operation: string;
  reason: string;
}

const PREFIX = '/calico/resources/v3/projectcalico.org/';

type Getter = (res: ResourceObject) => unknown;
const spec =
  (...path: string[]): Getter =>
  (res) => {
    let v: unknown = res.spec;
    for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return v;
  };

/** text/template's printing of a field: nil pointer `<nil>`, zero values as Go prints them. */
function goText(v: unknown, zero: string): string {
  if (v === undefined || v === null) return zero;
  if (typeof v === 'number' && !Number.isInteger(v)) return formatShortest(v);
  return String(v);
}

const name: Column = { heading: 'NAME', cell: (r) => r.metadata.name ?? '' };
const namespace: Column = { heading: 'NAMESPACE', cell: (r) => r.metadata.namespace ?? '' };
const col = (heading: string, get: Getter, zero = ''): Column => ({
  heading,
  cell: (r) => goText(get(r), zero),
});
const floatCol = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => {
    const v = get(r);
    return typeof v === 'number' ? formatShortest(v) : goText(v, '<nil>');
  },
});
const joined = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => ((get(r) as string[] | undefined) ?? []).join(','),
});
const truncatedJoin = (heading: string, get: Getter, max = 80): Column => ({
  heading,
  cell: (r) => joinAndTruncate((get(r) as string[] | undefined) ?? [], ',', max),
});
const count = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => String(((get(r) as unknown[] | undefined) ?? []).length),
});

/** calicoctl's joinAndTruncate: join, and cut to max characters ending in "...". */
export function joinAndTruncate(items: readonly string[], sep: string, max: number): string {
  const s = items.join(sep);
  if (max > 0 && s.length > max) return s.slice(0, Math.max(0, max - 3)) + '...';
  return s;
}

const policyColumns = {
  ps: [name, col('TIER', spec('tier'))],
  wide: [
    name,
    col('TIER', spec('tier')),
    floatCol('ORDER', spec('order')),
    col('SELECTOR', spec('selector')),
  ],
};

/** A kind's names; namespaced kinds also get the NAMESPACE column in tables. */
function naming(
  kind: string,
  plural: string,
  aliases: string[],
  namespaced: boolean,
): Pick<KindDescriptor, 'kind' | 'listKind' | 'plural' | 'aliases' | 'namespaced' | 'extra'> {
  return {
    kind,
    listKind: `${kind}List`,
    plural,
    aliases,
    namespaced,
    ...(namespaced ? { extra: [namespace] } : {}),
  };
}

function passThrough(
  kind: string,
  plural: string,
  aliases: string[],
  namespaced: boolean,
  columns: Pick<KindDescriptor, 'ps' | 'wide' | 'virtual'>,
  hasStatus = false,
): KindDescriptor {
  return {
    ...naming(kind, plural, aliases, namespaced),
    schema: passThroughSchema(kind, hasStatus),
    modelled: false,
    ...columns,
  };
}

/** The four Calico policy kinds: modelled top level, name annotation, tier defaults. */
function policy(
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' | 'StagedNetworkPolicy' | 'StagedGlobalNetworkPolicy',
  plural: string,
  aliases: string[],
  namespaced = false,
): KindDescriptor {
  return {
    ...naming(kind, plural, aliases, namespaced),
    schema: resourceSchemas[kind],
    modelled: true,
    ...policyColumns,
    writeDefaults: defaultPolicy,
    toStorage: withStoredPolicyName,
    readDefaults: restorePolicyName,
    needsTier: true,
    validate: validatePolicy,
  };
}

const descriptors: KindDescriptor[] = [
  {
    kind: 'IPPool',
    listKind: 'IPPoolList',
    plural: 'ippools',
    aliases: ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'],
    namespaced: false,
    schema: resourceSchemas.IPPool,
    modelled: true,
    ps: [name, col('CIDR', spec('cidr')), col('SELECTOR', spec('nodeSelector'))],
    wide: [
      name,
      col('CIDR', spec('cidr')),
      col('NAT', spec('natOutgoing'), 'false'),
      col('IPIPMODE', spec('ipipMode'), 'Never'),
      col('VXLANMODE', spec('vxlanMode'), 'Never'),
      col('DISABLED', spec('disabled'), 'false'),
      col('DISABLEBGPEXPORT', spec('disableBGPExport'), 'false'),
      col('SELECTOR', spec('nodeSelector')),
      col('ASSIGNMENTMODE', spec('assignmentMode'), '<nil>'),
    ],
    readDefaults: ippoolReadDefaults,
  },
  {
    kind: 'IPReservation',
    listKind: 'IPReservationList',
    plural: 'ipreservations',
    aliases: ['ipreservation', 'ipreservations', 'reservation', 'reservations'],
    namespaced: false,
    schema: resourceSchemas.IPReservation,
    modelled: true,
    ps: [name],
    wide: [name, truncatedJoin('CIDRS', spec('reservedCIDRs'))],
    validate: validateIPReservation,
  },
  {
    kind: 'IPAMConfiguration',
    listKind: 'IPAMConfigurationList',
    plural: 'ipamconfigurations',
    aliases: ['ipamconfiguration', 'ipamconfigurations', 'ipamconfig', 'ipamconfigs'],
    namespaced: false,
    schema: resourceSchemas.IPAMConfiguration,
    modelled: true,
    ps: [
      name,
      col('STRICTAFFINITY', spec('strictAffinity'), 'false'),
      col('AUTOALLOCATEBLOCKS', spec('autoAllocateBlocks'), 'false'),
    ],
    wide: [
      name,
      col('STRICTAFFINITY', spec('strictAffinity'), 'false'),
      col('AUTOALLOCATEBLOCKS', spec('autoAllocateBlocks'), 'false'),
      col('MAXBLOCKSPERHOST', spec('maxBlocksPerHost'), '0'),
    ],
    validate: validateIPAMConfiguration,
  },
  {
    kind: 'Node',
    listKind: 'NodeList',
    plural: 'nodes',
    aliases: ['node', 'nodes', 'no', 'nos'],
    namespaced: false,
    schema: resourceSchemas.Node,
    modelled: true,
    ps: [name],
    wide: [
      name,
      {
        heading: 'ASN',
        cell: (r, ctx) => {
          const bgp = spec('bgp')(r) as Record<string, unknown> | undefined;
          if (!bgp) return '';
          return bgp.asNumber !== undefined ? String(bgp.asNumber) : `(${ctx.globalASNumber})`;
        },
      },
      col('IPV4', spec('bgp', 'ipv4Address')),
      col('IPV6', spec('bgp', 'ipv6Address')),
    ],
    validate: validateNode,
  },
  {
    kind: 'BGPConfiguration',
    listKind: 'BGPConfigurationList',
    plural: 'bgpconfigurations',
    aliases: ['bgpconfiguration', 'bgpconfigurations', 'bgpconfig', 'bgpconfigs'],
    namespaced: false,
    schema: resourceSchemas.BGPConfiguration,
    modelled: true,
    ps: bgpConfigColumns(),
    wide: bgpConfigColumns(),
    validate: validateBGPConfiguration,
  },
  {
    kind: 'BGPPeer',
    listKind: 'BGPPeerList',
    plural: 'bgppeers',
    aliases: ['bgppeer', 'bgppeers', 'bgpp', 'bgpps', 'bp', 'bps'],
    namespaced: false,
    schema: resourceSchemas.BGPPeer,
    modelled: true,
    ps: bgpPeerColumns(),
    wide: bgpPeerColumns(),
    validate: validateBGPPeer,
  },
  {
    kind: 'ClusterInformation',
    listKind: 'ClusterInformationList',
    plural: 'clusterinformations',
    aliases: ['clusterinformation', 'clusterinformations', 'clusterinfo', 'clusterinfos'],
    namespaced: false,
    schema: resourceSchemas.ClusterInformation,
    modelled: true,
    ps: clusterInfoColumns(),
    wide: clusterInfoColumns(),
    refuse: { create: 'create or apply', update: 'apply or replace', delete: 'delete', apply: 'apply' },
  },
  {
    kind: 'FelixConfiguration',
    listKind: 'FelixConfigurationList',
    plural: 'felixconfigurations',
    aliases: ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs'],
    namespaced: false,
    schema: resourceSchemas.FelixConfiguration,
    modelled: true,
    ps: [name],
    wide: [name],
  },
  {
    kind: 'KubeControllersConfiguration',
    listKind: 'KubeControllersConfigurationList',
    plural: 'kubecontrollersconfigurations',
    aliases: [
      'kubecontrollersconfiguration',
      'kubecontrollersconfigurations',
      'kubecontrollersconfig',
      'kubecontrollersconfigs',
    ],
    namespaced: false,
    schema: resourceSchemas.KubeControllersConfiguration,
    modelled: true,
    ps: [name],
    wide: [name],
  },
  {
    kind: 'Tier',
    listKind: 'TierList',
    plural: 'tiers',
    aliases: ['tier', 'tiers'],
    namespaced: false,
    schema: resourceSchemas.Tier,
    modelled: true,
    ps: [name, floatCol('ORDER', spec('order'))],
    wide: [name, floatCol('ORDER', spec('order'))],
    // calicoctl stable-sorts tiers by order, unset orders last.
    sortList: (items) => {
      const order = (r: ResourceObject) => {
        const o = r.spec?.order;
        return typeof o === 'number' ? o : Number.POSITIVE_INFINITY;
      };
      items.sort((a, b) => order(a) - order(b));
    },
  },
  policy('GlobalNetworkPolicy', 'globalnetworkpolicies', [
    'globalnetworkpolicy',
    'globalnetworkpolicies',
    'gnp',
    'gnps',
  ]),
  {
    ...policy(
      'NetworkPolicy',
      'networkpolicies',
      ['networkpolicy', 'networkpolicies', 'policy', 'np', 'policies', 'pol', 'pols'],
      true,
    ),
    refuseObject: (res, op) =>
      res.metadata.name?.startsWith(KNP_PREFIX)
        ? {
            operation: { create: 'create or apply', update: 'apply or replace', delete: 'delete' }[op],
            reason: 'kubernetes network policies must be managed through the kubernetes API',
          }
        : undefined,
  },
  policy('StagedGlobalNetworkPolicy', 'stagedglobalnetworkpolicies', [
    'stagedglobalnetworkpolicy',
    'stagedglobalnetworkpolicies',
    'sgnp',
    'sgnps',
  ]),
  policy(
    'StagedNetworkPolicy',
    'stagednetworkpolicies',
    [
      'stagednetworkpolicy',
      'stagednetworkpolicies',
      'stagedpolicy',
      'snp',
      'stagedpolicies',
      'spol',
      'spols',
    ],
    true,
  ),
  passThrough(
    'StagedKubernetesNetworkPolicy',
    'stagedkubernetesnetworkpolicies',
    [
      'stagedkubernetesnetworkpolicy',
      'stagedkubernetesnetworkpolicies',
      'stagedkubernetespolicy',
      'sknp',
      'stagedkubernetespolicies',
      'skpol',
      'skpols',
    ],
    true,
    { ps: [name], wide: [name, col('PODSELECTOR', spec('podSelector'))] },
  ),
  passThrough(
    'GlobalNetworkSet',
    'globalnetworksets',
    ['globalnetworkset', 'globalnetworksets', 'gnetsets'],
    false,
    {
      ps: [name],
      wide: [name, truncatedJoin('NETS', spec('nets'))],
    },
  ),
  passThrough('NetworkSet', 'networksets', ['networkset', 'networksets', 'netsets'], true, {
    ps: [name],
    wide: [name, truncatedJoin('NETS', spec('nets'))],
  }),
  passThrough('HostEndpoint', 'hostendpoints', ['hostendpoint', 'hostendpoints', 'hep', 'heps'], false, {
    ps: [name, col('NODE', spec('node'))],
    wide: [
      name,
      col('NODE', spec('node')),
      col('INTERFACE', spec('interfaceName')),
      joined('IPS', spec('expectedIPs')),
      joined('PROFILES', spec('profiles')),
    ],
  }),
  passThrough(
    'WorkloadEndpoint',
    'workloadendpoints',
    ['workloadendpoint', 'workloadendpoints', 'wep', 'weps'],
    true,
    {
      ps: [
        workloadColumn(),
        col('NODE', spec('node')),
        joined('NETWORKS', spec('ipNetworks')),
        col('INTERFACE', spec('interfaceName')),
      ],
      wide: [
        name,
        workloadColumn(),
        col('NODE', spec('node')),
        joined('NETWORKS', spec('ipNetworks')),
        col('INTERFACE', spec('interfaceName')),
        joined('PROFILES', spec('profiles')),
        {
          heading: 'NATS',
          cell: (r) => ((spec('ipNATs')(r) as unknown[] | undefined) ?? []).map(natText).join(','),
        },
      ],
    },
  ),
  passThrough('Profile', 'profiles', ['profile', 'profiles', 'pro', 'pros'], false, {
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
  passThrough('BGPFilter', 'bgpfilters', ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs'], false, {
    ps: bgpFilterColumns(),
    wide: bgpFilterColumns(),
  }),
];

function bgpConfigColumns(): Column[] {
  return [
    name,
    col('LOGSEVERITY', spec('logSeverityScreen')),
    { heading: 'MESHENABLED', cell: (r) => goText(spec('nodeToNodeMeshEnabled')(r), '-') },
    { heading: 'ASNUMBER', cell: (r) => goText(spec('asNumber')(r), '-') },
  ];
}

function bgpPeerColumns(): Column[] {
  return [
    name,
    col('PEERIP', spec('peerIP')),
    {
      heading: 'NODE',
      cell: (r) => (spec('node')(r) as string) || (spec('nodeSelector')(r) as string) || '(global)',
    },
    col('ASN', spec('asNumber'), '0'),
  ];
}

function clusterInfoColumns(): Column[] {
  return [
    name,
    col('CLUSTERGUID', spec('clusterGUID')),
    col('CLUSTERTYPE', spec('clusterType')),
    col('CALICOVERSION', spec('calicoVersion')),
    col('DATASTOREREADY', spec('datastoreReady'), '<nil>'),
  ];
}

function bgpFilterColumns(): Column[] {
  return [
    name,
    count('NUMEXPORTV4', spec('exportV4')),
    count('NUMIMPORTV4', spec('importV4')),
    count('NUMEXPORTV6', spec('exportV6')),
    count('NUMIMPORTV6', spec('importV6')),
  ];
}

function workloadColumn(): Column {
  return {
    heading: 'WORKLOAD',
    cell: (r) => (spec('workload')(r) as string) || (spec('pod')(r) as string) || '',
  };
}

function natText(nat: unknown): string {
  const n = (nat ?? {}) as { internalIP?: string; externalIP?: string };
  return `{${n.internalIP ?? ''} ${n.externalIP ?? ''}}`;
}

const byAlias = new Map<string, KindDescriptor>();
const byKind = new Map<string, KindDescriptor>();
for (const d of descriptors) {
  byKind.set(d.kind, d);
  for (const a of d.aliases) byAlias.set(a, d);
}

/** The descriptor for a command-line kind name (case-insensitive alias). */
export function resolveKind(alias: string): KindDescriptor {
  const d = byAlias.get(alias.toLowerCase());
  if (!d)
    throw new InputError(`resource type '${alias}' is not supported`, {
      code: 'UnknownResourceType',
      hint: `valid resource types: ${descriptors.map((x) => x.aliases[0]).join(', ')}`,
    });
  return d;
}

/** The descriptor of an exact Kind (as in a manifest), or undefined. */
export function kindDescriptor(kind: string): KindDescriptor | undefined {
  return byKind.get(kind);
}

/** The descriptor of a `<Kind>List` kind, or undefined. */
export function listKindDescriptor(listKind: string): KindDescriptor | undefined {
  return listKind.endsWith('List') ? byKind.get(listKind.slice(0, -4)) : undefined;
}

/** Every name a kind can be given on the command line (for shell completion). */
export function allKindNames(): string[] {
  return descriptors.flatMap((d) => d.aliases);
}

// ---------------------------------------------------------------------------------------------
// etcd keys (calico.md §1.1)

export function resourceKey(d: KindDescriptor, name: string, namespace?: string): string {
  return d.namespaced ? `${PREFIX}${d.plural}/${namespace ?? ''}/${name}` : `${PREFIX}${d.plural}/${name}`;
}

/** The prefix to list a kind (optionally one namespace). */
export function resourcePrefix(d: KindDescriptor, namespace?: string): string {
  return d.namespaced && namespace ? `${PREFIX}${d.plural}/${namespace}/` : `${PREFIX}${d.plural}/`;
}

function unescapeName(s: string): string {
  return s.replaceAll('%2f', '/').replaceAll('%25', '%');
}

/** Parses a v3 key strictly as libcalico-go does; undefined when it is not one of d's keys. */
export function parseResourceKey(
  d: KindDescriptor,
  key: string,
): { name: string; namespace?: string } | undefined {
  const parts = key.split('/');
  if (parts[0] !== '' || parts[1] !== 'calico' || parts[2] !== 'resources' || parts[3] !== 'v3')
    return undefined;
  if (parts[4] !== 'projectcalico.org' || parts[5] !== d.plural) return undefined;
  if (d.namespaced && parts.length === 8) return { namespace: parts[6]!, name: unescapeName(parts[7]!) };
  if (!d.namespaced && parts.length === 7) return { name: unescapeName(parts[6]!) };
  return undefined;
}
