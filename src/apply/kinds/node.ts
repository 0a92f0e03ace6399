/**
 * What clientv3's nodes.Delete does before it deletes a Node (libcalico-go v3.32.1
 * lib/clientv3/node.go), as calicoctl's `delete node` runs it on every datastore: release the
 * addresses of the node's workload endpoints and its tunnel addresses, delete those endpoints,
 * release its block affinities (RemoveIPAMHost), delete the BGPPeers and HostEndpoints of the node
 * and its `node.<name>` FelixConfiguration and BGPConfiguration, then delete the Node. On the
 * Kubernetes datastore the last step is refused (`operation Delete is not supported on Node(<name>)`,
 * kdd.md §5.1) after the clean-up was done, as calicoctl does there.
 */
import type { Datastore } from '../../datastore/contract.js';
import { InputError, isCalicoError, OperationError } from '../../errors.js';
import { removeIPAMHost } from '../../ipam/affinity.js';
import { releaseIPs } from '../../ipam/release.js';
import { parseCIDROrIP } from '../../resources/ip.js';
import { kindDescriptor, resourceKey, type KindDescriptor } from '../../resources/registry.js';
import type { ResourceStore } from '../../resources/store.js';
import type { KindHooks } from './hooks.js';

const WORKLOAD_ENDPOINT = kindDescriptor('WorkloadEndpoint')!;
const BGP_PEER = kindDescriptor('BGPPeer')!;
const HOST_ENDPOINT = kindDescriptor('HostEndpoint')!;
const FELIX_CONFIGURATION = kindDescriptor('FelixConfiguration')!;
const BGP_CONFIGURATION = kindDescriptor('BGPConfiguration')!;

export const nodeHooks: KindHooks = {
  async delete(store, d, name, resourceVersion, inAtomicPlan) {
    if (inAtomicPlan)
      throw new InputError('deleting a Node cannot be part of an --atomic transaction', {
        code: 'AtomicUnsupported',
        hint: "Node deletion releases the node's addresses and block affinities first; delete nodes without --atomic",
      });
    await cleanUpNode(store, d, name);
    await store.delete(d, name, undefined, resourceVersion);
  },
};

/** The escaped-dash prefix of every workload endpoint name of the node (`<node>-`, dashes doubled). */
function endpointNamePrefix(node: string): string {
  return `${node.replaceAll('-', '--')}-`;
}

/** Deletes a key, a missing one being fine (each clean-up step tolerates what is already gone). */
async function deleteIfPresent(ds: Datastore, key: string): Promise<void> {
  const outcome = await ds.delete(key);
  if (!outcome.ok && outcome.reason !== 'missing')
    throw new OperationError(`could not delete ${key} while deleting its node: ${outcome.reason}`, {
      code: 'UpdateConflict',
      hint: 'run the delete again',
    });
}

async function cleanUpNode(store: ResourceStore, nodeKind: KindDescriptor, name: string): Promise<void> {
  const ds = store.ds;
  const prefix = endpointNamePrefix(name);
  // The prefix also matches `<node>-foo`'s endpoints: spec.node says whose they are.
  const endpoints = (await store.list(WORKLOAD_ENDPOINT)).items.filter(
    (wep) => (wep.metadata.name ?? '').startsWith(prefix) && wep.spec?.['node'] === name,
  );
  const addresses: string[] = endpoints.flatMap(
    (wep) => (wep.spec?.['ipNetworks'] as string[] | undefined) ?? [],
  );
  const node = await store.get(nodeKind, name).catch((err: unknown) => {
    if (isCalicoError(err) && err.code === 'ResourceNotFound') return undefined;
    throw err;
  });
  const spec = node?.spec as
    | {
        bgp?: { ipv4IPIPTunnelAddr?: string };
        ipv4VXLANTunnelAddr?: string;
        wireguard?: { interfaceIPv4Address?: string };
      }
    | undefined;
  addresses.push(
    ...[
      spec?.bgp?.ipv4IPIPTunnelAddr,
      spec?.ipv4VXLANTunnelAddr,
      spec?.wireguard?.interfaceIPv4Address,
    ].filter((a): a is string => !!a),
  );
  const ips = addresses.flatMap((a) => {
    const cidr = parseCIDROrIP(a);
    return cidr ? [{ ip: cidr.ip }] : [];
  });
  if (ips.length > 0) {
    const released = await releaseIPs(ds, ips);
    const failed = released.failures[0];
    if (failed)
      throw new OperationError(`could not release the addresses of node ${name}: ${failed.message}`, {
        code: 'ReleaseFailed',
        hint: 'nothing of the node was deleted yet; fix the block named, then run the delete again',
      });
  }
  for (const wep of endpoints)
    await deleteIfPresent(
      ds,
      resourceKey(WORKLOAD_ENDPOINT, wep.metadata.name ?? '', wep.metadata.namespace),
    );
  await removeIPAMHost(ds, name);
  for (const peer of (await store.list(BGP_PEER)).items)
    if (peer.spec?.['node'] === name)
      await deleteIfPresent(ds, resourceKey(BGP_PEER, peer.metadata.name ?? ''));
  await deleteIfPresent(ds, resourceKey(FELIX_CONFIGURATION, `node.${name}`));
  await deleteIfPresent(ds, resourceKey(BGP_CONFIGURATION, `node.${name}`));
  for (const hep of (await store.list(HOST_ENDPOINT)).items)
    if (hep.spec?.['node'] === name)
      await deleteIfPresent(ds, resourceKey(HOST_ENDPOINT, hep.metadata.name ?? ''));
}
