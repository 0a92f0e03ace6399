/**
 * `ipam show --watch` on the embedded store and a real etcd: one JSON document per change that
 * parses and matches a fresh `ipam show -o json`, per pool, per block and per node; the table
 * redrawn in a pseudo-terminal; refused where no terminal can show it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { cli, harness, poolKey, seed, storedPool, withDs } from '../pools/harness.js';
import { BLOCK_KEY, heldBlock, OLD, release } from './blocks.js';
import { jsonLines, startCli } from './running-cli.js';

const h = harness();
const SECOND_BLOCK = '/calico/ipam/v2/assignment/ipv4/block/10.1.0.64-26';
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
      // A new block, the same block unreadable, then gone; a pool that takes the blocks first.
      const changes = [
        (ds: Datastore) => ds.create(SECOND_BLOCK, heldBlock(2).replace('10.1.0.0/26', '10.1.0.64/26')),
        async (ds: Datastore) =>
          ds.update(SECOND_BLOCK, '{"cidr":', (await ds.get(SECOND_BLOCK))!.modRevision),
        (ds: Datastore) => ds.delete(SECOND_BLOCK),
        (ds: Datastore) => ds.create(poolKey('aaa'), storedPool('aaa', { cidr: '10.1.0.0/24' })),
      ];
      for (const [i, change] of changes.entries()) {
        await withDs(backend, change);
        await running.waitFor(docs(4 + i));
        expect(jsonLines(running.stdout())[3 + i]).toEqual(await shot());
      }
      running.interrupt();
      const { code } = await running.exited;
      expect(code).toBe(0);
      expect(running.stderr()).toBe('');
      expect(jsonLines(running.stdout())).toHaveLength(3 + changes.length);
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
