/**
 * What clientv3's ipPools client does to IPAM on an IPPool write (calico.md §5.4): a create is
 * checked against existing blocks of another size, and a delete disables the pool, waits briefly
 * for in-flight allocations, releases every block affinity inside the pool
 * (src/ipam/pool-blocks.ts), then deletes the pool. The rest of IPPool is src/resources/kinds/ippool.ts.
 */
import type { Datastore } from '../../datastore/contract.js';
import { InputError } from '../../errors.js';
import { blockOfOtherSize, releasePoolAffinities } from '../../ipam/pool-blocks.js';
import { formatCIDR, parseCIDR } from '../../resources/ip.js';
import type { KindDescriptor } from '../../resources/registry.js';
import { conflictError, type ResourceStore } from '../../resources/store.js';
import type { ResourceObject } from '../../resources/types.js';
import type { KindHooks } from './hooks.js';

const PAUSE_BEFORE_RELEASE_MS = 500;

export const ippoolHooks: KindHooks = {
  checkCreate: (store, res) => checkBlockSizeConflict(store.ds, res),
  async delete(store, d, name, resourceVersion, inAtomicPlan) {
    if (inAtomicPlan)
      throw new InputError('deleting an IPPool cannot be part of an --atomic transaction', {
        code: 'AtomicUnsupported',
        hint: 'IPPool deletion disables the pool and releases its IPAM blocks first; delete pools without --atomic',
      });
    await deleteIPPool(store, d, name, resourceVersion);
  },
};

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
