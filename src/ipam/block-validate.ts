/**
 * Structural checks of a decoded block, in the order and with the messages of calicoctl's
 * `validateBlock` (`commands/ipam/check.go`, Calico HEAD; v3.32.1's check has none): every
 * allocation points at an attribute, every attribute is used, `unallocated` holds each free ordinal
 * exactly once, and allocated + free = block size. Returns the first problem, or undefined.
 */
import { networkSize, type Network } from './keys.js';

/** What validateBlock reads of a block (a DecodedBlock has it). */
export interface BlockLayout {
  net: Network;
  value: {
    allocations: readonly (number | null)[] | null;
    attributes: readonly unknown[] | null;
    unallocated: readonly number[] | null;
  };
}

export function validateBlock(block: BlockLayout): string | undefined {
  const size = Number(networkSize(block.net));
  const allocations = block.value.allocations ?? [];
  const attributes = block.value.attributes ?? [];
  const unallocated = block.value.unallocated ?? [];
  // Go would index past the end of a short array (and panic); say what is wrong instead.
  if (allocations.length !== size) {
    return `allocations has ${allocations.length} entries but the block has ${size} addresses`;
  }
  // One check per block of the whole datastore: flags in typed arrays, not Sets.
  const attributeUsed = new Uint8Array(attributes.length);
  const ordinals = new Uint8Array(size);
  let allocated = 0;
  for (let o = 0; o < size; o++) {
    const idx = allocations[o];
    if (idx === null || idx === undefined) continue;
    if (idx < 0 || idx >= attributes.length) return `allocation ${o} indexes a nonexistent attribute ${idx}`;
    attributeUsed[idx] = 1;
    ordinals[o] = ALLOCATED;
    allocated++;
  }
  for (let i = 0; i < attributes.length; i++) {
    if (!attributeUsed[i]) return `attribute index ${i} exists but is not indexed by an allocation`;
  }
  for (const o of unallocated) {
    if (o < 0 || o >= allocations.length) {
      return `ordinal ${o} appears in the Unallocated array but is out of the block`;
    }
    if (ordinals[o] === FREE) return `ordinal ${o} appears more than once in Unallocated array`;
    if (ordinals[o] === ALLOCATED) return `ordinal ${o} is allocated but appears in Unallocated`;
    ordinals[o] = FREE;
  }
  if (unallocated.length + allocated !== size) {
    return (
      `expected ${size} addresses in this block, but Unallocated (${unallocated.length}) + ` +
      `Allocated (${allocated}) = ${unallocated.length + allocated}`
    );
  }
  return undefined;
}

const ALLOCATED = 1;
const FREE = 2;
