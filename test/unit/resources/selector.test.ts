import { describe, expect, it } from 'vitest';

import { parseSelector } from '../../../src/resources/selector.js';

const node = { zone: 'a', 'kubernetes.io/os': 'linux', rack: 'r1' };
const matches = (sel: string, labels: Record<string, string> = node) => parseSelector(sel).matches(labels);

describe('parseSelector', () => {
  it('evaluates the operators as libcalico-go does', () => {
    expect(matches('all()')).toBe(true);
    expect(matches('')).toBe(true);
    expect(matches('   ')).toBe(true);
    expect(matches('global()')).toBe(true);
    expect(matches("zone == 'a'")).toBe(true);
    expect(matches('zone == "b"')).toBe(false);
    expect(matches("zone != 'b'")).toBe(true);
    expect(matches("missing != 'b'")).toBe(true);
    expect(matches("missing == 'b'")).toBe(false);
    expect(matches('has(kubernetes.io/os)')).toBe(true);
    expect(matches('has( kubernetes.io/os )')).toBe(true);
    expect(matches('!has(zone)')).toBe(false);
    expect(matches('!has(missing)')).toBe(true);
    expect(matches("zone in {'a', 'b'}")).toBe(true);
    expect(matches("zone in {'b',}")).toBe(false);
    expect(matches('zone in {}')).toBe(false);
    expect(matches("missing in {'a'}")).toBe(false);
    expect(matches("zone not in {'a'}")).toBe(false);
    expect(matches("missing not in {'a'}")).toBe(true);
    expect(matches("zone notin {'a'}")).toBe(false);
    expect(matches("zone notin{'b'}")).toBe(true);
    expect(matches("rack contains '1'")).toBe(true);
    expect(matches('rack contains"1"')).toBe(true);
    expect(matches("missing contains ''")).toBe(false);
    expect(matches("rack starts with 'r'")).toBe(true);
    expect(matches("rack startswith 'x'")).toBe(false);
    expect(matches("rack ends  with '1'")).toBe(true);
    expect(matches("rack endswith 'x'")).toBe(false);
    // Operator words are only operators after a label.
    expect(matches("contains contains 'ains'", { contains: 'contains' })).toBe(true);
  });

  const labels = { zone: 'us-east-1a', 'kubernetes.io/os': 'linux', rack: '7' };
  it.each([
    ["zone == 'us-east-1a'", true],
    ["rack in {'6', '7'}", true],
    ["rack not in {'6','7'}", false],
    ["zone starts with 'us-'", true],
    ["zone ends with '1b'", false],
    ["zone contains 'east'", true],
    ["has(zone) && rack == '8' || kubernetes.io/os == 'linux'", true],
    ["has(zone) && (rack == '8' || kubernetes.io/os == 'windows')", false],
    ["!!has(zone) && !(rack == '8')", true],
    ["zone == 'b' || zone == 'us-east-1a' && has(rack)", true],
    ["(zone == 'b' || zone == 'us-east-1a') && !has(rack)", false],
    ["!!!has(zone) || (((rack == '7')))", true],
  ])('gives ! the tightest binding, then &&, then || (%s -> %s)', (selector, expected) => {
    expect(parseSelector(selector).matches(labels)).toBe(expected);
  });

  it('keeps the text as written', () => {
    expect(parseSelector(" zone == 'a' ").text).toBe(" zone == 'a' ");
  });

  it.each([
    ["zone = 'a'", 'expected =='],
    ["zone == 'a' & has(x)", 'expected &&'],
    ["zone == 'a' | has(x)", 'expected ||'],
    ["zone == 'a", 'unterminated string'],
    ['zone == "a', 'unterminated string'],
    ['zone', 'unexpected end of string looking for op'],
    ['has(a) && zone', 'unexpected end of string looking for op'],
    ['zone ==', 'expected string'],
    ['zone == a', 'expected string'],
    ['zone contains x', 'expected string'],
    ["zone in 'a'", 'expected set literal'],
    ["zone in {'a' 'b'}", 'expected }'],
    ["zone == 'a' zone", 'unexpected content at end of selector [TokLabel(zone) TokEOF()]'],
    ["zone == 'a' )", 'unexpected content at end of selector [TokRParen() TokEOF()]'],
    ['has(zone', "no closing ')' after has("],
    ['all( x', "no closing ')' after all("],
    ['global(', "no closing ')' after global("],
    ['has()', 'expected identifier'],
    ["zone == 'a' && $", 'expected identifier'],
    ["zone is 'a'", 'expected operator after label "zone"'],
    ['zone rack', 'expected operator after label "zone"'],
    ["zone startsx with 'a'", 'expected operator after label "zone"'],
    ["zone 'a'", 'expected == or != not: TokStringLiteral(a)'],
    ['(zone)', 'expected == or != not: TokRParen()'],
    ["(zone == 'a'", 'expected )'],
    ['has(a) &&', 'unexpected token: TokEOF()'],
    ['!', 'unexpected token: TokEOF()'],
    ["|| zone == 'a'", 'unexpected token: TokOr()'],
    [`has(${'k'.repeat(513)})`, `label too long: ${'k'.repeat(513)}`],
  ])("rejects %s as Calico's parser does", (selector, message) => {
    expect(() => parseSelector(selector)).toThrow(message);
  });

  it('accepts a label of the maximum length', () => {
    expect(matches(`has(${'k'.repeat(512)})`, { ['k'.repeat(512)]: '' })).toBe(true);
  });
});
