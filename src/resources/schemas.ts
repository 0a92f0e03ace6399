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
/** metav1.Duration fields: text parsed and re-printed as Go's Duration.String(). */
const durationSchemas = new WeakSet<Schema>();
/**
 * Types with their own UnmarshalJSON (metav1.Time, metav1.Duration, numorstring): sigs.k8s.io/yaml
 * does not turn a YAML number or boolean into a string for them as it does for plain strings.
 */
const customUnmarshalSchemas = new WeakSet<Schema>();

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

export function isDuration(schema: Schema): boolean {
  return durationSchemas.has(schema);
}

export function hasCustomUnmarshal(schema: Schema): boolean {
  return customUnmarshalSchemas.has(schema) || asNumberSchemas.has(schema);
}

function customUnmarshal<T extends Schema>(schema: T): T {
  customUnmarshalSchemas.add(schema);
  return schema;
}

function asNumber(pointer = false): Schema {
  const s = named(S.int({ pointer }), `${pointer ? '*' : ''}numorstring.ASNumber`);
  asNumberSchemas.add(s);
  return s;
}

const f = (name: string, schema: Schema, omitempty = true): Field => ({ name, schema, omitempty });
const str = (goName?: string, pointer = false): Schema =>
  goName ? named(S.string({ pointer }), goName) : S.string({ pointer });
const duration = (): Schema => {
  const schema = customUnmarshal(named(S.string({ pointer: true }), '*v1.Duration'));
  durationSchemas.add(schema);
  return schema;
};
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
  f('creationTimestamp', customUnmarshal(named(S.string({ pointer: true }), 'v1.Time'))),
  f('deletionTimestamp', customUnmarshal(named(S.string({ pointer: true }), '*v1.Time'))),
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

const routeTableRange = (pointer = false) =>
  struct('RouteTableIDRange', [f('min', S.int(), false), f('max', S.int(), false)], pointer);
const routeTableRanges = () => named(S.slice(routeTableRange()), 'v3.RouteTableRanges');
const protoPorts = () =>
  S.slice(
    struct('ProtoPort', [
      f('protocol', S.string()),
      f('port', named(S.int(), 'uint16'), false),
      f('net', S.string()),
    ]),
  );
const healthTimeoutOverrides = () =>
  S.slice(struct('HealthTimeoutOverride', [f('name', S.string(), false), f('timeout', duration(), false)]));
const bpfConntrackTimeouts = () =>
  struct(
    'BPFConntrackTimeouts',
    [
      'creationGracePeriod',
      'tcpSynSent',
      'tcpEstablished',
      'tcpFinsSeen',
      'tcpResetSeen',
      'udpTimeout',
      'genericTimeout',
      'icmpTimeout',
    ].map((name) => f(name, str('*v3.BPFConntrackTimeout', true))),
    true,
  );

/** FelixConfigurationSpec, generated field for field from api/pkg/apis/projectcalico/v3/felixconfig.go (v3.32.1). */
const felixConfigurationSpec = struct('FelixConfigurationSpec', [
  f('nodeSelector', S.string({ pointer: true })),
  f('useInternalDataplaneDriver', S.bool({ pointer: true })),
  f('dataplaneDriver', S.string()),
  f('dataplaneWatchdogTimeout', duration()),
  f('ipv6Support', S.bool({ pointer: true })),
  f('routeRefreshInterval', duration()),
  f('interfaceRefreshInterval', duration()),
  f('iptablesRefreshInterval', duration()),
  f('iptablesPostWriteCheckInterval', duration()),
  f('iptablesLockProbeInterval', duration()),
  f('featureDetectOverride', S.string()),
  f('featureGates', S.string()),
  f('ipsetsRefreshInterval', duration()),
  f('maxIpsetSize', S.int({ pointer: true })),
  f('iptablesBackend', str('*v3.IptablesBackend', true)),
  f('xdpRefreshInterval', duration()),
  f('netlinkTimeout', duration()),
  f('metadataAddr', S.string()),
  f('metadataPort', S.int({ pointer: true })),
  f('openstackRegion', S.string()),
  f('interfacePrefix', S.string()),
  f('interfaceExclude', S.string()),
  f('chainInsertMode', S.string()),
  f('defaultEndpointToHostAction', S.string()),
  f('iptablesFilterAllowAction', S.string()),
  f('iptablesMangleAllowAction', S.string()),
  f('iptablesFilterDenyAction', S.string()),
  f('logPrefix', S.string()),
  f('logActionRateLimit', S.string({ pointer: true })),
  f('logActionRateLimitBurst', S.int({ pointer: true })),
  f('logFilePath', S.string()),
  f('logSeverityFile', S.string()),
  f('logSeverityScreen', S.string()),
  f('logSeveritySys', S.string()),
  f('logDebugFilenameRegex', S.string()),
  f('ipipEnabled', S.bool({ pointer: true })),
  f('ipipMTU', S.int({ pointer: true })),
  f('vxlanEnabled', S.bool({ pointer: true })),
  f('vxlanMTU', S.int({ pointer: true })),
  f('vxlanMTUV6', S.int({ pointer: true })),
  f('vxlanPort', S.int({ pointer: true })),
  f('vxlanVNI', S.int({ pointer: true })),
  f('allowVXLANPacketsFromWorkloads', S.bool({ pointer: true })),
  f('allowIPIPPacketsFromWorkloads', S.bool({ pointer: true })),
  f('reportingInterval', duration()),
  f('reportingTTL', duration()),
  f('endpointReportingEnabled', S.bool({ pointer: true })),
  f('endpointReportingDelay', duration()),
  f('endpointStatusPathPrefix', S.string()),
  f('iptablesMarkMask', named(S.int({ pointer: true }), '*uint32')),
  f('disableConntrackInvalidCheck', S.bool({ pointer: true })),
  f('healthEnabled', S.bool({ pointer: true })),
  f('healthHost', S.string({ pointer: true })),
  f('healthPort', S.int({ pointer: true })),
  f('healthTimeoutOverrides', healthTimeoutOverrides()),
  f('prometheusMetricsEnabled', S.bool({ pointer: true })),
  f('prometheusMetricsHost', S.string()),
  f('prometheusMetricsPort', S.int({ pointer: true })),
  f('prometheusGoMetricsEnabled', S.bool({ pointer: true })),
  f('prometheusProcessMetricsEnabled', S.bool({ pointer: true })),
  f('prometheusWireGuardMetricsEnabled', S.bool({ pointer: true })),
  f('prometheusMetricsCAFile', S.string({ pointer: true })),
  f('prometheusMetricsCertFile', S.string({ pointer: true })),
  f('prometheusMetricsKeyFile', S.string({ pointer: true })),
  f('prometheusMetricsClientAuth', str('*v3.PrometheusMetricsClientAuthType', true)),
  f('failsafeInboundHostPorts', protoPorts()),
  f('failsafeOutboundHostPorts', protoPorts()),
  f('kubeNodePortRanges', named(S.slice(S.any()), '*[]numorstring.Port')),
  f('policySyncPathPrefix', S.string()),
  f('usageReportingEnabled', S.bool({ pointer: true })),
  f('usageReportingInitialDelay', duration()),
  f('usageReportingInterval', duration()),
  f('natPortRange', named(S.any(), '*numorstring.Port')),
  f('natOutgoingAddress', S.string()),
  f('natOutgoingExclusions', str('*v3.NATOutgoingExclusionsType', true)),
  f('deviceRouteSourceAddress', S.string()),
  f('deviceRouteSourceAddressIPv6', S.string()),
  f('deviceRouteProtocol', S.int({ pointer: true })),
  f('removeExternalRoutes', S.bool({ pointer: true })),
  f('programClusterRoutes', S.string({ pointer: true })),
  f('ipForwarding', S.string()),
  f('externalNodesList', S.slice(S.string())),
  f('debugMemoryProfilePath', S.string()),
  f('debugDisableLogDropping', S.bool({ pointer: true })),
  f('debugSimulateCalcGraphHangAfter', duration()),
  f('debugSimulateDataplaneHangAfter', duration()),
  f('debugSimulateDataplaneApplyDelay', duration()),
  f('debugHost', S.string({ pointer: true })),
  f('debugPort', S.int({ pointer: true })),
  f('iptablesNATOutgoingInterfaceFilter', S.string()),
  f('sidecarAccelerationEnabled', S.bool({ pointer: true })),
  f('xdpEnabled', S.bool({ pointer: true })),
  f('genericXDPEnabled', S.bool({ pointer: true })),
  f('nftablesMode', str('*v3.NFTablesMode', true)),
  f('nftablesRefreshInterval', duration()),
  f('nftablesFilterAllowAction', S.string()),
  f('nftablesMangleAllowAction', S.string()),
  f('nftablesFilterDenyAction', S.string()),
  f('nftablesMarkMask', named(S.int({ pointer: true }), '*uint32')),
  f('bpfEnabled', S.bool({ pointer: true })),
  f('bpfDisableUnprivileged', S.bool({ pointer: true })),
  f('bpfJITHardening', str('*v3.BPFJITHardeningType', true)),
  f('bpfLogLevel', S.string(), false),
  f('bpfConntrackLogLevel', S.string()),
  f('bpfConntrackMode', str('*v3.BPFConntrackMode', true)),
  f('bpfConntrackTimeouts', bpfConntrackTimeouts()),
  f('bpfLogFilters', S.map(S.string())),
  f('bpfCTLBLogFilter', S.string()),
  f('bpfDataIfacePattern', S.string()),
  f('bpfL3IfacePattern', S.string()),
  f('bpfConnectTimeLoadBalancingEnabled', S.bool({ pointer: true })),
  f('bpfConnectTimeLoadBalancing', str('*v3.BPFConnectTimeLBType', true)),
  f('bpfHostNetworkedNATWithoutCTLB', str('*v3.BPFHostNetworkedNATType', true)),
  f('bpfExternalServiceMode', S.string()),
  f('bpfDSROptoutCIDRs', S.slice(S.string())),
  f('bpfExtToServiceConnmark', S.int({ pointer: true })),
  f('bpfKubeProxyIptablesCleanupEnabled', S.bool({ pointer: true })),
  f('bpfKubeProxyMinSyncPeriod', duration()),
  f('bpfKubeProxyHealthzPort', S.int({ pointer: true })),
  f('bpfPSNATPorts', named(S.any(), '*numorstring.Port')),
  f('bpfMapSizeNATFrontend', S.int({ pointer: true })),
  f('bpfMapSizeNATBackend', S.int({ pointer: true })),
  f('bpfMapSizeNATAffinity', S.int({ pointer: true })),
  f('bpfMapSizeRoute', S.int({ pointer: true })),
  f('bpfMapSizeConntrack', S.int({ pointer: true })),
  f('bpfMapSizePerCpuConntrack', S.int({ pointer: true })),
  f('bpfMapSizeConntrackScaling', S.string()),
  f('bpfMapSizeConntrackCleanupQueue', S.int({ pointer: true })),
  f('bpfMapSizeIPSets', S.int({ pointer: true })),
  f('bpfMapSizeIfState', S.int({ pointer: true })),
  f('bpfHostConntrackBypass', S.bool({ pointer: true })),
  f('bpfEnforceRPF', S.string()),
  f('bpfPolicyDebugEnabled', S.bool({ pointer: true })),
  f('bpfForceTrackPacketsFromIfaces', S.slice(S.string())),
  f('bpfDisableGROForIfaces', S.string()),
  f('bpfExcludeCIDRsFromNAT', S.slice(S.string())),
  f('bpfExportBufferSizeMB', S.int({ pointer: true })),
  f('istioAmbientMode', str('*v3.IstioAmbientMode', true)),
  f('istioDSCPMark', named(S.any(), '*numorstring.DSCP')),
  f('cgroupV2Path', S.string()),
  f('flowLogsPolicyEvaluationMode', str('*v3.FlowLogsPolicyEvaluationModeType', true)),
  f('bpfRedirectToPeer', S.string()),
  f('bpfAttachType', str('*v3.BPFAttachOption', true)),
  f('flowLogsFlushInterval', duration()),
  f('flowLogsCollectorDebugTrace', S.bool({ pointer: true })),
  f('flowLogsGoldmaneServer', S.string({ pointer: true })),
  f('flowLogsLocalReporter', S.string({ pointer: true })),
  f('bpfProfiling', S.string()),
  f('routeSource', S.string()),
  f('routeTableRanges', routeTableRanges()),
  f('routeTableRange', routeTableRange(true)),
  f('routeSyncDisabled', S.bool({ pointer: true })),
  f('ipv4NormalRoutePriority', S.int({ pointer: true })),
  f('ipv4ElevatedRoutePriority', S.int({ pointer: true })),
  f('ipv6NormalRoutePriority', S.int({ pointer: true })),
  f('ipv6ElevatedRoutePriority', S.int({ pointer: true })),
  f('liveMigrationRouteConvergenceTime', duration()),
  f('wireguardEnabled', S.bool({ pointer: true })),
  f('wireguardEnabledV6', S.bool({ pointer: true })),
  f('wireguardThreadingEnabled', S.bool({ pointer: true })),
  f('wireguardListeningPort', S.int({ pointer: true })),
  f('wireguardListeningPortV6', S.int({ pointer: true })),
  f('wireguardRoutingRulePriority', S.int({ pointer: true })),
  f('wireguardInterfaceName', S.string()),
  f('wireguardInterfaceNameV6', S.string()),
  f('wireguardMTU', S.int({ pointer: true })),
  f('wireguardMTUV6', S.int({ pointer: true })),
  f('wireguardHostEncryptionEnabled', S.bool({ pointer: true })),
  f('wireguardKeepAlive', duration()),
  f('awsSrcDstCheck', str('*v3.AWSSrcDstCheckOption', true)),
  f('serviceLoopPrevention', S.string()),
  f('workloadSourceSpoofing', S.string()),
  f('mtuIfacePattern', S.string()),
  f('floatingIPs', str('*v3.FloatingIPType', true)),
  f('windowsManageFirewallRules', str('*v3.WindowsManageFirewallRulesMode', true)),
  f('goGCThreshold', S.int({ pointer: true })),
  f('goMemoryLimitMB', S.int({ pointer: true })),
  f('goMaxProcs', S.int({ pointer: true })),
  f('requireMTUFile', S.bool({ pointer: true })),
  f('bpfMaglevMaxEndpointsPerService', S.int({ pointer: true })),
  f('bpfMaglevMaxServices', S.int({ pointer: true })),
]);

/**
 * Policy specs: the top level is modelled (Go order, strict), the rules inside ingress/egress are
 * kept as written. `staged` adds StagedAction first; `global` adds the GlobalNetworkPolicy fields.
 */
function policySpec(goName: string, opts: { staged?: boolean; global?: boolean }): Schema {
  const rules = named(S.slice(S.any()), '[]v3.Rule');
  return struct(goName, [
    ...(opts.staged ? [f('stagedAction', str('v3.StagedAction'))] : []),
    f('tier', S.string()),
    f('order', S.float({ pointer: true })),
    f('ingress', rules),
    f('egress', rules),
    f('selector', S.string()),
    f('types', named(S.slice(str('v3.PolicyType')), '[]v3.PolicyType')),
    ...(opts.global
      ? [f('doNotTrack', S.bool()), f('preDNAT', S.bool()), f('applyOnForward', S.bool())]
      : []),
    f('serviceAccountSelector', S.string()),
    ...(opts.global ? [f('namespaceSelector', S.string())] : []),
    f('performanceHints', named(S.slice(str('v3.PolicyPerformanceHint')), '[]v3.PolicyPerformanceHint')),
  ]);
}

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
  FelixConfiguration: resource('FelixConfiguration', felixConfigurationSpec),
  NetworkPolicy: resource('NetworkPolicy', policySpec('NetworkPolicySpec', {})),
  GlobalNetworkPolicy: resource(
    'GlobalNetworkPolicy',
    policySpec('GlobalNetworkPolicySpec', { global: true }),
  ),
  StagedNetworkPolicy: resource(
    'StagedNetworkPolicy',
    policySpec('StagedNetworkPolicySpec', { staged: true }),
  ),
  StagedGlobalNetworkPolicy: resource(
    'StagedGlobalNetworkPolicy',
    policySpec('StagedGlobalNetworkPolicySpec', { staged: true, global: true }),
  ),
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
