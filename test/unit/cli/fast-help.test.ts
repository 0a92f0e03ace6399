import { readFileSync } from 'node:fs';
import { release } from 'node:os';

import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';

import { helpText as fastHelpText } from '../../../src/cli/fast/help.js';
import type { FastData } from '../../../src/cli/fast/spec.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** The texts as the build stores them: one after the other in help.txt, indexed by byte range. */
const texts = { '[]': 'Root\n\nVERSION\n  @@UA@@\n', '["node","--help"]': 'Node topic: ünïcode\n' };
const file = Buffer.from(Object.values(texts).join(''));
const read = ([offset, length]: readonly [number, number]): string =>
  file.subarray(offset, offset + length).toString('utf8');
const data = (agentPrefix = 'calicoctl-ts/0.1.0'): FastData => {
  const help: FastData['help'] = {};
  let offset = 0;
  for (const [key, text] of Object.entries(texts)) {
    help[key] = [offset, Buffer.byteLength(text)];
    offset += Buffer.byteLength(text);
  }
  return { agentPrefix, agentPlaceholder: '@@UA@@', width: 80, help, commands: {} };
};
const helpText = (d: FastData, argv: string[], env: Record<string, string>, tty: boolean) =>
  fastHelpText(d, argv, env, () => tty, read);

// Under WSL oclif's platform is "wsl", which the fast path leaves to oclif.
const onWsl = `${release()} ${readFileSync('/proc/version', 'utf8')}`.toLowerCase().includes('microsoft');

describe('helpText', () => {
  it('returns the build-time text for a known help argv when stdout is a pipe', () => {
    expect(helpText(data(), ['node', '--help'], {}, false)).toBe('Node topic: ünïcode\n');
    expect(helpText(data(), ['node'], {}, false)).toBeUndefined();
    expect(helpText(data(), ['--help', 'node'], {}, false)).toBeUndefined();
  });

  it.skipIf(onWsl)('fills in the user agent as oclif computes it', async () => {
    // oclif's own Config for this package is the reference, not a copy of its formula.
    const { userAgent, name, version } = await Config.load(REPO_ROOT);
    expect(helpText(data(`${name}/${version}`), [], {}, false)).toBe(`Root\n\nVERSION\n  ${userAgent}\n`);
  });

  it('leaves help to oclif when the text cannot be read', () => {
    expect(
      fastHelpText(
        data(),
        ['node', '--help'],
        {},
        () => false,
        () => undefined,
      ),
    ).toBeUndefined();
  });

  it('leaves to oclif a user agent that oclif would wrap', () => {
    expect(helpText(data('x'.repeat(70)), [], {}, false)).toBeUndefined();
  });

  it.each([
    ['a terminal', {}, true],
    ['OCLIF_COLUMNS', { OCLIF_COLUMNS: '80' }, false],
    ['FORCE_COLOR', { FORCE_COLOR: '0' }, false],
  ])('leaves help to oclif with %s', (_what, env, tty) => {
    expect(helpText(data(), ['node', '--help'], env, tty)).toBeUndefined();
  });
});
