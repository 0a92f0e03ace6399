/** BGPPeer (api/pkg/apis/projectcalico/v3/bgppeer.go): Go layout, columns and the validator's checks. */
import { S } from '../../codec/go-json.js';
import { failure, NAME_RE, selectorFailures, tagFailure } from '../field-rules.js';
import { parseIP } from '../ip.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { asNumber, bgpPassword, duration, f, named, resource, str, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';

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

const columns = [
  name,
  col('PEERIP', spec('peerIP')),
  {
    heading: 'NODE',
    cell: (r: ResourceObject) =>
      (spec('node')(r) as string) || (spec('nodeSelector')(r) as string) || '(global)',
  },
  col('ASN', spec('asNumber'), '0'),
];

export const bgppeer: KindDescriptor = {
  ...naming('BGPPeer', 'bgppeers', ['bgpp', 'bgpps', 'bp', 'bps']),
  schema: resource('BGPPeer', bgpPeerSpec),
  ps: columns,
  wide: columns,
  validate: validateBGPPeer,
};

const IPV4_PORT = /^(\d{1,3}\.){3}\d{1,3}:\d+$/;
const IPV6_PORT = /^\[[0-9a-fA-F:.]+\]:\d+$/;

/** processIPPort: `<IP>`, `<IPv4>:<port>` or `[<IPv6>]:<port>`. */
function splitPeerIP(peerIP: string): { ip: string; port: number } | undefined {
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
    errs.push(failure('Node', s.node, 'Node field must be empty when NodeSelector is specified'));
  if (peerIP && s.peerSelector)
    errs.push(failure('PeerIP', peerIP, 'PeerIP field must be empty when PeerSelector is specified'));
  if (asn !== 0 && s.peerSelector)
    errs.push(failure('ASNumber', asn, 'ASNumber field must be empty when PeerSelector is specified'));
  if (asn === 0 && s.localWorkloadSelector)
    errs.push(
      failure('ASNumber', asn, 'ASNumber field must NOT be empty when LocalWorkloadSelector is specified'),
    );
  if (peerIP && s.localWorkloadSelector)
    errs.push(
      failure('PeerIP', peerIP, 'PeerIP field must be empty when LocalWorkloadSelector is specified'),
    );
  if (s.peerSelector && s.localWorkloadSelector)
    errs.push(
      failure(
        'PeerSelector',
        peerIP,
        'PeerSelector field must be empty when LocalWorkloadSelector is specified',
      ),
    );
  const reachable = reachableByProblem((s.reachableBy as string | undefined) ?? '', peerIP);
  if (reachable) errs.push(failure('ReachableBy', s.reachableBy, reachable));
  if (s.keepOriginalNextHop && s.nextHopMode !== undefined)
    errs.push(
      failure(
        'KeepOriginalNextHop',
        peerIP,
        'The KeepOriginalNextHop field is deprecated. It must not be set to true when NextHopMode is configured.',
      ),
    );
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
