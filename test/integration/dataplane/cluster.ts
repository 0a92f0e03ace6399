/**
 * The cluster the data-plane tests build: three nodes (n1 and n2 on subnet A, n3 on subnet B
 * behind the router), their blocks and tunnel addresses, four pods (one, `d`, on n2 with an
 * address borrowed from n1's block), written into the datastore with the CLI itself, and a
 * programmer that puts into each node's kernel what Felix would for VXLAN (dataplane.md §4),
 * written out command by command from the reference rather than from the code under test.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { NodeCheckReport } from '../../../src/dataplane/check.js';
import { runCli } from '../../helpers/cli.js';
import { NetnsLab, run, type LabNode, type LabPod } from '../../helpers/netns-lab.js';

export interface NodePlan {
  name: 'n1' | 'n2' | 'n3';
  subnet: 'a' | 'b';
  id: number;
  block4: string;
  vtep4: string;
  block6: string;
  vtep6: string;
}

export const NODES: readonly NodePlan[] = [
  {
    name: 'n1',
    subnet: 'a',
    id: 1,
    block4: '10.65.0.0/26',
    vtep4: '10.65.0.1',
    block6: 'fd00:65::/122',
    vtep6: 'fd00:65::1',
  },
  {
    name: 'n2',
    subnet: 'a',
    id: 2,
    block4: '10.65.0.64/26',
    vtep4: '10.65.0.65',
    block6: 'fd00:65::40/122',
    vtep6: 'fd00:65::41',
  },
  {
    name: 'n3',
    subnet: 'b',
    id: 3,
    block4: '10.65.0.128/26',
    vtep4: '10.65.0.129',
    block6: 'fd00:65::80/122',
    vtep6: 'fd00:65::81',
  },
];

export const PODS = [
  { name: 'a', node: 'n1', ipv4: '10.65.0.2', ipv6: 'fd00:65::2' },
  { name: 'b', node: 'n2', ipv4: '10.65.0.66', ipv6: 'fd00:65::42' },
  { name: 'c', node: 'n3', ipv4: '10.65.0.130', ipv6: 'fd00:65::82' },
  // Borrowed: n1's block, running on n2.
  { name: 'd', node: 'n2', ipv4: '10.65.0.10' },
] as const;

export const VXLAN_MTU = { 4: 1450, 6: 1430 } as const;

/** Felix's VTEP MAC for a node with no vxlanTunnelMACAddr: 'f' then sha1(name[-v6])[0:5]. */
export function vtepMac(node: string, family: 4 | 6): string {
  const sha = createHash('sha1')
    .update(family === 4 ? node : `${node}-v6`)
    .digest();
  return [0x66, ...sha.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface Cluster {
  lab: NetnsLab;
  env: Record<string, string>;
  nodes: Map<string, LabNode>;
  pods: Map<string, LabPod>;
}

export async function cli(cluster: Pick<Cluster, 'env'>, ...args: string[]): Promise<string> {
  const r = await runCli(args, { env: cluster.env });
  if (r.code !== 0 || r.stderr !== '')
    throw new Error(`calicoctl-ts ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function nodeManifest(plan: NodePlan, lab: NetnsLab, opts: { vxlan: boolean }): string {
  const node = lab.nodes.get(plan.name)!;
  const tunnels = opts.vxlan
    ? `  ipv4VXLANTunnelAddr: ${plan.vtep4}\n  ipv6VXLANTunnelAddr: ${plan.vtep6}\n`
    : '';
  return `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: ${plan.name}}
spec:
  bgp: {ipv4Address: ${node.v4Cidr}, ipv6Address: ${node.v6Cidr}}
${tunnels}---
`;
}

/** Builds the lab's nodes and pods, and writes pools, Nodes, blocks and WorkloadEndpoints. */
export async function buildCluster(opts: {
  vxlanMode: 'Always' | 'CrossSubnet' | 'Never';
}): Promise<Cluster> {
  const lab = new NetnsLab();
  const env = { EMBEDDED_DATASTORE_PATH: join(lab.dir, 'datastore.db') };
  const cluster: Cluster = { lab, env, nodes: new Map(), pods: new Map() };
  for (const plan of NODES) cluster.nodes.set(plan.name, lab.addNode(plan.name, plan.subnet, plan.id));
  const vxlan = opts.vxlanMode !== 'Never';
  // The BGP lab (no encapsulation) runs BIRD for IPv4 only, so it has no IPv6 pool or addresses.
  const dualStack = vxlan;
  for (const p of PODS) {
    const ipv6 = dualStack && 'ipv6' in p ? p.ipv6 : undefined;
    cluster.pods.set(p.name, lab.addPod(cluster.nodes.get(p.node)!, p.name, p.ipv4, ipv6));
  }
  let manifest = '';
  for (const [name, cidr] of [
    ['pool4', '10.65.0.0/16'],
    ...(dualStack ? [['pool6', 'fd00:65::/112'] as const] : []),
  ] as const) {
    manifest += `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: ${name}}
spec: {cidr: "${cidr}", vxlanMode: ${opts.vxlanMode}, ipipMode: Never, natOutgoing: false}
---
`;
  }
  for (const plan of NODES) manifest += nodeManifest(plan, lab, { vxlan });
  for (const pod of cluster.pods.values()) {
    const nets = [`${pod.ipv4}/32`, ...(pod.ipv6 ? [`${pod.ipv6}/128`] : [])];
    manifest += `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: ${pod.node.name}-k8s-${pod.name}-eth0, namespace: default}
spec:
  orchestrator: k8s
  node: ${pod.node.name}
  pod: ${pod.name}
  endpoint: eth0
  interfaceName: ${pod.hostIface}
  mac: "${pod.mac}"
  ipNetworks: [${nets.map((n) => `"${n}"`).join(', ')}]
---
`;
  }
  const file = join(lab.dir, 'cluster.yaml');
  writeFileSync(file, manifest);
  await cli(cluster, 'create', '-f', file);
  // Tunnel addresses first: each claims the node's block, as calico-node's allocateip does.
  // Without tunnels, each block is claimed with its first address.
  for (const plan of NODES) {
    const tunnels = vxlan
      ? [
          [plan.vtep4, 'vxlan-tunnel-addr', 'vxlanTunnelAddress'],
          [plan.vtep6, 'vxlan-v6-tunnel-addr', 'vxlanV6TunnelAddress'],
        ]
      : [[plan.vtep4, 'first', '']];
    for (const [ip, handle, type] of tunnels) {
      const attrs = type ? ['--use', 'Tunnel', '--attr', `node=${plan.name}`, '--attr', `type=${type}`] : [];
      await cli(
        cluster,
        'ipam',
        'assign',
        '--node',
        plan.name,
        '--ip',
        ip!,
        '--handle',
        `${handle}-${plan.name}`,
        ...attrs,
      );
    }
  }
  for (const pod of cluster.pods.values()) {
    for (const ip of [pod.ipv4, ...(pod.ipv6 ? [pod.ipv6] : [])]) {
      await cli(
        cluster,
        'ipam',
        'assign',
        '--node',
        pod.node.name,
        '--ip',
        ip,
        '--handle',
        `k8s-pod-network.${pod.name}${ip.includes(':') ? '6' : ''}`,
      );
    }
  }
  return cluster;
}

/**
 * What Felix programs for VXLAN on one node (dataplane.md §4): the devices, a permanent neighbour
 * and FDB entry per remote VTEP, a route per remote block (via the VTEP, or via the node address
 * on the parent with proto 80 onlink for CrossSubnet peers in this subnet), the borrowed /32s and
 * blackholes for the local blocks. Deletes the devices first, so it also restores a broken node.
 */
export function programFelixVxlan(cluster: Cluster, name: string, mode4: 'Always' | 'CrossSubnet'): void {
  const { lab } = cluster;
  const me = NODES.find((n) => n.name === name)!;
  const node = cluster.nodes.get(name)!;
  const ns = node.ns;
  for (const family of [4, 6] as const) {
    const dev = family === 4 ? 'vxlan.calico' : 'vxlan-v6.calico';
    const v = family === 4 ? [] : ['-6'];
    // Only the IPv4 pool is ever switched to CrossSubnet.
    const mode = family === 4 ? mode4 : 'Always';
    try {
      lab.ip(ns, 'link', 'del', dev);
    } catch {
      // not there yet
    }
    // Felix's own routes off other devices (blackholes, CrossSubnet routes) go too.
    lab.ip(ns, ...v, 'route', 'flush', 'proto', '80');
    lab.ip(
      ns,
      'link',
      'add',
      dev,
      'type',
      'vxlan',
      'id',
      '4096',
      'local',
      family === 4 ? node.v4 : node.v6,
      'dev',
      'eth0',
      'dstport',
      '4789',
      'nolearning',
    );
    lab.ip(ns, 'link', 'set', dev, 'mtu', String(VXLAN_MTU[family]), 'address', vtepMac(name, family));
    lab.ip(ns, 'link', 'set', dev, 'up');
    lab.ip(
      ns,
      ...v,
      'addr',
      'add',
      family === 4 ? `${me.vtep4}/32` : `${me.vtep6}/128`,
      'dev',
      dev,
      ...(family === 6 ? ['nodad'] : []),
    );
    lab.ip(ns, ...v, 'route', 'replace', 'blackhole', family === 4 ? me.block4 : me.block6, 'proto', '80');
    for (const peer of NODES) {
      if (peer.name === name) continue;
      const peerNode = cluster.nodes.get(peer.name)!;
      const vtep = family === 4 ? peer.vtep4 : peer.vtep6;
      const mac = vtepMac(peer.name, family);
      lab.ip(ns, ...v, 'neigh', 'replace', vtep, 'lladdr', mac, 'dev', dev, 'nud', 'permanent');
      run(
        'ip',
        'netns',
        'exec',
        ns,
        'bridge',
        'fdb',
        'replace',
        mac,
        'dev',
        dev,
        'dst',
        family === 4 ? peerNode.v4 : peerNode.v6,
        'self',
        'permanent',
      );
      const block = family === 4 ? peer.block4 : peer.block6;
      const sameSubnet = mode === 'CrossSubnet' && peer.subnet === me.subnet;
      const via = (dst: string): string[] =>
        sameSubnet
          ? [dst, 'via', family === 4 ? peerNode.v4 : peerNode.v6, 'dev', 'eth0', 'proto', '80', 'onlink']
          : [dst, 'via', vtep, 'dev', dev, 'onlink', 'mtu', String(VXLAN_MTU[family])];
      lab.ip(ns, ...v, 'route', 'replace', ...via(block));
      // Borrowed addresses of pods on this peer, from another node's block.
      for (const pod of PODS) {
        if (family === 4 && pod.node === peer.name && !inBlock(pod.ipv4, peer.block4)) {
          lab.ip(ns, 'route', 'replace', ...via(pod.ipv4));
        }
      }
    }
  }
}

/** Good enough for the /26s above: same first three octets and the last within 64. */
function inBlock(ip: string, block: string): boolean {
  const [net, len] = block.split('/') as [string, string];
  const last = (s: string): number => Number(s.split('.')[3]);
  const size = 2 ** (32 - Number(len));
  return (
    ip.split('.').slice(0, 3).join('.') === net.split('.').slice(0, 3).join('.') &&
    last(ip) - last(net) < size &&
    last(ip) >= last(net)
  );
}

/** What `node check -o json` prints for one node (docs/node-check.md). */
export type CheckJson = NodeCheckReport;

/** `node check --node <name> -o json` inside the node's namespace. */
export async function nodeCheck(
  cluster: Cluster,
  name: string,
  ...extra: string[]
): Promise<{ code: number | null; json: CheckJson; stderr: string }> {
  const r = await cluster.lab.runCli(
    cluster.nodes.get(name)!,
    ['node', 'check', '--node', name, '-o', 'json', ...extra],
    cluster.env,
  );
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson, stderr: r.stderr };
}

/** The findings as `code subject` lines, for exact assertions. */
export function codes(json: CheckJson, severity: 'error' | 'warning' = 'error'): string[] {
  return json.findings.filter((f) => f.severity === severity).map((f) => `${f.code} ${f.subject}`);
}
