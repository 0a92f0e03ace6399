/**
 * How `ipam check` reads values (src/ipam/check-values.ts): as calicoctl's listers decode them, with
 * the fast paths (handles matched as bytes, sequence numbers parsed alone) giving the same answers as
 * the general decoders.
 */
import { describe, expect, it } from 'vitest';

import type { KeyValue } from '../../../src/datastore/contract.js';
import { TransientKeyValue } from '../../../src/datastore/value-head.js';
import { normaliseIP, readBlock, readHandle } from '../../../src/ipam/check-values.js';

const plain = (key: string, value: string): KeyValue => ({
  key,
  value,
  createRevision: 1,
  modRevision: 1,
  version: 1,
});
/** A streamed KeyValue whose bytes sit inside a larger buffer, as the etcd stream hands them over. */
function streamed(key: string, value: string): KeyValue {
  const buf = Buffer.from(`xx${value}yy`);
  return new TransientKeyValue(key, 1, 1, 1, buf, 2, 2 + Buffer.byteLength(value));
}

describe('normaliseIP (cnet.ParseCIDROrIP, then IP.String)', () => {
  it.each([
    ['10.0.1.2/32', '10.0.1.2'],
    ['10.0.1.2', '10.0.1.2'],
    ['::ffff:10.40.0.16/128', '10.40.0.16'],
    ['::ffff:10.40.0.16', '10.40.0.16'],
    ['FD00:40:0:0::1/128', 'fd00:40::1'],
    ['10.0.1.2/24', '10.0.1.2'],
    ['10.0.1.300', undefined],
    ['10.0.1.2/33', undefined],
    ['fd00::1/129', undefined],
    ['', undefined],
  ])('%s -> %s', (text, expected) => {
    expect(normaliseIP(text)).toBe(expected);
  });
});

describe('readHandle', () => {
  const key = '/calico/ipam/v2/handle/h';
  it.each([
    ['{"block":{"10.0.1.0/29":1},"deleted":false}', true],
    ['{"block":{"10.0.1.0/29":1,"fd00::/122":12},"deleted":false}', true],
    ['{"block":{},"deleted":false}', true],
    ['{"block":{"10.0.1.0/29":1},"deleted":true}', true],
    ['{"block": {"10.0.1.0/29": 1}, "deleted": false}', true],
    ['{"deleted":false}', true],
    ['null', true],
    ['{"block":{"10.0.1.0/29":"one"},"deleted":false}', 'block is not a map of integers'],
    ['{"block":{"10.0.1.0/29":1.5},"deleted":false}', 'block is not a map of integers'],
    ['{"block":{"10.0.1.0/29":01},"deleted":false}', 'invalid JSON'],
    ['{"block":{"10.0.1.0/29":1},"deleted":"no"}', 'deleted is not a boolean'],
    ['{"block":[1]}', 'block is not a map of integers'],
    ['[1]', 'not a JSON object'],
    ['{"block":', 'invalid JSON: unexpected end of input at position 9'],
  ] as [string, true | string][])('%s', (value, expected) => {
    // The byte matcher (streamed) and JSON.parse (plain) agree.
    for (const kv of [streamed(key, value), plain(key, value)]) {
      const r = readHandle(kv);
      if (expected === true) expect(r).toBe(true);
      else expect(r === true ? r : r.reason).toMatch(new RegExp(`^${expected.replace(/[()[\]]/g, '\\$&')}`));
    }
  });
});

describe('readBlock', () => {
  const key = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30';
  const value = (cidr: string, allocations: string, seqs: string) =>
    `{"cidr":"${cidr}","affinity":null,"allocations":${allocations},"unallocated":[],"attributes":[{"handle_id":"h"}],` +
    `"sequenceNumber":7,"sequenceNumberForAllocation":${seqs},"deleted":false}`;

  it('keeps sequence numbers above 2^53 exact when asked, parsing only their map', () => {
    const v = value(
      '10.0.1.0/30',
      '[0,0,0,0]',
      '{"0":18446744073709551615,"1":9007199254740993,"2":3,"3":4}',
    );
    for (const kv of [streamed(key, v), plain(key, v)]) {
      const b = readBlock(kv, true);
      expect(b && 'value' in b ? b.value.sequenceNumberForAllocation : b).toEqual({
        '0': 18446744073709551615n,
        '1': 9007199254740993n,
        '2': 3,
        '3': 4,
      });
    }
  });

  it('prints the parsed CIDR and refuses blocks it would number outside themselves', () => {
    expect(
      readBlock(
        plain(
          '/calico/ipam/v2/assignment/ipv6/block/fd00:40::-126',
          value('FD00:40:0:0::/126', '[null,null,null,null]', '{}'),
        ),
        false,
      ),
    ).toMatchObject({ cidr: 'fd00:40::/126' });
    expect(readBlock(plain(key, value('10.0.1.1/30', '[0,null,null,null]', '{}')), false)).toEqual({
      key,
      label: 'BlockKey(cidr=10.0.1.0/30)',
      reason: 'cidr 10.0.1.1/30 has host bits set: not checked, and never released',
    });
    expect(readBlock(plain(key, value('10.0.1.0/30', '[0,null,null,null,0]', '{}')), false)).toMatchObject({
      reason: 'allocations has 5 entries but the block has 4 addresses: not checked, and never released',
    });
    expect(readBlock(plain(key, value('10.0.1.0/30', '[-1,null,null,null]', '{}')), false)).toMatchObject({
      reason: 'allocations holds a negative attribute index: not checked, and never released',
    });
    expect(readBlock(plain(key, value('::ffff:10.0.1.0/126', '[]', '{}')), false)).toEqual({
      key,
      reason: 'cidr "::ffff:10.0.1.0/126" is not a valid CIDR',
    });
    expect(readBlock(plain('/calico/ipam/v2/assignment/ipv4/other', '{}'), false)).toBeUndefined();
  });
});
