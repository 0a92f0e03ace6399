/**
 * `ipam show --show-borrowed` (calicoctl `getBorrowedIPs`): every allocated address whose
 * `secondary.node` differs from its block's owner, in block key order then ordinal order.
 * Allocations without a node attribute cannot be classified and are only counted.
 */
import type { Datastore } from '../datastore/contract.js';
import { BLOCK_PREFIX, blockKeyNetwork, ipText, networkText, ordinalToIP } from './keys.js';
import { readBlockOwners, type BlockOwners } from './block-owners.js';
import { attributeOf, CorruptBlockError, decodeBlock } from './block.js';
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

/**
 * Blocks are scanned (each read while it is visited, nothing of it kept but its borrowed rows): who
 * holds each address is read from the block's bytes (block-owners.ts), or decoded in full when
 * the bytes are not in the usual form.
 */
export async function collectBorrowed(ds: Datastore): Promise<BorrowedReport> {
  const borrowed: BorrowedIP[] = [];
  const skipped: SkippedValue[] = [];
  let unclassified = 0;
  const { revision } = await ds.scan(BLOCK_PREFIX, (kv) => {
    const fromKey = blockKeyNetwork(kv.key);
    if (!fromKey) return undefined;
    try {
      const inBlock = borrowedInBlock(readBlockOwners(kv, fromKey) ?? decodeBlock(kv));
      for (const row of inBlock.borrowed) borrowed.push(row);
      unclassified += inBlock.unclassified;
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      skipped.push({ key: err.key, reason: err.reason });
    }
    return undefined;
  });
  return { revision, borrowed, unclassified, skipped };
}
