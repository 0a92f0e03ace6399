/**
 * Block affinities (libcalico-go `model/block_affinity.go`) and the release path Calico runs after
 * freeing addresses: ipamClient.ensureConsistentAffinity, which drops the affinity of a now-empty
 * block whose pool no longer selects the node (blockReaderWriter.releaseBlockAffinity with
 * RequireEmpty). Every write is a compare-and-swap; as in Calico, losing one is not an error.
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { cidrContains } from '../resources/ip.js';
import { kindDescriptor, resourceKey, resourcePrefix } from '../resources/registry.js';
import { parseSelector, type Labels } from '../resources/selector.js';
import { decodeFromStorage } from '../resources/store.js';
import { IPAM_PREFIX, blockKey, networkText, type Network } from './block-key.js';
import { decodeBlock, type AllocationBlock } from './block.js';
import { isBlockEmpty } from './block-ops.js';
import { listPools } from './pools.js';
import { blockAffinitySchema } from './schemas.js';

const NODE_KIND = kindDescriptor('Node')!;
/** Where Node resources live (listed by ipam check). */
export const NODE_PREFIX = resourcePrefix(NODE_KIND);

export type AffinityType = 'host' | 'virtual';

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

/** `/calico/ipam/v2/<type>/<host>/ipv<4|6>/block/<cidr-with-dash>` (BlockAffinityKey.defaultPath). */
export function affinityKey(type: AffinityType, host: string, net: Network): string {
  return `${IPAM_PREFIX}${type}/${host}/ipv${net.network.version}/block/${networkText(net).replace('/', '-')}`;
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
  const pool = pools.find(
    (p) =>
      !p.disabled &&
      p.allocatable &&
      p.net !== undefined &&
      cidrContains(p.net, { network: net.network, prefix: bitsOf(net) }),
  );
  if (!pool) return undefined;
  // SelectsNode: an empty nodeSelector selects every node.
  if (parseSelector(pool.nodeSelector ?? '').matches(labels)) return undefined;
  return releaseEmptyBlockAffinity(ds, aff, net);
}

function bitsOf(net: Network): number {
  return net.network.version === 4 ? 32 : 128;
}

/** releaseBlockAffinity(RequireEmpty): missing, mismatched or non-empty blocks are left alone. */
async function releaseEmptyBlockAffinity(
  ds: Datastore,
  aff: AffinityOwner,
  net: Network,
): Promise<string | undefined> {
  const key = affinityKey(aff.type, aff.host, net);
  const affKv = await ds.get(key);
  if (!affKv) return undefined;
  const blockKv = await ds.get(blockKey(net));
  if (!blockKv) return undefined;
  const block = decodeBlock(blockKv, { exact: true }).value;
  if (block.affinity !== null && block.affinity !== `${aff.type}:${aff.host}`) {
    // A stale affinity: Calico deletes it and reports a claim conflict (ignored by the caller).
    await ds.delete(key, affKv.modRevision);
    return undefined;
  }
  if (!isBlockEmpty(block)) return undefined;
  const pending = encodeGoJson(
    { ...objectOf(affKv.value), state: 'pendingDeletion', deleted: false },
    blockAffinitySchema,
  );
  const marked = await ds.update(key, pending, affKv.modRevision);
  if (!marked.ok) throw new Error(`update conflict: BlockAffinityKey(${key})`);
  const deleted = await ds.delete(blockKey(net), blockKv.modRevision);
  if (!deleted.ok && deleted.reason !== 'missing') throw new Error(`update conflict: ${blockKey(net)}`);
  await ds.delete(key, marked.revision);
  return key;
}
