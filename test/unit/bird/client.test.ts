/**
 * The socket client against local unix-socket servers that replay captured BIRD bytes or misbehave
 * on purpose (bad input). Real BIRD daemons are exercised in test/integration/bird.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

import { afterAll, describe, expect, test } from 'vitest';

import { queryBird, SOCKET_UNREACHABLE } from '../../../src/bird/client.js';
import { parseProtocolTable } from '../../../src/bird/protocols.js';
import { isCalicoError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp.js';
import { fixture } from './fixtures.js';

const dir = tempDir('calicoctl-ts-bird-client-');
const servers: Server[] = [];
let counter = 0;

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A server at a fresh path; onConnection gets the socket and the bytes the client sent. */
async function serve(onConnection: (socket: Socket, received: () => string) => void): Promise<string> {
  const path = join(dir, `s${++counter}.ctl`);
  const server = createServer((socket) => {
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('error', () => {});
    onConnection(socket, () => got);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; exitCode: number; message: string; hint?: string }> {
  try {
    await promise;
  } catch (err) {
    if (isCalicoError(err))
      return { code: err.code, exitCode: err.exitCode, message: err.message, hint: err.hint };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('queryBird', () => {
  test('replays a real reply written in small pieces with pauses: reassembled by line', async () => {
    const data = fixture('bird2-show-protocols.txt');
    const path = await serve((socket) => {
      let i = 0;
      const tick = setInterval(() => {
        socket.write(data.subarray(i, i + 7));
        i += 7;
        if (i >= data.length) clearInterval(tick);
      }, 1);
    });
    const answer = await queryBird(path, 'show protocols', 2000);
    expect(answer.version).toBe('2.0.12');
    expect(parseProtocolTable(answer.reply).rows.map((r) => r.name)).toContain('Node_10_213_0_17_port_1790');
  });

  test('sends exactly one line and ignores what follows the reply', async () => {
    let received = (): string => '';
    const path = await serve((socket, got) => {
      received = got;
      socket.write('0001 BIRD 1.6.8 ready.\n');
      socket.once('data', () =>
        socket.write('2002-name proto table state since info\n0000 \n+late message\n'),
      );
    });
    const answer = await queryBird(path, 'show protocols all', 2000);
    expect(answer.reply.finalCode).toBe(0);
    expect(received()).toBe('show protocols all\n');
  });

  test.each([
    ['missing', (p: string) => join(p, 'missing.ctl'), 'no such file or directory'],
    [
      'a regular file',
      (p: string) => (writeFileSync(join(p, 'file.ctl'), ''), join(p, 'file.ctl')),
      'connection refused',
    ],
    ['a directory', (p: string) => (mkdirSync(join(p, 'dir.ctl')), join(p, 'dir.ctl')), 'connection refused'],
    ['a path of 108 bytes or more', (p: string) => join(p, 'x'.repeat(120)), 'invalid argument'],
  ])("%s: Go's dial error naming the path, exit 3", async (_what, make, text) => {
    const path = make(dir);
    const err = await failure(queryBird(path, 'show protocols', 2000));
    expect(err).toMatchObject({
      code: SOCKET_UNREACHABLE,
      exitCode: 3,
      message: `dial unix ${path}: connect: ${text}`,
    });
  });

  test('a silent socket ends at the deadline, exit 3', async () => {
    const path = await serve(() => {});
    const started = Date.now();
    const err = await failure(queryBird(path, 'show protocols', 300));
    // Only a deadline not applied (the socket never answers) crosses ten times it.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(10 * 300);
    expect(err).toMatchObject({
      code: 'BirdTimeout',
      exitCode: 3,
      message: `error executing command: read unix @->${path}: i/o timeout`,
    });
  });

  test('a reply that stops mid-way without closing ends at the per-line deadline', async () => {
    const path = await serve((socket) =>
      socket.write('0001 BIRD 1.6.8 ready.\n2002-name proto table state since info\n1002-static1'),
    );
    expect((await failure(queryBird(path, 'show protocols', 300))).code).toBe('BirdTimeout');
  });

  test('a reply cut off mid-line by a closed connection: unusable, exit 1', async () => {
    const path = await serve((socket) =>
      socket.end('0001 BIRD 1.6.8 ready.\n2002-name proto table state since info\n1002-sta'),
    );
    const err = await failure(queryBird(path, 'show protocols', 2000));
    expect(err).toMatchObject({ code: 'BirdUnusableReply', exitCode: 1, hint: 'the last line was cut off' });
    expect(err.message).toContain(path);
  });

  test("garbage instead of BIRD: calicoctl's message, the line and the path in the hint, exit 1", async () => {
    const path = await serve((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const err = await failure(queryBird(path, 'show protocols', 2000));
    expect(err).toMatchObject({
      exitCode: 1,
      message: 'error executing command: unexpected output line from BIRD',
    });
    expect(err.hint).toContain(path);
    expect(err.hint).toContain('"HTTP/1.1 400 Bad Request"');
  });

  test('a greeting from something else than BIRD is refused', async () => {
    const path = await serve((socket) => socket.write('0001 Welcome to FooD.\n0000 \n'));
    const err = await failure(queryBird(path, 'show protocols', 2000));
    expect(err.message).toBe('error executing command: unexpected output line from BIRD');
    expect(err.hint).toContain('expected the greeting "0001 BIRD <version> ready."');
  });

  test('endless bytes without a newline are refused, not buffered', async () => {
    const path = await serve((socket) => socket.write(Buffer.alloc(70_000, 0x41)));
    expect((await failure(queryBird(path, 'show protocols', 2000))).code).toBe('BirdUnusableReply');
  });

  test('a connection closed after the greeting: unusable, exit 1', async () => {
    const path = await serve((socket) => socket.end('0001 BIRD 1.6.8 ready.\n'));
    const err = await failure(queryBird(path, 'show protocols', 2000));
    expect(err).toMatchObject({ code: 'BirdUnusableReply', exitCode: 1 });
    expect(err.message).toBe(
      `error executing command: BIRD at ${path} closed the connection before the end of its reply`,
    );
  });

  test('a command that BIRD would drop (1024 bytes or more) is never sent', async () => {
    const err = await failure(queryBird(join(dir, 'unused.ctl'), 'x'.repeat(1100), 2000));
    expect(err.exitCode).toBe(1);
  });
});
