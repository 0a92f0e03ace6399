import { describe, expect, it } from 'vitest';

import { parseSelector } from '../../../src/resources/selector.js';

const node = { zone: 'a', 'kubernetes.io/os': 'linux', rack: 'r1' };
const matches = (sel: string, labels: Record<string, string> = node) => parseSelector(sel).matches(labels);

describe('parseSelector', () => {
  it('evaluates the operators as libcalico-go does', () => {
    expect(matches('all()')).toBe(true);
    expect(matches('')).toBe(true);
    expect(matches('global()')).toBe(true);
    expect(matches("zone == 'a'")).toBe(true);
    expect(matches('zone == "b"')).toBe(false);
    expect(matches("zone != 'b'")).toBe(true);
    expect(matches("missing != 'b'")).toBe(true);
    expect(matches('has(kubernetes.io/os)')).toBe(true);
    expect(matches('!has(zone)')).toBe(false);
    expect(matches("zone in {'a', 'b'}")).toBe(true);
    expect(matches("missing in {'a'}")).toBe(false);
    expect(matches("missing not in {'a'}")).toBe(true);
    expect(matches("zone notin {'a'}")).toBe(false);
    expect(matches("rack contains '1'")).toBe(true);
    expect(matches("rack starts with 'r'")).toBe(true);
    expect(matches("rack endswith 'x'")).toBe(false);
  });

  it('gives ! the tightest binding, then &&, then ||', () => {
    expect(matches("zone == 'b' || zone == 'a' && has(rack)")).toBe(true);
    expect(matches("(zone == 'b' || zone == 'a') && !has(rack)")).toBe(false);
    expect(matches("!!has(zone) && !(zone == 'b')")).toBe(true);
  });

  it("rejects what Calico's parser rejects, with its messages", () => {
    expect(() => parseSelector("zone = 'a'")).toThrow('expected ==');
    expect(() => parseSelector("zone == 'a")).toThrow('unterminated string');
    expect(() => parseSelector('zone')).toThrow('unexpected end of string looking for op');
    expect(() => parseSelector('zone == a')).toThrow('expected string');
    expect(() => parseSelector("zone in 'a'")).toThrow('expected set literal');
    expect(() => parseSelector("zone == 'a' zone")).toThrow('unexpected content at end of selector');
    expect(() => parseSelector('has(zone')).toThrow("no closing ')' after has(");
    expect(() => parseSelector("zone is 'a'")).toThrow('expected operator after label "zone"');
    expect(() => parseSelector("(zone == 'a'")).toThrow('expected )');
  });
});
