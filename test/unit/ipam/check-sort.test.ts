/**
 * sortByBytes (check-sort.ts) against a comparison sort of the same byte strings (Buffer.compare,
 * equal ones by number): on the handle IDs of the benchmark's dataset in block order, and on
 * strings made to reach every branch (runs longer than a level's place, long shared prefixes,
 * strings ending inside a level's bytes, zero bytes that equal the padding, duplicates).
 */
import { describe, expect, it } from 'vitest';

import { generateDataset } from '../../../bench/dataset.js';
import { sortByBytes } from '../../../src/ipam/check-sort.js';
import { mulberry32, randInt } from '../../reliability/prng.js';

/** The strings laid end to end, as sortByBytes takes them (after a few bytes of something else). */
function laidOut(strings: readonly Buffer[]) {
  const bytes = Buffer.concat([Buffer.from('xyz'), ...strings]);
  const start = new Int32Array(strings.length);
  const length = new Int32Array(strings.length);
  let at = 3;
  strings.forEach((s, i) => {
    start[i] = at;
    length[i] = s.length;
    at += s.length;
  });
  return { bytes, start, length };
}

function expectSortedAsCompared(strings: readonly Buffer[]): void {
  const { bytes, start, length } = laidOut(strings);
  const { order, startsGroup } = sortByBytes(bytes, start, length);
  const expected = strings.map((_, i) => i).sort((a, b) => Buffer.compare(strings[a]!, strings[b]!) || a - b);
  expect([...order]).toEqual(expected);
  const groups = expected.map((item, i) =>
    i === 0 || !strings[expected[i - 1]!]!.equals(strings[item]!) ? 1 : 0,
  );
  expect([...startsGroup]).toEqual(groups);
}

describe('sortByBytes', () => {
  it("orders the dataset's handle IDs, in the order its blocks name them, as a comparison sort does", () => {
    const ids: Buffer[] = [];
    for (const [key, value] of generateDataset({ blocks: 300, leaks: true })) {
      if (!key.startsWith('/calico/ipam/v2/assignment/')) continue;
      for (const m of value.matchAll(/"handle_id":"([^"]*)"/g)) ids.push(Buffer.from(m[1]!));
    }
    expect(ids.length).toBeGreaterThan(5000);
    // Handles of several addresses (tunnel addresses are not; the leaks' are): some IDs repeat.
    expectSortedAsCompared([...ids, ...ids.slice(0, 50)]);
  });

  it('orders strings that end inside a level, share long prefixes, repeat, or hold zero bytes', () => {
    const next = mulberry32(5);
    const alphabet = [0x00, 0x01, 0x41, 0x42, 0x7f, 0x80, 0xff];
    const strings: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0), Buffer.of(0), Buffer.of(0, 0)];
    for (let n = 0; n < 3000; n++) {
      const prefix = 'k8s-pod-network.'.slice(0, randInt(next, 17));
      const tail = Array.from({ length: randInt(next, 9) }, () => alphabet[randInt(next, alphabet.length)]!);
      strings.push(Buffer.concat([Buffer.from(prefix), Buffer.from(tail)]));
    }
    expectSortedAsCompared(strings);
    // Runs of equal five-byte levels longer than the comparison sort's, down to the end.
    expectSortedAsCompared(
      Array.from({ length: 200 }, (_, i) =>
        Buffer.from(`${'same'.repeat(5)}${String.fromCharCode(65 + (i % 3))}`),
      ),
    );
    expectSortedAsCompared(Array.from({ length: 40 }, (_, i) => Buffer.from(i % 2 ? 'abcde\0' : 'abcde')));
    expectSortedAsCompared([]);
  });
});
