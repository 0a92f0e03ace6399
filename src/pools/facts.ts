/**
 * What the pool checks need to know about the rest of the cluster: the Node resources' labels,
 * BGP addresses and tunnel addresses, and whether BGP routes anything (the node-to-node mesh of the
 * default BGPConfiguration, or any BGPPeer).
 */
import { isCalicoError } from '../errors.js';
import { kindDescriptor } from '../resources/registry.js';
import type { Labels } from '../resources/selector.js';
import type { ResourceStore } from '../resources/store.js';

export interface NodeFacts {
  name: string;
  /** metadata.labels: what a pool's nodeSelector is evaluated against. */
  labels: Labels;
  ipv4Address?: string;
  ipv6Address?: string;
  ipv4IPIPTunnelAddr?: string;
  ipv4VXLANTunnelAddr?: string;
  ipv6VXLANTunnelAddr?: string;
}

export interface ClusterFacts {
  nodes: NodeFacts[];
  /** BGPConfiguration default's nodeToNodeMeshEnabled (true when unset or absent, as in Calico). */
  meshEnabled: boolean;
  peerCount: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function readClusterFacts(store: ResourceStore): Promise<ClusterFacts> {
  const nodes = (await store.list(kindDescriptor('Node')!)).items.map((n): NodeFacts => {
    const spec = n.spec ?? {};
    const bgp = (spec.bgp ?? {}) as Record<string, unknown>;
    const facts: NodeFacts = { name: n.metadata.name ?? '', labels: n.metadata.labels ?? {} };
    const set = (field: keyof Omit<NodeFacts, 'name' | 'labels'>, v: unknown) => {
      const s = str(v);
      if (s !== undefined) facts[field] = s;
    };
    set('ipv4Address', bgp.ipv4Address);
    set('ipv6Address', bgp.ipv6Address);
    set('ipv4IPIPTunnelAddr', bgp.ipv4IPIPTunnelAddr);
    set('ipv4VXLANTunnelAddr', spec.ipv4VXLANTunnelAddr);
    set('ipv6VXLANTunnelAddr', spec.ipv6VXLANTunnelAddr);
    return facts;
  });
  let meshEnabled = true;
  try {
    const config = await store.get(kindDescriptor('BGPConfiguration')!, 'default');
    meshEnabled = config.spec?.nodeToNodeMeshEnabled !== false;
  } catch (err) {
    if (!isCalicoError(err) || err.code !== 'ResourceNotFound') throw err;
  }
  const peerCount = (await store.list(kindDescriptor('BGPPeer')!)).items.length;
  return { nodes, meshEnabled, peerCount };
}
