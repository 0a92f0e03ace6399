/**
 * Claiming blocks for a node as libcalico-go v3.32.1 does (`ipam/ipam_block_reader_writer.go`
 * getPendingAffinity, claimAffineBlock, confirmAffinity; `ipam/ipam.go` getBlockFromAffinity):
 * a `pending` host affinity is created first, then the block (affinity `host:<node>`, claim time,
 * sequenceNumber = UnixNano), then the affinity is `confirmed`. Each step is a compare-and-swap, so
 * concurrent claimers (ours or Calico's) agree on one owner; a lost step throws CasConflict.
 *
 * Affinity keys: `/calico/ipam/v2/host/<node>/ipv<4|6>/block/<network>-<prefix>`, value
 * `{"state":"...","deleted":false}`; an empty value (very old data) has state "" = confirmed.
 */
import { encodeGoJson } from '../codec/go-json.js';
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { parseCIDR, type IPVersion } from '../resources/ip.js';
import { hostAffinity, newBlock } from './block-assign.js';
import { affinityKey, affinityPrefix, blockKey, networkText, type Network } from './keys.js';
import { bumpSequenceNumber } from './block-ops.js';
import { decodeBlock, type AllocationBlock, type DecodedBlock } from './block.js';
import { allocationBlockSchema, blockAffinitySchema } from './schemas.js';

/** A compare-and-swap lost to another writer: read again and retry (ErrorResourceUpdateConflict). */
export class CasConflict extends Error {
  constructor(readonly key: string) {
    super(`update conflict: ${key}`);
  }
}

/** Another node owns the block (errBlockClaimConflict) or our affinity was stale (errStaleAffinity). */
export class ClaimLost extends Error {}

export interface Affinity {
  key: string;
  net: Network;
  state: string;
  modRevision: number;
  /** The stored object, so fields we do not know survive a rewrite. */
  raw: Record<string, unknown>;
}

function decodeAffinity(kv: KeyValue, net: Network): Affinity {
  let raw: Record<string, unknown> = {};
  if (kv.value.trim() !== '') {
    const parsed = JSON.parse(kv.value) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      raw = parsed as Record<string, unknown>;
    }
  }
  const state = typeof raw['state'] === 'string' ? raw['state'] : '';
  return { key: kv.key, net, state, modRevision: kv.modRevision, raw };
}

/** The networks of the node's affinities of one family, in key order (getAffineBlocks). */
export async function listAffineBlocks(ds: Datastore, node: string, version: IPVersion): Promise<Network[]> {
  const prefix = affinityPrefix('host', node, version);
  const nets: Network[] = [];
  for await (const kv of await ds.list(prefix)) {
    const rest = kv.key.slice(prefix.length);
    if (rest.includes('/')) continue;
    const cidr = parseCIDR(rest.replace('-', '/'));
    if (cidr && cidr.network.version === version) nets.push({ network: cidr.network, prefix: cidr.prefix });
  }
  return nets;
}

export async function readAffinity(ds: Datastore, node: string, net: Network): Promise<Affinity | undefined> {
  const kv = await ds.get(affinityKey('host', node, net));
  return kv ? decodeAffinity(kv, net) : undefined;
}

function encodeAffinity(raw: Record<string, unknown>, state: string): string {
  return encodeGoJson({ ...raw, state, deleted: raw['deleted'] === true }, blockAffinitySchema);
}

/** Rewrites the affinity with a new state (CAS on its revision). */
export async function updateAffinity(ds: Datastore, aff: Affinity, state: string): Promise<Affinity> {
  const outcome = await ds.update(aff.key, encodeAffinity(aff.raw, state), aff.modRevision);
  if (!outcome.ok) throw new CasConflict(aff.key);
  return { ...aff, state, modRevision: outcome.revision, raw: { ...aff.raw, state } };
}

/** Compare-and-delete; a key that is already gone counts as deleted. */
export async function deleteAffinity(ds: Datastore, aff: Affinity): Promise<void> {
  const outcome = await ds.delete(aff.key, aff.modRevision);
  if (!outcome.ok && outcome.reason !== 'missing') throw new CasConflict(aff.key);
}

export async function readBlock(ds: Datastore, net: Network): Promise<DecodedBlock | undefined> {
  const kv = await ds.get(blockKey(net));
  return kv ? decodeBlock(kv, { exact: true }) : undefined;
}

export function encodeBlock(block: AllocationBlock): string {
  return encodeGoJson(block, allocationBlockSchema);
}

/** updateBlock: sequenceNumber + 1 and a compare-and-swap on the block's revision. */
export async function updateBlock(ds: Datastore, block: DecodedBlock): Promise<DecodedBlock> {
  bumpSequenceNumber(block.value);
  const outcome = await ds.update(block.key, encodeBlock(block.value), block.modRevision);
  if (!outcome.ok) throw new CasConflict(block.key);
  return { ...block, modRevision: outcome.revision };
}

/**
 * getPendingAffinity: creates the affinity as pending; if it exists, an unconfirmed one is
 * rewritten as pending and a confirmed one returned as it is.
 */
export async function getPendingAffinity(ds: Datastore, node: string, net: Network): Promise<Affinity> {
  const key = affinityKey('host', node, net);
  const created = await ds.create(key, encodeAffinity({}, 'pending'));
  if (created.ok) {
    return {
      key,
      net,
      state: 'pending',
      modRevision: created.revision,
      raw: { state: 'pending', deleted: false },
    };
  }
  const existing = await readAffinity(ds, node, net);
  if (!existing) throw new CasConflict(key);
  return existing.state === 'confirmed' ? existing : updateAffinity(ds, existing, 'pending');
}

/** confirmAffinity: fine too when another process of this node confirmed it first. */
async function confirmAffinity(ds: Datastore, node: string, aff: Affinity): Promise<void> {
  try {
    await updateAffinity(ds, aff, 'confirmed');
  } catch (err) {
    const now = await readAffinity(ds, node, aff.net);
    if (now?.state !== 'confirmed') throw err;
  }
}

export interface ClaimedBlock {
  block: DecodedBlock;
  /** True when this call created the block. */
  created: boolean;
}

/**
 * claimAffineBlock: creates the block with the pending affinity and confirms the affinity. A block
 * another process of the same node created is confirmed and used; another node's block makes us
 * delete our pending affinity and throw ClaimLost.
 */
export async function claimAffineBlock(ds: Datastore, node: string, aff: Affinity): Promise<ClaimedBlock> {
  const fresh = newBlock(aff.net, node);
  const key = blockKey(aff.net);
  const outcome = await ds.create(key, encodeBlock(fresh));
  if (outcome.ok) {
    await confirmAffinity(ds, node, aff);
    const kv = {
      key,
      value: encodeBlock(fresh),
      createRevision: outcome.revision,
      modRevision: outcome.revision,
      version: 1,
    };
    return { block: decodeBlock(kv, { exact: true }), created: true };
  }
  const existing = await readBlock(ds, aff.net);
  if (!existing) throw new CasConflict(key);
  if (existing.value.affinity === hostAffinity(node)) {
    await confirmAffinity(ds, node, aff);
    return { block: existing, created: false };
  }
  await deleteAffinity(ds, aff).catch(() => undefined);
  throw new ClaimLost(
    `${networkText(aff.net)} already claimed${existing.value.affinity ? ` by ${existing.value.affinity}` : ''}`,
  );
}

/**
 * getBlockFromAffinity: the block an affinity refers to, created when missing; an affinity whose
 * block belongs to someone else is deleted (stale); an unconfirmed one is confirmed after a write
 * of the block that invalidates other writers' copies.
 */
export async function getBlockFromAffinity(
  ds: Datastore,
  node: string,
  aff: Affinity,
): Promise<ClaimedBlock> {
  const block = await readBlock(ds, aff.net);
  if (!block) {
    const pending = await updateAffinity(ds, aff, 'pending');
    return claimAffineBlock(ds, node, pending);
  }
  if (block.value.affinity !== hostAffinity(node)) {
    await deleteAffinity(ds, aff);
    throw new ClaimLost(`Affinity is stale: ${aff.key}`);
  }
  if (aff.state !== 'confirmed' && aff.state !== '') {
    const pending = await updateAffinity(ds, aff, 'pending');
    const written = await updateBlock(ds, block);
    await updateAffinity(ds, pending, 'confirmed');
    return { block: written, created: false };
  }
  return { block, created: false };
}
