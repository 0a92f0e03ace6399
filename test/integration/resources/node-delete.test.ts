/**
 * `delete node` as calicoctl runs it (clientv3 nodes.Delete): before the Node goes, the addresses of
 * its workload endpoints and its tunnel address are released, the endpoints deleted, its block
 * affinities released, and its BGPPeers, HostEndpoints and node.<name> configurations deleted; another
 * node whose name starts the same is left alone. On a real embedded store (etcd semantics).
 */
import { afterEach, describe, expect, it } from 'vitest';

import { ApplyEngine } from '../../../src/apply/engine.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { assign } from '../../../src/ipam/assign.js';
import { kindDescriptor } from '../../../src/resources/registry.js';
import { POOL_PREFIX, poolValue } from '../../unit/ipam/fixtures.js';
import { dump, openMultiKeyStore, seed } from '../one-key/stores.js';

const R = '/calico/resources/v3/projectcalico.org/';
const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: '00000000-0000-4000-8000-000000000001',
  creationTimestamp: '2026-06-01T10:00:00Z',
});
const stored = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string) =>
  JSON.stringify({ kind, apiVersion: 'projectcalico.org/v3', metadata: meta(name, namespace), spec });
const wep = (node: string, pod: string, ip: string) =>
  stored(
    'WorkloadEndpoint',
    `${node.replaceAll('-', '--')}-k8s-${pod.replaceAll('-', '--')}-eth0`,
    { orchestrator: 'k8s', node, pod, endpoint: 'eth0', ipNetworks: [`${ip}/32`], interfaceName: 'cali0' },
    'default',
  );

let ds: Datastore | undefined;
afterEach(async () => ds?.close());

/** Two nodes; the block n1 claimed (Calico picks it from a hash of the node name). */
async function twoNodes(): Promise<{ store: Datastore; block: string; otherBlock: string }> {
  const store = await openMultiKeyStore();
  await seed(store, { [POOL_PREFIX + 'p']: poolValue('p', '10.70.0.0/16', 26) });
  const pod = await assign(store, { node: 'n1', handleID: 'k8s-pod-network.c1', attrs: {}, num: 1 });
  const tunnel = await assign(store, { node: 'n1', handleID: 'ipip-tunnel-addr-n1', attrs: {}, num: 1 });
  const other = await assign(store, { node: 'n1-a', handleID: 'k8s-pod-network.c2', attrs: {}, num: 1 });
  await seed(store, {
    [`${R}nodes/n1`]: stored('Node', 'n1', { bgp: { ipv4IPIPTunnelAddr: tunnel.addresses[0] } }),
    [`${R}nodes/n1-a`]: stored('Node', 'n1-a', {}),
    [`${R}workloadendpoints/default/n1-k8s-web--0-eth0`]: wep('n1', 'web-0', pod.addresses[0]!),
    [`${R}workloadendpoints/default/n1--a-k8s-web--1-eth0`]: wep('n1-a', 'web-1', other.addresses[0]!),
    [`${R}bgppeers/rr-n1`]: stored('BGPPeer', 'rr-n1', { node: 'n1', peerIP: '10.0.0.9', asNumber: 64512 }),
    [`${R}bgppeers/rr-all`]: stored('BGPPeer', 'rr-all', { peerIP: '10.0.0.8', asNumber: 64512 }),
    [`${R}felixconfigurations/node.n1`]: stored('FelixConfiguration', 'node.n1', {}),
    [`${R}bgpconfigurations/node.n1`]: stored('BGPConfiguration', 'node.n1', {}),
    [`${R}hostendpoints/n1-eth0`]: stored('HostEndpoint', 'n1-eth0', { node: 'n1', interfaceName: 'eth0' }),
  });
  return {
    store,
    block: pod.blocks[0]!.cidr.replace('/', '-'),
    otherBlock: other.blocks[0]!.cidr.replace('/', '-'),
  };
}

describe('delete node', () => {
  it("releases the node's addresses and affinities and deletes what belongs to it, then the Node", async () => {
    const { store, block, otherBlock } = await twoNodes();
    ds = store;
    const before = await dump(ds);
    const node = kindDescriptor('Node')!;
    const [result] = await new ApplyEngine(ds, {}).run('delete', [
      {
        resource: { kind: 'Node', apiVersion: 'projectcalico.org/v3', metadata: { name: 'n1' } },
        descriptor: node,
      },
    ]);
    expect(result?.outcome).toBe('deleted');
    const after = await dump(ds);
    const gone = Object.keys(before).filter((k) => !(k in after));
    expect(gone.sort()).toEqual(
      [
        `${R}nodes/n1`,
        `${R}workloadendpoints/default/n1-k8s-web--0-eth0`,
        `${R}bgppeers/rr-n1`,
        `${R}felixconfigurations/node.n1`,
        `${R}bgpconfigurations/node.n1`,
        `${R}hostendpoints/n1-eth0`,
        '/calico/ipam/v2/handle/k8s-pod-network.c1',
        '/calico/ipam/v2/handle/ipip-tunnel-addr-n1',
        `/calico/ipam/v2/host/n1/ipv4/block/${block}`,
        `/calico/ipam/v2/assignment/ipv4/block/${block}`,
      ].sort(),
    );
    // n1-a's endpoint, handle, block and affinity stay, and so does the peer of every node.
    expect(
      Object.keys(after)
        .filter((k) => /n1-a|n1--a|c2|rr-all/.test(k))
        .sort(),
    ).toEqual(
      [
        `${R}nodes/n1-a`,
        `${R}workloadendpoints/default/n1--a-k8s-web--1-eth0`,
        `${R}bgppeers/rr-all`,
        '/calico/ipam/v2/handle/k8s-pod-network.c2',
        `/calico/ipam/v2/host/n1-a/ipv4/block/${otherBlock}`,
      ].sort(),
    );
  });
});
