/**
 * `ippool migrate OLD --wait` on the embedded store and a real etcd: a background writer (the
 * library) releases the old pool's addresses a few at a time, each step waiting for the CLI to
 * report the previous one; the CLI returns right after the last one goes. Also: plain lines, the
 * JSON stream, --wait-timeout, a progress bar and Ctrl-C in a pseudo-terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { cli, dump, harness, poolKey, seed, value } from '../pools/harness.js';
import { BLOCK_KEY, blockKey, heldBlock, OLD, release } from './blocks.js';
import { jsonLines, startCli } from './running-cli.js';

const h = harness();
beforeAll(() => h.start(), 30_000);
afterAll(() => h.stop());

const lastLeft = (held: number) => (text: string) => jsonLines(text).some((l) => l.left === held);

describe.each(h.backends)('ippool migrate --wait on $name', (backend) => {
  const start = (...args: string[]) => startCli(['ippool', 'migrate', ...args], backend.env());

  it('-o json: one line per change, the result last, exit 0 right after the last address goes', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(6) });
    const cli = start('old', '--to', 'new', '--cidr', '10.2.0.0/16', '--finish', '--wait', '-o', 'json');
    await cli.waitFor(lastLeft(6));
    await release(backend, 4);
    await cli.waitFor(lastLeft(4));
    await release(backend, 1);
    await cli.waitFor(lastLeft(1));
    await release(backend, 0);
    const releasedAt = Date.now();
    const { code, at } = await cli.exited;
    expect(cli.stderr()).toBe('');
    expect(code).toBe(0);
    // The embedded store is looked at every 200 ms; etcd pushes the change. Nothing else would end
    // the wait (it has no --wait-timeout), so a release the wait missed never exits: a bound far
    // beyond any scheduling delay says that without depending on one.
    expect(at - releasedAt).toBeLessThan(20_000);
    const lines = jsonLines(cli.stdout());
    expect(lines.slice(0, -1).map((l) => [l.left, l.total])).toEqual([
      [6, 6],
      [4, 6],
      [1, 6],
      [0, 6],
    ]);
    for (const l of lines.slice(0, -1)) expect(Number.isNaN(Date.parse(String(l.at)))).toBe(false);
    expect(lines.at(-1)).toMatchObject({
      outcome: 'complete',
      actions: [
        'created IPPool(new) 10.2.0.0/16 blockSize 26',
        'disabled IPPool(old)',
        'deleted IPPool(old)',
      ],
    });
    expect(await value(backend, poolKey('old'))).toBeUndefined();
  });

  it('a block-size change waits twice: for OLD, then, once OLD is re-created, for the temporary pool', async () => {
    await seed(backend, {
      [poolKey('old')]: OLD,
      [BLOCK_KEY]: heldBlock(2),
      // Workloads already moved to the temporary pool's CIDR hold an address there.
      [blockKey('10.9.0.0/26')]: heldBlock(1, '10.9.0.0/26'),
    });
    const cli = start(
      'old',
      '--block-size',
      '28',
      '--temp-cidr',
      '10.9.0.0/16',
      '--finish',
      '--wait',
      '-o',
      'json',
    );
    await cli.waitFor((t) => jsonLines(t).some((l) => l.left === 2 && l.total === 2));
    await release(backend, 0);
    // OLD is deleted and re-created with /28 blocks; now the temporary pool drains.
    await cli.waitFor((t) => jsonLines(t).some((l) => l.left === 1 && l.total === 1));
    expect(JSON.parse((await value(backend, poolKey('old')))!).spec.blockSize).toBe(28);
    await release(backend, 0, '10.9.0.0/26');
    const { code } = await cli.exited;
    expect(cli.stderr()).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(cli.stdout());
    expect(lines.slice(0, -1).map((l) => [l.left, l.total])).toEqual([
      [2, 2],
      [0, 2],
      [1, 1],
      [0, 1],
    ]);
    expect(lines.at(-1)).toMatchObject({
      kind: 'resize',
      outcome: 'complete',
      actions: [
        'created IPPool(old-tmp) 10.9.0.0/16 blockSize 26',
        'disabled IPPool(old)',
        'deleted IPPool(old)',
        'created IPPool(old) 10.1.0.0/16 blockSize 28',
        'disabled IPPool(old-tmp)',
        'deleted IPPool(old-tmp)',
      ],
    });
    expect(await value(backend, poolKey('old-tmp'))).toBeUndefined();
  });

  it('plain lines on stderr when it is not a terminal, and the report at the end', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(4) });
    const cli = start('old', '--to', 'new', '--cidr', '10.2.0.0/16', '--wait');
    await cli.waitFor(
      (t) => t.includes('4 of 4 address(es) left in IPPool(old) 10.1.0.0/16 (n1 2, n2 2)\n'),
      {
        stream: 'stderr',
      },
    );
    await release(backend, 1);
    await cli.waitFor((t) => t.includes('1 of 4 address(es) left in IPPool(old) 10.1.0.0/16 (n1 1)\n'), {
      stream: 'stderr',
    });
    await release(backend, 0);
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(cli.stdout()).toContain(
      `Next: run 'calicoctl-ts ippool migrate old --finish' to delete IPPool(old).`,
    );
    expect(cli.stderr()).not.toContain('\x1b');
  });

  it('--wait-timeout 3s with an address that never goes: exit 6 at the timeout, naming what is left', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(2) });
    const startedAt = Date.now();
    const cli = start(
      'old',
      '--to',
      'new',
      '--cidr',
      '10.2.0.0/16',
      '--wait',
      '--wait-timeout',
      '3s',
      '-o',
      'json',
    );
    // The wait has begun (its clock started before this line) when the first count is out.
    await cli.waitFor(lastLeft(2));
    const seenAt = Date.now();
    const before = await dump(backend);
    const { code, at } = await cli.exited;
    expect(code).toBe(ExitCode.TimedOut);
    // The timeout the wait applied is in its message (below); it cannot have ended before it, and
    // only a timeout not applied (the address is never released) crosses ten times it.
    expect(at - startedAt).toBeGreaterThanOrEqual(3000);
    expect(at - seenAt).toBeLessThan(10 * 3000);
    expect(JSON.parse(cli.stderr())).toEqual({
      error: {
        code: 'WaitTimedOut',
        message:
          'gave up waiting after --wait-timeout 3s: 2 address(es) still held in IPPool(old) 10.1.0.0/16 (n1 1, n2 1)',
        hint: "restart the workloads holding them ('calicoctl-ts ippool migrate old --status' lists them), or wait longer with a larger --wait-timeout",
      },
    });
    expect(await dump(backend)).toEqual(before);
  });

  it('in a terminal: a progress bar on stderr; Ctrl-C stops waiting, exit 130, nothing written', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(4) });
    const cli = startCli(
      ['ippool', 'migrate', 'old', '--to', 'new', '--cidr', '10.2.0.0/16', '--finish', '--wait'],
      backend.env(),
      {
        terminal: true,
      },
    );
    await cli.waitFor((t) => t.includes('[------------------------] 4 of 4 left in IPPool(old)'));
    await release(backend, 2);
    await cli.waitFor((t) => t.includes('[############------------] 2 of 4 left in IPPool(old)'));
    expect(cli.stdout()).toMatch(/ · n1 1, n2 1/);
    const before = await dump(backend);
    cli.type('\x03');
    const { code } = await cli.exited;
    expect(code).toBe(ExitCode.Interrupted);
    expect(await dump(backend)).toEqual(before);
    // Nothing after the bar but its erasure (and the terminal's echo of ^C).
    const tail = cli.stdout().slice(cli.stdout().lastIndexOf('2 of 4 left'));
    expect(tail).not.toContain('Migration of');
    expect(tail).toContain('\r\x1b[K');
  });

  it('bad flags: a clear error, exit 2, nothing written', async () => {
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(2) });
    const before = await dump(backend);
    const cases: [string[], string][] = [
      [['--wait-timeout', '3s'], '--wait-timeout needs --wait'],
      [['--wait', '--dry-run'], '--wait cannot be used with --dry-run'],
      [['--wait', '--wait-timeout', '3x'], "invalid duration for --wait-timeout: '3x'"],
    ];
    for (const [flags, message] of cases) {
      const res = await cli(
        backend,
        'ippool',
        'migrate',
        'old',
        '--to',
        'new',
        '--cidr',
        '10.2.0.0/16',
        ...flags,
      );
      expect(res.code).toBe(ExitCode.BadInput);
      expect(res.stderr.split('\n')[0]).toBe(message);
      expect(res.stderr).toContain('hint: ');
    }
    expect(await dump(backend)).toEqual(before);
  });
});
