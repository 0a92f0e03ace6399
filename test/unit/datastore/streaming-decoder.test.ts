/**
 * The streaming RangeResponse decoder (src/datastore/etcd/kv-client.ts) against the bytes of a
 * response made from real stored IPAM blocks, cut into pieces every way: whole, in two at every
 * position, a byte at a time, and at random. Each piece's buffer is scribbled over once it has been
 * fed, as the streaming connection reuses its read buffer.
 */
import { describe, expect, it } from 'vitest';

import { StreamingRangeDecoder } from '../../../src/datastore/etcd/kv-client.js';
import type { KeyValue } from '../../../src/datastore/contract.js';
import { ALL_KEYS } from '../ipam/fixtures.js';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push(v % 0x80 | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const bytesField = (field: number, value: Buffer) =>
  Buffer.from([...varint(field * 8 + 2), ...varint(value.length), ...value]);
const intField = (field: number, value: number) => Buffer.from([...varint(field * 8), ...varint(value)]);

// etcd's RangeResponse as Go's protobuf marshals it: header, kvs, more, count.
const entries = Object.entries(ALL_KEYS).map(([key, value], i) => ({
  key,
  value,
  create: 100 + i,
  mod: 2 ** 40 + i,
  version: i + 1,
}));
const message = Buffer.concat([
  bytesField(1, Buffer.concat([intField(1, 7), intField(2, 9), intField(3, 123456789), intField(4, 2)])),
  ...entries.map((e) =>
    bytesField(
      2,
      Buffer.concat([
        bytesField(1, Buffer.from(e.key)),
        intField(2, e.create),
        intField(3, e.mod),
        intField(4, e.version),
        bytesField(5, Buffer.from(e.value)),
      ]),
    ),
  ),
  intField(3, 1),
  intField(4, 4321),
]);
const expectedKvs = entries.map((e) => [e.key, e.value, e.create, e.mod, e.version]);
const expectedResponse = { kvs: [], more: true, count: 4321, revision: 123456789 };

function decodeIn(pieces: number[]): { seen: unknown[][]; response: unknown } {
  const seen: unknown[][] = [];
  const decoder = new StreamingRangeDecoder((kv: KeyValue) =>
    seen.push([kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version]),
  );
  let at = 0;
  for (const size of pieces) {
    // Each piece in a buffer of its own, at an offset, scribbled over once fed.
    const buf = Buffer.alloc(size + 8, 0x7b);
    message.copy(buf, 4, at, at + size);
    decoder.feed(buf, 4, 4 + size);
    buf.fill(0x22);
    at += size;
  }
  return { seen, response: decoder.finish() };
}

describe('streaming RangeResponse decoder', () => {
  it('decodes the message whole', () => {
    expect(entries.length).toBeGreaterThan(5);
    expect(decodeIn([message.length])).toEqual({ seen: expectedKvs, response: expectedResponse });
  });

  it('decodes it cut in two at every position', () => {
    for (let cut = 1; cut < message.length; cut++) {
      const { seen, response } = decodeIn([cut, message.length - cut]);
      expect(seen, `cut at ${cut}`).toEqual(expectedKvs);
      expect(response).toEqual(expectedResponse);
    }
  });

  it('decodes it a byte at a time and in random pieces', () => {
    expect(decodeIn(Array.from({ length: message.length }, () => 1))).toEqual({
      seen: expectedKvs,
      response: expectedResponse,
    });
    let seed = 5;
    for (let round = 0; round < 200; round++) {
      const pieces: number[] = [];
      for (let left = message.length; left > 0; ) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const size = Math.min(left, 1 + (seed % 3000));
        pieces.push(size);
        left -= size;
      }
      expect(decodeIn(pieces)).toEqual({ seen: expectedKvs, response: expectedResponse });
    }
  });

  it('refuses a message cut short', () => {
    const decoder = new StreamingRangeDecoder(() => undefined);
    decoder.feed(message, 0, message.length - 10);
    expect(() => decoder.finish()).toThrow('truncated');
  });
});
