/**
 * What tests check of stored IPAM blocks: the block invariant (every ordinal is either allocated or
 * in `unallocated`, never both, never neither) and, per handle, how many addresses each block gives
 * it and which. One helper, so every test holds blocks to the same rule.
 */
import { formatIP, parseCIDR } from '../../src/resources/ip.js';

interface StoredBlock {
  cidr: string;
  allocations: (number | null)[];
  attributes: { handle_id?: string }[] | null;
  unallocated: number[];
}

export interface HandleHoldings {
  /** Addresses per block CIDR, as the handle document's `block` map should count them. */
  counts: Record<string, number>;
  addresses: Set<string>;
}

/** Checks the invariant of every block value (throws naming the block) and returns what each handle holds. */
export function blockHoldings(values: Iterable<string>): Map<string, HandleHoldings> {
  const holdings = new Map<string, HandleHoldings>();
  for (const value of values) {
    const block = JSON.parse(value) as StoredBlock;
    const free = new Set(block.unallocated);
    for (const [ord, idx] of block.allocations.entries()) {
      if ((idx === null) !== free.has(ord)) {
        throw new Error(
          `block ${block.cidr}: ordinal ${ord} is ${idx === null ? 'neither' : 'both'} allocated and unallocated`,
        );
      }
    }
    if (free.size !== block.unallocated.length || [...free].some((ord) => ord >= block.allocations.length)) {
      throw new Error(
        `block ${block.cidr}: unallocated ${JSON.stringify(block.unallocated)} repeats or overflows`,
      );
    }
    const cidr = parseCIDR(block.cidr)!;
    for (const [ord, idx] of block.allocations.entries()) {
      if (idx === null) continue;
      const handle = block.attributes?.[idx]?.handle_id ?? '';
      const held = holdings.get(handle) ?? { counts: {}, addresses: new Set<string>() };
      held.counts[block.cidr] = (held.counts[block.cidr] ?? 0) + 1;
      held.addresses.add(formatIP({ ...cidr.network, value: cidr.network.value + BigInt(ord) }));
      holdings.set(handle, held);
    }
  }
  return holdings;
}
