/**
 * Cut points for concurrent segment reads (src/datastore/split.ts), counted over sorted key lists
 * in memory: Calico's IPAM block keys as the benchmark's generator writes them, and other shapes.
 */
import { describe, expect, it } from 'vitest';

import { BLOCK_PREFIX, generateDataset } from '../../../bench/dataset.js';
import { prefixEnd } from '../../../src/datastore/contract.js';
import { splitRange, type RangeCounter } from '../../../src/datastore/split.js';

/** A counter over sorted ASCII keys, and how many count requests it answered. */
function counterOver(keys: readonly string[]): { count: RangeCounter; calls: () => number } {
  let calls = 0;
  const lowerBound = (k: string) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    count: (from, to) => {
      calls++;
      return Promise.resolve(Math.max(0, lowerBound(to) - lowerBound(from)));
    },
    calls: () => calls,
  };
}

const generated = new Map<number, string[]>();
const blockKeys = (blocks: number): string[] => {
  let keys = generated.get(blocks);
  if (!keys) {
    keys = [...generateDataset({ blocks, seed: 20260601 })]
      .map(([key]) => key)
      .filter((key) => key.startsWith(BLOCK_PREFIX))
      .sort();
    generated.set(blocks, keys);
  }
  return keys;
};

/** Splits keys after their first page as a scan does, and checks the segments cover the rest exactly. */
async function split(keys: string[], prefix: string, parts: number) {
  const page = keys.slice(0, 500);
  const rest = keys.slice(500);
  const counter = counterOver(keys);
  const segments = await splitRange(counter.count, {
    after: page.at(-1)!,
    end: prefixEnd(prefix),
    prefixLength: prefix.length,
    parts,
    sample: page,
  });
  if (segments.length > 0) {
    expect(segments[0]!.from).toBe(page.at(-1)! + '\0');
    expect(segments.at(-1)!.to).toBe(prefixEnd(prefix));
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.from).toBe(segments[i - 1]!.to);
    // Each segment's count is what it really holds, and together they hold every key after the page.
    for (const s of segments) expect(s.count).toBe(rest.filter((k) => k >= s.from && k < s.to).length);
    expect(segments.reduce((n, s) => n + s.count, 0)).toBe(rest.length);
  }
  return { segments, calls: counter.calls(), rest: rest.length };
}

describe('splitRange', () => {
  it.each([2, 3, 4])('cuts 10,000 IPAM block keys into %i even segments', async (parts) => {
    const { segments, calls, rest } = await split(blockKeys(10_000), BLOCK_PREFIX, parts);
    expect(segments).toHaveLength(parts);
    for (const s of segments) {
      expect(s.count).toBeGreaterThan((rest / parts) * 0.6);
      expect(s.count).toBeLessThan((rest / parts) * 1.4);
    }
    // Count-only reads: one round along the path of the page's last key, then a few refinements.
    expect(calls).toBeLessThan(60);
  });

  it('cuts keys of other shapes (handles, resources) and never leaves a gap', async () => {
    const handles = Array.from({ length: 3000 }, (_, i) =>
      `/calico/ipam/v2/handle/k8s-pod-network.${(i * 2654435761) % 4294967296}`.padEnd(60, 'x'),
    ).sort();
    const { segments } = await split(handles, '/calico/ipam/v2/handle/', 3);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const names = Array.from(
      { length: 2000 },
      (_, i) => `/calico/resources/v3/projectcalico.org/a/${i}`,
    ).sort();
    const { segments: few } = await split(names, '/calico/resources/v3/projectcalico.org/a/', 3);
    expect(few.length).toBeGreaterThanOrEqual(2);
  });

  it('makes no cut for keys it cannot cut in ASCII, or when one part is asked for', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `/p/é${String(i).padStart(5, '0')}`).sort();
    expect((await split(keys, '/p/', 3)).segments).toEqual([]);
    expect((await split(blockKeys(1000), BLOCK_PREFIX, 1)).segments).toEqual([]);
  });
});
