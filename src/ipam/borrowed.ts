/**
 * `ipam show --show-borrowed` (calicoctl `getBorrowedIPs`): every allocated address whose
 * `secondary.node` differs from its block's owner, in block key order then ordinal order.
 * Allocations without a node attribute cannot be classified and are only counted.
 */
import type { Datastore } from '../datastore/contract.js';
import { ipText, networkText, ordinalToIP } from './keys.js';
import { scanBlockOwners, type BlockOwners } from './block-owners.js';
import { attributeOf } from './block.js';
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

export function borrowedInBlock(block: BlockOwners): { borrowed: BorrowedIP[]; unclassified: number } {
  const owner = blockOwner(block.value.affinity);
  const borrowed: BorrowedIP[] = [];
  let unclassified = 0;
  const allocations = block.value.allocations ?? [];
  for (let ord = 0; ord < allocations.length; ord++) {
    const attr = attributeOf(block, ord);
    if (!attr) continue;
    const secondary = attr.secondary ?? {};
    const node = Object.hasOwn(secondary, 'node') ? secondary['node'] : undefined;
    if (node === undefined) {
      unclassified++;
      continue;
    }
    if (node === owner) continue;
    const ns = secondary['namespace'] ?? '';
    let type = '';
    let allocatedTo = '';
    if (Object.hasOwn(secondary, 'vmi-name')) {
      type = 'vmi';
      allocatedTo = `${ns}/${secondary['vmi-name']}`;
    } else if (Object.hasOwn(secondary, 'pod')) {
      type = 'pod';
      allocatedTo = `${ns}/${secondary['pod']}`;
    } else if (Object.hasOwn(secondary, 'type')) {
      type = secondary['type']!;
    }
    borrowed.push({
      ip: ipText(ordinalToIP(block.net, ord)),
      borrowingNode: node,
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
