/**
 * The IPAM side of IPPool writes (clientv3 ipPools.Create/Delete, ipam ReleasePoolAffinities):
 * finding existing blocks of another size inside a new pool, and releasing every block affinity
 * inside a pool being deleted (empty blocks are deleted, the others lose their affinity).
 * The release is affinity.ts's releaseAffinityRetrying, the block's owner read afresh each round
 * (a block still lost after every round is left as it is, as ReleasePoolAffinities leaves it).
 */
import type { Datastore } from '../datastore/contract.js';
import { cidrContains, cidrsOverlap, type CIDR } from '../resources/ip.js';
import { parseAffinity, releaseAffinityRetrying } from './affinity.js';
import { decodeBlock } from './block.js';
import { parseBlockKey, versionBlockPrefix, type Network } from './keys.js';

/** The networks of the blocks stored for an IP version, with their keys. */
async function* blocksOf(ds: Datastore, version: 4 | 6): AsyncGenerator<{ key: string; net: Network }> {
  for await (const kv of await ds.list(versionBlockPrefix(version))) {
    const net = parseBlockKey(kv.key);
    if (net) yield { key: kv.key, net };
  }
}

/** An existing block overlapping pool whose size differs from blockSize, if any. */
export async function blockOfOtherSize(
  ds: Datastore,
  pool: CIDR,
  blockSize: number,
): Promise<Network | undefined> {
  for await (const { net } of blocksOf(ds, pool.ip.version))
    if (net.prefix !== blockSize && cidrsOverlap(net, pool)) return net;
  return undefined;
}

/** ipam ReleasePoolAffinities: every affine block inside the pool. */
export async function releasePoolAffinities(ds: Datastore, pool: CIDR): Promise<void> {
  const inside: { key: string; net: Network }[] = [];
  for await (const b of blocksOf(ds, pool.ip.version)) if (cidrContains(pool, b.net)) inside.push(b);
  for (const { key, net } of inside)
    await releaseAffinityRetrying(ds, net, async () => {
      const kv = await ds.get(key);
      const owner = kv ? parseAffinity(decodeBlock(kv, { exact: true }).value.affinity) : undefined;
      return owner?.type === 'host' ? owner : undefined;
    });
}
