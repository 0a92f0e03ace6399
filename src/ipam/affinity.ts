/**
 * Block affinities (libcalico-go `model/block_affinity.go`) and the release path Calico runs after
 * freeing addresses: ipamClient.ensureConsistentAffinity, which drops the affinity of a now-empty
 * block whose pool no longer selects the node (blockReaderWriter.releaseBlockAffinity with
 * RequireEmpty). Every write is a compare-and-swap; as in Calico, losing one is not an error.
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import { LOST_COMPARE, retryLostCompares } from '../datastore/cas.js';
import type { Datastore } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { kindDescriptor, resourceKey } from '../resources/registry.js';
import { parseSelector, type Labels } from '../resources/selector.js';
import { decodeFromStorage } from '../resources/store.js';
import { affinityKey, blockKey, ipamHostKey, type AffinityType, type Network } from './keys.js';
import { listAffineBlocks } from './claim.js';
import { decodeBlock, type AllocationBlock } from './block.js';
import { bumpSequenceNumber, isBlockEmpty } from './block-ops.js';
import { enabledPoolHolding, listPools } from './pools.js';
import { allocationBlockSchema, blockAffinitySchema } from './schemas.js';

const NODE_KIND = kindDescriptor('Node')!;

export interface AffinityOwner {
  type: AffinityType;
  host: string;
}

/** `host:node1` -> {type: 'host', host: 'node1'} (getAffinityConfig); undefined when unset or unknown. */
export function parseAffinity(affinity: string | null): AffinityOwner | undefined {
  if (affinity === null) return undefined;
  const colon = affinity.indexOf(':');
  if (colon < 0) return undefined;
  const type = affinity.slice(0, colon);
  if (type !== 'host' && type !== 'virtual') return undefined;
  return { type, host: affinity.slice(colon + 1) };
}

function objectOf(text: string): Record<string, unknown> {
  const v = text === '' ? {} : parseGoJson(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The labels of the Node resource, or undefined when there is none; a corrupt Node is an error. */
export async function readNodeLabels(ds: Datastore, node: string): Promise<Labels | undefined> {
  const kv = await ds.get(resourceKey(NODE_KIND, node));
  if (!kv) return undefined;
  try {
    return decodeFromStorage(NODE_KIND, kv).metadata.labels ?? {};
  } catch (err) {
    throw new OperationError(`Node ${node} has a corrupt value: ${(err as Error).message}`, {
      code: 'CorruptEntry',
    });
  }
}

/**
 * ensureConsistentAffinity: returns the affinity key it released, or undefined when nothing
 * changed. Throws on datastore errors and unparsable selectors (callers report a warning).
 */
export async function ensureConsistentAffinity(
  ds: Datastore,
  net: Network,
  block: AllocationBlock,
): Promise<string | undefined> {
  const aff = parseAffinity(block.affinity);
  if (!aff || aff.host === '') return undefined;
  const labels = await readNodeLabels(ds, aff.host);
  if (!labels) return undefined;
  const { pools } = await listPools(ds);
  const pool = enabledPoolHolding(pools, net.network);
  if (!pool) return undefined;
  // SelectsNode: an empty nodeSelector selects every node.
  if (parseSelector(pool.nodeSelector ?? '').matches(labels)) return undefined;
  return releaseEmptyBlockAffinity(ds, aff, net);
}

export type ReleaseOutcome = 'released' | 'conflict' | 'unchanged';

/**
 * blockReaderWriter.releaseBlockAffinity, the one release of a block's affinity: read the affinity,
 * then the block; an affinity the block does not carry is stale and deleted; with requireEmpty a
 * block still in use is left alone; otherwise the affinity is marked pendingDeletion, the block is
 * deleted when empty or loses its affinity, and the affinity is deleted. A lost compare-and-swap
 * returns 'conflict' (the caller decides whether to retry); nothing to do returns 'unchanged'.
 */
export async function releaseBlockAffinity(
  ds: Datastore,
  aff: AffinityOwner,
  net: Network,
  opts: { requireEmpty: boolean },
): Promise<ReleaseOutcome> {
  const key = affinityKey(aff.type, aff.host, net);
  const affKv = await ds.get(key);
  if (!affKv) return 'unchanged';
  const blockKv = await ds.get(blockKey(net));
  if (!blockKv) return 'unchanged';
  const block = decodeBlock(blockKv, { exact: true }).value;
  if (block.affinity !== `${aff.type}:${aff.host}`) {
    // A stale affinity: Calico deletes it and reports a claim conflict.
    await ds.delete(key, affKv.modRevision);
    return 'unchanged';
  }
  const empty = isBlockEmpty(block);
  if (opts.requireEmpty && !empty) return 'unchanged';
  const pending = encodeGoJson(
    { ...objectOf(affKv.value), state: 'pendingDeletion', deleted: false },
    blockAffinitySchema,
  );
  const marked = await ds.update(key, pending, affKv.modRevision);
  if (!marked.ok) return 'conflict';
  let written;
  if (empty) {
    written = await ds.delete(blockKey(net), blockKv.modRevision);
    if (!written.ok && written.reason === 'missing') written = { ok: true as const };
  } else {
    const updated: AllocationBlock = { ...block, affinity: null, affinity_claim_time: undefined };
    bumpSequenceNumber(updated);
    written = await ds.update(
      blockKey(net),
      encodeGoJson(updated, allocationBlockSchema),
      blockKv.modRevision,
    );
  }
  if (!written.ok) return 'conflict';
  await ds.delete(key, marked.revision);
  return 'released';
}

/** releaseBlockAffinity(RequireEmpty) after a release: a lost compare-and-swap is an error here. */
async function releaseEmptyBlockAffinity(
  ds: Datastore,
  aff: AffinityOwner,
  net: Network,
): Promise<string | undefined> {
  const outcome = await releaseBlockAffinity(ds, aff, net, { requireEmpty: true });
  if (outcome === 'conflict')
    throw new Error(`update conflict: BlockAffinityKey(${affinityKey(aff.type, aff.host, net)})`);
  return outcome === 'released' ? affinityKey(aff.type, aff.host, net) : undefined;
}

/**
 * releaseBlockAffinity without requireEmpty (a block in use only loses its affinity), on the one
 * retry policy, for the owner owner() reads afresh each round (none: nothing to release); a block
 * still lost after every round is left as it is, as ReleaseHostAffinities and ReleasePoolAffinities
 * leave it.
 */
export async function releaseAffinityRetrying(
  ds: Datastore,
  net: Network,
  owner: () => Promise<AffinityOwner | undefined>,
): Promise<void> {
  await retryLostCompares(
    async () => {
      const aff = await owner();
      if (!aff) return;
      const outcome = await releaseBlockAffinity(ds, aff, net, { requireEmpty: false });
      return outcome === 'conflict' ? LOST_COMPARE : undefined;
    },
    () => undefined,
  );
}

/**
 * ipamClient.RemoveIPAMHost (node deletion): releases every block affinity of the host, in use or
 * not (ReleaseHostAffinities without mustBeEmpty: a block still holding addresses only loses its
 * affinity), each retried on a lost compare-and-swap, then deletes the legacy IPAM host object if
 * there is one (the Kubernetes datastore has none).
 */
export async function removeIPAMHost(ds: Datastore, host: string): Promise<void> {
  for (const version of [4, 6] as const) {
    for (const net of await listAffineBlocks(ds, host, version)) {
      await releaseAffinityRetrying(ds, net, async () => ({ type: 'host', host }));
    }
  }
  const hostKv = await ds.get(ipamHostKey(host));
  if (hostKv) await ds.delete(hostKv.key, hostKv.modRevision);
}
