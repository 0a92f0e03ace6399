/**
 * `ipam show --watch` on the embedded store and a real etcd: one JSON document per change that
 * parses and matches a fresh `ipam show -o json`, per pool, per block and per node; the table
 * redrawn in a pseudo-terminal; refused where no terminal can show it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { cli, harness, poolKey, seed } from '../pools/harness.js';
import { BLOCK_KEY, heldBlock, OLD, release } from './blocks.js';
import { jsonLines, startCli } from './running-cli.js';

const h = harness();
beforeAll(() => h.start(), 30_000);
afterAll(() => h.stop());

describe.each(h.backends)('ipam show --watch on $name', (backend) => {
  const watch = (...args: string[]) => startCli(['ipam', 'show', '--watch', ...args], backend.env());
  const docs = (n: number) => (text: string) => jsonLines(text).length >= n;

  it('-o json: one document per change, each what a one-shot ipam show says then; Ctrl-C ends it', async () => {
    for (const variant of [[], ['--show-blocks'], ['--by-node']]) {
      await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(6) });
      const running = watch(...variant, '-o', 'json');
      await running.waitFor(docs(1));
      const shot = async () =>
        JSON.parse((await cli(backend, 'ipam', 'show', ...variant, '-o', 'json')).stdout);
      expect(jsonLines(running.stdout())[0]).toEqual(await shot());
      await release(backend, 3);
      await running.waitFor(docs(2));
      expect(jsonLines(running.stdout())[1]).toEqual(await shot());
      await release(backend, 1);
      await running.waitFor(docs(3));
      expect(jsonLines(running.stdout())[2]).toEqual(await shot());
      running.interrupt();
      const { code } = await running.exited;
      expect(code).toBe(0);
      expect(running.stderr()).toBe('');
      expect(jsonLines(running.stdout())).toHaveLength(3);
    }
  });

  it('in a terminal: the table is redrawn on each change', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(6) });
    const running = startCli(
      ['ipam', 'show', '--show-blocks', '--watch'],
      { ...backend.env(), NO_COLOR: '1' },
      { terminal: true },
    );
    await running.waitFor((t) =>
      t.includes('| Block    | 10.1.0.0/26 |        64 | 6 (9%)     | 58 (91%)     |'),
    );
    await release(backend, 2);
    await running.waitFor((t) =>
      t.includes('| Block    | 10.1.0.0/26 |        64 | 2 (3%)     | 62 (97%)     |'),
    );
    expect(running.stdout().split('\x1b[H\x1b[2J')).toHaveLength(3);
    running.type('\x03');
    const { code } = await running.exited;
    expect(code).toBe(0);
  });

  it('refused without a terminal, and with the variants it cannot redraw', async () => {
    const piped = await cli(backend, 'ipam', 'show', '--watch');
    expect(piped.code).toBe(ExitCode.BadInput);
    expect(piped.stdout).toBe('');
    expect(piped.stderr).toBe(
      'ipam show --watch redraws a table on a terminal, and stdout is not a terminal\n' +
        'hint: use -o json with --watch for one JSON document per line per change\n',
    );
    const ip = await cli(backend, 'ipam', 'show', '--watch', '--ip', '10.1.0.1', '-o', 'json');
    expect(ip.code).toBe(ExitCode.BadInput);
    expect(JSON.parse(ip.stderr).error.message).toBe('--watch cannot be used with --ip');
  });
});
