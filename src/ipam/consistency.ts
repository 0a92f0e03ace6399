/**
 * Two consistency checks for `ipam check`, as pure functions over what the check has already read
 * (blocks, handles, affinity keys), so that the check can run them without reading anything again:
 *
 * - compareHeld: a handle whose count for a block differs from the addresses the block
 *   holds for it (a release or an assignment cut off between its block write and its handle write;
 *   `ipam release --handle H` brings the counts back in line);
 * - pendingAffinitiesWithoutBlock: an affinity left `pending` whose block does not exist (a block
 *   claim abandoned before the block was written, or applied late by a member that had held it).
 */
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
 * What the blocks hold for one handle, gathered block by block as a check streams them, so that
 * each handle can be compared as it is read: the CIDR of the one block holding one address for it
 * (the usual case: a string, no map per handle), or a count per block CIDR.
 */
export type HeldAddresses = string | Map<string, number>;

/** What is held for a handle once one more address in block cidr is counted (a map is updated in place). */
export function holdOneMore(held: HeldAddresses | undefined, cidr: string): HeldAddresses {
  if (held === undefined) return cidr;
  const counts = typeof held === 'string' ? new Map([[held, 1]]) : held;
  counts.set(cidr, (counts.get(cidr) ?? 0) + 1);
  return counts;
}

/**
 * Whether a handle's stored value is the usual one-address form for what the blocks hold
 * (`"block":{"<cidr>":1}`, as Go encodes it), answered from the text without decoding it. False
 * means: decode it and compareHeld().
 */
export function matchesOneAddress(held: HeldAddresses, storedValue: string): boolean {
  return typeof held === 'string' && storedValue.includes(`"block":{"${held}":1}`);
}

/** The mismatches between a handle's stored counts and what the blocks hold for it. */
export function compareHeld(
  handle: string,
  held: HeldAddresses,
  counts: Readonly<Record<string, number | bigint>> | null,
): HandleCountMismatch[] {
  const byBlock = typeof held === 'string' ? new Map([[held, 1]]) : held;
  const out: HandleCountMismatch[] = [];
  for (const block of [...new Set([...Object.keys(counts ?? {}), ...byBlock.keys()])].sort()) {
    const counted = Number(counts?.[block] ?? 0);
    const allocated = byBlock.get(block) ?? 0;
    if (counted !== allocated) out.push({ handle, block, counted, allocated });
  }
  return out;
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
