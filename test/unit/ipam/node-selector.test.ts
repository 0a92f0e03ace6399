import { describe, expect, it } from 'vitest';

import { parseSelector, selectsNode } from '../../../src/ipam/node-selector.js';

const labels = { zone: 'us-east-1a', 'kubernetes.io/os': 'linux', rack: '7' };

describe('Calico selectors (SelectsNode)', () => {
  it.each([
    ['', true],
    ['all()', true],
    ['global()', true],
    ["zone == 'us-east-1a'", true],
    ['zone == "us-east-1b"', false],
    ["zone != 'us-east-1b'", true],
    ["missing != 'x'", true],
    ['has(kubernetes.io/os)', true],
    ['!has(zone)', false],
    ["rack in {'6', '7'}", true],
    ["rack not in {'6','7'}", false],
    ["missing not in {'x'}", true],
    ["zone starts with 'us-'", true],
    ["zone ends with '1b'", false],
    ["zone contains 'east'", true],
    ["has(zone) && rack == '8' || kubernetes.io/os == 'linux'", true],
    ["has(zone) && (rack == '8' || kubernetes.io/os == 'windows')", false],
    ["!!has(zone) && !(rack == '8')", true],
  ])('%s -> %s', (selector, expected) => {
    expect(selectsNode(selector, labels)).toBe(expected);
  });

  it.each([
    ["zone = 'a'", 'expected =='],
    ["zone == 'a", 'unterminated string'],
    ['has(zone', "no closing ')' after has("],
    ["zone 'a'", 'expected == or != not'],
    ['zone rack', 'expected operator after label "zone"'],
    ["(zone == 'a'", 'expected )'],
    ["zone == 'a' rack", 'unexpected content at end of selector'],
    ["zone == 'a' )", 'unexpected content at end of selector'],
  ])('rejects %s', (selector, message) => {
    expect(() => parseSelector(selector)).toThrow(message);
  });
});
