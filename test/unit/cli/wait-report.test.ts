/** The lines a wait prints: the terminal's progress bar and the plain line for logs. */
import { describe, expect, it } from 'vitest';

import { barLine, plainLine } from '../../../src/cli/wait-report.js';
import type { DrainProgress } from '../../../src/pools/wait.js';

const progress = (left: number, nodes: DrainProgress['nodes']): DrainProgress => ({
  pool: 'old',
  cidr: '10.1.0.0/16',
  left,
  total: 40,
  nodes,
  at: '2026-12-07T05:04:10.649Z',
});

describe('wait progress lines', () => {
  it('the bar: done fraction, count, rate, time left, the nodes holding most', () => {
    const p = progress(10, [
      { node: 'n1', count: 6 },
      { node: 'n2', count: 2 },
      { node: 'n3', count: 1 },
      { node: '', count: 1 },
    ]);
    expect(barLine(p, 20_000)).toBe(
      '[##################------] 10 of 40 left in IPPool(old) · 1.5/s · ~7s left · n1 6, n2 2, n3 1, 1 more node(s)',
    );
    expect(barLine(progress(40, [{ node: 'n1', count: 40 }]), 5000)).toBe(
      '[------------------------] 40 of 40 left in IPPool(old) · 0.0/s · time left unknown · n1 40',
    );
    expect(barLine(progress(39, []), 3_600_000)).toContain(' · 1.0/h · ~39h00m left');
    expect(barLine(progress(30, []), 60_000)).toContain(' · 10.0/min · ~3m00s left');
  });

  it('the plain line, as a CI log gets it', () => {
    expect(
      plainLine(
        progress(2, [
          { node: 'n1', count: 1 },
          { node: '', count: 1 },
        ]),
      ),
    ).toBe('2 of 40 address(es) left in IPPool(old) 10.1.0.0/16 (n1 1, (no node) 1)\n');
    expect(plainLine(progress(0, []))).toBe('0 of 40 address(es) left in IPPool(old) 10.1.0.0/16\n');
  });
});
