import { describe, expect, it } from 'vitest';

import { encodeGoJson } from '../../../src/codec/go-json.js';
import { bumpSequenceNumber, isBlockEmpty, releaseOrdinals } from '../../../src/ipam/block-ops.js';
import { decodeBlock } from '../../../src/ipam/block.js';
import { allocationBlockSchema } from '../../../src/ipam/schemas.js';
import { WORKED_EXAMPLE_BLOCK as BLOCK } from './fixtures.js';

// calico.md §2.1 worked example: ordinal 0 = tunnel, ordinal 1 = pod.
const KEY = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30';

const decode = (value: string) =>
  decodeBlock({ key: KEY, value, createRevision: 1, modRevision: 1, version: 1 }, { exact: true }).value;

describe('releaseOrdinals', () => {
  it('frees the tunnel address as Calico writes it: attribute removed, indexes shifted, ordinal at the tail', () => {
    const b = decode(BLOCK);
    expect(releaseOrdinals(b, [0])).toEqual(new Map([['ipip-tunnel-addr-node1', 1]]));
    bumpSequenceNumber(b);
    expect(encodeGoJson(b, allocationBlockSchema)).toBe(
      '{"cidr":"10.0.1.0/30","affinity":"host:node1","allocations":[null,0,null,null],"unallocated":[2,3,0],' +
        '"attributes":[{"handle_id":"k8s-pod-network.0123abcd","secondary":{"namespace":"default","node":"node1",' +
        '"pod":"nginx-1","timestamp":"2026-06-01 10:00:00.123456789 +0000 UTC"}}],"sequenceNumber":1780308000000000003,' +
        '"sequenceNumberForAllocation":{"1":1780308000000000001},"deleted":false}',
    );
    expect(isBlockEmpty(b)).toBe(false);
    releaseOrdinals(b, [1]);
    expect(b.attributes).toEqual([]);
    expect(b.unallocated).toEqual([2, 3, 0, 1]);
    expect(isBlockEmpty(b)).toBe(true);
  });

  it('keeps an attribute still referenced by another ordinal', () => {
    const shared = BLOCK.replace('"allocations":[0,1,null,null]', '"allocations":[0,1,1,null]').replace(
      '"unallocated":[2,3]',
      '"unallocated":[3]',
    );
    const b = decode(shared);
    releaseOrdinals(b, [2, 2]);
    expect(b.allocations).toEqual([0, 1, null, null]);
    expect(b.attributes).toHaveLength(2);
    expect(b.unallocated).toEqual([3, 2]);
  });

  it('ignores free ordinals', () => {
    const b = decode(BLOCK);
    expect(releaseOrdinals(b, [3]).size).toBe(0);
    expect(encodeGoJson(b, allocationBlockSchema)).toBe(BLOCK);
  });

  it('treats Windows-reserved addresses as empty', () => {
    const b = decode(BLOCK.replace('"ipip-tunnel-addr-node1"', '"Windows-Reserved-IPAM-Handle"'));
    releaseOrdinals(b, [1]);
    expect(isBlockEmpty(b)).toBe(true);
  });
});
