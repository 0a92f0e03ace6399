/**
 * estimatePageEnd on the benchmark's Calico keys: a page ended where the estimate says holds about
 * the keys asked for (so that etcd's count of it walks about those keys), and the end is always a
 * key after the page's last, in etcd's byte order.
 */
import { describe, expect, it } from 'vitest';

import { generateDataset } from '../../../bench/dataset.js';
import { estimatePageEnd, type PageDensity } from '../../../src/datastore/page-end.js';

const keys = [...generateDataset({ blocks: 3000, leaks: true })]
  .map(([key]) => Buffer.from(key, 'utf8'))
  .sort(Buffer.compare);

/** How many keys lie in (after, end), end being raw bytes as latin1. */
function keysBetween(after: Buffer, end: string): number {
  const endBytes = Buffer.from(end, 'latin1');
  return keys.filter((k) => Buffer.compare(k, after) > 0 && Buffer.compare(k, endBytes) < 0).length;
}

/** A page of `count` keys from index `from`, with every 64th key as the datastore samples it. */
function page(from: number, count: number): PageDensity {
  const slice = keys.slice(from, from + count).map((k) => k.toString('utf8'));
  return { first: slice[0]!, last: slice.at(-1)!, count, samples: slice.filter((_, i) => i % 64 === 0) };
}

describe('estimatePageEnd', () => {
  const handles = keys.findIndex((k) => k.toString().includes('/handle/k8s-pod-network.'));

  it("ends a page of pods' handles (container ids in hex) near the keys asked for", () => {
    for (const start of [handles, handles + 20_000, handles + 60_000]) {
      const p = page(start, 2000);
      for (const wanted of [2000, 16_000]) {
        const end = estimatePageEnd(p, wanted)!;
        expect(end).toBeDefined();
        const held = keysBetween(Buffer.from(p.last), end);
        expect(held).toBeGreaterThan(wanted / 2);
        expect(held).toBeLessThan(wanted * 2);
      }
    }
  });

  it('ends a page of IPAM blocks (addresses) within a few times the keys asked for', () => {
    const blocks = keys.findIndex((k) => k.toString().includes('/ipv4/block/'));
    const p = page(blocks, 500);
    const held = keysBetween(Buffer.from(p.last), estimatePageEnd(p, 500)!);
    expect(held).toBeGreaterThan(100);
    expect(held).toBeLessThan(2500);
  });

  it('always ends after the last key and after any key that extends it', () => {
    for (let start = 0; start + 300 < keys.length; start += 997) {
      const p = page(start, 300);
      const end = estimatePageEnd(p, 1 + (start % 5000));
      if (end === undefined) continue;
      const last = Buffer.from(p.last, 'utf8');
      expect(Buffer.compare(Buffer.from(end, 'latin1'), Buffer.concat([last, Buffer.from([0])]))).toBe(1);
    }
  });

  it('reads keys as UTF-8 bytes, as etcd orders them', () => {
    const p = { first: '/calico/x/caf\u00e9-0', last: '/calico/x/caf\u00e9-5', count: 6, samples: [] };
    const end = Buffer.from(estimatePageEnd(p, 6)!, 'latin1');
    expect(Buffer.compare(end, Buffer.from('/calico/x/caf\u00e9-5\0', 'utf8'))).toBe(1);
    expect(end.subarray(0, 15).toString('utf8')).toBe('/calico/x/caf\u00e9');
  });

  it('gives no estimate from fewer than two keys, or past the keys it can describe', () => {
    expect(estimatePageEnd({ first: '/a/1', last: '/a/1', count: 1, samples: [] }, 100)).toBeUndefined();
    // Keys from the lowest to the highest byte value there is: no room after them for as many again.
    expect(estimatePageEnd({ first: '\u0001', last: '\u00ff', count: 2, samples: [] }, 10)).toBeUndefined();
  });
});
