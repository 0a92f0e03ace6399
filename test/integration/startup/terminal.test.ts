/**
 * isTerminal (src/output/terminal.ts) as the built CLI uses it: the same answer as process.stdout's
 * isTTY, without creating process.stdout (Node's stream machinery) when fstat alone can tell.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';

const terminalJs = join(REPO_ROOT, 'dist', 'src', 'output', 'terminal.js');
// Prints isTerminal(1), then whether process.stdout had been created, on stderr.
const probe = `import(${JSON.stringify(terminalJs)}).then((m) => {
  const answer = m.isTerminal(1);
  const created = process.moduleLoadList.some((l) => /sync_write_stream|NativeModule net$|NativeModule tty$/.test(l));
  require('node:fs').writeSync(2, JSON.stringify({ answer, created, isTTY: process.stdout.isTTY === true }));
});`;

function probeWith(stdout: 'ignore' | 'pipe' | number): {
  answer: boolean;
  created: boolean;
  isTTY: boolean;
} {
  const out = spawnSync(process.execPath, ['-e', probe], {
    stdio: ['ignore', stdout, 'pipe'],
    encoding: 'utf8',
  });
  return JSON.parse(out.stderr) as { answer: boolean; created: boolean; isTTY: boolean };
}

describe('isTerminal', () => {
  it('answers for /dev/null, a file and a pipe without creating process.stdout', () => {
    const file = openSync(join(tempDir(), 'out.txt'), 'w');
    try {
      for (const stdout of ['ignore', 'pipe', file] as const) {
        expect(probeWith(stdout), String(stdout)).toEqual({ answer: false, created: false, isTTY: false });
      }
    } finally {
      closeSync(file);
    }
  });

  it('says yes on a terminal, as process.stdout.isTTY does', () => {
    const file = join(tempDir(), 'probe.cjs');
    writeFileSync(file, probe);
    // script(1) runs the probe on a pseudo-terminal; what it writes comes back on script's stdout.
    const out = spawnSync('script', ['-qec', `'${process.execPath}' '${file}'`, '/dev/null'], {
      encoding: 'utf8',
    });
    const result = JSON.parse(/\{.*\}/.exec(out.stdout)![0]) as { answer: boolean; isTTY: boolean };
    expect(result).toMatchObject({ answer: true, isTTY: true });
  });
});
