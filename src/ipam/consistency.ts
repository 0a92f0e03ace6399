/**
 * Two consistency checks for `ipam check`, as pure functions over what the check has already read
 * (blocks, handles, affinity keys), so that the check can run them without reading anything again:
 *
 * - HeldByHandle: a handle whose count for a block differs from the addresses the block
 *   holds for it (a release or an assignment cut off between its block write and its handle write;
 *   `ipam release --handle H` brings the counts back in line);
 * - pendingAffinitiesWithoutBlock: an affinity left `pending` whose block does not exist (a block
 *   claim abandoned before the block was written, or applied late by a member that had held it).
 */
import type { AllocationBlock } from './block.js';
import { parseAffinityKey } from './keys.js';

export interface HandleCountMismatch {
  handle: string;
  block: string;
  /** What the handle says. */
  counted: number;
  /** What the block holds for the handle. */
  allocated: number;
}

/**
 * What blocks hold for each handle, gathered block by block as a check streams them, so that each
 * handle can be compared as it is read. A handle holding one address (the usual case) costs one
 * map entry pointing at the block's CIDR string; more than that, a small map of CIDR to count.
 */
export class HeldByHandle {
  private readonly held = new Map<string, string | Map<string, number>>();

  addBlock(block: Pick<AllocationBlock, 'cidr' | 'allocations' | 'attributes'>): void {
    for (const index of block.allocations ?? []) {
      if (index === null) continue;
      const handle = block.attributes?.[index]?.handle_id;
      if (typeof handle !== 'string' || handle === '') continue;
      const now = this.held.get(handle);
      if (now === undefined) {
        this.held.set(handle, block.cidr);
        continue;
      }
      const counts = typeof now === 'string' ? new Map([[now, 1]]) : now;
      counts.set(block.cidr, (counts.get(block.cidr) ?? 0) + 1);
      this.held.set(handle, counts);
    }
  }

  /**
   * Whether a handle's stored value is the usual one-address form for what the blocks hold
   * (`"block":{"<cidr>":1}`, as Go encodes it), answered from the text without decoding it;
   * forgets the handle when it is. False means: decode it and compare().
   */
  matchesOneAddress(handle: string, storedValue: string): boolean {
    const now = this.held.get(handle);
    if (typeof now !== 'string' || !storedValue.includes(`"block":{"${now}":1}`)) return false;
    this.held.delete(handle);
    return true;
  }

  /** The mismatches of one handle's stored counts; forgets the handle (each is compared once). */
  compare(handle: string, counts: Readonly<Record<string, number | bigint>> | null): HandleCountMismatch[] {
    const now = this.held.get(handle);
    // A handle no block holds anything for is calicoctl's own "handle without IPs" (a leaked handle).
    if (now === undefined) return [];
    this.held.delete(handle);
    const held = typeof now === 'string' ? new Map([[now, 1]]) : now;
    const out: HandleCountMismatch[] = [];
    for (const block of [...new Set([...Object.keys(counts ?? {}), ...held.keys()])].sort()) {
      const counted = Number(counts?.[block] ?? 0);
      const allocated = held.get(block) ?? 0;
      if (counted !== allocated) out.push({ handle, block, counted, allocated });
    }
    return out;
  }
}

export interface AffinityEntry {
  /** The affinity's key: /calico/ipam/v2/host/<node>/ipv<4|6>/block/<network>-<prefix>. */
  key: string;
  /** Its stored state (`pending`, `confirmed`, `pendingDeletion`). */
  state: string;
}

/** Affinities in state `pending` whose block (`<network>/<prefix>` of the key) is not among blockCidrs. */
export function pendingAffinitiesWithoutBlock(
  affinities: readonly AffinityEntry[],
  blockCidrs: ReadonlySet<string>,
): string[] {
  return affinities
    .filter((a) => a.state === 'pending')
    .filter((a) => {
      const cidr = /^(.+)-(\d+)$/.exec(parseAffinityKey(a.key)?.block ?? '');
      return !cidr || !blockCidrs.has(`${cidr[1]}/${cidr[2]}`);
    })
    .map((a) => a.key);
}
