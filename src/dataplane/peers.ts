/**
 * Checks across the saved states of several nodes, which no single node can see: that each node's
 * VXLAN neighbour and FDB entries for a peer carry the peer's actual VTEP MAC and node address, that
 * routes to a peer's blocks lead to an address the peer actually has, and that no two nodes
 * blackhole the same block.
 */
import type { ClusterState } from './cluster-state.js';
import { formatRoute } from './check.js';
import { VXLAN_DEVICE } from './expected.js';
import type { Finding } from './findings.js';
import type { KernelState } from './kernel-state.js';
import { kernelView, type KernelView } from './kernel-view.js';

interface PeerNode {
  name: string;
  view: KernelView;
}

export function checkPeers(
  cluster: ClusterState,
  states: readonly KernelState[],
): { findings: Finding[]; checked: number } {
  const peers: PeerNode[] = states.map((s) => ({ name: s.node, view: kernelView(s) }));
  // Each node's unicast routes with a gateway, by destination.
  const gatewayRoutes = new Map(
    peers.map((p) => [
      p,
      new Map(p.view.routes.filter((r) => r.type === 'unicast' && r.gateway).map((r) => [r.dst, r])),
    ]),
  );
  const findings: Finding[] = [];
  let checked = 0;
  const mismatch = (
    node: string,
    peer: string,
    subject: string,
    expected: string,
    actual: string,
    hint: string,
  ): void => {
    findings.push({
      code: 'peer-mismatch',
      severity: 'error',
      area: 'peers',
      subject,
      expected,
      actual,
      hint,
      node,
      peer,
    });
  };
  for (const a of peers) {
    for (const b of peers) {
      if (a === b) continue;
      const bFacts = cluster.nodes.find((n) => n.name === b.name);
      for (const family of [4, 6] as const) {
        const dev = VXLAN_DEVICE[family];
        const bLink = b.view.links.get(dev);
        const bVtep = family === 4 ? bFacts?.ipv4VXLANTunnelAddr : bFacts?.ipv6VXLANTunnelAddr;
        if (!bLink || !bVtep || !a.view.links.has(dev)) continue;
        const ipc = family === 6 ? 'ip -6' : 'ip';
        checked++;
        const neigh = a.view.neighbors.find((n) => n.dev === dev && n.dst === bVtep);
        if (neigh && neigh.lladdr?.toLowerCase() !== bLink.mac.toLowerCase()) {
          mismatch(
            a.name,
            b.name,
            bVtep,
            `lladdr ${bLink.mac} (${b.name}'s ${dev})`,
            `lladdr ${neigh.lladdr ?? 'none'}`,
            `on ${a.name}: ${ipc} neigh replace ${bVtep} lladdr ${bLink.mac} dev ${dev} nud permanent`,
          );
        }
        const bLocal = bLink.vxlan?.local;
        const fdb = a.view.fdb.find((f) => f.dev === dev && f.mac.toLowerCase() === bLink.mac.toLowerCase());
        if (bLocal && fdb && fdb.dst !== bLocal) {
          mismatch(
            a.name,
            b.name,
            bLink.mac,
            `dst ${bLocal} (${b.name}'s ${dev} local address)`,
            `dst ${fdb.dst ?? 'none'}`,
            `on ${a.name}: bridge fdb replace ${bLink.mac} dev ${dev} dst ${bLocal} self permanent`,
          );
        }
        if (!fdb && neigh) {
          mismatch(
            a.name,
            b.name,
            bLink.mac,
            `an FDB entry for ${b.name}'s ${dev} MAC`,
            'none',
            `on ${a.name}: bridge fdb replace ${bLink.mac} dev ${dev} dst ${bLocal ?? '<node address>'} self permanent`,
          );
        }
      }
      // Routes to b's blocks must lead to an address b has.
      const bAddresses = new Set([...b.view.addresses.values()].flat().map((x) => x.local));
      for (const block of cluster.blocks) {
        if (block.host !== b.name) continue;
        const dst = block.cidr.split('/')[1] === '32' ? block.cidr.split('/')[0]! : block.cidr;
        const route = gatewayRoutes.get(a)!.get(dst);
        if (!route?.gateway) continue;
        checked++;
        const onLink = route.onlink || route.dev === VXLAN_DEVICE[4] || route.dev === VXLAN_DEVICE[6];
        if (onLink && !bAddresses.has(route.gateway)) {
          mismatch(
            a.name,
            b.name,
            dst,
            `a gateway ${b.name} has (${[...bAddresses].filter((x) => !x.startsWith('fe80') && !x.startsWith('127.') && x !== '::1').join(', ')})`,
            formatRoute(route),
            `the route on ${a.name} leads to an address ${b.name} does not have: check ${b.name}'s Node resource addresses against its interfaces`,
          );
        }
      }
    }
  }
  // No two nodes blackhole the same block.
  const blackholes = new Map<string, string>();
  for (const n of peers) {
    for (const r of n.view.routes) {
      if (r.type !== 'blackhole' || (r.protocol !== '80' && r.protocol !== 'bird')) continue;
      checked++;
      const other = blackholes.get(r.dst);
      if (other === undefined) {
        blackholes.set(r.dst, n.name);
        continue;
      }
      const owner = cluster.blocks.find((b) => b.cidr === r.dst)?.host;
      findings.push({
        code: 'blackhole-conflict',
        severity: 'error',
        area: 'peers',
        subject: r.dst,
        expected: `a blackhole on ${owner ? `${owner} only (the block's affinity)` : 'one node only'}`,
        actual: `blackholes on ${other} and ${n.name}`,
        hint: `delete the blackhole on the node that does not own the block (${formatRoute(r)}): ip route del blackhole ${r.dst}; then 'calicoctl-ts ipam check'`,
        node: n.name,
        peer: other,
      });
    }
  }
  return { findings, checked };
}
