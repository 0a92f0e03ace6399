/**
 * The checks libcalico-go runs before a write (clientv3 per-kind checks, then the v3 validator),
 * with its field names and reasons, so the messages match calicoctl v3.32.1. Pure functions: each
 * returns the failed fields (empty when valid) and may fill in the defaults Calico persists.
 */
import { cidrsOverlap, formatCIDR, parseCIDR, parseCIDROrIP, parseIP } from './ip.js';
import { parseSelector, SelectorError } from './selector.js';
import type { ErroredField, ResourceObject } from './types.js';

const NAME_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const NAME_SUBDOMAIN = `${NAME_LABEL}(\\.${NAME_LABEL})*`;
const NAME_RE = new RegExp(`^${NAME_SUBDOMAIN}$`);
const TIER_NAME_RE = new RegExp(`^${NAME_LABEL}$`);
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A go-playground tag failure as convertError/extractReason print it. */
function tagFailure(field: string, value: unknown, tag: string): ErroredField {
  return { name: field, value, reason: `Reason: failed to validate Field: ${field} because of Tag: ${tag} ` };
}

/**
 * The validator's `selector` tag: the value must parse as a Calico selector. Calico prints only
 * the tag failure; the parser's reason goes in `detail` for the hint.
 */
export function selectorFailures(fields: readonly [field: string, value: unknown][]): ErroredField[] {
  const errs: ErroredField[] = [];
  for (const [field, value] of fields) {
    if (typeof value !== 'string' || value === '') continue;
    try {
      parseSelector(value);
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      errs.push({ ...tagFailure(field, value, 'selector'), detail: `${field}: ${err.message}` });
    }
  }
  return errs;
}

/** k8s IsQualifiedName: optional DNS-subdomain prefix and a 63-char name. */
function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (!NAME_RE.test(prefix) || prefix.length > 253)
      errs.push(
        `prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${NAME_SUBDOMAIN}')`,
      );
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name))
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  return errs;
}

/** A name longer than maxLength, or not matching re (whose rule is the reason). */
function nameRuleFailures(name: string, maxLength: number, re: RegExp, rule: string): ErroredField[] {
  const errs: ErroredField[] = [];
  if (name.length > maxLength)
    errs.push({
      name: 'Metadata.Name',
      value: name,
      reason: `name is too long by ${name.length - maxLength} bytes`,
    });
  if (!re.test(name)) errs.push({ name: 'Metadata.Name', value: name, reason: rule });
  return errs;
}

/** validateObjectMeta (and validateTier's stricter name rule for Tier). */
export function validateMetadata(res: ResourceObject): ErroredField[] {
  const errs: ErroredField[] = [];
  const name = res.metadata.name ?? '';
  if (res.kind === 'Tier')
    errs.push(
      ...nameRuleFailures(
        name,
        63,
        TIER_NAME_RE,
        `name must consist of lower case alphanumeric characters or '-' (regex: ${NAME_LABEL})`,
      ),
    );
  errs.push(
    ...nameRuleFailures(
      name,
      253,
      NAME_RE,
      `name must consist of lower case alphanumeric characters, '-' or '.' (regex: ${NAME_SUBDOMAIN})`,
    ),
  );
  const ns = res.metadata.namespace;
  if (ns && !NAME_RE.test(ns))
    errs.push({
      name: 'Metadata.Namespace',
      value: ns,
      reason: `namespace must consist of lower case alphanumeric characters, '-' or '.' (regex: ${NAME_SUBDOMAIN})`,
    });
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(res.metadata.annotations ?? {})) {
    for (const reason of qualifiedNameErrors(k.toLowerCase()))
      errs.push({ name: 'Metadata.Annotations (key)', value: k, reason });
    annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (annotationBytes > 256 * 1024)
    errs.push({
      name: 'Metadata.Annotations (key)',
      value: res.metadata.annotations,
      reason: `total size of annotations is too large by ${annotationBytes - 256 * 1024} bytes`,
    });
  for (const [k, v] of Object.entries(res.metadata.labels ?? {})) {
    for (const reason of qualifiedNameErrors(k))
      errs.push({ name: 'Metadata.Labels (label)', value: k, reason });
    if (v.length > 63)
      errs.push({ name: 'Metadata.Labels (value)', value: v, reason: 'must be no more than 63 characters' });
    if (!LABEL_VALUE_RE.test(v))
      errs.push({
        name: 'Metadata.Labels (value)',
        value: v,
        reason:
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      });
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// IPPool

type Spec = Record<string, unknown>;
const LINK_LOCAL_V4 = parseCIDR('169.254.0.0/16')!;
const LINK_LOCAL_V6 = parseCIDR('fe80::/10')!;
const ENCAP_MODES = ['Never', 'Always', 'CrossSubnet'];

export interface ExistingPool {
  name: string;
  cidr: string;
}

/** cidrChangeOK: the same text, or the canonical form of the same network. */
function cidrChangeOK(oldCIDR: string, newCIDR: string): boolean {
  if (oldCIDR === newCIDR) return true;
  const a = parseCIDR(oldCIDR);
  const b = parseCIDR(newCIDR);
  if (!a || !b) return false;
  return (
    a.network.version === b.network.version &&
    a.network.value === b.network.value &&
    a.prefix === b.prefix &&
    newCIDR === formatCIDR(b)
  );
}

/**
 * clientv3 ipPools.validateAndSetDefaults then the validator's IPPoolSpec checks. Normalises the
 * CIDR and fills defaults in place. `old` is the stored pool on update; `others` the other pools
 * (create only).
 */
export function validateIPPool(
  res: ResourceObject,
  old: ResourceObject | undefined,
  others: readonly ExistingPool[],
): ErroredField[] {
  const spec = (res.spec ??= {});
  const cidrText = typeof spec.cidr === 'string' ? spec.cidr : '';
  if (cidrText === '') return [{ name: 'IPPool.Spec.CIDR', reason: 'IPPool CIDR must be specified' }];
  const cidr = parseCIDR(cidrText);
  if (!cidr)
    return [{ name: 'IPPool.Spec.CIDR', value: cidrText, reason: 'IPPool CIDR must be a valid subnet' }];
  spec.cidr = formatCIDR(cidr);
  if (!spec.nodeSelector) spec.nodeSelector = 'all()';
  const errs: ErroredField[] = [];
  const oldSpec = old?.spec ?? {};
  if (old && !cidrChangeOK(String(oldSpec.cidr ?? ''), spec.cidr as string))
    errs.push({ name: 'IPPool.Spec.CIDR', value: spec.cidr, reason: 'IPPool CIDR cannot be modified' });
  if (!spec.blockSize) spec.blockSize = cidr.ip.version === 4 ? 26 : 122;
  if (!Array.isArray(spec.allowedUses) || spec.allowedUses.length === 0)
    spec.allowedUses = ['Workload', 'Tunnel'];
  const uses = spec.allowedUses as string[];
  if (old) {
    const oldUses = Array.isArray(oldSpec.allowedUses) ? (oldSpec.allowedUses as string[]) : [];
    if (oldUses.includes('LoadBalancer') && uses.some((u) => u !== 'LoadBalancer'))
      return [
        {
          name: 'IPPool.Spec.AllowedUses',
          value: uses,
          reason: 'IPPool allowed use cannot be changed from LoadBalacer to Workload or Tunnel',
        },
      ];
  }
  if (spec.assignmentMode === undefined || spec.assignmentMode === null) spec.assignmentMode = 'Automatic';
  const blockSize = spec.blockSize as number;
  if (old && oldSpec.blockSize !== blockSize)
    errs.push({
      name: 'IPPool.Spec.BlockSize',
      value: blockSize,
      reason: 'IPPool BlockSize cannot be modified',
    });
  if (cidr.ip.version === 4 && (blockSize > 32 || blockSize < 20))
    errs.push({
      name: 'IPPool.Spec.BlockSize',
      value: blockSize,
      reason: 'IPv4 block size must be between 20 and 32',
    });
  if (cidr.ip.version === 6 && (blockSize > 128 || blockSize < 116))
    errs.push({
      name: 'IPPool.Spec.BlockSize',
      value: blockSize,
      reason: 'IPv6 block size must be between 116 and 128',
    });
  if (!spec.disabled && cidr.prefix > blockSize)
    errs.push({
      name: 'IPPool.Spec.CIDR',
      value: spec.cidr,
      reason:
        'IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.',
    });
  if (!old) {
    for (const other of others) {
      if (other.name === res.metadata.name) continue;
      const otherCIDR = parseCIDR(other.cidr);
      if (otherCIDR && cidrsOverlap(otherCIDR, cidr))
        errs.push({
          name: 'IPPool.Spec.CIDR',
          value: spec.cidr,
          reason: `IPPool(${res.metadata.name ?? ''}) CIDR overlaps with IPPool(${other.name}) CIDR ${other.cidr}`,
        });
    }
  }
  if (!spec.ipipMode) spec.ipipMode = 'Never';
  if (!spec.vxlanMode) spec.vxlanMode = 'Never';
  if (spec.vxlanMode !== 'Never' && spec.ipipMode !== 'Never')
    errs.push({
      name: 'IPPool.Spec.VXLANMode',
      value: spec.vxlanMode,
      reason: 'Cannot enable both VXLAN and IPIP on the same IPPool',
    });
  if (cidr.ip.version === 6 && spec.ipipMode !== 'Never')
    errs.push({
      name: 'IPPool.Spec.IPIPMode',
      value: spec.ipipMode,
      reason: 'IPIP is not supported on an IPv6 IP pool',
    });
  if (cidr.ip.value !== cidr.network.value)
    errs.push({ name: 'IPPool.Spec.CIDR', value: spec.cidr, reason: 'IPPool CIDR is not strictly masked' });
  if (cidrsOverlap(cidr, LINK_LOCAL_V4))
    errs.push({
      name: 'IPPool.Spec.CIDR',
      value: spec.cidr,
      reason: 'IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16',
    });
  if (cidrsOverlap(cidr, LINK_LOCAL_V6))
    errs.push({
      name: 'IPPool.Spec.CIDR',
      value: spec.cidr,
      reason: 'IPPool CIDR overlaps with IPv6 Link Local range fe80::/10',
    });
  if (errs.length > 0) return errs;
  return validateIPPoolSpecTags(spec);
}

/** The v3 validator's field tags and validateIPPoolSpec extras, after clientv3's checks passed. */
function validateIPPoolSpecTags(spec: Spec): ErroredField[] {
  const errs: ErroredField[] = selectorFailures([
    ['NodeSelector', spec.nodeSelector],
    ['NamespaceSelector', spec.namespaceSelector],
  ]);
  if (!ENCAP_MODES.includes(spec.vxlanMode as string))
    errs.push(tagFailure('VXLANMode', spec.vxlanMode, 'vxlanMode'));
  if (!ENCAP_MODES.includes(spec.ipipMode as string))
    errs.push(tagFailure('IPIPMode', spec.ipipMode, 'ipIpMode'));
  if (!['Automatic', 'Manual'].includes(spec.assignmentMode as string))
    errs.push(tagFailure('AssignmentMode', spec.assignmentMode, 'assignmentMode'));
  if (spec.ipip !== undefined) errs.push(tagFailure('IPIP', spec.ipip, 'mustBeNil'));
  if (spec['nat-outgoing']) errs.push(tagFailure('NATOutgoingV1', true, 'mustBeFalse'));
  const uses = spec.allowedUses as string[];
  const isLB = uses.includes('LoadBalancer');
  const enabled = (m: unknown) => m === 'Always' || m === 'CrossSubnet';
  if (isLB && (enabled(spec.ipipMode) || enabled(spec.vxlanMode)))
    errs.push({
      name: 'IPpool.IPIPMode',
      value: spec.ipipMode,
      reason: 'Neither IPIPMode nor VXLANMode can be enabled on AllowedUses LoadBalancer IP pool',
    });
  for (const use of uses) {
    if (use === 'LoadBalancer') continue;
    if (use === 'Workload' || use === 'Tunnel') {
      if (isLB)
        errs.push({
          name: 'IPpool.AllowedUses',
          value: uses,
          reason: `LoadBalancer cannot be used at the same time as: ${use}`,
        });
    } else {
      errs.push({ name: 'IPpool.AllowedUses', value: uses, reason: `unknown use: ${use}` });
    }
  }
  if (isLB && spec.disableBGPExport)
    errs.push({
      name: 'IPpool.DisableBGPExport',
      value: spec.cidr,
      reason: 'IP Pool with AllowedUse LoadBalancer must have DisableBGPExport set to true',
    });
  if (isLB && spec.nodeSelector !== 'all()')
    errs.push({
      name: 'IPpool.NodeSelector',
      value: spec.cidr,
      reason: 'IP Pool with AllowedUse LoadBalancer must have node selector set to all()',
    });
  if (uses.includes('Tunnel') && spec.namespaceSelector)
    errs.push({
      name: 'IPpool.NamespaceSelector',
      value: spec.namespaceSelector,
      reason:
        'IP Pool with AllowedUse Tunnel cannot have namespaceSelector specified - tunnel IPs are not namespaced resources',
    });
  if (typeof spec.nodeSelector === 'string' && spec.nodeSelector.includes('global('))
    errs.push({
      name: 'IPpool.NodeSelector',
      value: spec.nodeSelector,
      reason: 'global() selector is not valid for IPPool nodeSelector - use all() instead',
    });
  if (typeof spec.namespaceSelector === 'string' && spec.namespaceSelector.includes('global('))
    errs.push({
      name: 'IPpool.NamespaceSelector',
      value: spec.namespaceSelector,
      reason: 'global() selector is not valid for IPPool namespaceSelector - use all() instead',
    });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// BGPPeer, BGPConfiguration, Node, IPReservation, IPAMConfiguration

const IPV4_PORT = /^(\d{1,3}\.){3}\d{1,3}:\d+$/;
const IPV6_PORT = /^\[[0-9a-fA-F:.]+\]:\d+$/;

/** processIPPort: `<IP>`, `<IPv4>:<port>` or `[<IPv6>]:<port>`. */
export function splitPeerIP(peerIP: string): { ip: string; port: number } | undefined {
  let ip = peerIP;
  let port = 0;
  if (IPV4_PORT.test(peerIP) || IPV6_PORT.test(peerIP)) {
    const idx = peerIP.lastIndexOf(':');
    ip = peerIP.slice(0, idx).replace(/^\[|\]$/g, '');
    const portText = peerIP.slice(idx + 1);
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return undefined;
  }
  return parseIP(ip) ? { ip, port } : undefined;
}

export function validateBGPPeer(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  const peerIP = (s.peerIP as string | undefined) ?? '';
  if (peerIP && !splitPeerIP(peerIP)) errs.push(tagFailure('PeerIP', peerIP, 'IP:port'));
  if (s.node && !NAME_RE.test(s.node as string)) errs.push(tagFailure('Node', s.node, 'name'));
  if (s.sourceAddress && !['UseNodeIP', 'None'].includes(s.sourceAddress as string))
    errs.push(tagFailure('SourceAddress', s.sourceAddress, 'sourceAddress'));
  for (const filter of (s.filters as string[] | undefined) ?? [])
    if (!NAME_RE.test(filter)) errs.push(tagFailure('Filters[0]', filter, 'name'));
  if (s.reachableBy && !parseIP(s.reachableBy as string))
    errs.push(tagFailure('ReachableBy', s.reachableBy, 'reachableBy'));
  errs.push(
    ...selectorFailures([
      ['NodeSelector', s.nodeSelector],
      ['PeerSelector', s.peerSelector],
      ['LocalWorkloadSelector', s.localWorkloadSelector],
    ]),
  );
  if (errs.length > 0) return errs;
  const asn = Number(s.asNumber ?? 0);
  if (s.node && s.nodeSelector)
    errs.push({
      name: 'Node',
      value: s.node,
      reason: 'Node field must be empty when NodeSelector is specified',
    });
  if (peerIP && s.peerSelector)
    errs.push({
      name: 'PeerIP',
      value: peerIP,
      reason: 'PeerIP field must be empty when PeerSelector is specified',
    });
  if (asn !== 0 && s.peerSelector)
    errs.push({
      name: 'ASNumber',
      value: asn,
      reason: 'ASNumber field must be empty when PeerSelector is specified',
    });
  if (asn === 0 && s.localWorkloadSelector)
    errs.push({
      name: 'ASNumber',
      value: asn,
      reason: 'ASNumber field must NOT be empty when LocalWorkloadSelector is specified',
    });
  if (peerIP && s.localWorkloadSelector)
    errs.push({
      name: 'PeerIP',
      value: peerIP,
      reason: 'PeerIP field must be empty when LocalWorkloadSelector is specified',
    });
  if (s.peerSelector && s.localWorkloadSelector)
    errs.push({
      name: 'PeerSelector',
      value: peerIP,
      reason: 'PeerSelector field must be empty when LocalWorkloadSelector is specified',
    });
  const reachable = reachableByProblem((s.reachableBy as string | undefined) ?? '', peerIP);
  if (reachable) errs.push({ name: 'ReachableBy', value: s.reachableBy, reason: reachable });
  if (s.keepOriginalNextHop && s.nextHopMode !== undefined)
    errs.push({
      name: 'KeepOriginalNextHop',
      value: peerIP,
      reason:
        'The KeepOriginalNextHop field is deprecated. It must not be set to true when NextHopMode is configured.',
    });
  return errs;
}

function reachableByProblem(reachableBy: string, peerIP: string): string | undefined {
  if (!reachableBy) return undefined;
  if (!peerIP) return 'ReachablyBy field must be empty when PeerIP is empty';
  const via = parseIP(reachableBy);
  if (!via) return 'ReachableBy is invalid address';
  const peer = splitPeerIP(peerIP);
  if (!peer) return 'PeerIP is invalid address';
  if (parseIP(peer.ip)?.version !== via.version) return 'ReachableBy and PeerIP address family mismatched';
  return undefined;
}

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
    errs.push({
      name: 'Spec.NodeMeshPassword',
      value: s,
      reason: 'spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled',
    });
  if (s.nodeMeshMaxRestartTime !== undefined && s.nodeToNodeMeshEnabled === false)
    errs.push({
      name: 'Spec.NodeMeshMaxRestartTime',
      value: s,
      reason: 'spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled',
    });
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

export function validateNode(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  const bgp = s.bgp as Record<string, unknown> | undefined;
  if (bgp) {
    const v4 = bgp.ipv4Address as string | undefined;
    const v6 = bgp.ipv6Address as string | undefined;
    if (v4 && parseCIDROrIP(v4)?.ip.version !== 4) errs.push(tagFailure('IPv4Address', v4, 'cidrv4'));
    if (v6 && parseCIDROrIP(v6)?.ip.version !== 6) errs.push(tagFailure('IPv6Address', v6, 'cidrv6'));
    for (const key of ['ipv4IPIPTunnelAddr', 'routeReflectorClusterID']) {
      const v = bgp[key] as string | undefined;
      if (v && parseIP(v)?.version !== 4)
        errs.push(
          tagFailure(
            key === 'ipv4IPIPTunnelAddr' ? 'IPv4IPIPTunnelAddr' : 'RouteReflectorClusterID',
            v,
            'ipv4',
          ),
        );
    }
    if (Object.keys(bgp).length === 0)
      errs.push({ name: 'BGP', value: bgp, reason: 'Spec.BGP should not be empty' });
  }
  if (s.ipv4VXLANTunnelAddr && parseIP(s.ipv4VXLANTunnelAddr as string)?.version !== 4)
    errs.push(tagFailure('IPv4VXLANTunnelAddr', s.ipv4VXLANTunnelAddr, 'ipv4'));
  if (s.ipv6VXLANTunnelAddr && parseIP(s.ipv6VXLANTunnelAddr as string)?.version !== 6)
    errs.push(tagFailure('IPv6VXLANTunnelAddr', s.ipv6VXLANTunnelAddr, 'ipv6'));
  return errs;
}

export function validateIPReservation(res: ResourceObject): ErroredField[] {
  const cidrs = (res.spec?.reservedCIDRs as string[] | undefined) ?? [];
  const bad = cidrs.filter((c) => !parseCIDROrIP(c));
  return bad.length > 0 ? [tagFailure('ReservedCIDRs', cidrs, 'cidrs')] : [];
}

export function validateIPAMConfiguration(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  if (res.metadata.name !== 'default')
    errs.push({
      name: 'Metadata.Name',
      value: res.metadata.name,
      reason: "Only one IPAMConfiguration is allowed, named 'default'",
    });
  if (!s.strictAffinity && s.autoAllocateBlocks === false)
    errs.push({
      name: 'IPAMConfigurationSpec',
      reason: "Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time",
    });
  if ((s.maxBlocksPerHost as number | undefined) && Number(s.maxBlocksPerHost) < 0)
    errs.push({
      name: 'IPAMConfigurationSpec.MaxBlocksPerHost',
      value: s.maxBlocksPerHost,
      reason: 'must be a non-negative number',
    });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Policies (the modelled top level and the selectors inside rules)

const POLICY_TYPES = ['Ingress', 'Egress'];
const STAGED_ACTIONS = ['Set', 'Delete', 'Learn', 'Ignore'];

function ruleSelectors(rules: unknown): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const rule of Array.isArray(rules) ? rules : []) {
    for (const side of ['source', 'destination']) {
      const e = (rule as Record<string, unknown> | null)?.[side] as Record<string, unknown> | undefined;
      if (!e || typeof e !== 'object') continue;
      out.push(
        ['Selector', e.selector],
        ['NotSelector', e.notSelector],
        ['NamespaceSelector', e.namespaceSelector],
      );
      const sa = e.serviceAccounts as Record<string, unknown> | undefined;
      if (sa && typeof sa === 'object') out.push(['Selector', sa.selector]);
    }
  }
  return out;
}

export function validatePolicy(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  if (s.tier && !NAME_RE.test(s.tier as string)) errs.push(tagFailure('Tier', s.tier, 'name'));
  for (const t of (s.types as unknown[] | undefined) ?? [])
    if (!POLICY_TYPES.includes(t as string)) errs.push(tagFailure('Types[0]', t, 'policyType'));
  if (s.stagedAction && !STAGED_ACTIONS.includes(s.stagedAction as string))
    errs.push(tagFailure('StagedAction', s.stagedAction, 'stagedAction'));
  errs.push(
    ...selectorFailures([
      ['Selector', s.selector],
      ['ServiceAccountSelector', s.serviceAccountSelector],
      ['NamespaceSelector', s.namespaceSelector],
      ...ruleSelectors(s.ingress),
      ...ruleSelectors(s.egress),
    ]),
  );
  return errs;
}
