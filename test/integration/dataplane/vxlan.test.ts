/**
 * node check on a real VXLAN data plane (IPv4 and IPv6) in network namespaces: healthy, every node
 * exits 0 and pods ping across nodes; then one thing broken at a time, with the exact finding and
 * exit code asserted, and the node restored.
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { parseKernelState } from '../../../src/dataplane/kernel-state.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { runCli } from '../../helpers/cli.js';
import { run } from '../../helpers/netns-lab.js';
import {
  buildCluster,
  cli,
  codes,
  nodeCheck,
  nodeManifest,
  NODES,
  programFelixVxlan,
  vtepMac,
  type CheckJson,
  type Cluster,
} from './cluster.js';
import { ipipDocument, N1_BIRD_IPIP_ALWAYS } from '../../unit/dataplane/ipip-document.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await buildCluster({ vxlanMode: 'Always' });
  for (const plan of NODES) programFelixVxlan(cluster, plan.name, 'Always');
}, 60_000);

afterAll(async () => {
  await cluster?.lab.cleanup();
});

const lab = (): Cluster['lab'] => cluster.lab;
const ns = (name: string): string => cluster.nodes.get(name)!.ns;

/** n1's route to n2's block, as Felix programs it; `args` replace its gateway, device or MTU. */
function n1RouteToN2(gateway = '10.65.0.65', dev = 'vxlan.calico', mtu = '1450'): void {
  lab().ip(ns('n1'), 'route', 'replace', '10.65.0.64/26', 'via', gateway, 'dev', dev, 'onlink', 'mtu', mtu);
}

/** Breaks something on a node, runs the check there, and restores the node whatever happens. */
async function broken(name: string, breakIt: () => unknown, restore: () => unknown) {
  await breakIt();
  try {
    return await nodeCheck(cluster, name);
  } finally {
    await restore();
  }
}

describe('a healthy VXLAN cluster', () => {
  test('pods ping pods on every other node, over IPv4 and IPv6, borrowed addresses too', () => {
    const pods = cluster.pods;
    const a = pods.get('a')!;
    for (const target of ['b', 'c', 'd'])
      expect(lab().ping(a, pods.get(target)!.ipv4), `a -> ${target}`).toBe(true);
    for (const target of ['b', 'c'])
      expect(lab().ping(a, pods.get(target)!.ipv6!), `a -> ${target} (IPv6)`).toBe(true);
    expect(lab().ping(pods.get('c')!, pods.get('d')!.ipv4), 'c -> d').toBe(true);
  });

  test.each(['n1', 'n2', 'n3'])('node check on %s exits 0 with no finding', async (name) => {
    const { code, json } = await nodeCheck(cluster, name);
    expect(json.findings).toEqual([]);
    expect(code).toBe(0);
    expect(json.node).toBe(name);
    expect(json.nodeSource).toBe('flag');
    expect(json.summary.errors).toBe(0);
    expect(json.summary.checked).toBeGreaterThan(20);
  });

  test('text output: the header, and the summary line with 0 errors', async () => {
    const r = await lab().runCli(cluster.nodes.get('n2')!, ['node', 'check'], {
      ...cluster.env,
      NODENAME: 'n2',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Node:       n2 (name from NODENAME)\n');
    expect(r.stdout).toContain('pool4 10.65.0.0/16 VXLAN Always, routes by Felix');
    expect(r.stdout).toMatch(/^0 errors, 0 warnings; \d+ entries checked\n$/m);
  });
});

describe('one thing broken at a time', () => {
  test("a remote block's route deleted", async () => {
    const { code, json } = await broken(
      'n1',
      () => lab().ip(ns('n1'), 'route', 'del', '10.65.0.64/26'),
      () => n1RouteToN2(),
    );
    expect(codes(json)).toEqual(['route-missing 10.65.0.64/26']);
    expect(json.findings[0]!.hint).toBe(
      'ip route replace 10.65.0.64/26 via 10.65.0.65 dev vxlan.calico proto boot onlink mtu 1450',
    );
    expect(code).toBe(1);
  });

  test('a route via the wrong gateway', async () => {
    const { code, json } = await broken(
      'n1',
      () => n1RouteToN2('10.65.0.129'),
      () => n1RouteToN2(),
    );
    expect(codes(json)).toEqual(['route-mismatch 10.65.0.64/26']);
    expect(json.findings[0]!.actual).toBe(
      '10.65.0.64/26 via 10.65.0.129 dev vxlan.calico proto boot onlink mtu 1450',
    );
    expect(code).toBe(1);
  });

  test('a route on the wrong device', async () => {
    const { code, json } = await broken(
      'n1',
      () => n1RouteToN2('10.65.0.65', 'eth0'),
      () => n1RouteToN2(),
    );
    expect(codes(json)).toEqual(['route-mismatch 10.65.0.64/26']);
    expect(code).toBe(1);
  });

  test('a route that differs only in MTU is a warning, exit 0', async () => {
    const { code, json } = await broken(
      'n1',
      () => n1RouteToN2('10.65.0.65', 'vxlan.calico', '1400'),
      () => n1RouteToN2(),
    );
    expect(codes(json)).toEqual([]);
    expect(codes(json, 'warning')).toEqual(['route-mismatch 10.65.0.64/26']);
    expect(code).toBe(0);
  });

  test('a local blackhole removed', async () => {
    const { code, json } = await broken(
      'n1',
      () => lab().ip(ns('n1'), 'route', 'del', 'blackhole', '10.65.0.0/26'),
      () => lab().ip(ns('n1'), 'route', 'replace', 'blackhole', '10.65.0.0/26', 'proto', '80'),
    );
    expect(codes(json)).toEqual(['blackhole-missing 10.65.0.0/26']);
    expect(code).toBe(1);
  });

  test('a stray Calico route for a block no node owns', async () => {
    const { code, json } = await broken(
      'n2',
      () =>
        lab().ip(
          ns('n2'),
          'route',
          'add',
          '10.65.9.0/26',
          'via',
          '10.65.0.1',
          'dev',
          'vxlan.calico',
          'onlink',
        ),
      () => lab().ip(ns('n2'), 'route', 'del', '10.65.9.0/26'),
    );
    expect(codes(json)).toEqual(['route-unexpected 10.65.9.0/26']);
    expect(json.findings[0]!.hint).toContain(
      'ip route del 10.65.9.0/26 via 10.65.0.1 dev vxlan.calico proto boot onlink',
    );
    expect(code).toBe(1);
  });

  test('a workload route removed', async () => {
    const pod = cluster.pods.get('a')!;
    const { code, json } = await broken(
      'n1',
      () => lab().ip(ns('n1'), 'route', 'del', pod.ipv4, 'dev', pod.hostIface),
      () =>
        lab().ip(
          ns('n1'),
          'route',
          'replace',
          pod.ipv4,
          'dev',
          pod.hostIface,
          'scope',
          'link',
          'metric',
          '1024',
        ),
    );
    expect(codes(json)).toEqual(['workload-route-missing 10.65.0.2']);
    expect(code).toBe(1);
  });

  test('proxy_arp turned off on a cali interface', async () => {
    const pod = cluster.pods.get('b')!;
    const name = `net.ipv4.conf.${pod.hostIface}.proxy_arp`;
    const { code, json } = await broken(
      'n2',
      () => lab().sysctl(ns('n2'), name, '0'),
      () => lab().sysctl(ns('n2'), name, '1'),
    );
    expect(codes(json)).toEqual([`sysctl-mismatch ${name}`]);
    expect(json.findings[0]!.hint).toMatch(new RegExp(`^sysctl -w ${name.replaceAll('.', '\\.')}=1`));
    expect(code).toBe(1);
  });

  test('ip_forward off (the kernel turns forwarding off on every interface with it)', async () => {
    const { code, json } = await broken(
      'n3',
      () => lab().sysctl(ns('n3'), 'net.ipv4.ip_forward', '0'),
      () => lab().sysctl(ns('n3'), 'net.ipv4.ip_forward', '1'),
    );
    const cali = cluster.pods.get('c')!.hostIface;
    expect(codes(json)).toEqual([
      `sysctl-mismatch net.ipv4.conf.${cali}.forwarding`,
      'sysctl-mismatch net.ipv4.ip_forward',
    ]);
    expect(code).toBe(1);
  });

  test('vxlan.calico with the wrong VNI', async () => {
    const { code, json } = await broken(
      'n3',
      () => {
        lab().ip(ns('n3'), 'link', 'del', 'vxlan.calico');
        lab().ip(
          ns('n3'),
          'link',
          'add',
          'vxlan.calico',
          'type',
          'vxlan',
          'id',
          '4097',
          'local',
          cluster.nodes.get('n3')!.v4,
          'dev',
          'eth0',
          'dstport',
          '4789',
          'nolearning',
        );
        lab().ip(ns('n3'), 'link', 'set', 'vxlan.calico', 'mtu', '1450', 'address', vtepMac('n3', 4), 'up');
        lab().ip(ns('n3'), 'addr', 'add', '10.65.0.129/32', 'dev', 'vxlan.calico');
        // What went with the old device (routes, neighbours, FDB) is restored too.
        for (const plan of NODES) {
          if (plan.name === 'n3') continue;
          lab().ip(
            ns('n3'),
            'route',
            'replace',
            plan.block4,
            'via',
            plan.vtep4,
            'dev',
            'vxlan.calico',
            'onlink',
            'mtu',
            '1450',
          );
          lab().ip(
            ns('n3'),
            'neigh',
            'replace',
            plan.vtep4,
            'lladdr',
            vtepMac(plan.name, 4),
            'dev',
            'vxlan.calico',
            'nud',
            'permanent',
          );
          run(
            'ip',
            'netns',
            'exec',
            ns('n3'),
            'bridge',
            'fdb',
            'replace',
            vtepMac(plan.name, 4),
            'dev',
            'vxlan.calico',
            'dst',
            cluster.nodes.get(plan.name)!.v4,
            'self',
            'permanent',
          );
        }
        lab().ip(
          ns('n3'),
          'route',
          'replace',
          '10.65.0.10',
          'via',
          '10.65.0.65',
          'dev',
          'vxlan.calico',
          'onlink',
          'mtu',
          '1450',
        );
      },
      () => programFelixVxlan(cluster, 'n3', 'Always'),
    );
    expect(codes(json)).toEqual(['device-mismatch vxlan.calico']);
    expect([json.findings[0]!.expected, json.findings[0]!.actual]).toEqual(['vni 4096', 'vni 4097']);
    expect(code).toBe(1);
  });

  test('vxlan.calico with the wrong local address', async () => {
    const { code, json } = await broken(
      'n2',
      () => {
        lab().ip(ns('n2'), 'addr', 'add', '10.230.1.99/24', 'dev', 'eth0');
        lab().ip(ns('n2'), 'link', 'set', 'vxlan.calico', 'type', 'vxlan', 'local', '10.230.1.99');
      },
      () => {
        lab().ip(
          ns('n2'),
          'link',
          'set',
          'vxlan.calico',
          'type',
          'vxlan',
          'local',
          cluster.nodes.get('n2')!.v4,
        );
        lab().ip(ns('n2'), 'addr', 'del', '10.230.1.99/24', 'dev', 'eth0');
      },
    );
    expect(codes(json)).toEqual(['device-mismatch vxlan.calico']);
    expect([json.findings[0]!.expected, json.findings[0]!.actual]).toEqual([
      'local 10.230.1.2',
      'local 10.230.1.99',
    ]);
    expect(code).toBe(1);
  });

  test('vxlan.calico with learning on', async () => {
    const { code, json } = await broken(
      'n2',
      () => lab().ip(ns('n2'), 'link', 'set', 'vxlan.calico', 'type', 'vxlan', 'learning'),
      () => lab().ip(ns('n2'), 'link', 'set', 'vxlan.calico', 'type', 'vxlan', 'nolearning'),
    );
    expect(codes(json)).toEqual(['device-mismatch vxlan.calico']);
    expect(json.findings[0]!.hint).toBe('ip link set vxlan.calico type vxlan nolearning');
    expect(code).toBe(1);
  });

  test('a missing neighbour and a missing FDB entry', async () => {
    const mac = vtepMac('n2', 4);
    const { code, json } = await broken(
      'n1',
      () => {
        lab().ip(ns('n1'), 'neigh', 'del', '10.65.0.65', 'dev', 'vxlan.calico');
        run(
          'ip',
          'netns',
          'exec',
          ns('n1'),
          'bridge',
          'fdb',
          'del',
          mac,
          'dev',
          'vxlan.calico',
          'dst',
          '10.230.1.2',
          'self',
        );
      },
      () => {
        lab().ip(
          ns('n1'),
          'neigh',
          'replace',
          '10.65.0.65',
          'lladdr',
          mac,
          'dev',
          'vxlan.calico',
          'nud',
          'permanent',
        );
        run(
          'ip',
          'netns',
          'exec',
          ns('n1'),
          'bridge',
          'fdb',
          'replace',
          mac,
          'dev',
          'vxlan.calico',
          'dst',
          '10.230.1.2',
          'self',
          'permanent',
        );
      },
    );
    expect(codes(json)).toEqual(['neighbor-missing 10.65.0.65', `fdb-missing ${mac}`]);
    expect(code).toBe(1);
  });

  test('a node deleted from the datastore but its entries left: stale neighbour, FDB entry and route', async () => {
    const { code, json } = await broken(
      'n1',
      // Only the Node key: `delete node` would also release n3's addresses and affinities (calicoctl's
      // clean-up), and this case is a Node gone while everything else of it is left behind.
      () => deleteKeyOnly(cluster, '/calico/resources/v3/projectcalico.org/nodes/n3'),
      async () => {
        const file = `${lab().dir}/n3.yaml`;
        run('sh', '-c', `cat > ${file} <<'EOF'\n${nodeManifest(NODES[2]!, lab(), { vxlan: true })}EOF`);
        await cli(cluster, 'create', '-f', file);
      },
    );
    expect(codes(json).sort()).toEqual(
      [
        'route-unexpected 10.65.0.128/26',
        `neighbor-stale 10.65.0.129`,
        `fdb-stale ${vtepMac('n3', 4)}`,
        'route-unexpected fd00:65::80/122',
        'neighbor-stale fd00:65::81',
        `fdb-stale ${vtepMac('n3', 6)}`,
      ].sort(),
    );
    const route = json.findings.find((f) => f.subject === '10.65.0.128/26')!;
    expect(route.hint).toContain('block 10.65.0.128/26 belongs to node n3, which no longer exists');
    expect(code).toBe(1);
  });

  test("the VXLAN device's address is not the Node's tunnel address", async () => {
    const { code, json } = await broken(
      'n1',
      () => {
        // Added before the right one goes, so the device keeps an address and its routes.
        lab().ip(ns('n1'), 'addr', 'add', '10.65.0.5/32', 'dev', 'vxlan.calico');
        lab().ip(ns('n1'), 'addr', 'del', '10.65.0.1/32', 'dev', 'vxlan.calico');
      },
      () => programFelixVxlan(cluster, 'n1', 'Always'),
    );
    expect(codes(json)).toEqual(['tunnel-address-mismatch vxlan.calico']);
    expect(json.findings[0]!.hint).toBe(
      'ip addr del 10.65.0.5/32 dev vxlan.calico && ip addr replace 10.65.0.1/32 dev vxlan.calico',
    );
    expect(code).toBe(1);
  });

  test('a borrowed address without its /32 on another node', async () => {
    const { code, json } = await broken(
      'n3',
      () => lab().ip(ns('n3'), 'route', 'del', '10.65.0.10'),
      () =>
        lab().ip(
          ns('n3'),
          'route',
          'replace',
          '10.65.0.10',
          'via',
          '10.65.0.65',
          'dev',
          'vxlan.calico',
          'onlink',
          'mtu',
          '1450',
        ),
    );
    expect(codes(json)).toEqual(['route-missing 10.65.0.10']);
    expect(code).toBe(1);
  });

  test('an IPv6 remote block route deleted', async () => {
    const { code, json } = await broken(
      'n2',
      () => lab().ip(ns('n2'), '-6', 'route', 'del', 'fd00:65::80/122'),
      () =>
        lab().ip(
          ns('n2'),
          '-6',
          'route',
          'replace',
          'fd00:65::80/122',
          'via',
          'fd00:65::81',
          'dev',
          'vxlan-v6.calico',
          'onlink',
          'mtu',
          '1430',
        ),
    );
    expect(codes(json)).toEqual(['route-missing fd00:65::80/122']);
    expect(json.findings[0]!.hint).toBe(
      'ip -6 route replace fd00:65::80/122 via fd00:65::81 dev vxlan-v6.calico proto boot metric 1024 onlink mtu 1430',
    );
    expect(code).toBe(1);
  });
});

describe('CrossSubnet', () => {
  test('after the switch, n1 reaches n2 (same subnet) directly and n3 (behind the router) over VXLAN', async () => {
    await cli(cluster, 'patch', 'ippool', 'pool4', '-p', '{"spec":{"vxlanMode":"CrossSubnet"}}');
    try {
      // The kernel still has the Always routes: the two same-subnet routes no longer match.
      const before = await nodeCheck(cluster, 'n1');
      expect(codes(before.json).sort()).toEqual([
        'route-mismatch 10.65.0.10',
        'route-mismatch 10.65.0.64/26',
      ]);
      expect(before.json.findings.find((f) => f.subject === '10.65.0.64/26')!.expected).toBe(
        '10.65.0.64/26 via 10.230.1.2 dev eth0 proto 80 onlink',
      );
      expect(before.code).toBe(1);
      programFelixVxlan(cluster, 'n1', 'CrossSubnet');
      const after = await nodeCheck(cluster, 'n1');
      expect(after.json.findings).toEqual([]);
      expect(after.code).toBe(0);
      const a = cluster.pods.get('a')!;
      for (const target of ['b', 'c', 'd'])
        expect(lab().ping(a, cluster.pods.get(target)!.ipv4), `a -> ${target}`).toBe(true);
    } finally {
      await cli(cluster, 'patch', 'ippool', 'pool4', '-p', '{"spec":{"vxlanMode":"Always"}}');
      programFelixVxlan(cluster, 'n1', 'Always');
    }
  });
});

describe('saved kernel states', () => {
  const file = (name: string): string => `${lab().dir}/${name}.json`;

  test('--save on each node, then --load anywhere (here: outside every namespace) gives the same result', async () => {
    for (const name of ['n1', 'n2', 'n3']) {
      const live = await nodeCheck(cluster, name, '--save', file(name));
      expect(live.code).toBe(0);
    }
    const r = await runCli(['node', 'check', '--load', file('n1'), '-o', 'json'], { env: cluster.env });
    const json = JSON.parse(r.stdout) as CheckJson;
    expect([json.node, json.nodeSource, json.findings, r.code]).toEqual(['n1', 'saved', [], 0]);
  });

  test('several --load files: each node, and the nodes against each other', async () => {
    const args = ['node', 'check', '-o', 'json', ...['n1', 'n2', 'n3'].flatMap((n) => ['--load', file(n)])];
    const ok = await runCli(args, { env: cluster.env });
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as {
      nodes: CheckJson[];
      findings: unknown[];
      summary: { errors: number };
    };
    expect(json.nodes.map((n) => n.node)).toEqual(['n1', 'n2', 'n3']);
    expect([json.findings, json.summary.errors]).toEqual([[], 0]);

    // n2's VTEP gets another MAC: n2 sees its own device differ, only the others' states show
    // that their entries for n2 no longer lead to it.
    lab().ip(ns('n2'), 'link', 'set', 'vxlan.calico', 'address', '66:00:00:00:00:02');
    try {
      expect((await nodeCheck(cluster, 'n2', '--save', file('n2'))).code).toBe(1);
    } finally {
      programFelixVxlan(cluster, 'n2', 'Always');
    }
    const bad = await runCli(args, { env: cluster.env });
    expect(bad.code).toBe(1);
    const peers = (JSON.parse(bad.stdout) as { findings: CheckJson['findings'] }).findings;
    expect(peers.map((f) => `${f.code} ${f.subject} ${f.node} ${f.peer}`)).toEqual([
      'peer-mismatch 10.65.0.65 n1 n2',
      'peer-mismatch 66:00:00:00:00:02 n1 n2',
      'peer-mismatch 10.65.0.65 n3 n2',
      'peer-mismatch 66:00:00:00:00:02 n3 n2',
    ]);
  });

  test('IPIP and IPIP CrossSubnet, with --load documents built per the reference (no ipip module here)', async () => {
    // n1's real state with tunl0 in place of vxlan.calico and BIRD's IPIP routes.
    const live = parseKernelState(readFileSync(file('n1'), 'utf8'), file('n1'));
    writeFileSync(
      file('n1-ipip'),
      JSON.stringify(ipipDocument(live, '10.65.0.1', N1_BIRD_IPIP_ALWAYS, { ipv6: true })),
    );
    const mode = (ipip: string, vxlan: string) =>
      cli(
        cluster,
        'patch',
        'ippool',
        'pool4',
        '-p',
        JSON.stringify({ spec: { ipipMode: ipip, vxlanMode: vxlan } }),
      );
    await mode('Always', 'Never');
    try {
      for (const plan of NODES) {
        const patch = JSON.stringify({ spec: { bgp: { ipv4IPIPTunnelAddr: plan.vtep4 } } });
        await cli(cluster, 'patch', 'node', plan.name, '-p', patch);
      }
      const load = () =>
        runCli(['node', 'check', '--load', file('n1-ipip'), '-o', 'json'], { env: cluster.env });
      const always = await load();
      const json = JSON.parse(always.stdout) as CheckJson;
      expect(json.pools[0]).toEqual({
        name: 'pool4',
        cidr: '10.65.0.0/16',
        mode: 'IPIP Always',
        programmedBy: 'BIRD',
      });
      expect([codes(json), codes(json, 'warning'), always.code]).toEqual([
        [],
        ['bird-unreachable /var/run/bird/bird.ctl'],
        0,
      ]);

      await mode('CrossSubnet', 'Never');
      const cross = await load();
      const crossJson = JSON.parse(cross.stdout) as CheckJson;
      // n2 shares n1's subnet: BIRD writes its routes on eth0, without onlink.
      expect(codes(crossJson).sort()).toEqual(['route-mismatch 10.65.0.10', 'route-mismatch 10.65.0.64/26']);
      expect(crossJson.findings.find((f) => f.subject === '10.65.0.64/26')!.expected).toBe(
        '10.65.0.64/26 via 10.230.1.2 dev eth0 proto bird',
      );
      expect(cross.code).toBe(1);
    } finally {
      await mode('Never', 'Always');
    }
  });

  test('a malformed or foreign --load file: one line naming the file, exit 2, before any datastore work', async () => {
    const foreign = file('foreign');
    run('sh', '-c', `echo '{"kind":"IPPool"}' > ${foreign}`);
    const r = await runCli(['node', 'check', '--load', foreign], {
      env: { ETCD_ENDPOINTS: 'http://127.0.0.1:1' },
    });
    expect(r.stderr).toBe(
      `${foreign} is not a saved kernel state: kind is "IPPool", not "NodeKernelState"\n` +
        "hint: give a file written by 'calicoctl-ts node check --save FILE'\n",
    );
    expect([r.stdout, r.code]).toEqual(['', 2]);
    const both = await runCli(['node', 'check', '--save', file('x'), '--load', foreign]);
    expect([both.stderr, both.code]).toEqual([
      '--save and --load cannot be used together\nhint: --save records the live kernel; --load checks a recorded one\n',
      2,
    ]);
  });

  test('--save on a node without datastore access still saves the state, then exits 3', async () => {
    const r = await lab().runCli(
      cluster.nodes.get('n3')!,
      ['node', 'check', '--node', 'n3', '--save', file('n3-offline'), '--timeout', '1s'],
      {
        ETCD_ENDPOINTS: 'http://127.0.0.1:1',
      },
    );
    expect(r.code).toBe(3);
    const later = await runCli(['node', 'check', '--load', file('n3-offline'), '-o', 'json'], {
      env: cluster.env,
    });
    expect([(JSON.parse(later.stdout) as CheckJson).findings, later.code]).toEqual([[], 0]);
  });

  test('an unreachable datastore: exit 3 within --timeout', async () => {
    const started = Date.now();
    const r = await runCli(['node', 'check', '--load', file('n1'), '--timeout', '1s'], {
      env: { ETCD_ENDPOINTS: 'http://127.0.0.1:1' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

/** Deletes one key of the cluster's embedded store, and nothing else. */
async function deleteKeyOnly(c: Cluster, key: string): Promise<void> {
  const ds = createDatastore(
    await openEmbeddedBackend({ path: c.env['EMBEDDED_DATASTORE_PATH']!, source: 'test', timeoutMs: 5000 }),
  );
  try {
    expect((await ds.delete(key)).ok).toBe(true);
  } finally {
    await ds.close();
  }
}
