/** The two consistency checks `ipam check` takes from src/ipam/consistency.ts, on stored values. */
import { describe, expect, it } from 'vitest';

import {
  compareHeld,
  holdOneMore,
  matchesOneAddress,
  pendingAffinitiesWithoutBlock,
  type HeldAddresses,
} from '../../../src/ipam/consistency.js';

// Block values as Calico stores them (trimmed to the fields the check reads).
const block = (cidr: string, handles: (string | null)[]) => ({
  cidr,
  allocations: handles.map((h, i) => (h === null ? null : i)),
  attributes: handles.map((h) => ({ handle_id: h, secondary: null })),
});

/** What the blocks hold for each handle, counted as ipam check counts it. */
function heldByHandle(blocks: ReturnType<typeof block>[]): Map<string, HeldAddresses> {
  const held = new Map<string, HeldAddresses>();
  for (const b of blocks) {
    for (const index of b.allocations) {
      if (index === null) continue;
      const handle = b.attributes[index]!.handle_id!;
      held.set(handle, holdOneMore(held.get(handle), b.cidr));
    }
  }
  return held;
}

/** Every (handle, block) pair whose stored count differs from the blocks' allocations for it. */
function handleCountMismatches(
  blocks: ReturnType<typeof block>[],
  handles: ReadonlyMap<string, Record<string, number>>,
) {
  const held = heldByHandle(blocks);
  return [...handles].flatMap(([handle, counts]) => compareHeld(handle, held.get(handle)!, counts));
}

describe('compareHeld', () => {
  it('finds nothing when every count equals the allocations', () => {
    const blocks = [block('10.70.0.0/26', ['a', 'a', null, 'b']), block('10.70.0.64/26', ['a'])];
    const handles = new Map<string, Record<string, number>>([
      ['a', { '10.70.0.0/26': 2, '10.70.0.64/26': 1 }],
      ['b', { '10.70.0.0/26': 1 }],
    ]);
    expect(handleCountMismatches(blocks, handles)).toEqual([]);
  });

  it('a release cut off after its block write: the handle still counts addresses the block no longer holds', () => {
    const blocks = [block('10.70.0.0/26', [null, null]), block('10.70.0.64/26', ['a'])];
    const handles = new Map<string, Record<string, number>>([
      ['a', { '10.70.0.0/26': 2, '10.70.0.64/26': 1 }],
    ]);
    expect(handleCountMismatches(blocks, handles)).toEqual([
      { handle: 'a', block: '10.70.0.0/26', counted: 2, allocated: 0 },
    ]);
  });

  it('an assignment cut off before its handle write: the block holds more than the handle counts', () => {
    const blocks = [block('10.70.0.0/26', ['a', 'a', 'a'])];
    const handles = new Map<string, Record<string, number>>([['a', { '10.70.0.0/26': 1 }]]);
    expect(handleCountMismatches(blocks, handles)).toEqual([
      { handle: 'a', block: '10.70.0.0/26', counted: 1, allocated: 3 },
    ]);
  });
});

describe('pendingAffinitiesWithoutBlock', () => {
  it('names pending affinities whose block does not exist, whatever else is there', () => {
    const affinities = [
      { key: '/calico/ipam/v2/host/n1/ipv4/block/10.70.0.0-26', state: 'pending' },
      { key: '/calico/ipam/v2/host/n1/ipv4/block/10.70.0.64-26', state: 'pending' },
      { key: '/calico/ipam/v2/host/n1/ipv4/block/10.70.0.128-26', state: 'confirmed' },
      { key: '/calico/ipam/v2/host/n2/ipv6/block/fd00::-122', state: 'pending' },
    ];
    expect(pendingAffinitiesWithoutBlock(affinities, new Set(['10.70.0.0/26']))).toEqual([
      '/calico/ipam/v2/host/n1/ipv4/block/10.70.0.64-26',
      '/calico/ipam/v2/host/n2/ipv6/block/fd00::-122',
    ]);
  });
});

describe('matchesOneAddress', () => {
  const held = heldByHandle([block('10.70.0.0/26', ['a', 'b', 'b'])]);

  it('answers from the stored text for a handle holding one address, as Go encodes it', () => {
    expect(
      matchesOneAddress(held.get('a')!, '{"handleID":"a","block":{"10.70.0.0/26":1},"deleted":false}'),
    ).toBe(true);
  });

  it('declines a different count, another block, or a handle holding more than one address', () => {
    expect(
      matchesOneAddress(held.get('a')!, '{"handleID":"a","block":{"10.70.0.0/26":2},"deleted":false}'),
    ).toBe(false);
    expect(
      matchesOneAddress(held.get('a')!, '{"handleID":"a","block":{"10.70.0.64/26":1},"deleted":false}'),
    ).toBe(false);
    expect(
      matchesOneAddress(held.get('b')!, '{"handleID":"b","block":{"10.70.0.0/26":1},"deleted":false}'),
    ).toBe(false);
    expect(compareHeld('b', held.get('b')!, { '10.70.0.0/26': 1 })).toEqual([
      { handle: 'b', block: '10.70.0.0/26', counted: 1, allocated: 2 },
    ]);
  });
});
