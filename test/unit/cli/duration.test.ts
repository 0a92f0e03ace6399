import { describe, expect, it } from 'vitest';

import { wantsJson } from '../../../src/cli/base-command.js';
import { parseDuration } from '../../../src/cli/duration.js';
import { InputError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['5s', 5000],
    ['1500ms', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3', 3000],
    ['0.5s', 500],
    // Go's syntax, as the resource decoder and calicoctl accept it.
    ['1m30s', 90_000],
    ['1h2m3.5s', 3_723_500],
    ['250000us', 250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '5 seconds', '-1s', '0s', '1x', '1m30'])('rejects %j with an InputError', (text) => {
    expect(() => parseDuration(text)).toThrow(InputError);
  });
});

describe('wantsJson', () => {
  it.each([
    [['-o', 'json'], true],
    [['--output', 'json'], true],
    [['--output=json'], true],
    [['-ojson'], true],
    [['-o', 'yaml'], false],
    [['json'], false],
  ])('%j -> %s', (argv, expected) => {
    expect(wantsJson(argv)).toBe(expected);
  });
});
