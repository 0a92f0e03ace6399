import { describe, expect, it } from 'vitest';

import { encodeGoJson } from '../../../src/codec/go-json.js';
import { assignOrdinal, autoAssignOrdinals, newBlock } from '../../../src/ipam/block-assign.js';
import { bumpSequenceNumber } from '../../../src/ipam/block-ops.js';
import { decodeBlock } from '../../../src/ipam/block.js';
import { allocationBlockSchema } from '../../../src/ipam/schemas.js';
import { parseCIDR } from '../../../src/resources/ip.js';
import { BLOCKS, WORKED_EXAMPLE_BLOCK as BLOCK } from './fixtures.js';

// calico.md §2.1 worked example: ordinal 0 = tunnel, ordinal 1 = pod.
const KEY = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30';
const POD = {
  namespace: 'default',
  node: 'node1',
  pod: 'nginx-1',
  timestamp: '2026-06-01 10:00:00.123456789 +0000 UTC',
};

const decode = (value: string, key = KEY) =>
  decodeBlock({ key, value, createRevision: 1, modRevision: 1, version: 1 }, { exact: true }).value;
const encode = (b: ReturnType<typeof decode>) => encodeGoJson(b, allocationBlockSchema);
const opts = { node: 'node1', strictAffinity: false };

describe('autoAssignOrdinals', () => {
  it('reuses an identical attribute and records the pre-write sequence number (byte-exact)', () => {
    const b = decode(BLOCK);
    expect(autoAssignOrdinals(b, 1, { handleID: 'k8s-pod-network.0123abcd', attrs: POD }, opts)).toEqual([2]);
    bumpSequenceNumber(b);
    expect(encode(b)).toBe(
      BLOCK.replace(
        '"allocations":[0,1,null,null],"unallocated":[2,3]',
        '"allocations":[0,1,1,null],"unallocated":[3]',
      )
        .replace('"sequenceNumber":1780308000000000002', '"sequenceNumber":1780308000000000003')
        .replace('"1":1780308000000000001}', '"1":1780308000000000001,"2":1780308000000000002}'),
    );
  });

  it('appends one new attribute shared by every address of the write', () => {
    const b = decode(BLOCK);
    const owner = { handleID: 'h1', attrs: { node: 'node1' } };
    expect(autoAssignOrdinals(b, 5, owner, opts)).toEqual([2, 3]);
    expect(b.allocations).toEqual([0, 1, 2, 2]);
    expect(b.unallocated).toEqual([]);
    expect(b.attributes?.[2]).toEqual({ handle_id: 'h1', secondary: { node: 'node1' } });
    expect(b.sequenceNumberForAllocation).toMatchObject({
      '2': 1780308000000000002n,
      '3': 1780308000000000002n,
    });
  });

  it('takes ordinals from the head of a churned `unallocated`, keeping reserved ones in place', () => {
    const key = '/calico/ipam/v2/assignment/ipv4/block/10.65.79.0-26';
    const b = decode(BLOCKS[key]!, key);
    const free = [...b.unallocated!];
    const taken = autoAssignOrdinals(
      b,
      3,
      { handleID: 'h', attrs: { node: 'node1' } },
      {
        ...opts,
        reserved: (ord) => ord === 12,
      },
    );
    expect(taken).toEqual([11, 13, 14]);
    expect(b.unallocated).toEqual([12, ...free.slice(4)]);
    // v3.31's `{"handle_id":null,"secondary":null}` is rewritten as v3.32 does: omitempty.
    bumpSequenceNumber(b);
    expect(encode(b)).toContain(
      '{"handle_id":"k8s-pod-network.4567ef01","secondary":{"namespace":"default","node":"node2","pod":"web-2",' +
        '"timestamp":"2026-06-01 10:00:00.123456789 +0000 UTC"}},{},{"handle_id":"h","secondary":{"node":"node1"}}]',
    );
    // Released ordinals 2-4 and 7-9 were appended at the tail; they stay there.
    expect(b.unallocated!.slice(-6)).toEqual([2, 3, 4, 7, 8, 9]);
  });

  it("refuses another node's block under strict affinity, with libcalico-go's text", () => {
    const b = decode(BLOCK);
    expect(() =>
      autoAssignOrdinals(b, 1, { handleID: 'h', attrs: {} }, { node: 'node2', strictAffinity: true }),
    ).toThrow('Block affinity (host:node1) does not match provided (node2:host)');
    const none = decode(BLOCK.replace('"affinity":"host:node1"', '"affinity":null'));
    expect(() =>
      autoAssignOrdinals(none, 1, { handleID: 'h', attrs: {} }, { node: 'node2', strictAffinity: true }),
    ).toThrow('Attempt to assign from block 10.0.1.0/30 with no affinity');
  });
});

describe('assignOrdinal', () => {
  it('assigns one address, removing it from wherever it is in `unallocated`', () => {
    const b = decode(BLOCK);
    assignOrdinal(b, 3, '10.0.1.3', { handleID: 'h', attrs: { node: 'node1' } }, opts);
    expect(b.unallocated).toEqual([2]);
    expect(b.allocations).toEqual([0, 1, null, 2]);
    expect(() => assignOrdinal(b, 1, '10.0.1.1', { handleID: 'h', attrs: {} }, opts)).toThrow(
      'resource already exists: 10.0.1.1 with error: Address already assigned in block',
    );
  });
});

describe('newBlock', () => {
  it('is what claimAffineBlock creates', () => {
    const c = parseCIDR('10.0.1.0/30')!;
    const b = newBlock(c, 'node1', {
      sequenceNumber: 1780308000123456789n,
      claimTime: '2026-06-01T10:00:00Z',
    });
    expect(encode(b)).toBe(
      '{"cidr":"10.0.1.0/30","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
        '"allocations":[null,null,null,null],"unallocated":[0,1,2,3],"attributes":null,' +
        '"sequenceNumber":1780308000123456789,"sequenceNumberForAllocation":{},"deleted":false}',
    );
  });
});
