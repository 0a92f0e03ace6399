/**
 * IPIP kernel states built per the reference from a real captured VXLAN state: this kernel has no
 * ipip module, so no tunl0 can exist in a lab. The IPv4 VXLAN device and everything on it go (and,
 * with ipv6 false, the IPv6 VXLAN pool's too); tunl0 comes in as iproute2 prints the kernel's
 * fallback ipip device (dataplane.md §3), with the node's tunnel address, plus the given routes.
 */
import type { IprouteObject, KernelState } from '../../../src/dataplane/kernel-state.js';

export function ipipDocument(
  base: KernelState,
  tunnelAddress: string,
  routes: IprouteObject[],
  opts: { ipv6: boolean },
): KernelState {
  const doc: KernelState = JSON.parse(JSON.stringify(base)) as KernelState;
  const gone = (dev: unknown): boolean => dev === 'vxlan.calico' || (!opts.ipv6 && dev === 'vxlan-v6.calico');
  doc.links = doc.links.filter((l) => !gone(l['ifname']));
  doc.links.push({
    ifindex: 99,
    ifname: 'tunl0',
    flags: ['NOARP', 'UP', 'LOWER_UP'],
    mtu: 1480,
    operstate: 'UNKNOWN',
    link_type: 'ipip',
    address: '0.0.0.0',
    linkinfo: { info_kind: 'ipip', info_data: { remote: 'any', local: 'any', ttl: 0, pmtudisc: true } },
  });
  doc.addresses = doc.addresses.filter((a) => !gone(a['ifname']));
  doc.addresses.push({
    ifindex: 99,
    ifname: 'tunl0',
    addr_info: [{ family: 'inet', local: tunnelAddress, prefixlen: 32, scope: 'global', label: 'tunl0' }],
  });
  doc.neighbors = doc.neighbors.filter((n) => !gone(n['dev']));
  doc.fdb = doc.fdb.filter((f) => !gone(f['ifname']));
  const v6 = (r: IprouteObject): boolean => String(r['dst']).includes(':');
  doc.routes = doc.routes.filter(
    (r) =>
      !gone(r['dev']) &&
      !(r['protocol'] === '80' && !v6(r)) &&
      (opts.ipv6 || !String(r['dst']).startsWith('fd00:65:')),
  );
  doc.routes.push(...routes);
  return doc;
}

/** A main-table unicast route as `ip -d -j route` prints it. */
export function iprouteRoute(
  dst: string,
  gateway: string,
  dev: string,
  protocol: string,
  onlink: boolean,
): IprouteObject {
  return {
    type: 'unicast',
    dst,
    gateway,
    dev,
    table: 'main',
    protocol,
    scope: 'global',
    flags: onlink ? ['onlink'] : [],
  };
}

export function iprouteBlackhole(dst: string, protocol: string): IprouteObject {
  return { type: 'blackhole', dst, table: 'main', protocol, scope: 'global', flags: [] };
}

/** n1's routes when BIRD programs an IPIP Always pool in the three-node cluster. */
export const N1_BIRD_IPIP_ALWAYS: IprouteObject[] = [
  iprouteRoute('10.65.0.64/26', '10.230.1.2', 'tunl0', 'bird', true),
  iprouteRoute('10.65.0.10', '10.230.1.2', 'tunl0', 'bird', true),
  iprouteRoute('10.65.0.128/26', '10.230.2.3', 'tunl0', 'bird', true),
  iprouteBlackhole('10.65.0.0/26', 'bird'),
];
