/**
 * Structural checks of a decoded block, in the order and with the messages of calicoctl's
 * `validateBlock` (`commands/ipam/check.go`, Calico HEAD; v3.32.1's check has none): every
 * allocation points at an attribute, every attribute is used, `unallocated` holds each free ordinal
 * exactly once, and allocated + free = block size. Returns the first problem, or undefined.
 */
import { networkSize } from './keys.js';
import type { DecodedBlock } from './block.js';

export function validateBlock(block: DecodedBlock): string | undefined {
  const size = Number(networkSize(block.net));
  const allocations = block.value.allocations ?? [];
  const attributes = block.value.attributes ?? [];
  const unallocated = block.value.unallocated ?? [];
  // Go would index past the end of a short array (and panic); say what is wrong instead.
  if (allocations.length !== size) {
    return `allocations has ${allocations.length} entries but the block has ${size} addresses`;
  }
  const seenAttributes = new Set<number>();
  const seenOrdinals = new Set<number>();
  for (let o = 0; o < size; o++) {
    const idx = allocations[o];
    if (idx === null || idx === undefined) continue;
    if (idx < 0 || idx >= attributes.length) return `allocation ${o} indexes a nonexistent attribute ${idx}`;
    seenAttributes.add(idx);
    seenOrdinals.add(o);
  }
  for (let i = 0; i < attributes.length; i++) {
    if (!seenAttributes.has(i)) return `attribute index ${i} exists but is not indexed by an allocation`;
  }
  const seenFree = new Set<number>();
  for (const o of unallocated) {
    if (o < 0 || o >= allocations.length) {
      return `ordinal ${o} appears in the Unallocated array but is out of the block`;
    }
    if (seenFree.has(o)) return `ordinal ${o} appears more than once in Unallocated array`;
    if (seenOrdinals.has(o)) return `ordinal ${o} is allocated but appears in Unallocated`;
    seenFree.add(o);
  }
  if (unallocated.length + seenOrdinals.size !== size) {
    return (
      `expected ${size} addresses in this block, but Unallocated (${unallocated.length}) + ` +
      `Allocated (${seenOrdinals.size}) = ${unallocated.length + seenOrdinals.size}`
    );
  }
  return undefined;
}
