/**
 * The comparison as a pure function over saved documents: kernel states captured with `node check
 * --save` from the VXLAN lab (test/integration/dataplane), the datastore snapshot of the same
 * cluster, and IPIP documents built from them per the reference (this kernel has no ipip module,
 * so no tunl0 can exist in a lab).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import { checkNode, NodeCheck } from '../../../src/dataplane/check.js';
import type { ClusterState } from '../../../src/dataplane/cluster-state.js';
import { vtepMac } from '../../../src/dataplane/expected.js';
import {
  parseKernelState,
  type IprouteObject,
  type KernelState,
} from '../../../src/dataplane/kernel-state.js';
import { resolveNodeName } from '../../../src/dataplane/node-name.js';
import { checkPeers } from '../../../src/dataplane/peers.js';
import { isCalicoError } from '../../../src/errors.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { iprouteBlackhole, iprouteRoute, ipipDocument, N1_BIRD_IPIP_ALWAYS } from './ipip-document.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'dataplane');
const text = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const cluster = (): ClusterState => JSON.parse(text('vxlan-cluster.json')) as ClusterState;
const saved = (node: string): KernelState =>
  parseKernelState(text(`vxlan-${node}.json`), `vxlan-${node}.json`);
const codes = (
  findings: { code: string; subject: string; severity: string }[],
  severity = 'error',
): string[] =>
  findings
    .filter((f) => f.severity === severity)
    .map((f) => `${f.code} ${f.subject}`)
    .sort();
const find = <T extends { code: string; subject: string }>(findings: T[], code: string, subject: string): T =>
  findings.find((f) => f.code === code && f.subject === subject)!;

describe('VXLAN documents captured from the lab', () => {
  test.each(['n1', 'n2', 'n3'])('%s is clean against its datastore', (node) => {
    const report = checkNode(cluster(), saved(node), node, 'saved');
    expect(report.findings).toEqual([]);
    expect(report.summary).toEqual({ errors: 0, warnings: 0, checked: report.summary.checked });
    expect(report.pools.map((p) => `${p.cidr} ${p.mode} ${p.programmedBy}`)).toEqual([
      '10.65.0.0/16 VXLAN Always Felix',
      'fd00:65::/112 VXLAN Always Felix',
    ]);
  });

  test("Felix's VTEP MAC is the one the lab's devices carry", () => {
    const link = saved('n2').links.find((l) => l['ifname'] === 'vxlan.calico')!;
    expect(vtepMac({ name: 'n2' }, 4)).toBe(link['address']);
    expect(vtepMac({ name: 'n2', vxlanTunnelMACAddr: 'AA:BB:CC:DD:EE:FF' }, 4)).toBe('aa:bb:cc:dd:ee:ff');
  });

  test('CrossSubnet: the peer in the same subnet is reached directly, proto 80 onlink', () => {
    const c = cluster();
    c.pools[0]!.vxlanMode = 'CrossSubnet';
    const report = checkNode(c, saved('n1'), 'n1', 'saved');
    expect(codes(report.findings)).toEqual(['route-mismatch 10.65.0.10', 'route-mismatch 10.65.0.64/26']);
    const mismatch = find(report.findings, 'route-mismatch', '10.65.0.64/26');
    expect(mismatch.expected).toBe('10.65.0.64/26 via 10.230.1.2 dev eth0 proto 80 onlink');
    expect(mismatch.actual).toBe('10.65.0.64/26 via 10.65.0.65 dev vxlan.calico proto boot onlink mtu 1450');
  });

  test('a Node without a VXLAN tunnel address gets no route, so its route is unexpected', () => {
    const c = cluster();
    delete c.nodes.find((n) => n.name === 'n3')!.ipv4VXLANTunnelAddr;
    expect(codes(checkNode(c, saved('n1'), 'n1', 'saved').findings)).toEqual([
      `fdb-stale ${vtepMac({ name: 'n3' }, 4)}`,
      'neighbor-stale 10.65.0.129',
      'route-unexpected 10.65.0.128/26',
    ]);
  });

  test('IPv6 forwarding off (with IPv6 pools), and a workload sysctl: areas sysctls and workloads', () => {
    const doc = saved('n1');
    doc.sysctls['net.ipv6.conf.all.forwarding'] = '0';
    const cali = Object.keys(doc.sysctls).find((k) => k.endsWith('.proxy_arp'))!;
    doc.sysctls[cali] = '0';
    const report = checkNode(cluster(), doc, 'n1', 'saved');
    expect(report.findings.map((f) => `${f.area} ${f.code} ${f.subject} ${f.actual}`)).toEqual([
      `workloads sysctl-mismatch ${cali} 0`,
      'sysctls sysctl-mismatch net.ipv6.conf.all.forwarding 0',
    ]);
  });

  test('an unknown node name is one error and nothing else', () => {
    const report = checkNode(cluster(), saved('n1'), 'nx', 'saved');
    expect(codes(report.findings)).toEqual(['node-unknown nx']);
  });
});

/** The n1 document turned into an IPIP node: tunl0 instead of the VXLAN devices and entries. */
const ipip = (routes: IprouteObject[]): KernelState =>
  ipipDocument(saved('n1'), '10.65.0.1', routes, { ipv6: false });

function ipipCluster(mode: 'Always' | 'CrossSubnet'): ClusterState {
  const c = cluster();
  c.pools = [
    { name: 'pool4', cidr: '10.65.0.0/16', ipipMode: mode, vxlanMode: 'Never', loadBalancerOnly: false },
  ];
  c.blocks = c.blocks.filter((b) => !b.cidr.includes(':'));
  c.workloads = c.workloads.map((w) => ({ ...w, ipNetworks: w.ipNetworks.filter((n) => !n.includes(':')) }));
  c.affinities = { n1: ['10.65.0.0/26'] };
  for (const n of c.nodes) {
    n.ipv4IPIPTunnelAddr = n.ipv4VXLANTunnelAddr!;
    delete n.ipv4VXLANTunnelAddr;
    delete n.ipv6VXLANTunnelAddr;
  }
  return c;
}

const route = iprouteRoute;
const blackhole = iprouteBlackhole;

describe('IPIP, from documents built per the reference (no ipip module here)', () => {
  const birdAlways = N1_BIRD_IPIP_ALWAYS;

  test('Always, routes by BIRD (the v3.32 default): clean', () => {
    const report = checkNode(ipipCluster('Always'), ipip(birdAlways), 'n1', 'saved');
    expect(report.pools[0]).toEqual({
      name: 'pool4',
      cidr: '10.65.0.0/16',
      mode: 'IPIP Always',
      programmedBy: 'BIRD',
    });
    // No BIRD socket was asked when the state was captured: a warning, never an error.
    expect(codes(report.findings)).toEqual([]);
    expect(codes(report.findings, 'warning')).toEqual(['bird-unreachable /var/run/bird/bird.ctl']);
  });

  test('CrossSubnet: the same-subnet peer directly on eth0 without onlink, the other through tunl0', () => {
    const doc = ipip([
      route('10.65.0.64/26', '10.230.1.2', 'eth0', 'bird', false),
      route('10.65.0.10', '10.230.1.2', 'eth0', 'bird', false),
      route('10.65.0.128/26', '10.230.2.3', 'tunl0', 'bird', true),
      blackhole('10.65.0.0/26', 'bird'),
    ]);
    expect(codes(checkNode(ipipCluster('CrossSubnet'), doc, 'n1', 'saved').findings)).toEqual([]);
    // The same document against Always: the same-subnet routes should have gone through tunl0.
    expect(codes(checkNode(ipipCluster('Always'), doc, 'n1', 'saved').findings)).toEqual([
      'route-mismatch 10.65.0.10',
      'route-mismatch 10.65.0.64/26',
    ]);
  });

  test('a stale route via the old gateway after the block moved (node#1032)', () => {
    const doc = ipip([...birdAlways.slice(1), route('10.65.0.64/26', '10.230.2.3', 'tunl0', 'bird', true)]);
    const report = checkNode(ipipCluster('Always'), doc, 'n1', 'saved');
    expect(codes(report.findings)).toEqual(['route-mismatch 10.65.0.64/26']);
    expect(find(report.findings, 'route-mismatch', '10.65.0.64/26').hint).toMatch(
      /^BIRD programs this route \(gateway differ\); restart calico-node/,
    );
  });

  test('Felix programming cluster routes (Enabled, BGP Disabled): proto 80 onlink with the IPIP MTU', () => {
    const c = ipipCluster('Always');
    c.felixConfigurations = { default: { programClusterRoutes: 'Enabled' } };
    c.bgpConfiguration = { programClusterRoutes: 'Disabled' };
    const report = checkNode(c, ipip(birdAlways), 'n1', 'saved');
    expect(report.pools[0]!.programmedBy).toBe('Felix');
    // BIRD's blackhole has the wrong protocol now, and every route needs proto 80 and the MTU.
    expect(codes(report.findings)).toEqual([
      'route-mismatch 10.65.0.0/26',
      'route-mismatch 10.65.0.10',
      'route-mismatch 10.65.0.128/26',
      'route-mismatch 10.65.0.64/26',
    ]);
    expect(find(report.findings, 'route-mismatch', '10.65.0.64/26').expected).toBe(
      '10.65.0.64/26 via 10.230.1.2 dev tunl0 proto 80 onlink mtu 1480',
    );
  });

  test('Felix and BIRD both, or neither: route-owner-conflict, and the pool routes are not judged', () => {
    const both = ipipCluster('Always');
    both.felixConfigurations = { default: { programClusterRoutes: 'Enabled' } };
    const report = checkNode(both, ipip(birdAlways), 'n1', 'saved');
    expect(codes(report.findings)).toEqual(['route-owner-conflict 10.65.0.0/16']);
    expect(report.findings[0]!.actual).toBe('both Felix and BIRD program them');
    const neither = ipipCluster('Always');
    neither.bgpConfiguration = { programClusterRoutes: 'Disabled' };
    expect(checkNode(neither, ipip(birdAlways), 'n1', 'saved').findings[0]!.actual).toBe(
      'neither Felix nor BIRD programs them',
    );
  });

  test("tunl0's address is not the Node's IPIP tunnel address", () => {
    const c = ipipCluster('Always');
    c.nodes[0]!.ipv4IPIPTunnelAddr = '10.65.0.3';
    const report = checkNode(c, ipip(birdAlways), 'n1', 'saved');
    expect(codes(report.findings)).toEqual(['tunnel-address-mismatch tunl0']);
    expect(find(report.findings, 'tunnel-address-mismatch', 'tunl0').hint).toBe(
      'ip addr del 10.65.0.1/32 dev tunl0 && ip addr replace 10.65.0.3/32 dev tunl0',
    );
  });
});

describe('several nodes at once', () => {
  test('the three lab nodes agree', () => {
    expect(checkPeers(cluster(), ['n1', 'n2', 'n3'].map(saved)).findings).toEqual([]);
  });

  test("a peer's VTEP MAC that its neighbours do not carry, and a block blackholed twice", () => {
    const n2 = saved('n2');
    n2.links.find((l) => l['ifname'] === 'vxlan.calico')!['address'] = '66:00:00:00:00:02';
    const n1 = saved('n1');
    n1.routes.push(blackhole('10.65.0.64/26', '80'));
    const { findings } = checkPeers(cluster(), [n1, n2, saved('n3')]);
    // n1 and n3 have n2's computed MAC in their neighbour and FDB entries, not the one it has.
    expect(findings.map((f) => `${f.code} ${f.subject} ${f.node} ${f.peer}`)).toEqual([
      'peer-mismatch 10.65.0.65 n1 n2',
      'peer-mismatch 66:00:00:00:00:02 n1 n2',
      'peer-mismatch 10.65.0.65 n3 n2',
      'peer-mismatch 66:00:00:00:00:02 n3 n2',
      'blackhole-conflict 10.65.0.64/26 n2 n1',
    ]);
  });
});

describe('NodeCheck: the blocks checked as they arrive (live node check)', () => {
  /** n1 with a remote block's route gone, another via the wrong gateway, and a stray Calico route. */
  const brokenN1 = (): KernelState => {
    const state = saved('n1');
    state.routes = state.routes.filter((r) => r['dst'] !== '10.65.0.64/26');
    state.routes.find((r) => r['dst'] === '10.65.0.128/26')!['gateway'] = '10.65.0.65';
    state.routes.push(route('10.65.9.0/26', '10.65.0.129', 'vxlan.calico', 'boot', true));
    return state;
  };
  const documents: [string, () => ClusterState, () => KernelState][] = [
    ['VXLAN n1, clean', cluster, () => saved('n1')],
    ['VXLAN n1, broken', cluster, brokenN1],
    ['IPIP CrossSubnet by BIRD', () => ipipCluster('CrossSubnet'), () => ipip(N1_BIRD_IPIP_ALWAYS)],
  ];
  // Every way of cutting the blocks into batches around start() gives checkNode's report.
  const cuts: [string, (n: number) => number[]][] = [
    ['all before start', (n) => [n]],
    ['all after start', (n) => [0, n]],
    ['one before, then one a batch', (n) => [1, ...Array.from({ length: n - 1 }, () => 1)]],
    ['two a batch after start', (n) => [0, ...Array.from({ length: Math.ceil(n / 2) }, () => 2)]],
  ];
  test.each(documents.flatMap(([d, c, s]) => cuts.map(([name, cut]) => [d, name, c, s, cut] as const)))(
    '%s, %s',
    (_, __, makeCluster, makeState, cut) => {
      const c = makeCluster();
      const state = makeState();
      const check = new NodeCheck('n1', 'flag');
      const [before, ...after] = cut(c.blocks.length);
      check.addBlocks(c.blocks.slice(0, before));
      check.start(c, state);
      let next = before!;
      for (const size of after) {
        check.addBlocks(c.blocks.slice(next, next + size));
        next += size;
      }
      check.addBlocks(c.blocks.slice(next));
      expect(check.finish(c)).toEqual(checkNode(c, makeState(), 'n1', 'flag'));
    },
  );

  test('the broken n1: each finding in the order checkNode reports them', () => {
    const report = checkNode(cluster(), brokenN1(), 'n1', 'flag');
    expect(report.findings.map((f) => `${f.code} ${f.subject}`)).toEqual([
      'route-mismatch 10.65.0.128/26',
      'route-missing 10.65.0.64/26',
      'route-unexpected 10.65.9.0/26',
    ]);
  });
});

describe('the saved document', () => {
  const bad = (doc: string): string => {
    try {
      parseKernelState(doc, 'x.json');
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      expect(err.exitCode).toBe(2);
      return err.message;
    }
    throw new Error('accepted');
  };

  test('anything but a saved kernel state is refused, naming the file', () => {
    expect(bad('{')).toMatch(/^x\.json is not a saved kernel state: invalid JSON/);
    expect(bad('[]')).toBe('x.json is not a saved kernel state: the document is not a JSON object');
    expect(bad('{"kind":"IPPool"}')).toBe(
      'x.json is not a saved kernel state: kind is "IPPool", not "NodeKernelState"',
    );
    const doc = JSON.parse(text('vxlan-n1.json')) as Record<string, unknown>;
    expect(bad(JSON.stringify({ ...doc, routes: {} }))).toBe(
      'x.json is not a saved kernel state: field routes is not an array',
    );
    expect(bad(JSON.stringify({ ...doc, routes: [{ dst: 1 }] }))).toBe(
      'x.json is not a saved kernel state: routes[0].dst is not a string',
    );
    expect(bad(JSON.stringify({ ...doc, sysctls: { a: 1 } }))).toBe(
      'x.json is not a saved kernel state: field sysctls is not a map of strings',
    );
  });
});

describe('the node name, in calico-node order', () => {
  const none = (): undefined => undefined;
  test('flag, NODENAME, the nodename file, HOSTNAME lower-cased, the hostname', () => {
    const env = { NODENAME: 'from-env', HOSTNAME: 'Host-Var' };
    expect(resolveNodeName({ flag: 'f', env, readNodenameFile: () => 'file' })).toEqual({
      node: 'f',
      nodeSource: 'flag',
    });
    expect(resolveNodeName({ env, readNodenameFile: () => 'file' })).toEqual({
      node: 'from-env',
      nodeSource: 'NODENAME',
    });
    expect(resolveNodeName({ env: { HOSTNAME: 'Host-Var' }, readNodenameFile: () => 'file\n' })).toEqual({
      node: 'file',
      nodeSource: '/var/lib/calico/nodename',
    });
    expect(resolveNodeName({ env: { HOSTNAME: 'Host-Var' }, readNodenameFile: none })).toEqual({
      node: 'host-var',
      nodeSource: 'HOSTNAME',
    });
    expect(resolveNodeName({ env: {}, readNodenameFile: none, osHostname: () => 'OS' })).toEqual({
      node: 'os',
      nodeSource: 'hostname',
    });
  });
});
