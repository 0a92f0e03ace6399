/**
 * Go struct layouts of the Calico v3 API objects (projectcalico/calico v3.32.1,
 * api/pkg/apis/projectcalico/v3/*.go and libcalico-go/lib/apis/internalapi/node.go), in field
 * declaration order, so that stored JSON is byte-identical to what libcalico-go writes and strict
 * decoding rejects the fields Go would reject. Go type names are kept beside the layout because
 * decode errors quote them (`Go struct field IPPoolSpec.spec.disabled of type bool`).
 */
import { S, type Field, type Schema } from '../codec/go-json.js';

/** The Go type name of a schema node, for decode error messages. */
const goTypeNames = new WeakMap<Schema, string>();
/** Schemas that accept Go's numorstring.ASNumber forms (a number, "64512" or "1.10"). */
const asNumberSchemas = new WeakSet<Schema>();

function named<T extends Schema>(schema: T, goName: string): T {
  goTypeNames.set(schema, goName);
  return schema;
}

export function goTypeName(schema: Schema): string {
  const name = goTypeNames.get(schema);
  if (name) return name;
  switch (schema.kind) {
    case 'string':
    case 'bool':
      return (schema.pointer ? '*' : '') + schema.kind;
    case 'int':
      return (schema.pointer ? '*' : '') + 'int';
    case 'float':
      return (schema.pointer ? '*' : '') + 'float64';
    case 'any':
      return 'interface {}';
    case 'struct':
      return 'struct';
    case 'map':
      return `map[string]${goTypeName(schema.value)}`;
    case 'slice':
      return `[]${goTypeName(schema.elem)}`;
  }
}

export function isASNumber(schema: Schema): boolean {
  return asNumberSchemas.has(schema);
}

function asNumber(pointer = false): Schema {
  const s = named(S.int({ pointer }), `${pointer ? '*' : ''}numorstring.ASNumber`);
  asNumberSchemas.add(s);
  return s;
}

const f = (name: string, schema: Schema, omitempty = true): Field => ({ name, schema, omitempty });
const str = (goName?: string, pointer = false): Schema =>
  goName ? named(S.string({ pointer }), goName) : S.string({ pointer });
const duration = (): Schema => named(S.string({ pointer: true }), '*v1.Duration');
const struct = (goName: string, fields: Field[], pointer = false): Schema =>
  named(S.struct(fields, { pointer }), goName);

export const objectMetaSchema = struct('ObjectMeta', [
  f('name', S.string()),
  f('generateName', S.string()),
  f('namespace', S.string()),
  f('selfLink', S.string()),
  f('uid', named(S.string(), 'types.UID')),
  f('resourceVersion', S.string()),
  f('generation', named(S.int(), 'int64')),
  // metav1.Time with omitzero (apimachinery v0.35): absent when zero.
  f('creationTimestamp', named(S.string({ pointer: true }), 'v1.Time')),
  f('deletionTimestamp', named(S.string({ pointer: true }), '*v1.Time')),
  f('deletionGracePeriodSeconds', named(S.int({ pointer: true }), '*int64')),
  f('labels', S.map(S.string())),
  f('annotations', S.map(S.string())),
  f('ownerReferences', named(S.slice(S.any()), '[]v1.OwnerReference')),
  f('finalizers', S.slice(S.string())),
  f('managedFields', named(S.slice(S.any()), '[]v1.ManagedFieldsEntry')),
]);

export const listMetaSchema = struct('ListMeta', [
  f('selfLink', S.string()),
  f('resourceVersion', S.string()),
  f('continue', S.string()),
  f('remainingItemCount', named(S.int({ pointer: true }), '*int64')),
]);

function resource(kind: string, spec: Schema, extra: Field[] = []): Schema {
  return struct(kind, [
    f('kind', S.string()),
    f('apiVersion', S.string()),
    f('metadata', objectMetaSchema),
    f('spec', spec, false),
    ...extra,
  ]);
}

const conditions = f('conditions', named(S.slice(S.any()), '[]v1.Condition'));

const ipPoolSpec = struct('IPPoolSpec', [
  f('cidr', S.string(), false),
  f('vxlanMode', str('v3.VXLANMode')),
  f('ipipMode', str('v3.IPIPMode')),
  f('natOutgoing', S.bool()),
  f('disabled', S.bool()),
  f('disableBGPExport', S.bool()),
  f('blockSize', S.int()),
  f('nodeSelector', S.string()),
  f('namespaceSelector', S.string()),
  f('ipip', struct('IPIPConfiguration', [f('enabled', S.bool()), f('mode', str('v3.EncapMode'))], true)),
  f('nat-outgoing', S.bool()),
  f('allowedUses', named(S.slice(str('v3.IPPoolAllowedUse')), '[]v3.IPPoolAllowedUse')),
  f('assignmentMode', str('*v3.AssignmentMode', true)),
]);

const secretKeyRef = struct(
  'SecretKeySelector',
  [f('name', S.string(), false), f('key', S.string(), false), f('optional', S.bool({ pointer: true }))],
  true,
);
const bgpPassword = struct('BGPPassword', [f('secretKeyRef', secretKeyRef)], true);

const bgpPeerSpec = struct('BGPPeerSpec', [
  f('node', S.string()),
  f('nodeSelector', S.string()),
  f('peerIP', S.string()),
  f('asNumber', asNumber()),
  f('localASNumber', asNumber(true)),
  f('peerSelector', S.string()),
  f('keepOriginalNextHop', S.bool()),
  f('nextHopMode', str('*v3.NextHopMode', true)),
  f('password', bgpPassword),
  f('sourceAddress', str('v3.SourceAddress')),
  f('maxRestartTime', duration()),
  f('keepaliveTime', duration()),
  f('numAllowedLocalASNumbers', named(S.int({ pointer: true }), '*int32')),
  f('ttlSecurity', named(S.int({ pointer: true }), '*uint8')),
  f('reachableBy', S.string()),
  f('filters', S.slice(S.string())),
  f('localWorkloadSelector', S.string()),
  f('reversePeering', str('*v3.ReversePeering', true)),
]);

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

const clusterInformationSpec = struct('ClusterInformationSpec', [
  f('clusterGUID', S.string()),
  f('clusterType', S.string()),
  f('calicoVersion', S.string()),
  f('datastoreReady', S.bool({ pointer: true })),
  f('variant', S.string()),
]);

const ipReservationSpec = struct('IPReservationSpec', [f('reservedCIDRs', S.slice(S.string()))]);

const ipamConfigurationSpec = struct('IPAMConfigurationSpec', [
  f('strictAffinity', S.bool(), false),
  f('maxBlocksPerHost', named(S.int(), 'int32')),
  f('autoAllocateBlocks', S.bool(), false),
  f('kubeVirtVMAddressPersistence', str('*v3.VMAddressPersistence', true)),
]);

const reconciler = (goName: string) => struct(goName, [f('reconcilerPeriod', duration())], true);

const kubeControllersSpecFields = (): Field[] => [
  f('logSeverityScreen', S.string()),
  f('healthChecks', S.string()),
  f('etcdV3CompactionPeriod', duration()),
  f('prometheusMetricsPort', S.int({ pointer: true })),
  f(
    'controllers',
    struct('ControllersConfig', [
      f(
        'node',
        struct(
          'NodeControllerConfig',
          [
            f('reconcilerPeriod', duration()),
            f('syncLabels', S.string()),
            f(
              'hostEndpoint',
              struct(
                'AutoHostEndpointConfig',
                [
                  f('autoCreate', S.string()),
                  f('createDefaultHostEndpoint', str('v3.DefaultHostEndpointMode')),
                  f(
                    'templates',
                    S.slice(
                      struct('Template', [
                        f('generateName', S.string()),
                        f('interfaceCIDRs', S.slice(S.string())),
                        f('interfacePattern', S.string()),
                        f('labels', S.map(S.string())),
                        f('nodeSelector', S.string()),
                      ]),
                    ),
                  ),
                ],
                true,
              ),
            ),
            f('leakGracePeriod', duration()),
          ],
          true,
        ),
      ),
      f('policy', reconciler('PolicyControllerConfig')),
      f('workloadEndpoint', reconciler('WorkloadEndpointControllerConfig')),
      f('serviceAccount', reconciler('ServiceAccountControllerConfig')),
      f('namespace', reconciler('NamespaceControllerConfig')),
      f('loadBalancer', struct('LoadBalancerControllerConfig', [f('assignIPs', str('v3.AssignIPs'))], true)),
      f(
        'policyMigration',
        struct('MigrationControllerConfig', [f('enabled', str('v3.ControllerMode'))], true),
      ),
    ]),
    false,
  ),
  f('debugProfilePort', named(S.int({ pointer: true }), '*int32')),
];

const kubeControllersSpec = struct('KubeControllersConfigurationSpec', kubeControllersSpecFields());
const kubeControllersStatus = struct('KubeControllersConfigurationStatus', [
  f('runningConfig', struct('KubeControllersConfigurationSpec', kubeControllersSpecFields(), true)),
  f('environmentVars', S.map(S.string())),
]);

const nodeSpec = struct('NodeSpec', [
  f(
    'bgp',
    struct(
      'NodeBGPSpec',
      [
        f('asNumber', asNumber(true)),
        f('ipv4Address', S.string()),
        f('ipv6Address', S.string()),
        f('ipv4IPIPTunnelAddr', S.string()),
        f('routeReflectorClusterID', S.string()),
      ],
      true,
    ),
  ),
  f('ipv4VXLANTunnelAddr', S.string()),
  f('vxlanTunnelMACAddr', S.string()),
  f('ipv6VXLANTunnelAddr', S.string()),
  f('vxlanTunnelMACAddrV6', S.string()),
  f(
    'orchRefs',
    S.slice(struct('OrchRef', [f('nodeName', S.string()), f('orchestrator', S.string(), false)])),
  ),
  f(
    'wireguard',
    struct(
      'NodeWireguardSpec',
      [f('interfaceIPv4Address', S.string()), f('interfaceIPv6Address', S.string())],
      true,
    ),
  ),
  f('addresses', S.slice(struct('NodeAddress', [f('address', S.string(), false), f('type', S.string())]))),
  f(
    'interfaces',
    S.slice(struct('NodeInterface', [f('name', S.string()), f('addresses', S.slice(S.string()))])),
  ),
]);

const nodeStatus = struct('NodeStatus', [
  f('wireguardPublicKey', S.string()),
  f('wireguardPublicKeyV6', S.string()),
  f('podCIDRs', S.slice(S.string())),
]);

const tierSpec = struct('TierSpec', [
  f('order', S.float({ pointer: true })),
  f('defaultAction', str('*v3.Action', true)),
]);

/** Kinds whose spec we model field by field; the others keep their spec as given (see docs). */
export const resourceSchemas = {
  IPPool: resource('IPPool', ipPoolSpec, [f('status', struct('IPPoolStatus', [conditions], true))]),
  IPReservation: resource('IPReservation', ipReservationSpec),
  IPAMConfiguration: resource('IPAMConfiguration', ipamConfigurationSpec),
  Node: resource('Node', nodeSpec, [f('status', nodeStatus)]),
  BGPConfiguration: resource('BGPConfiguration', bgpConfigurationSpec),
  BGPPeer: resource('BGPPeer', bgpPeerSpec),
  ClusterInformation: resource('ClusterInformation', clusterInformationSpec),
  KubeControllersConfiguration: resource('KubeControllersConfiguration', kubeControllersSpec, [
    f('status', kubeControllersStatus, false),
  ]),
  Tier: resource('Tier', tierSpec, [f('status', struct('TierStatus', [conditions]))]),
} satisfies Record<string, Schema>;

/** A kind whose spec is kept as written: metadata is modelled, spec and status are passed through. */
export function passThroughSchema(kind: string, hasStatus = false): Schema {
  return resource(
    kind,
    named(S.any(), `${kind}Spec`),
    hasStatus ? [f('status', named(S.any(), `${kind}Status`))] : [],
  );
}

export function listSchema(listKind: string, item: Schema): Schema {
  return struct(listKind, [
    f('kind', S.string()),
    f('apiVersion', S.string()),
    f('metadata', listMetaSchema),
    f('items', S.slice(item), false),
  ]);
}
