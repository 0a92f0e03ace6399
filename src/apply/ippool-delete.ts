/**
 * What deleting an IPPool does besides removing its key (clientv3 ipPools.Delete, calico.md §5.4):
 * disable the pool, wait briefly for in-flight allocations, release every block affinity inside
 * the pool (src/ipam/pool-blocks.ts), then delete the pool. Also the create-time check that no
 * existing block of another size overlaps a new pool.
 */
import type { Datastore } from '../datastore/contract.js';
import { InputError } from '../errors.js';
import { blockOfOtherSize, releasePoolAffinities } from '../ipam/pool-blocks.js';
import { formatCIDR, parseCIDR } from '../resources/ip.js';
import type { KindDescriptor } from '../resources/registry.js';
import { conflictError, type ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';

const PAUSE_BEFORE_RELEASE_MS = 500;

/** ipPools.Create: an existing block of a different size overlapping the new pool is refused. */
export async function checkBlockSizeConflict(ds: Datastore, pool: ResourceObject): Promise<void> {
  const cidr = parseCIDR(String(pool.spec?.cidr ?? ''));
  const blockSize = pool.spec?.blockSize;
  if (!cidr || typeof blockSize !== 'number') return;
  const block = await blockOfOtherSize(ds, cidr, blockSize);
  if (block)
    throw new InputError(
      `error with field IPPool.Spec.BlockSize = '${String(blockSize)}' (IPPool blocksSize conflicts with existing allocations that use a different blockSize)`,
      {
        code: 'ValidationFailed',
        hint: `use blockSize ${block.prefix}, the size of the existing block ${formatCIDR(block)}`,
      },
    );
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
