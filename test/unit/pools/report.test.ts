import { stripVTControlCharacters } from 'node:util';

import { describe, expect, it } from 'vitest';

import { paletteFor } from '../../../src/output/colour.js';
import type { ModeResult, PoolModeChange } from '../../../src/pools/mode.js';
import { modeText } from '../../../src/cli/render/pools.js';

const pool = (
  name: string,
  outcome: PoolModeChange['outcome'],
  vxlanAfter: 'Always' | 'Never',
): PoolModeChange => ({
  name,
  cidr: '10.0.0.0/16',
  before: { ipipMode: 'Always', vxlanMode: 'Never' },
  after:
    vxlanAfter === 'Always'
      ? { ipipMode: 'Never', vxlanMode: 'Always' }
      : { ipipMode: 'Always', vxlanMode: 'Never' },
  outcome,
  resourceVersion: '7',
});

const result: ModeResult = {
  outcome: 'changed',
  dryRun: false,
  force: false,
  revision: 7,
  pools: [pool('p1', 'changed', 'Always'), pool('pool-two', 'unchanged', 'Never')],
  checks: [],
};

// calicoctl's tabwriter: every column padded to its widest cell + 3, the last one too.
const PLAIN_TEXT =
  `NAME       CIDR          IPIPMODE          VXLANMODE         ${'RESULT'.padEnd(39)}\n` +
  'p1         10.0.0.0/16   Always -> Never   Never -> Always   changed: IPIP Always -> VXLAN Always   \n' +
  `pool-two   10.0.0.0/16   Always            Never             ${'unchanged'.padEnd(39)}\n` +
  'Changed 1 IPPool(s) in one transaction (revision 7).\n';

describe('ippool mode text', () => {
  it('is the plain tabwriter table when piped, whatever FORCE_COLOR says', async () => {
    expect(modeText(result)).toBe(PLAIN_TEXT);
    expect(modeText(result, await paletteFor({ isTTY: false }, { FORCE_COLOR: '1' }))).toBe(PLAIN_TEXT);
    expect(modeText(result, await paletteFor({ isTTY: true }, { NO_COLOR: '1' }))).toBe(PLAIN_TEXT);
  });

  it('colours the RESULT cell by outcome on a terminal without moving any column', async () => {
    const tty = modeText(result, await paletteFor({ isTTY: true }, {}));
    expect(tty).toContain('Never -> Always   \x1b[32mchanged: IPIP Always -> VXLAN Always\x1b[39m   \n');
    expect(tty).toContain('Never             unchanged ');
    expect(stripVTControlCharacters(tty)).toBe(PLAIN_TEXT);
    const dry = modeText(
      {
        ...result,
        outcome: 'dryRun',
        pools: [pool('p1', 'wouldChange', 'Always'), pool('p3', 'refused', 'Always')],
      },
      await paletteFor({ isTTY: true }, {}),
    );
    expect(dry).toContain('\x1b[33mwould change: IPIP Always -> VXLAN Always\x1b[39m');
    expect(dry).toContain('\x1b[31mrefused\x1b[39m');
  });
});
