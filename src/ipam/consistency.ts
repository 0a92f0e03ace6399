/**
 * Two consistency checks for `ipam check`, as pure functions over what the check has already read
 * (blocks, handles, affinity keys), so that the check can run them without reading anything again:
 *
 * - handleCountMismatches: a handle whose count for a block differs from the addresses the block
 *   holds for it (a release or an assignment cut off between its block write and its handle write;
 *   `ipam release --handle H` brings the counts back in line);
 * - pendingAffinitiesWithoutBlock: an affinity left `pending` whose block does not exist (a block
 *   claim abandoned before the block was written, or applied late by a member that had held it).
 */
import type { AllocationBlock } from './block.js';

export interface HandleCountMismatch {
  handle: string;
  block: string;
  /** What the handle says. */
  counted: number;
  /** What the block holds for the handle. */
  allocated: number;
}

/** Every (handle, block) pair whose stored count differs from the block's allocations for it. */
export function handleCountMismatches(
  blocks: readonly Pick<AllocationBlock, 'cidr' | 'allocations' | 'attributes'>[],
  handles: ReadonlyMap<string, Readonly<Record<string, number | bigint>> | null>,
): HandleCountMismatch[] {
  const allocated = new Map<string, Map<string, number>>();
  for (const block of blocks) {
    for (const index of block.allocations ?? []) {
      if (index === null) continue;
      const handle = block.attributes?.[index]?.handle_id;
      if (typeof handle !== 'string' || handle === '') continue;
      const perBlock = allocated.get(handle) ?? new Map<string, number>();
      perBlock.set(block.cidr, (perBlock.get(block.cidr) ?? 0) + 1);
      allocated.set(handle, perBlock);
    }
  }
  const out: HandleCountMismatch[] = [];
  for (const [handle, counts] of handles) {
    const held = allocated.get(handle) ?? new Map<string, number>();
    const cidrs = new Set([...Object.keys(counts ?? {}), ...held.keys()]);
    for (const block of [...cidrs].sort()) {
      const counted = Number(counts?.[block] ?? 0);
      const has = held.get(block) ?? 0;
      if (counted !== has) out.push({ handle, block, counted, allocated: has });
    }
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
      const cidr = /\/block\/([^/]+)-(\d+)$/.exec(a.key);
      return !cidr || !blockCidrs.has(`${cidr[1]}/${cidr[2]}`);
    })
    .map((a) => a.key);
}
