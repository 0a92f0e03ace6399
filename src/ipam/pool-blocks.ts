/**
 * The IPAM side of IPPool writes (clientv3 ipPools.Create/Delete, ipam ReleasePoolAffinities):
 * finding existing blocks of another size inside a new pool, and releasing every block affinity
 * inside a pool being deleted (empty blocks are deleted, the others lose their affinity).
 * Every write is a compare-and-swap retried a few times, as releaseBlockAffinity does.
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { cidrContains, cidrsOverlap, type CIDR } from '../resources/ip.js';
import { BLOCK_PREFIX, IPAM_PREFIX, networkText, parseBlockKey, type Network } from './block-key.js';
import type { AllocationBlock } from './block.js';
import { bumpSequenceNumber, isBlockEmpty } from './block-ops.js';
import { allocationBlockSchema, blockAffinitySchema } from './schemas.js';

const CAS_ATTEMPTS = 5;

function blockPrefix(version: 4 | 6): string {
  return `${BLOCK_PREFIX}ipv${version}/block/`;
}

/** The networks of the blocks stored for an IP version, with their keys. */
async function* blocksOf(ds: Datastore, version: 4 | 6): AsyncGenerator<{ key: string; net: Network }> {
  for await (const kv of await ds.list(blockPrefix(version))) {
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

/** Releases one block's host affinity as releaseBlockAffinity does with requireEmpty false. */
async function releaseBlock(ds: Datastore, key: string, net: Network): Promise<void> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const kv = await ds.get(key);
    if (!kv) return;
    const block = parseGoJson(kv.value) as unknown as AllocationBlock;
    const affinity = block.affinity;
    if (typeof affinity !== 'string' || !affinity.startsWith('host:')) return;
    const host = affinity.slice('host:'.length);
    const affinityKey = `${IPAM_PREFIX}host/${host}/ipv${net.network.version}/block/${networkText(net).replace('/', '-')}`;
    const aff = await ds.get(affinityKey);
    if (aff) {
      const pending = encodeGoJson({ state: 'pendingDeletion', deleted: false }, blockAffinitySchema);
      const marked = await ds.update(affinityKey, pending, aff.modRevision);
      if (!marked.ok) continue;
    }
    let outcome;
    if (isBlockEmpty(block)) {
      outcome = await ds.delete(key, kv.modRevision);
    } else {
      const updated: AllocationBlock = { ...block, affinity: null, affinity_claim_time: undefined };
      bumpSequenceNumber(updated);
      outcome = await ds.update(key, encodeGoJson(updated, allocationBlockSchema), kv.modRevision);
    }
    if (!outcome.ok) continue;
    const affNow = await ds.get(affinityKey);
    if (affNow) await ds.delete(affinityKey, affNow.modRevision);
    return;
  }
}

/** ipam ReleasePoolAffinities: every affine block inside the pool. */
export async function releasePoolAffinities(ds: Datastore, pool: CIDR): Promise<void> {
  const inside: { key: string; net: Network }[] = [];
  for await (const b of blocksOf(ds, pool.ip.version)) if (cidrContains(pool, b.net)) inside.push(b);
  for (const { key, net } of inside) await releaseBlock(ds, key, net);
}
