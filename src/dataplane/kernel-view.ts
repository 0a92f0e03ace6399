/**
 * The parts of a saved kernel state that node check compares, normalised from iproute2's JSON:
 * main-table routes, links with their VXLAN parameters, addresses, neighbours and FDB entries.
 */
import { formatCIDR, parseCIDROrIP, parseIP, type CIDR } from '../resources/ip.js';
import { PrefixIndex, readAddress } from './prefix-index.js';
import type { IprouteObject, KernelState } from './kernel-state.js';

export interface KernelRoute {
  family: 4 | 6;
  type: string;
  /** As `ip` spells it: a prefix, or a bare address for a /32 or /128. */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol: string;
  scope: string;
  metric?: number;
  onlink: boolean;
  mtu?: number;
}

export interface KernelLink {
  name: string;
  index: number;
  kind: string;
  mtu: number;
  mac: string;
  /** Administratively up (the UP flag). */
  up: boolean;
  /** The parent device (`link`), for a VXLAN device its `dev`. */
  parent?: string;
  vxlan?: { id?: number; local?: string; port?: number; learning?: boolean; parent?: string };
}

export interface KernelAddress {
  family: 4 | 6;
  local: string;
  prefixlen: number;
}

export interface KernelNeighbor {
  dst: string;
  dev: string;
  lladdr?: string;
  permanent: boolean;
}

export interface KernelFdbEntry {
  mac: string;
  dev: string;
  dst?: string;
  permanent: boolean;
}

export interface KernelView {
  routes: KernelRoute[];
  /** The routes by destination: most destinations have one route, a list is made only for a second. */
  routesByDst: Map<string, KernelRoute | KernelRoute[]>;
  links: Map<string, KernelLink>;
  addresses: Map<string, KernelAddress[]>;
  neighbors: KernelNeighbor[];
  fdb: KernelFdbEntry[];
  sysctls: Record<string, string>;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export function kernelView(state: KernelState): KernelView {
  const routes: KernelRoute[] = [];
  const routesByDst = new Map<string, KernelRoute | KernelRoute[]>();
  for (const r of state.routes) {
    const route = kernelRoute(r);
    if (!route) continue;
    routes.push(route);
    const known = routesByDst.get(route.dst);
    if (known === undefined) routesByDst.set(route.dst, route);
    else if (Array.isArray(known)) known.push(route);
    else routesByDst.set(route.dst, [known, route]);
  }
  const links = new Map<string, KernelLink>();
  for (const l of state.links) {
    const link = kernelLink(l);
    links.set(link.name, link);
  }
  const addresses = new Map<string, KernelAddress[]>();
  for (const a of state.addresses) {
    const name = text(a['ifname']);
    if (!name) continue;
    const list: KernelAddress[] = [];
    for (const info of Array.isArray(a['addr_info']) ? (a['addr_info'] as IprouteObject[]) : []) {
      const local = text(info['local']);
      const prefixlen = num(info['prefixlen']);
      const family = info['family'] === 'inet' ? 4 : info['family'] === 'inet6' ? 6 : undefined;
      if (local && prefixlen !== undefined && family) list.push({ family, local, prefixlen });
    }
    addresses.set(name, list);
  }
  const neighbors = state.neighbors.flatMap((n): KernelNeighbor[] => {
    const dst = text(n['dst']);
    const dev = text(n['dev']);
    if (!dst || !dev) return [];
    const lladdr = text(n['lladdr']);
    return [
      { dst, dev, ...(lladdr ? { lladdr } : {}), permanent: strings(n['state']).includes('PERMANENT') },
    ];
  });
  const fdb = state.fdb.flatMap((f): KernelFdbEntry[] => {
    const mac = text(f['mac']);
    // iproute2 6.x names the device `ifname`, older releases `dev`.
    const dev = text(f['ifname']) ?? text(f['dev']);
    if (!mac || !dev) return [];
    const dst = text(f['dst']);
    const state = f['state'];
    const permanent = state === 'permanent' || strings(state).includes('permanent');
    return [{ mac, dev, ...(dst ? { dst } : {}), permanent }];
  });
  return { routes, routesByDst, links, addresses, neighbors, fdb, sysctls: state.sysctls };
}

/**
 * Main-table routes only: Calico programs nothing elsewhere (WireGuard is out of scope). One object
 * literal with every field: a node of a large cluster has tens of thousands of routes.
 */
function kernelRoute(r: IprouteObject): KernelRoute | undefined {
  const table = text(r['table']) ?? 'main';
  if (table !== 'main') return undefined;
  // iproute2 prints destinations in canonical form (a /32 or /128 bare), so they are kept as text.
  const dst = text(r['dst']);
  if (!dst) return undefined;
  let mtu: number | undefined;
  for (const m of Array.isArray(r['metrics']) ? (r['metrics'] as IprouteObject[]) : []) {
    mtu ??= num(m['mtu']);
  }
  const gateway = text(r['gateway']) || undefined;
  const v6 =
    dst === 'default' ? gateway?.includes(':') === true || r['pref'] !== undefined : dst.includes(':');
  const flags = r['flags'];
  return {
    family: v6 ? 6 : 4,
    type: text(r['type']) ?? 'unicast',
    dst,
    gateway,
    dev: text(r['dev']) || undefined,
    protocol: String(r['protocol'] ?? 'boot'),
    scope: text(r['scope']) ?? 'global',
    metric: num(r['metric']),
    onlink: Array.isArray(flags) && flags.includes('onlink'),
    mtu,
  };
}

function kernelLink(l: IprouteObject): KernelLink {
  const info = (l['linkinfo'] ?? {}) as IprouteObject;
  const data = (info['info_data'] ?? {}) as IprouteObject;
  const kind = text(info['info_kind']) ?? '';
  const parent = text(l['link']);
  const link: KernelLink = {
    name: text(l['ifname']) ?? '',
    index: num(l['ifindex']) ?? 0,
    kind,
    mtu: num(l['mtu']) ?? 0,
    mac: text(l['address']) ?? '',
    up: strings(l['flags']).includes('UP'),
    ...(parent ? { parent } : {}),
  };
  if (kind === 'vxlan') {
    const local = text(data['local']) ?? text(data['local6']);
    const vxParent = text(data['link']);
    const id = num(data['id']);
    const port = num(data['port']);
    link.vxlan = {
      ...(id !== undefined ? { id } : {}),
      ...(local ? { local } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(typeof data['learning'] === 'boolean' ? { learning: data['learning'] } : {}),
      ...(vxParent ? { parent: vxParent } : {}),
    };
  }
  return link;
}

/** `ip`'s spelling: 10.65.1.0/26, and 10.65.1.2 for a /32 (fd00::2 for a /128). */
export function spellPrefix(cidr: Pick<CIDR, 'network' | 'prefix'>): string {
  const full = cidr.network.version === 4 ? 32 : 128;
  const spelled = formatCIDR(cidr);
  return cidr.prefix === full ? spelled.slice(0, spelled.indexOf('/')) : spelled;
}

/** The interface holding this address (Felix's detectParentIface), if any. */
export function interfaceWithAddress(view: KernelView, ip: string): string | undefined {
  const want = parseIP(ip);
  if (!want) return undefined;
  for (const [name, list] of view.addresses) {
    if (list.some((a) => parseIP(a.local)?.value === want.value && a.family === want.version)) return name;
  }
  return undefined;
}

/**
 * How the kernel reaches an address outside Calico's own routes: a connected subnet (gateway: the
 * address itself), else the longest matching non-Calico main-table route (BIRD's `gateway
 * recursive` resolves the BGP next hop this way). The routes are indexed once, when the first address
 * is asked for (a node whose pools' routes are Felix's asks for none), and each address is resolved
 * once: a node of a large cluster asks for every other node.
 */
export function nextHopResolver(
  view: KernelView,
  isCalicoRoute: (r: KernelRoute) => boolean,
): (ip: string) => { gateway: string; dev: string } | undefined {
  let routes: PrefixIndex<KernelRoute> | undefined;
  const index = (): PrefixIndex<KernelRoute> => {
    const candidates: (readonly [CIDR, KernelRoute])[] = [];
    for (const r of view.routes) {
      if (r.type !== 'unicast' || !r.dev || isCalicoRoute(r)) continue;
      const cidr = parseCIDROrIP(r.dst === 'default' ? (r.family === 4 ? '0.0.0.0/0' : '::/0') : r.dst);
      if (cidr) candidates.push([cidr, r]);
    }
    // The longest prefix holding the address, the first route of the kernel's among equal ones.
    return new PrefixIndex(candidates);
  };
  const resolved = new Map<string, { gateway: string; dev: string } | undefined>();
  return (ip) => {
    const known = resolved.get(ip);
    if (known !== undefined || resolved.has(ip)) return known;
    const target = readAddress(ip);
    const best = target && (routes ??= index()).longest(target);
    const hop = best?.dev ? { gateway: best.gateway ?? ip, dev: best.dev } : undefined;
    resolved.set(ip, hop);
    return hop;
  };
}
