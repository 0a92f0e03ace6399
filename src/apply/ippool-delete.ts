/**
 * What deleting an IPPool does besides removing its key (clientv3 ipPools.Delete, calico.md §5.4):
 * disable the pool, wait briefly for in-flight allocations, release every block affinity inside
 * the pool (empty blocks are deleted, others lose their affinity), then delete the pool. Also the
 * create-time check that no existing block of another size overlaps a new pool.
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { InputError } from '../errors.js';
import { allocationBlockSchema, blockAffinitySchema } from '../ipam/schemas.js';
import { cidrContains, cidrsOverlap, formatCIDR, parseCIDR, type CIDR } from '../resources/ip.js';
import type { KindDescriptor } from '../resources/registry.js';
import { conflictError, type ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';

const BLOCKS = '/calico/ipam/v2/assignment/';
const PAUSE_BEFORE_RELEASE_MS = 500;
const CAS_ATTEMPTS = 5;

function blockPrefix(version: 4 | 6): string {
  return `${BLOCKS}ipv${version}/block/`;
}

function parseBlockKey(key: string): CIDR | undefined {
  const m = /^\/calico\/ipam\/v2\/assignment\/ipv[46]\/block\/([^/]+)$/.exec(key);
  if (!m) return undefined;
  const dash = m[1]!.lastIndexOf('-');
  return dash < 0 ? undefined : parseCIDR(`${m[1]!.slice(0, dash)}/${m[1]!.slice(dash + 1)}`);
}

/** ipPools.Create: an existing block of a different size overlapping the new pool is refused. */
export async function checkBlockSizeConflict(ds: Datastore, pool: ResourceObject): Promise<void> {
  const cidr = parseCIDR(String(pool.spec?.cidr ?? ''));
  if (!cidr) return;
  const blockSize = pool.spec?.blockSize;
  for await (const kv of await ds.list(blockPrefix(cidr.ip.version))) {
    const block = parseBlockKey(kv.key);
    if (block && block.prefix !== blockSize && cidrsOverlap(block, cidr))
      throw new InputError(
        `error with field IPPool.Spec.BlockSize = '${String(blockSize)}' (IPPool blocksSize conflicts with existing allocations that use a different blockSize)`,
        {
          code: 'ValidationFailed',
          hint: `use blockSize ${block.prefix}, the size of the existing block ${formatCIDR(block)}`,
        },
      );
  }
}

type Block = Record<string, unknown> & {
  affinity?: string | null;
  allocations?: unknown[];
  sequenceNumber?: number | bigint;
};

/** Releases one block's host affinity as ipam releaseBlockAffinity does (requireEmpty false). */
async function releaseBlock(ds: Datastore, key: string, cidr: CIDR): Promise<void> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const kv = await ds.get(key);
    if (!kv) return;
    const block = parseGoJson(kv.value) as Block;
    const affinity = block.affinity;
    if (typeof affinity !== 'string' || !affinity.startsWith('host:')) return;
    const host = affinity.slice('host:'.length);
    const affinityKey = `/calico/ipam/v2/host/${host}/ipv${cidr.ip.version}/block/${formatCIDR(cidr).replace('/', '-')}`;
    const aff = await ds.get(affinityKey);
    if (aff) {
      const pending = encodeGoJson({ state: 'pendingDeletion', deleted: false }, blockAffinitySchema);
      const marked = await ds.update(affinityKey, pending, aff.modRevision);
      if (!marked.ok) continue;
    }
    const empty = (block.allocations ?? []).every((a) => a === null);
    const outcome = empty
      ? await ds.delete(key, kv.modRevision)
      : await ds.update(
          key,
          encodeGoJson(
            {
              ...block,
              affinity: null,
              affinity_claim_time: undefined,
              sequenceNumber: BigInt(block.sequenceNumber ?? 0) + 1n,
            },
            allocationBlockSchema,
          ),
          kv.modRevision,
        );
    if (!outcome.ok) continue;
    const affNow = await ds.get(affinityKey);
    if (affNow) await ds.delete(affinityKey, affNow.modRevision);
    return;
  }
}

/** ipam ReleasePoolAffinities: every affine block inside the pool. */
export async function releasePoolAffinities(ds: Datastore, pool: CIDR): Promise<void> {
  const keys: { key: string; cidr: CIDR }[] = [];
  for await (const kv of await ds.list(blockPrefix(pool.ip.version))) {
    const block = parseBlockKey(kv.key);
    if (block && cidrContains(pool, block)) keys.push({ key: kv.key, cidr: block });
  }
  for (const { key, cidr } of keys) await releaseBlock(ds, key, cidr);
}

/** clientv3 ipPools.Delete. */
export async function deleteIPPool(
  store: ResourceStore,
  d: KindDescriptor,
  name: string,
  resourceVersion: string | undefined,
): Promise<void> {
  const pool = await store.get(d, name);
  let rv = resourceVersion;
  if (!pool.spec?.disabled) {
    if (rv && rv !== pool.metadata.resourceVersion) throw conflictError(d.kind, name);
    await store.update(d, {
      ...pool,
      metadata: { ...pool.metadata, resourceVersion: rv ?? pool.metadata.resourceVersion },
      spec: { ...pool.spec, disabled: true },
    });
    rv = undefined;
    await new Promise((r) => setTimeout(r, PAUSE_BEFORE_RELEASE_MS));
  }
  const cidr = parseCIDR(String(pool.spec?.cidr ?? ''));
  if (cidr) await releasePoolAffinities(store.ds, cidr);
  await store.delete(d, name, undefined, rv);
}
