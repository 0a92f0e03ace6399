/**
 * `calicoctl-ts ... | head`: when stdout's reader goes away, the command stops without a word on
 * stderr and exits 141, as calicoctl (a Go program, killed by SIGPIPE) does in the shell. The output
 * is far larger than a pipe holds, so the CLI is still writing when `head` exits, whatever the
 * scheduling: the closed pipe is certain to be met.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { CLI, REPO_ROOT, baseEnv, runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';

const SETS = 3000;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir();
  env = { ...baseEnv(dir), EMBEDDED_DATASTORE_PATH: join(dir, 'store.db') };
  const file = join(dir, 'sets.yaml');
  const docs = Array.from(
    { length: SETS },
    (_, n) =>
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-${n}\nspec:\n  nets: [10.0.0.0/24]\n`,
  );
  writeFileSync(file, docs.join('---\n'));
  const applied = await runCli(['apply', '-f', file], { env });
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
}, 120_000);

/** Runs the CLI into `head -c 1` in bash; returns the CLI's exit status, its stderr and head's bytes. */
function intoHead(args: string[]): { status: number; stderr: string; head: string } {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const script = `"${process.execPath}" "${CLI}" ${quoted} 2>"${dir}/stderr" | head -c 1; echo " \${PIPESTATUS[0]}"`;
  const run = spawnSync('bash', ['-c', script], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  const [head = '', status = ''] = run.stdout.split(' ');
  const stderr = readFileSync(join(dir, 'stderr'), 'utf8');
  return { status: Number(status.trim()), stderr, head };
}

describe('stdout closed by its reader', () => {
  it.each([
    ['-o', 'yaml'],
    ['-o', 'json'],
    ['-o', 'wide'],
  ])('get globalnetworksets %s %s stops quietly with 141', (flag, format) => {
    const { status, stderr, head } = intoHead(['get', 'globalnetworksets', flag, format]);
    expect(head.length).toBe(1);
    expect(stderr).toBe('');
    expect(status).toBe(141);
  });

  it('datastore export to stdout stops quietly with 141', () => {
    const { status, stderr, head } = intoHead(['datastore', 'export']);
    expect(head).toBe('{');
    expect(stderr).toBe('');
    expect(status).toBe(141);
  });

  it('the whole output still arrives when the reader reads it all', async () => {
    const all = await runCli(['get', 'globalnetworksets', '-o', 'yaml'], { env });
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^ *kind: GlobalNetworkSet$/gm)).toHaveLength(SETS);
  });
});
