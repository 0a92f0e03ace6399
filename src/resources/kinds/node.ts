/** Node (libcalico-go/lib/apis/internalapi/node.go): Go layout, columns, the validator's checks. */
import { S } from '../../codec/go-json.js';
import { failure, tagFailure } from '../field-rules.js';
import { parseCIDROrIP, parseIP } from '../ip.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { asNumber, f, resource, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';

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

export const node: KindDescriptor = {
  ...naming('Node', 'nodes', ['no', 'nos']),
  schema: resource('Node', nodeSpec, [f('status', nodeStatus)]),
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
};

function validateNode(res: ResourceObject): ErroredField[] {
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
    if (Object.keys(bgp).length === 0) errs.push(failure('BGP', bgp, 'Spec.BGP should not be empty'));
  }
  if (s.ipv4VXLANTunnelAddr && parseIP(s.ipv4VXLANTunnelAddr as string)?.version !== 4)
    errs.push(tagFailure('IPv4VXLANTunnelAddr', s.ipv4VXLANTunnelAddr, 'ipv4'));
  if (s.ipv6VXLANTunnelAddr && parseIP(s.ipv6VXLANTunnelAddr as string)?.version !== 6)
    errs.push(tagFailure('IPv6VXLANTunnelAddr', s.ipv6VXLANTunnelAddr, 'ipv6'));
  return errs;
}
