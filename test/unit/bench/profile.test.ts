import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { summarizeProfile } from '../../../bench/profile.js';

// A real profile: `node --cpu-prof bin/run.js version --client`.
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'bench', 'version-client.cpuprofile');
const profile = JSON.parse(readFileSync(FIXTURE, 'utf8'));

function rows(text: string, section: string): Array<[number, string]> {
  const lines = text.split('\n');
  const from = lines.indexOf(`--- ${section}`) + 1;
  const to = lines.findIndex((l, i) => i >= from && (l.startsWith('---') || l === ''));
  return lines.slice(from, to).map((l) => {
    const m = /^ *(\d+\.\d) (.+)$/.exec(l)!;
    return [Number(m[1]), m[2]!];
  });
}

describe('bench profile summary', () => {
  const text = summarizeProfile(profile, 1000, 1000);
  const total = profile.timeDeltas.reduce((a: number, b: number) => a + b, 0) / 1000;

  it('self times add up to the sampled total, largest first', () => {
    const self = rows(text, 'self');
    const sum = self.reduce((a, [ms]) => a + ms, 0);
    expect(Math.abs(sum - total)).toBeLessThan(0.05 * self.length + 0.1);
    expect(self.map(([ms]) => ms)).toEqual([...self.map(([ms]) => ms)].sort((a, b) => b - a));
    expect(text.split('\n')[0]).toBe(
      `total ms ${total.toFixed(0)} wall ${((profile.endTime - profile.startTime) / 1000).toFixed(0)}`,
    );
  });

  it('the root holds every sample inclusively, and no function more than the root', () => {
    const inclusive = rows(text, 'inclusive');
    expect(inclusive[0]![1]).toBe('(root) :-1');
    expect(inclusive[0]![0]).toBeCloseTo(total, 1);
    for (const [ms, name] of inclusive) {
      expect(ms).toBeLessThanOrEqual(inclusive[0]![0]);
      expect(name).toMatch(/^.+ .*:-?\d+$/);
    }
    // A function's inclusive time is at least its self time.
    const self = new Map(rows(text, 'self').map(([ms, name]) => [name, ms]));
    for (const [ms, name] of inclusive) expect(ms).toBeGreaterThanOrEqual(self.get(name) ?? 0);
  });

  it('cuts each table at the rows asked for', () => {
    const short = summarizeProfile(profile, 2, 3);
    expect(rows(short, 'self')).toHaveLength(2);
    expect(rows(short, 'inclusive')).toHaveLength(3);
  });
});
