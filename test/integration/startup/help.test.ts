/**
 * The help the fast path prints (rendered by oclif at build time) is byte for byte what oclif
 * prints for the same argv when stdout is not a terminal, for every help request the build knows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../helpers/cli.js';
import { bothPaths, inBatches, observable } from './parity.js';

const data = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'fast-path.json'), 'utf8')) as {
  help: Record<string, string>;
};
const requests = Object.keys(data.help).map((key) => JSON.parse(key) as string[]);

describe('help on the fast path', () => {
  it('covers the root, every command and every topic', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, unknown>;
    };
    const keys = new Set(Object.keys(data.help));
    expect(keys).toContain('[]');
    expect(keys).toContain('["--help"]');
    for (const id of Object.keys(manifest.commands))
      expect(keys).toContain(JSON.stringify([...id.split(':'), '--help']));
    expect(keys).toContain('["node","--help"]');
    expect(keys).toContain('["node"]');
  });

  it('prints what oclif prints, for every help request', async () => {
    const runs = await inBatches(requests, 3, async (argv) => ({ argv, ...(await bothPaths(argv)) }));
    for (const { argv, fast, oclif } of runs) {
      expect(fast.path, JSON.stringify(argv)).toBe('fast (help)');
      expect(oclif.path).toBe('oclif');
      expect(observable(fast), JSON.stringify(argv)).toEqual(observable(oclif));
    }
    // The root help names this Node.js, filled in at run time.
    const root = runs.find((r) => r.argv.length === 0)!;
    expect(root.fast.stdout).toContain(`node-${process.version}\n`);
  });

  it('leaves help that depends on the terminal or the environment to oclif', async () => {
    for (const env of [{ OCLIF_COLUMNS: '120' }, { FORCE_COLOR: '1' }]) {
      const { fast, oclif } = await bothPaths(['node', 'status', '--help'], { env });
      expect(fast.path).toBe('oclif');
      expect(observable(fast)).toEqual(observable(oclif));
    }
    // oclif's debug log, and help forms the build did not render.
    for (const [argv, env] of [
      [['--help'], { DEBUG: '*' }],
      [['node', 'status', '--socket', 'x', '--help'], {}],
      [['--help', 'node'], {}],
    ] as const) {
      const { fast } = await bothPaths([...argv], { env });
      expect(fast.path, JSON.stringify(argv)).toBe('oclif');
    }
  });
});
