/**
 * node check on a BGP-only data plane (no encapsulation): real BIRD 1.6 in each node namespace with
 * a configuration shaped like confd's (full-mesh iBGP with `gateway recursive`, a static blackhole
 * per local block, the kernel protocol exporting the pool's routes), so the routes checked are the
 * ones BIRD itself programs (`proto bird`). The router between the subnets knows the blocks by
 * static routes, as a top-of-rack router would by peering.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { queryBird } from '../../../src/bird/client.js';
import { BIRD1 } from '../../helpers/bird-lab.js';
import { buildCluster, codes, nodeCheck, NODES, type Cluster } from './cluster.js';

const AS = 64512;
let cluster: Cluster;
const sockets = new Map<string, string>();

/** confd's bird.cfg for a node, cut down to what programs routes (bird.md, dataplane.md §5). */
function birdConfig(name: string): string {
  const me = cluster.nodes.get(name)!;
  const block = NODES.find((n) => n.name === name)!.block4;
  const peers = NODES.filter((n) => n.name !== name).map((n) => cluster.nodes.get(n.name)!);
  return `router id ${me.v4};
filter calico_kernel_programming {
  if ( net ~ 10.65.0.0/16 ) then { accept; }
  reject;
}
function calico_aggr () {
  if ( net = ${block} ) then { accept; }
  if ( net ~ ${block} ) then { reject; }
}
filter calico_export_to_bgp_peers {
  calico_aggr();
  if ( net ~ 10.65.0.0/16 ) then { accept; }
  reject;
}
protocol static { route ${block} blackhole; }
protocol kernel {
  learn;
  persist;
  scan time 2;
  import all;
  export filter calico_kernel_programming;
  graceful restart;
  merge paths on;
}
protocol device { scan time 2; }
protocol direct { interface -"cali*", "*"; }
template bgp bgp_template {
  local as ${AS};
  multihop;
  gateway recursive;
  import all;
  export filter calico_export_to_bgp_peers;
  graceful restart;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,2;
}
${peers
  .map(
    (p) => `protocol bgp Mesh_${p.v4.replaceAll('.', '_')} from bgp_template {
  neighbor ${p.v4} as ${AS};
  source address ${me.v4};
}
`,
  )
  .join('')}`;
}

/**
 * Waits (bounded, 90 s) until the node's kernel has this many proto bird routes. The BIRDs start one
 * after another, so the first ones find their peers down: short retry and error-wait times (above) keep
 * a session from idling in a 30 s error wait on a loaded machine, where the first CI run saw it.
 */
async function birdRoutes(name: string, count: number): Promise<void> {
  const ns = cluster.nodes.get(name)!.ns;
  for (let i = 0; i < 900; i++) {
    const routes = JSON.parse(cluster.lab.ip(ns, '-j', 'route', 'show', 'proto', 'bird')) as unknown[];
    if (routes.length === count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not get ${count} proto bird routes: ${cluster.lab.ip(ns, 'route')}`);
}

// Per node: its blackhole, a route to each other node's block, and the borrowed 10.65.0.10 (on n2,
// from n1's block), which n2 itself reaches through its cali route.
const BIRD_ROUTES = { n1: 4, n2: 3, n3: 4 } as const;

beforeAll(async () => {
  cluster = await buildCluster({ vxlanMode: 'Never' });
  const { lab } = cluster;
  for (const plan of NODES) {
    const node = cluster.nodes.get(plan.name)!;
    lab.ip(lab.router, 'route', 'add', plan.block4, 'via', node.v4);
  }
  lab.ip(lab.router, 'route', 'add', '10.65.0.10', 'via', cluster.nodes.get('n2')!.v4);
  for (const plan of NODES) {
    sockets.set(plan.name, await lab.startBird(cluster.nodes.get(plan.name)!, BIRD1, birdConfig(plan.name)));
  }
  for (const plan of NODES) await birdRoutes(plan.name, BIRD_ROUTES[plan.name]);
}, 180_000);

afterAll(async () => {
  await cluster?.lab.cleanup();
});

const check = (name: string) => nodeCheck(cluster, name, '--bird-socket', sockets.get(name)!);

describe('BGP without encapsulation, routes by BIRD 1.6', () => {
  test('pods ping pods on every other node', () => {
    const a = cluster.pods.get('a')!;
    for (const target of ['b', 'c', 'd']) {
      expect(cluster.lab.ping(a, cluster.pods.get(target)!.ipv4), `a -> ${target}`).toBe(true);
    }
  });

  test.each(['n1', 'n2', 'n3'])('node check on %s exits 0 with no finding', async (name) => {
    const { code, json } = await check(name);
    expect(json.findings).toEqual([]);
    expect(code).toBe(0);
  });

  test('the route to a node behind the router goes through the router, as BIRD resolves it', async () => {
    const route = JSON.parse(
      cluster.lab.ip(cluster.nodes.get('n1')!.ns, '-j', 'route', 'show', '10.65.0.128/26'),
    ) as {
      gateway: string;
    }[];
    expect(route[0]!.gateway).toBe('10.230.1.254');
  });

  test('a BGP session down: the missing routes, blamed on the session in the hint', async () => {
    const socket = sockets.get('n1')!;
    await queryBird(socket, 'disable Mesh_10_230_1_2', 2000);
    try {
      await birdRoutes('n1', BIRD_ROUTES.n1 - 2);
      const { code, json } = await check('n1');
      expect(codes(json).sort()).toEqual(['route-missing 10.65.0.10', 'route-missing 10.65.0.64/26']);
      const missing = json.findings.find((f) => f.subject === '10.65.0.64/26')!;
      expect(missing.expected).toBe('10.65.0.64/26 via 10.230.1.2 dev eth0 proto bird');
      expect(missing.hint).toMatch(
        /^BIRD programs this route \(the BGP session with n2 10\.230\.1\.2 is \w+: see 'calicoctl-ts node status'\)/,
      );
      expect(code).toBe(1);
    } finally {
      await queryBird(socket, 'enable Mesh_10_230_1_2', 2000);
      await birdRoutes('n1', BIRD_ROUTES.n1);
    }
  });

  test('no answer on the BIRD socket: a warning, never an error', async () => {
    const { code, json } = await nodeCheck(cluster, 'n2', '--bird-socket', `${cluster.lab.dir}/nothing.ctl`);
    expect(codes(json)).toEqual([]);
    expect(codes(json, 'warning')).toEqual([`bird-unreachable ${cluster.lab.dir}/nothing.ctl`]);
    expect(code).toBe(0);
  });
});
