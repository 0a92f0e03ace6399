/**
 * Assigning addresses inside one decoded block, exactly as libcalico-go v3.32.1 does
 * (`ipam/ipam_block.go` newBlock, autoAssign, assign, findOrAddAttribute), so the block written
 * afterwards is byte-identical to Calico's. Pure: the caller writes the block (which increments its
 * sequenceNumber, see bumpSequenceNumber) with a compare-and-swap.
 */
import { goTimestamp } from '../codec/go-time.js';
import { OperationError } from '../errors.js';
import { networkSize, networkText, type Network } from './keys.js';
import type { AllocationAttribute, AllocationBlock } from './block.js';

/** Who an assignment is for: the handle and the active owner attributes (`secondary`). */
export interface AssignOwner {
  handleID: string;
  attrs: Readonly<Record<string, string>>;
}

/** Which affinity a node's blocks carry (`host:<node>`). */
export function hostAffinity(node: string): string {
  return `host:${node}`;
}

/** UnixNano, which newBlock uses as the first sequence number so a recreated block never reuses one. */
export function unixNanoNow(): bigint {
  const ms = BigInt(Date.now());
  return ms * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

/** A freshly claimed block (newBlock plus claimAffineBlock's affinity and claim time). */
export function newBlock(
  net: Network,
  node: string,
  opts: { sequenceNumber?: bigint; claimTime?: string } = {},
): AllocationBlock {
  const size = Number(networkSize(net));
  return {
    cidr: networkText(net),
    affinity: hostAffinity(node),
    affinity_claim_time: opts.claimTime ?? goTimestamp(),
    allocations: new Array<number | null>(size).fill(null),
    unallocated: Array.from({ length: size }, (_, i) => i),
    attributes: null,
    sequenceNumber: opts.sequenceNumber ?? unixNanoNow(),
    sequenceNumberForAllocation: {},
    deleted: false,
  };
}

const sameMap = (a: unknown, b: Readonly<Record<string, string>>): boolean => {
  if (typeof a !== 'object' || a === null) return false;
  const entries = Object.entries(a as Record<string, unknown>);
  return entries.length === Object.keys(b).length && entries.every(([k, v]) => b[k] === v);
};

/**
 * reflect.DeepEqual of the attribute Calico builds ({HandleID, ActiveOwnerAttrs: attrs (never
 * nil), AlternateOwnerAttrs: nil}) with a stored one, as Go decoded it (unknown fields ignored).
 */
function isOwnerAttribute(attr: AllocationAttribute, owner: AssignOwner): boolean {
  return (
    attr.handle_id === owner.handleID &&
    sameMap(attr.secondary, owner.attrs) &&
    (attr.alternateOwnerAttrs === undefined || attr.alternateOwnerAttrs === null)
  );
}

/** findOrAddAttribute: reuse an identical attribute, else append one. */
export function findOrAddAttribute(block: AllocationBlock, owner: AssignOwner): number {
  const attributes = block.attributes ?? [];
  const found = attributes.findIndex((a) => isOwnerAttribute(a, owner));
  if (found >= 0) return found;
  block.attributes = [...attributes, { handle_id: owner.handleID, secondary: { ...owner.attrs } }];
  return attributes.length;
}

function setSequenceNumberForOrdinal(block: AllocationBlock, ord: number): void {
  block.sequenceNumberForAllocation = {
    ...(block.sequenceNumberForAllocation ?? {}),
    [String(ord)]: block.sequenceNumber,
  };
}

/** The checks autoAssign/assign make before touching a block; their texts are libcalico-go's. */
function checkAffinity(block: AllocationBlock, node: string, strict: boolean, mismatch: string): void {
  if (strict && block.affinity !== null && block.affinity !== hostAffinity(node)) {
    throw new OperationError(mismatch, { code: 'AffinityMismatch' });
  }
  if (strict && block.affinity === null) {
    throw new OperationError(`Attempt to assign from block ${block.cidr} with no affinity`, {
      code: 'AffinityMismatch',
      hint: 'strict affinity is on: only blocks affine to the node can be used',
    });
  }
}

/**
 * block.autoAssign: takes up to num free ordinals from the head of `unallocated` (skipping
 * reserved ones, which keep their place), all sharing one attribute and recorded with the block's
 * current sequence number. Returns the ordinals taken, in order.
 */
export function autoAssignOrdinals(
  block: AllocationBlock,
  num: number,
  owner: AssignOwner,
  opts: { node: string; strictAffinity: boolean; reserved?: (ord: number) => boolean },
): number[] {
  checkAffinity(
    block,
    opts.node,
    opts.strictAffinity,
    `Block affinity (${block.affinity ?? ''}) does not match provided (${opts.node}:host)`,
  );
  const unallocated = block.unallocated ?? [];
  const kept: number[] = [];
  const taken: number[] = [];
  let attrIndex: number | undefined;
  const allocations = block.allocations ?? [];
  for (let i = 0; i < unallocated.length; i++) {
    const ord = unallocated[i]!;
    if (taken.length >= num) {
      kept.push(...unallocated.slice(i));
      break;
    }
    if (opts.reserved?.(ord)) {
      kept.push(ord);
      continue;
    }
    attrIndex ??= findOrAddAttribute(block, owner);
    allocations[ord] = attrIndex;
    taken.push(ord);
    setSequenceNumberForOrdinal(block, ord);
  }
  block.allocations = allocations;
  block.unallocated = kept;
  return taken;
}

/** block.assign: one given ordinal (AssignIP). */
export function assignOrdinal(
  block: AllocationBlock,
  ord: number,
  ipText: string,
  owner: AssignOwner,
  opts: { node: string; strictAffinity: boolean },
): void {
  checkAffinity(block, opts.node, opts.strictAffinity, 'Block host affinity does not match');
  const allocations = block.allocations ?? [];
  if (allocations[ord] !== null && allocations[ord] !== undefined) {
    throw new OperationError(
      `resource already exists: ${ipText} with error: Address already assigned in block`,
      { code: 'AddressInUse', hint: `see who holds it with 'ipam show --ip=${ipText}'` },
    );
  }
  setSequenceNumberForOrdinal(block, ord);
  allocations[ord] = findOrAddAttribute(block, owner);
  block.allocations = allocations;
  const unallocated = block.unallocated ?? [];
  const at = unallocated.indexOf(ord);
  block.unallocated = at < 0 ? unallocated : [...unallocated.slice(0, at), ...unallocated.slice(at + 1)];
}

/** NumFreeAddresses: free ordinals that are not reserved. */
export function numFreeAddresses(block: AllocationBlock, reserved?: (ord: number) => boolean): number {
  const free = block.unallocated ?? [];
  return reserved ? free.filter((o) => !reserved(o)).length : free.length;
}
