/**
 * The expected kernel state of one node, computed from the datastore the way Felix and confd/BIRD
 * compute what they program (v3.32.1; dataplane.md §1-§8). Some expectations name kernel facts that
 * only the node has (the interface holding the node's address, the host MTU, how BIRD resolves a
 * next hop), so the model reads them from the kernel view; it never reads anything else.
 */
import { createHash } from 'node:crypto';

import { cidrContains, formatIP, parseCIDR, parseCIDROrIP, parseIP, type CIDR } from '../resources/ip.js';
import { prefixOf, PrefixIndex, readCIDR, readPrefix } from './prefix-index.js';
import type { BlockFacts, ClusterSettings, NodeFacts, PoolFacts } from './cluster-state.js';
import type { Finding } from './findings.js';
import {
  interfaceWithAddress,
  nextHopResolver,
  spellPrefix,
  type KernelRoute,
  type KernelView,
} from './kernel-view.js';

export const VXLAN_DEVICE = { 4: 'vxlan.calico', 6: 'vxlan-v6.calico' } as const;
export const IPIP_DEVICE = 'tunl0';
const WORKLOAD_MAC = 'ee:ee:ee:ee:ee:ee';
/** Felix's MTUIfacePattern default. */
const MTU_IFACE_PATTERN = /^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)/;

export type PoolType = 'vxlan' | 'ipip' | 'noencap';
export type Programmer = 'Felix' | 'BIRD';

export interface ExpectedRoute {
  family: 4 | 6;
  type: 'unicast' | 'blackhole';
  dst: string;
  gateway?: string;
  /** Undefined: any device (a blackhole, or a next hop the check could not resolve). */
  dev?: string;
  protocol: string;
  onlink: boolean;
  scope?: 'link';
  metric?: number;
  mtu?: number;
  area: 'routes' | 'workloads';
  missingCode: 'route-missing' | 'blackhole-missing' | 'workload-route-missing';
  programmer: Programmer;
  /** The node the route leads to (BGP session blame, peer checks). */
  toNode?: string;
}

export interface ExpectedDevice {
  name: string;
  kind: string;
  mtu?: number;
  mac?: string;
  vxlan?: { id: number; local: string; port: number; learning: false; parent?: string };
  /** The one address of this family the device must carry (tunnel address), spelled bare. */
  address?: { family: 4 | 6; ip: string };
  programmer: string;
}

export interface ExpectedNeighbor {
  dst: string;
  dev: string;
  lladdr: string;
  node?: string;
}

export interface ExpectedFdbEntry {
  mac: string;
  dev: string;
  dst: string;
  node: string;
}

export interface ExpectedSysctl {
  name: string;
  value: string;
  /** Who sets it. */
  owner: string;
  /** The workload interface a per-interface sysctl is about. */
  iface?: string;
}

export interface PoolSummary {
  name: string;
  cidr: string;
  mode: string;
  /** Who programs its cluster routes: Felix, BIRD, both, nobody, or none (LoadBalancer only). */
  programmedBy: string;
}

export interface Expected {
  node: string;
  facts: NodeFacts | undefined;
  addresses: string[];
  pools: PoolSummary[];
  routes: ExpectedRoute[];
  devices: ExpectedDevice[];
  neighbors: ExpectedNeighbor[];
  fdb: ExpectedFdbEntry[];
  sysctls: ExpectedSysctl[];
  /** Findings about the configuration itself (route ownership, an unknown node). */
  configFindings: Finding[];
  /** Whether any pool's routes are BIRD's, so BIRD must be running. */
  needsBird: boolean;
  /** Pools whose routes nobody can expect (ownership conflict): their routes are not judged. */
  unjudgedPools: PrefixIndex<CIDR>;
  /** Every pool CIDR: a proto bird route inside one is Calico's. */
  poolCidrs: PrefixIndex<CIDR>;
  /** Workload interface prefixes (FelixConfiguration interfacePrefix). */
  interfacePrefixes: string[];
}

interface EffectiveConfig {
  vni: number;
  port: number;
  vxlanMTU: number;
  vxlanMTUV6: number;
  ipipMTU: number;
  interfacePrefixes: string[];
  ipForwarding: boolean;
  deviceRouteProtocol: string;
  workloadMetric: number;
  felixProgramsClusterRoutes: boolean;
  birdProgramsClusterRoutes: boolean;
}

interface PoolRef {
  pool: PoolFacts;
  net: CIDR;
  type: PoolType;
  crossSubnet: boolean;
  programmer: Programmer | 'conflict';
}

const numberOr = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

/** The MAC Felix gives a node's VTEP: spec.vxlanTunnelMACAddr[V6], else 'f' + sha1(name[-v6])[0:5]. */
export function vtepMac(node: NodeFacts, family: 4 | 6): string {
  const stored = family === 4 ? node.vxlanTunnelMACAddr : node.vxlanTunnelMACAddrV6;
  if (stored) return stored.toLowerCase();
  const sha = createHash('sha1')
    .update(family === 4 ? node.name : `${node.name}-v6`)
    .digest();
  return [0x66, ...sha.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** `protocol` as `ip -d -j` prints it (numbers without a name print as a string of the number). */
function protocolName(n: number): string {
  return { 2: 'kernel', 3: 'boot', 4: 'static', 12: 'bird' }[n] ?? String(n);
}

function effectiveConfig(cluster: ClusterSettings, node: string, view: KernelView): EffectiveConfig {
  const felix = {
    ...(cluster.felixConfigurations['default'] ?? {}),
    ...(cluster.felixConfigurations[`node.${node}`] ?? {}),
  };
  const hostMTU = findHostMTU(view);
  const prefix =
    typeof felix['interfacePrefix'] === 'string' && felix['interfacePrefix'] !== ''
      ? felix['interfacePrefix']
      : 'cali';
  return {
    vni: numberOr(felix['vxlanVNI'], 4096),
    port: numberOr(felix['vxlanPort'], 4789),
    vxlanMTU: numberOr(felix['vxlanMTU'], hostMTU - 50),
    vxlanMTUV6: numberOr(felix['vxlanMTUV6'], hostMTU - 70),
    ipipMTU: numberOr(felix['ipipMTU'], hostMTU - 20),
    interfacePrefixes: prefix.split(','),
    ipForwarding: felix['ipForwarding'] !== 'Disabled',
    deviceRouteProtocol: protocolName(numberOr(felix['deviceRouteProtocol'], 3)),
    workloadMetric: numberOr(felix['ipv4NormalRoutePriority'], 1024),
    // v3.32.1: Felix programs IPIP and no-encap routes only with `Enabled`; confd lets BIRD program
    // them unless the default BGPConfiguration says `Disabled`.
    felixProgramsClusterRoutes: felix['programClusterRoutes'] === 'Enabled',
    birdProgramsClusterRoutes: cluster.bgpConfiguration?.['programClusterRoutes'] !== 'Disabled',
  };
}

/** Felix's findHostMTU: the smallest MTU of the up interfaces matching MTUIfacePattern, else 1460. */
function findHostMTU(view: KernelView): number {
  let mtu = 0;
  for (const link of view.links.values()) {
    if (!link.up || !MTU_IFACE_PATTERN.test(link.name)) continue;
    if (mtu === 0 || link.mtu < mtu) mtu = link.mtu;
  }
  return mtu || 1460;
}

function poolType(pool: PoolFacts): PoolType {
  if (pool.vxlanMode !== 'Never') return 'vxlan';
  if (pool.ipipMode !== 'Never') return 'ipip';
  return 'noencap';
}

/**
 * The expectations of a node built in steps, so that node check computes each block's routes as the
 * block arrives: `expected` holds what the settings alone say (pools, configuration findings) and
 * each added block's routes in turn; finish() adds the rest (BIRD's blackholes, devices, neighbours,
 * FDB entries, workloads, sysctls), in the order the check reports them.
 */
export interface ExpectationBuilder {
  readonly expected: Expected;
  addBlocks(blocks: readonly BlockFacts[]): void;
  finish(): Expected;
}

export function expectNode(cluster: ClusterSettings, node: string, view: KernelView): ExpectationBuilder {
  const config = effectiveConfig(cluster, node, view);
  const nodes = new Map(cluster.nodes.map((n) => [n.name, n]));
  const me = nodes.get(node);
  const configFindings: Finding[] = [];
  const pools: PoolRef[] = [];
  const summaries: PoolSummary[] = [];
  const poolCidrs: [CIDR, CIDR][] = [];
  const unjudgedPools: [CIDR, CIDR][] = [];
  for (const pool of cluster.pools) {
    const net = parseCIDR(pool.cidr);
    if (!net) continue;
    poolCidrs.push([net, net]);
    const type = poolType(pool);
    const mode =
      type === 'vxlan'
        ? `VXLAN ${pool.vxlanMode}`
        : type === 'ipip'
          ? `IPIP ${pool.ipipMode}`
          : 'no encapsulation';
    if (pool.loadBalancerOnly) {
      summaries.push({ name: pool.name, cidr: pool.cidr, mode, programmedBy: 'none (LoadBalancer only)' });
      continue;
    }
    let programmer: Programmer | 'conflict' = 'Felix';
    if (type !== 'vxlan') {
      const felix = config.felixProgramsClusterRoutes;
      const bird = config.birdProgramsClusterRoutes;
      programmer = felix === bird ? 'conflict' : felix ? 'Felix' : 'BIRD';
      if (programmer === 'conflict') {
        unjudgedPools.push([net, net]);
        configFindings.push({
          code: 'route-owner-conflict',
          severity: 'error',
          area: 'config',
          subject: pool.cidr,
          expected: 'exactly one of Felix and BIRD programs the routes',
          actual: felix ? 'both Felix and BIRD program them' : 'neither Felix nor BIRD programs them',
          hint: felix
            ? "set programClusterRoutes: Disabled in the default BGPConfiguration (BIRD's) or in FelixConfiguration"
            : 'set programClusterRoutes: Enabled in FelixConfiguration, or remove programClusterRoutes: Disabled from the default BGPConfiguration',
        });
      }
    }
    const crossSubnet = (type === 'vxlan' ? pool.vxlanMode : pool.ipipMode) === 'CrossSubnet';
    pools.push({ pool, net, type, crossSubnet, programmer });
    summaries.push({
      name: pool.name,
      cidr: pool.cidr,
      mode,
      programmedBy:
        programmer === 'conflict'
          ? config.felixProgramsClusterRoutes
            ? 'Felix and BIRD'
            : 'nobody'
          : programmer,
    });
  }
  const poolIndex = new PrefixIndex(pools.map((p) => [p.net, p] as const));

  const expected: Expected = {
    node,
    facts: me,
    addresses: [me?.ipv4Address, me?.ipv6Address].filter((a): a is string => a !== undefined),
    pools: summaries,
    routes: [],
    devices: [],
    neighbors: [],
    fdb: [],
    sysctls: [],
    configFindings,
    needsBird: pools.some((p) => p.programmer === 'BIRD'),
    unjudgedPools: new PrefixIndex(unjudgedPools),
    poolCidrs: new PrefixIndex(poolCidrs),
    interfacePrefixes: config.interfacePrefixes,
  };
  if (!me) {
    configFindings.push({
      code: 'node-unknown',
      severity: 'error',
      area: 'config',
      subject: node,
      expected: `a Node resource named ${node}`,
      actual: null,
      hint: "give the node's Calico name with --node (see 'calicoctl-ts get nodes')",
    });
    return { expected, addBlocks: () => undefined, finish: () => expected };
  }
  // Each node's address is parsed once, and tested against this node's subnet once: a node of a
  // large cluster has routes to thousands of nodes' blocks.
  const ipOf = memoize(hostIP);
  const mySubnet = { 4: me.ipv4Address, 6: me.ipv6Address };
  const sameSubnet = new Map<string, boolean>();
  const inMySubnet = (family: 4 | 6, ip: string): boolean => {
    let same = sameSubnet.get(ip);
    if (same === undefined) sameSubnet.set(ip, (same = inSubnet(mySubnet[family], ip)));
    return same;
  };
  const myIP = { 4: ipOf(me.ipv4Address), 6: ipOf(me.ipv6Address) } as const;
  const parent = {
    4: myIP[4] && interfaceWithAddress(view, myIP[4]),
    6: myIP[6] && interfaceWithAddress(view, myIP[6]),
  };
  const resolveNextHop = nextHopResolver(view, (r: KernelRoute): boolean => isCalicoRoute(r, expected));

  /**
   * The route to `dst` on a remote node, as its pool's programmer writes it; undefined: none. One
   * object literal with every field (a node of a large cluster has one for each of ten thousand
   * blocks): Felix's direct route unless the pool's mode says otherwise.
   */
  const remoteRoute = (
    dst: string,
    family: 4 | 6,
    to: NodeFacts,
    ref: PoolRef,
    tunnelAddress: boolean,
  ): ExpectedRoute | undefined => {
    const poolProgrammer = ref.programmer;
    if (poolProgrammer === 'conflict') return undefined;
    const remoteIP = ipOf(family === 4 ? to.ipv4Address : to.ipv6Address);
    if (!remoteIP) return undefined;
    const sameSubnet = ref.crossSubnet && inMySubnet(family, remoteIP);
    let gateway: string | undefined = remoteIP;
    let dev: string | undefined = parent[family] || undefined;
    let protocol = '80';
    let onlink = true;
    let scope: 'link' | undefined;
    let metric: number | undefined;
    let mtu: number | undefined;
    let programmer: Programmer = 'Felix';
    if (ref.type === 'vxlan') {
      const vtep = family === 4 ? to.ipv4VXLANTunnelAddr : to.ipv6VXLANTunnelAddr;
      if (!vtep) return undefined; // Felix programs nothing until it knows the VTEP
      if (!sameSubnet) {
        dev = VXLAN_DEVICE[family];
        protocol = config.deviceRouteProtocol;
        mtu = family === 4 ? config.vxlanMTU : config.vxlanMTUV6;
        if (family === 6) metric = 1024;
        if (tunnelAddress) {
          gateway = undefined;
          onlink = false;
          scope = 'link';
        } else {
          gateway = vtep;
        }
      }
    } else if (ref.type === 'ipip' && family === 4 && !sameSubnet) {
      // IPIP goes through tunl0 (unless CrossSubnet within the subnet), onlink via the node itself.
      dev = IPIP_DEVICE;
      programmer = poolProgrammer;
      if (programmer === 'Felix') mtu = config.ipipMTU;
      else protocol = 'bird';
    } else if (poolProgrammer === 'BIRD') {
      // BIRD: the gateway it resolves recursively through the kernel's own routes.
      const hop = resolveNextHop(remoteIP);
      gateway = hop?.gateway ?? remoteIP;
      dev = hop?.dev;
      protocol = 'bird';
      onlink = false;
      programmer = 'BIRD';
    }
    return {
      family,
      type: 'unicast',
      dst,
      gateway,
      dev,
      protocol,
      onlink,
      scope,
      metric,
      mtu,
      area: 'routes',
      missingCode: 'route-missing',
      programmer,
      toNode: to.name,
    };
  };

  const blackhole = (net: CIDR, programmer: Programmer): ExpectedRoute => ({
    family: net.network.version,
    type: 'blackhole',
    dst: spellPrefix(net),
    protocol: programmer === 'Felix' ? '80' : 'bird',
    onlink: false,
    area: 'routes',
    missingCode: 'blackhole-missing',
    programmer,
  });

  // Blocks: a route to every remote block, a blackhole for every local one, and /32s for borrowed
  // addresses (routesFromBlock).
  const addBlocks = (blocks: readonly BlockFacts[]): void => {
    for (const block of blocks) {
      const net = readCIDR(block.cidr);
      if (!net) continue;
      const ref = poolIndex.longest(net);
      if (!ref) continue;
      const family = net.family;
      const full = net.prefix === (family === 4 ? 32 : 128);
      if (block.host === node) {
        if (!full && ref.programmer === 'Felix')
          expected.routes.push(blackhole(parseCIDR(block.cidr)!, 'Felix'));
      } else if (block.host !== '') {
        const owner = nodes.get(block.host);
        // The snapshot's CIDRs are canonical: only a full-length prefix needs `ip`'s bare spelling.
        const dst = full ? block.cidr.slice(0, block.cidr.indexOf('/')) : block.cidr;
        const route = owner && remoteRoute(dst, family, owner, ref, false);
        if (route) expected.routes.push(route);
      }
      for (const alloc of block.foreign) {
        if (alloc.node === node) continue; // a local workload: its cali route below
        const owner = nodes.get(alloc.node);
        const route = owner && remoteRoute(alloc.ip, family, owner, ref, alloc.type === 'vxlanTunnelAddress');
        if (route) expected.routes.push(route);
      }
    }
  };
  const finish = (): Expected => {
    // BIRD's static blackholes: one per block-affinity key of this node, whatever its state.
    for (const cidr of cluster.affinities[node] ?? []) {
      const net = parseCIDR(cidr);
      const ref = net && poolIndex.longest(prefixOf(net));
      if (!net || ref?.programmer !== 'BIRD' || net.prefix === (net.network.version === 4 ? 32 : 128))
        continue;
      expected.routes.push(blackhole(net, 'BIRD'));
    }

    // Tunnel devices and, for VXLAN, the neighbour and FDB entry of every remote VTEP.
    for (const family of [4, 6] as const) {
      const local = myIP[family];
      const vtep = family === 4 ? me.ipv4VXLANTunnelAddr : me.ipv6VXLANTunnelAddr;
      const vxlanPools = pools.some((p) => p.type === 'vxlan' && p.net.network.version === family);
      if (!vxlanPools || !local || !vtep) continue;
      const dev = VXLAN_DEVICE[family];
      const parentDev = parent[family];
      expected.devices.push({
        name: dev,
        kind: 'vxlan',
        mtu: family === 4 ? config.vxlanMTU : config.vxlanMTUV6,
        mac: vtepMac(me, family),
        vxlan: {
          id: config.vni,
          local,
          port: config.port,
          learning: false,
          ...(parentDev ? { parent: parentDev } : {}),
        },
        address: { family, ip: vtep },
        programmer: 'Felix',
      });
      for (const peer of cluster.nodes) {
        const peerIP = ipOf(family === 4 ? peer.ipv4Address : peer.ipv6Address);
        const peerVtep = family === 4 ? peer.ipv4VXLANTunnelAddr : peer.ipv6VXLANTunnelAddr;
        if (peer.name === node || !peerIP || !peerVtep) continue;
        const mac = vtepMac(peer, family);
        expected.neighbors.push({ dst: peerVtep, dev, lladdr: mac, node: peer.name });
        expected.fdb.push({ mac, dev, dst: peerIP, node: peer.name });
      }
    }
    if (pools.some((p) => p.type === 'ipip' && p.net.network.version === 4)) {
      expected.devices.push({
        name: IPIP_DEVICE,
        kind: 'ipip',
        mtu: config.ipipMTU,
        ...(me.ipv4IPIPTunnelAddr ? { address: { family: 4 as const, ip: me.ipv4IPIPTunnelAddr } } : {}),
        programmer: 'Felix',
      });
    }

    // Local workloads: the cali route, the device, static ARP, and the interface's sysctls.
    let anyV6 = cluster.pools.some((p) => p.cidr.includes(':'));
    for (const w of cluster.workloads) {
      if (w.node !== node || w.interfaceName === '') continue;
      expected.devices.push({
        name: w.interfaceName,
        kind: 'veth',
        mac: WORKLOAD_MAC,
        programmer: 'the Calico CNI plugin',
      });
      let v4 = false;
      let v6 = false;
      for (const ipNet of w.ipNetworks) {
        const net = parseCIDROrIP(ipNet);
        if (!net) continue;
        const family = net.network.version;
        if (family === 4) v4 = true;
        else v6 = true;
        expected.routes.push({
          family,
          type: 'unicast',
          dst: spellPrefix(net),
          dev: w.interfaceName,
          protocol: config.deviceRouteProtocol,
          onlink: false,
          ...(family === 4 ? { scope: 'link' as const } : {}),
          metric: family === 4 ? config.workloadMetric : 1024,
          area: 'workloads',
          missingCode: 'workload-route-missing',
          programmer: 'Felix',
        });
        if (family === 4 && w.mac) {
          expected.neighbors.push({
            dst: spellPrefix(net),
            dev: w.interfaceName,
            lladdr: w.mac.toLowerCase(),
          });
        }
      }
      const i = w.interfaceName;
      const sys = (name: string, value: string): void => {
        expected.sysctls.push({ name, value, owner: 'Felix and the Calico CNI plugin', iface: i });
      };
      if (v4) {
        sys(`net.ipv4.conf.${i}.proxy_arp`, '1');
        sys(`net.ipv4.neigh.${i}.proxy_delay`, '0');
        sys(`net.ipv4.conf.${i}.forwarding`, '1');
        sys(`net.ipv4.conf.${i}.route_localnet`, '1');
      }
      if (v6) {
        anyV6 = true;
        sys(`net.ipv6.conf.${i}.proxy_ndp`, '1');
        sys(`net.ipv6.conf.${i}.forwarding`, '1');
        sys(`net.ipv6.conf.${i}.accept_ra`, '0');
      }
    }
    if (config.ipForwarding) {
      expected.sysctls.push({ name: 'net.ipv4.ip_forward', value: '1', owner: 'Felix, at start-up' });
      if (anyV6)
        expected.sysctls.push({
          name: 'net.ipv6.conf.all.forwarding',
          value: '1',
          owner: 'Felix, at start-up',
        });
    }
    return expected;
  };
  return { expected, addBlocks, finish };
}

function memoize<T>(fn: (key: string | undefined) => T): (key: string | undefined) => T {
  const cache = new Map<string | undefined, T>();
  return (key) => {
    // One lookup when the answer is known (a node of a large cluster asks about every other node's
    // address once for each of its blocks).
    let value = cache.get(key);
    if (value === undefined && !cache.has(key)) cache.set(key, (value = fn(key)));
    return value as T;
  };
}

/** The address of a `bgp.ipv4Address`-style value (`192.168.1.10/24` -> `192.168.1.10`). */
export function hostIP(address: string | undefined): string | undefined {
  const p = address ? readPrefix(address) : undefined;
  if (!p) return undefined;
  // IPv4 that parses is written as Go prints it (four decimal octets, no leading zero).
  return p.family === 4 ? address!.split('/', 1)[0] : formatIP(p.v6!.ip);
}

/** Whether ip lies in the subnet of the local `address/prefix` (nodeInOurSubnet). */
function inSubnet(address: string | undefined, ip: string): boolean {
  const net = address?.includes('/') ? parseCIDR(address) : undefined;
  const addr = parseIP(ip);
  return (
    net !== undefined &&
    addr !== undefined &&
    cidrContains(net, { network: addr, prefix: addr.version === 4 ? 32 : 128 })
  );
}

/**
 * Felix's and BIRD's claim on a main-table route (RouteIsOurs, dataplane.md §9): proto 80; any
 * route on a workload interface or a Calico tunnel device; proto bird inside an IP pool. Kernel
 * routes (connected subnets, link-local) are never Calico's.
 */
export function isCalicoRoute(
  r: KernelRoute,
  expected: Pick<Expected, 'poolCidrs' | 'interfacePrefixes'>,
): boolean {
  if (r.protocol === 'kernel') return false;
  if (r.protocol === '80') return true;
  const dev = r.dev;
  if (dev && (dev === VXLAN_DEVICE[4] || dev === VXLAN_DEVICE[6] || dev === IPIP_DEVICE)) return true;
  // Loops, not closures: a node of a large cluster asks this of every one of its routes.
  if (dev) for (const prefix of expected.interfacePrefixes) if (dev.startsWith(prefix)) return true;
  if (r.protocol !== 'bird' || r.dst === 'default') return false;
  const net = readPrefix(r.dst);
  return net !== undefined && expected.poolCidrs.holds(net);
}
