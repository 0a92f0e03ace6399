/**
 * `ipam show --show-borrowed` (calicoctl `getBorrowedIPs`): every allocated address whose
 * `secondary.node` differs from its block's owner, in block key order then ordinal order.
 * Allocations without a node attribute cannot be classified and are only counted.
 */
import type { Datastore } from '../datastore/contract.js';
import { ipText, networkText, ordinalToIP } from './keys.js';
import { scanBlockOwners, type BlockHolders } from './block-owners.js';
import type { SkippedValue } from './utilization.js';

export interface BorrowedIP {
  ip: string;
  borrowingNode: string;
  block: string;
  blockOwner: string;
  /** `vmi`, `pod`, or the allocation's `type` attribute (e.g. `vxlanTunnelAddress`), else ''. */
  type: string;
  /** `<namespace>/<pod or vmi>` for pods and VMIs, else ''. */
  allocatedTo: string;
}

export interface BorrowedReport {
  revision: number;
  borrowed: BorrowedIP[];
  /** Allocations without a `node` attribute. */
  unclassified: number;
  skipped: SkippedValue[];
}

/** The owner calicoctl prints: the part after ':' of a two-part affinity, else the whole string. */
export function blockOwner(affinity: string | null): string {
  if (affinity === null) return '';
  const parts = affinity.split(':');
  return parts.length === 2 ? parts[1]! : parts[0]!;
}

export function borrowedInBlock(block: BlockHolders): { borrowed: BorrowedIP[]; unclassified: number } {
  block.checkAllocations();
  const borrowed: BorrowedIP[] = [];
  let unclassified = 0;
  if (block.hostHoldsAll) return { borrowed, unclassified };
  const owner = blockOwner(block.affinity);
  for (let ord = 0; ord < block.ordinals; ord++) {
    const attr = block.attributeAt(ord);
    if (attr < 0) continue;
    if (!block.hasNode(attr)) {
      unclassified++;
      continue;
    }
    if (block.nodeIs(attr, owner)) continue;
    const ns = block.secondary(attr, 'namespace') ?? '';
    const vmi = block.secondary(attr, 'vmi-name');
    const pod = block.secondary(attr, 'pod');
    let type = '';
    let allocatedTo = '';
    if (vmi !== undefined) {
      type = 'vmi';
      allocatedTo = `${ns}/${vmi}`;
    } else if (pod !== undefined) {
      type = 'pod';
      allocatedTo = `${ns}/${pod}`;
    } else {
      type = block.secondary(attr, 'type') ?? '';
    }
    borrowed.push({
      ip: ipText(ordinalToIP(block.net, ord)),
      borrowingNode: block.secondary(attr, 'node')!,
      block: networkText(block.net),
      blockOwner: owner,
      type,
      allocatedTo,
    });
  }
  return { borrowed, unclassified };
}

/** The borrowed addresses of every block (scanBlockOwners: nothing of a block kept but its rows). */
export async function collectBorrowed(ds: Datastore): Promise<BorrowedReport> {
  const borrowed: BorrowedIP[] = [];
  let unclassified = 0;
  const { revision, skipped } = await scanBlockOwners(ds, (block) => {
    const inBlock = borrowedInBlock(block);
    for (const row of inBlock.borrowed) borrowed.push(row);
    unclassified += inBlock.unclassified;
  });
  return { revision, borrowed, unclassified, skipped };
}
