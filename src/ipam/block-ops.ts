/**
 * Changes to a decoded block, exactly as libcalico-go v3.32.1 makes them (`ipam/ipam_block.go`),
 * so that a rewritten block is byte-identical to the one Calico would write. Pure: callers do the
 * compare-and-swap writes (see release.ts). Blocks must be decoded with `exact: true`.
 */
import { WINDOWS_RESERVED_HANDLE, sanitizeHandle, type AllocationBlock } from './block.js';

/** How many references each attribute index has from `allocations` (attributeRefCounts). */
export function attributeRefCounts(block: AllocationBlock): Map<number, number> {
  const counts = new Map<number, number>();
  for (const idx of block.allocations ?? []) {
    if (idx !== null) counts.set(idx, (counts.get(idx) ?? 0) + 1);
  }
  return counts;
}

/**
 * Frees the given allocated ordinals (block.release): an attribute losing its last reference is
 * deleted and the remaining indexes shifted down; each ordinal is appended to the tail of
 * `unallocated` and its sequenceNumberForAllocation entry removed. Returns addresses per handle.
 * Ordinals that are not allocated are left alone and not counted.
 */
export function releaseOrdinals(block: AllocationBlock, ordinals: readonly number[]): Map<string, number> {
  const allocations = block.allocations ?? [];
  const attributes = block.attributes ?? [];
  const released: number[] = [];
  const delRefCounts = new Map<number, number>();
  const byHandle = new Map<string, number>();
  for (const ord of new Set(ordinals)) {
    const idx = allocations[ord];
    if (idx === undefined || idx === null) continue;
    released.push(ord);
    delRefCounts.set(idx, (delRefCounts.get(idx) ?? 0) + 1);
    const handle = attributes[idx]?.handle_id;
    if (typeof handle === 'string' && sanitizeHandle(handle) !== '') {
      const h = sanitizeHandle(handle);
      byHandle.set(h, (byHandle.get(h) ?? 0) + 1);
    }
  }
  const refCounts = attributeRefCounts(block);
  const toDelete = new Set(
    [...delRefCounts].filter(([idx, n]) => refCounts.get(idx) === n).map(([idx]) => idx),
  );
  if (toDelete.size > 0) deleteAttributes(block, toDelete);
  for (const ord of released) {
    allocations[ord] = null;
    block.unallocated = [...(block.unallocated ?? []), ord];
    const seqs = block.sequenceNumberForAllocation;
    if (seqs) {
      block.sequenceNumberForAllocation = Object.fromEntries(
        Object.entries(seqs).filter(([k]) => k !== String(ord)),
      );
    }
  }
  return byHandle;
}

/**
 * Deletes the attributes at `indexes` and moves the other indexes down (block.deleteAttributes);
 * allocations that pointed at a deleted attribute become null.
 */
function deleteAttributes(block: AllocationBlock, indexes: ReadonlySet<number>): void {
  const allocations = block.allocations ?? [];
  const newIndex = new Map<number, number>();
  const kept: NonNullable<AllocationBlock['attributes']> = [];
  (block.attributes ?? []).forEach((attr, i) => {
    if (indexes.has(i)) return;
    newIndex.set(i, kept.length);
    kept.push(attr);
  });
  block.attributes = kept;
  for (let i = 0; i < allocations.length; i++) {
    const idx = allocations[i];
    if (idx !== null && idx !== undefined) allocations[i] = newIndex.get(idx) ?? null;
  }
}

/** True when nothing but Windows-reserved addresses is allocated (block.empty). */
export function isBlockEmpty(block: AllocationBlock): boolean {
  const attributes = block.attributes ?? [];
  return (block.allocations ?? []).every((idx) => {
    if (idx === null) return true;
    const handle = attributes[idx]?.handle_id;
    return typeof handle === 'string' && handle.toLowerCase() === WINDOWS_RESERVED_HANDLE;
  });
}

/** Every block write increments the sequence number (updateBlock). */
export function bumpSequenceNumber(block: AllocationBlock): void {
  block.sequenceNumber = BigInt(block.sequenceNumber) + 1n;
}

/**
 * Frees every address held by handleID (block.releaseByHandle): the handle's attributes are
 * deleted and the others re-indexed, its ordinals appended to `unallocated` in ascending order.
 * Unlike release(), Calico leaves their sequenceNumberForAllocation entries in place. Returns
 * the freed ordinals.
 */
export function releaseHandleOrdinals(block: AllocationBlock, handleID: string): number[] {
  const attributes = block.attributes ?? [];
  const allocations = block.allocations ?? [];
  const indexes = new Set<number>();
  attributes.forEach((attr, i) => {
    if (typeof attr.handle_id === 'string' && sanitizeHandle(attr.handle_id) === handleID) indexes.add(i);
  });
  if (indexes.size === 0) return [];
  const ordinals = allocations.flatMap((idx, ord) => (idx !== null && indexes.has(idx) ? [ord] : []));
  deleteAttributes(block, indexes);
  block.unallocated = [...(block.unallocated ?? []), ...ordinals];
  return ordinals;
}
