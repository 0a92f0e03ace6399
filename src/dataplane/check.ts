/**
 * The comparison: a pure function of (datastore snapshot, kernel state) to findings. It never
 * changes the kernel; each finding's hint is the command that would restore the expected entry, or
 * names the Calico component that owns it.
 */
import { parseCIDROrIP } from '../resources/ip.js';
import type { BlockFacts, ClusterSettings, ClusterState } from './cluster-state.js';
import {
  expectNode,
  isCalicoRoute,
  VXLAN_DEVICE,
  type Expected,
  type ExpectedDevice,
  type ExpectationBuilder,
  type ExpectedRoute,
  type PoolSummary,
} from './expected.js';
import { summarize, type CheckSummary, type Finding } from './findings.js';
import type { KernelState, NodeSource } from './kernel-state.js';
import { readPrefix } from './prefix-index.js';
import { kernelView, type KernelLink, type KernelRoute, type KernelView } from './kernel-view.js';

export interface NodeCheckReport {
  node: string;
  nodeSource: NodeSource;
  /** The node's BGP addresses from its Node resource. */
  addresses: string[];
  pools: PoolSummary[];
  findings: Finding[];
  summary: CheckSummary;
}

export function checkNode(
  cluster: ClusterState,
  state: KernelState,
  node: string,
  nodeSource: NodeSource,
): NodeCheckReport {
  const check = new NodeCheck(node, nodeSource);
  check.start(cluster, state);
  check.addBlocks(cluster.blocks);
  return check.finish(cluster);
}

/**
 * checkNode while the datastore is still answering: blocks may be added before or after start();
 * from start() on, each batch of blocks has its routes computed and compared with the kernel's as
 * it is added, so that once the last block has arrived only what needs every block (routes that
 * nothing explains, the summary) remains. The findings and their order are checkNode's. Blocks
 * come in batches (what one read of the stream brought): a loop over a batch is what V8 optimizes
 * early, where a call per block would run unoptimized for thousands of blocks.
 */
export class NodeCheck {
  private readonly pending: BlockFacts[] = [];
  private started: { builder: ExpectationBuilder; routes: RouteMatcher; state: KernelState } | undefined;

  constructor(
    private readonly node: string,
    private readonly nodeSource: NodeSource,
  ) {}

  /** Once the settings and the kernel state are known: blocks added so far are checked now. */
  start(settings: ClusterSettings, state: KernelState): void {
    const view = kernelView(state);
    const builder = expectNode(settings, this.node, view);
    this.started = { builder, routes: new RouteMatcher(builder.expected, view, settings, state), state };
    this.addBlocks(this.pending.splice(0));
  }

  addBlocks(blocks: readonly BlockFacts[]): void {
    if (!this.started) {
      for (const block of blocks) this.pending.push(block);
      return;
    }
    this.started.builder.addBlocks(blocks);
    this.started.routes.matchNew();
  }

  finish(cluster: ClusterState): NodeCheckReport {
    const { builder, routes, state } = this.started!;
    const expected = builder.finish();
    const findings: Finding[] = [...expected.configFindings];
    let checked = 0;
    if (expected.facts) {
      checked += checkBgp(expected, state, findings);
      checked += checkDevices(expected, routes.view, findings);
      checked += routes.finish(cluster, findings);
      checked += checkNeighbors(expected, routes.view, findings);
      checked += checkFdb(expected, routes.view, findings);
      checked += checkSysctls(expected, routes.view, findings);
    }
    return {
      node: this.node,
      nodeSource: this.nodeSource,
      addresses: expected.addresses,
      pools: expected.pools,
      findings,
      summary: summarize(findings, checked),
    };
  }
}

/** A route as `ip route` prints it (with -d: protocol always shown). */
export function formatRoute(r: Omit<KernelRoute, 'family' | 'scope'> & { scope?: string }): string {
  const parts = r.type === 'unicast' ? [r.dst] : [r.type, r.dst];
  if (r.gateway) parts.push('via', r.gateway);
  if (r.dev && r.type === 'unicast') parts.push('dev', r.dev);
  parts.push('proto', r.protocol);
  if (r.scope === 'link') parts.push('scope', 'link');
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  if (r.mtu !== undefined) parts.push('mtu', String(r.mtu));
  return parts.join(' ');
}

const ipCmd = (family: 4 | 6): string => (family === 6 ? 'ip -6' : 'ip');

function checkBgp(expected: Expected, state: KernelState, findings: Finding[]): number {
  if (!expected.needsBird) return 0;
  const bgp = state.bgp;
  if (bgp?.status === 'ok') return 1;
  findings.push({
    code: 'bird-unreachable',
    severity: 'warning',
    area: 'bgp',
    subject: bgp?.socket ?? 'bird',
    expected: 'BIRD answering on its control socket',
    actual: bgp?.error ?? 'not asked',
    hint: 'BIRD programs the routes of pools without VXLAN: start calico-node, or give the socket with --bird-socket',
  });
  return 1;
}

function sessionNote(state: KernelState, route: ExpectedRoute, cluster: ClusterSettings): string {
  if (route.programmer !== 'BIRD' || !route.toNode || state.bgp?.status !== 'ok') return '';
  const peer = cluster.nodes.find((n) => n.name === route.toNode);
  const address = (route.family === 4 ? peer?.ipv4Address : peer?.ipv6Address)?.split('/')[0];
  const session = state.bgp.peers.find((p) => p.address === address);
  if (!session) return ` (no BGP session with ${route.toNode} ${address ?? ''} in BIRD)`;
  return session.state === 'Established'
    ? ''
    : ` (the BGP session with ${route.toNode} ${session.address} is ${session.state}: see 'calicoctl-ts node status')`;
}

function routeHint(route: ExpectedRoute, note: string): string {
  const restore = `${ipCmd(route.family)} route replace ${formatRoute(route)}`;
  if (route.programmer === 'BIRD')
    return `BIRD programs this route${note}; restart calico-node, or by hand: ${restore}`;
  return restore;
}

/** What makes a route a different one, each a bit of routeDifferences' answer. */
const ROUTE_FIELDS = ['type', 'gateway', 'device', 'onlink', 'protocol'] as const;

/** The fields (bits of ROUTE_FIELDS) in which have is not the route wanted; 0 when it is. */
function routeDifferences(want: ExpectedRoute, have: KernelRoute): number {
  let bits = 0;
  if (want.type !== have.type) bits |= 1;
  if ((want.gateway ?? '') !== (have.gateway ?? '')) bits |= 2;
  if (want.type === 'unicast' && want.dev !== undefined && want.dev !== have.dev) bits |= 4;
  if (want.onlink !== have.onlink) bits |= 8;
  if (want.protocol !== have.protocol) bits |= 16;
  return bits;
}

/**
 * The expected routes against the kernel's, in the order they are expected (the first expected
 * route takes a kernel route), each compared as soon as it is expected (matchNew); finish() then
 * reports the Calico routes that nothing took.
 */
class RouteMatcher {
  private readonly used = new Set<KernelRoute>();
  private readonly findings: Finding[] = [];
  /** How many of expected.routes have been compared. */
  private matched = 0;

  constructor(
    private readonly expected: Expected,
    readonly view: KernelView,
    private readonly settings: ClusterSettings,
    private readonly state: KernelState,
  ) {}

  /** Compares the routes expected since the last call, in order. */
  matchNew(): void {
    const { expected, used, findings } = this;
    const routes = expected.routes;
    const byDst = this.view.routesByDst;
    let next = this.matched;
    for (; next < routes.length; next++) {
      const want = routes[next]!;
      // The route itself if it is there, else Calico's route to the destination, else any.
      const known = byDst.get(want.dst);
      let have: KernelRoute | undefined;
      let differences = 0;
      if (known !== undefined && !Array.isArray(known)) {
        if (known.family === want.family && !used.has(known)) {
          have = known;
          differences = routeDifferences(want, known);
        }
      } else if (known !== undefined) {
        let first: KernelRoute | undefined;
        let calico: KernelRoute | undefined;
        for (const r of known) {
          if (used.has(r) || r.family !== want.family) continue;
          if (routeDifferences(want, r) === 0) {
            have = r;
            break;
          }
          first ??= r;
          if (calico === undefined && isCalicoRoute(r, expected)) calico = r;
        }
        have ??= calico ?? first;
        if (have) differences = routeDifferences(want, have);
      }
      if (!have) {
        findings.push({
          code: want.missingCode,
          severity: 'error',
          area: want.area,
          subject: want.dst,
          expected: formatRoute(want),
          actual: null,
          hint: routeHint(want, sessionNote(this.state, want, this.settings)),
        });
        continue;
      }
      used.add(have);
      const otherMetric = want.metric !== undefined && want.metric !== (have.metric ?? 0);
      const otherMtu = want.mtu !== undefined && want.mtu !== have.mtu;
      if (differences === 0 && !otherMetric && !otherMtu) continue;
      findings.push(routeMismatch(want, have, differences, otherMetric, otherMtu));
    }
    this.matched = next;
  }

  /**
   * Compares what is left, hands the findings over, and adds a route-unexpected finding for each
   * Calico route nothing took; the count of routes checked.
   */
  finish(cluster: ClusterState, out: Finding[]): number {
    const { expected, used } = this;
    this.matchNew();
    out.push(...this.findings);
    let examined = 0;
    let wantedDsts: Set<string> | undefined;
    for (const r of this.view.routes) {
      if (used.has(r) || !isCalicoRoute(r, expected)) continue;
      const net = readPrefix(r.dst);
      if (net && expected.unjudgedPools.holds(net)) continue;
      examined++;
      out.push({
        code: 'route-unexpected',
        severity: 'error',
        area: r.dev && expected.interfacePrefixes.some((p) => r.dev!.startsWith(p)) ? 'workloads' : 'routes',
        subject: r.dst,
        expected: (wantedDsts ??= new Set(expected.routes.map((w) => w.dst))).has(r.dst)
          ? 'only the route above'
          : null,
        actual: formatRoute(r),
        hint: `${unexplained(r, cluster)}: ${ipCmd(r.family)} route del ${formatRoute(r)}`,
      });
    }
    return expected.routes.length + examined;
  }
}

/** The finding for a kernel route that is not quite the one wanted. */
function routeMismatch(
  want: ExpectedRoute,
  have: KernelRoute,
  differences: number,
  otherMetric: boolean,
  otherMtu: boolean,
): Finding {
  const diffs = ROUTE_FIELDS.filter((_, bit) => differences & (1 << bit));
  const minor = [...(otherMetric ? ['metric'] : []), ...(otherMtu ? ['mtu'] : [])];
  const sameKey = want.metric === undefined || want.metric === (have.metric ?? 0);
  const fix = sameKey
    ? `${ipCmd(want.family)} route replace ${formatRoute(want)}`
    : `${ipCmd(want.family)} route del ${formatRoute(have)} && ${ipCmd(want.family)} route add ${formatRoute(want)}`;
  return {
    code: 'route-mismatch',
    severity: diffs.length > 0 ? 'error' : 'warning',
    area: want.area,
    subject: want.dst,
    expected: formatRoute(want),
    actual: formatRoute(have),
    hint:
      want.programmer === 'BIRD'
        ? `BIRD programs this route (${[...diffs, ...minor].join(', ')} differ); restart calico-node, or by hand: ${fix}`
        : fix,
  };
}

/** Why nothing explains a Calico route, for its hint. */
function unexplained(r: KernelRoute, cluster: ClusterState): string {
  const net = parseCIDROrIP(r.dst);
  const block =
    net &&
    cluster.blocks.find(
      (b) =>
        b.cidr === r.dst ||
        (parseCIDROrIP(b.cidr)?.network.value === net.network.value && b.cidr.endsWith(`/${net.prefix}`)),
    );
  if (block && block.host !== '' && !cluster.nodes.some((n) => n.name === block.host)) {
    return `block ${block.cidr} belongs to node ${block.host}, which no longer exists`;
  }
  if (!block) return 'no IPAM block, borrowed address or workload explains this route';
  return 'nothing in the datastore asks for this route';
}

function checkDevices(expected: Expected, view: KernelView, findings: Finding[]): number {
  for (const want of expected.devices) {
    const have = view.links.get(want.name);
    if (!have) {
      findings.push({
        code: 'device-missing',
        severity: 'error',
        area: want.kind === 'veth' ? 'workloads' : 'devices',
        subject: want.name,
        expected: describeDevice(want),
        actual: null,
        hint:
          want.kind === 'veth'
            ? 'the Calico CNI plugin creates it when the pod starts: restart the pod'
            : `${want.programmer} creates ${want.name}: restart calico-node on this node`,
      });
      continue;
    }
    deviceMismatches(want, have, view, findings);
  }
  return expected.devices.length;
}

function describeDevice(d: ExpectedDevice): string {
  const parts = [d.name, d.kind];
  if (d.vxlan)
    parts.push(
      'id',
      String(d.vxlan.id),
      'local',
      d.vxlan.local,
      ...(d.vxlan.parent ? ['dev', d.vxlan.parent] : []),
      'dstport',
      String(d.vxlan.port),
      'nolearning',
    );
  if (d.mtu !== undefined) parts.push('mtu', String(d.mtu));
  if (d.mac) parts.push('address', d.mac);
  return parts.join(' ');
}

function deviceMismatches(
  want: ExpectedDevice,
  have: KernelLink,
  view: KernelView,
  findings: Finding[],
): void {
  const area = want.kind === 'veth' ? 'workloads' : 'devices';
  const recreate = `${want.programmer} recreates it: ip link del ${want.name}, then restart calico-node`;
  const mismatch = (what: string, expectedValue: string, actualValue: string, hint: string): void => {
    findings.push({
      code: 'device-mismatch',
      severity: 'error',
      area,
      subject: want.name,
      expected: `${what} ${expectedValue}`,
      actual: `${what} ${actualValue}`,
      hint,
    });
  };
  if (want.kind !== have.kind && !(want.kind === 'veth' && have.kind === '')) {
    mismatch('type', want.kind, have.kind || 'none', recreate);
    return;
  }
  if (want.vxlan) {
    const v = have.vxlan ?? {};
    if (v.id !== want.vxlan.id) mismatch('vni', String(want.vxlan.id), String(v.id ?? 'none'), recreate);
    if (v.port !== want.vxlan.port)
      mismatch('dstport', String(want.vxlan.port), String(v.port ?? 'none'), recreate);
    if (v.local !== want.vxlan.local) mismatch('local', want.vxlan.local, v.local ?? 'none', recreate);
    const parent = v.parent ?? have.parent;
    if (want.vxlan.parent && parent !== want.vxlan.parent)
      mismatch('dev', want.vxlan.parent, parent ?? 'none', recreate);
    if (v.learning !== false)
      mismatch('learning', 'off', 'on', `ip link set ${want.name} type vxlan nolearning`);
  }
  if (want.mtu !== undefined && have.mtu !== want.mtu)
    mismatch('mtu', String(want.mtu), String(have.mtu), `ip link set dev ${want.name} mtu ${want.mtu}`);
  if (want.mac && have.mac.toLowerCase() !== want.mac) {
    mismatch(
      'address',
      want.mac,
      have.mac,
      want.kind === 'vxlan' ? recreate : `ip link set dev ${want.name} address ${want.mac}`,
    );
  }
  if (!have.up) mismatch('state', 'up', 'down', `ip link set dev ${want.name} up`);
  if (want.address) {
    const family = want.address.family;
    const full = family === 4 ? 32 : 128;
    const actual = (view.addresses.get(want.name) ?? []).filter(
      (a) => a.family === family && !a.local.startsWith('fe80:'),
    );
    const ok = actual.length === 1 && actual[0]!.local === want.address.ip && actual[0]!.prefixlen === full;
    if (!ok) {
      const cmd = family === 6 ? 'ip -6' : 'ip';
      const dels = actual
        .filter((a) => a.local !== want.address!.ip)
        .map((a) => `${cmd} addr del ${a.local}/${a.prefixlen} dev ${want.name} && `);
      findings.push({
        code: 'tunnel-address-mismatch',
        severity: 'error',
        area: 'devices',
        subject: want.name,
        expected: `${want.address.ip}/${full}`,
        actual: actual.length === 0 ? null : actual.map((a) => `${a.local}/${a.prefixlen}`).join(' '),
        hint: `${dels.join('')}${cmd} addr replace ${want.address.ip}/${full} dev ${want.name}`,
      });
    }
  }
}

const isVxlanDevice = (dev: string): boolean => dev === VXLAN_DEVICE[4] || dev === VXLAN_DEVICE[6];

function checkNeighbors(expected: Expected, view: KernelView, findings: Finding[]): number {
  const seen = new Set<string>();
  const present = new Set(view.links.keys());
  for (const want of expected.neighbors) {
    if (!present.has(want.dev)) continue; // the device-missing finding says it all
    const key = `${want.dev} ${want.dst}`;
    seen.add(key);
    const have = view.neighbors.find((n) => n.dev === want.dev && n.dst === want.dst);
    const ipc = want.dst.includes(':') ? 'ip -6' : 'ip';
    const restore = `${ipc} neigh replace ${want.dst} lladdr ${want.lladdr} dev ${want.dev} nud permanent`;
    const wanted = `${want.dst} dev ${want.dev} lladdr ${want.lladdr} PERMANENT`;
    if (!have) {
      findings.push({
        code: 'neighbor-missing',
        severity: 'error',
        area: 'neighbors',
        subject: want.dst,
        expected: wanted,
        actual: null,
        hint: restore,
      });
    } else if ((have.lladdr ?? '').toLowerCase() !== want.lladdr || !have.permanent) {
      findings.push({
        code: 'neighbor-stale',
        severity: 'error',
        area: 'neighbors',
        subject: want.dst,
        expected: wanted,
        actual: `${have.dst} dev ${have.dev} lladdr ${have.lladdr ?? 'none'}${have.permanent ? ' PERMANENT' : ''}`,
        hint: restore,
      });
    }
  }
  let examined = 0;
  for (const n of view.neighbors) {
    if (!n.permanent || !isVxlanDevice(n.dev) || seen.has(`${n.dev} ${n.dst}`)) continue;
    examined++;
    const ipc = n.dst.includes(':') ? 'ip -6' : 'ip';
    findings.push({
      code: 'neighbor-stale',
      severity: 'error',
      area: 'neighbors',
      subject: n.dst,
      expected: null,
      actual: `${n.dst} dev ${n.dev} lladdr ${n.lladdr ?? 'none'} PERMANENT`,
      hint: `no node has this VTEP, so Felix would have removed it (is Felix running?): ${ipc} neigh del ${n.dst} dev ${n.dev}`,
    });
  }
  return expected.neighbors.length + examined;
}

function checkFdb(expected: Expected, view: KernelView, findings: Finding[]): number {
  const seen = new Set<string>();
  const present = new Set(view.links.keys());
  for (const want of expected.fdb) {
    if (!present.has(want.dev)) continue;
    seen.add(`${want.dev} ${want.mac}`);
    const have = view.fdb.find(
      (f) => f.dev === want.dev && f.mac.toLowerCase() === want.mac && f.dst !== undefined,
    );
    const restore = `bridge fdb replace ${want.mac} dev ${want.dev} dst ${want.dst} self permanent`;
    const wanted = `${want.mac} dev ${want.dev} dst ${want.dst} self permanent`;
    if (!have) {
      findings.push({
        code: 'fdb-missing',
        severity: 'error',
        area: 'fdb',
        subject: want.mac,
        expected: wanted,
        actual: null,
        hint: restore,
      });
    } else if (have.dst !== want.dst || !have.permanent) {
      findings.push({
        code: 'fdb-stale',
        severity: 'error',
        area: 'fdb',
        subject: want.mac,
        expected: wanted,
        actual: `${have.mac} dev ${have.dev} dst ${have.dst ?? 'none'} self${have.permanent ? ' permanent' : ''}`,
        hint: restore,
      });
    }
  }
  let examined = 0;
  for (const f of view.fdb) {
    if (!f.permanent || !f.dst || !isVxlanDevice(f.dev) || seen.has(`${f.dev} ${f.mac.toLowerCase()}`))
      continue;
    examined++;
    findings.push({
      code: 'fdb-stale',
      severity: 'error',
      area: 'fdb',
      subject: f.mac,
      expected: null,
      actual: `${f.mac} dev ${f.dev} dst ${f.dst} self permanent`,
      hint: `no node has this VTEP, so Felix would have removed it (is Felix running?): bridge fdb del ${f.mac} dev ${f.dev} dst ${f.dst} self`,
    });
  }
  return expected.fdb.length + examined;
}

function checkSysctls(expected: Expected, view: KernelView, findings: Finding[]): number {
  let checked = 0;
  for (const want of expected.sysctls) {
    if (want.iface !== undefined && !view.links.has(want.iface)) continue; // device-missing covers it
    checked++;
    const have = view.sysctls[want.name];
    if (have === want.value) continue;
    findings.push({
      code: 'sysctl-mismatch',
      severity: 'error',
      area: want.iface !== undefined ? 'workloads' : 'sysctls',
      subject: want.name,
      expected: want.value,
      actual: have ?? null,
      hint: `sysctl -w ${want.name}=${want.value}  (set by ${want.owner})`,
    });
  }
  return checked;
}
