/**
 * node status when BIRD or Calico is not there, or something else answers: calicoctl's messages,
 * documented exit codes, never a hang. No BIRD daemon is needed; the sockets here are bad input.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

import { afterAll, describe, expect, test } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir('calicoctl-ts-bird-errors-');
const servers: Server[] = [];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function serve(name: string, reply: (socket: Socket) => void): Promise<string> {
  const path = join(dir, name);
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    reply(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

/** Starts `sleep` under another argv[0], which is all calicoctl's process check looks at. */
function fakeProcess(argv0: string): void {
  children.push(spawn('sleep', ['600'], { argv0, stdio: 'ignore' }));
}

describe('node status without usable BIRD', () => {
  // These run in order: the first needs no calico-felix process, the later ones start one.
  test("no Calico process: calicoctl's message on stderr, exit 1", async () => {
    const { stdout, stderr, code } = await runCli(['node', 'status']);
    expect({ stdout, code }).toEqual({ stdout: '', code: 1 });
    expect(stderr).toMatch(/^Calico process is not running\.\nhint: /);
  });

  test("Calico but no BIRD process: calicoctl's text, exit 0", async () => {
    fakeProcess('calico-felix');
    const { stdout, code } = await runCli(['node', 'status']);
    expect(code).toBe(0);
    expect(stdout).toBe('Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n');
  });

  test('bird runs but no socket at the default paths: the fallback path is named, exit 3', async () => {
    fakeProcess('bird');
    if (existsSync('/var/run/calico/bird.ctl') || existsSync('/var/run/bird/bird.ctl')) return;
    const { stdout, stderr, code } = await runCli(['node', 'status']);
    expect(code).toBe(3);
    expect(stdout).toBe(
      'Calico process is running.\n\nIPv4 BGP status\n' +
        'Error querying BIRD: unable to connect to BIRDv4 socket: dial unix /var/run/bird/bird.ctl: connect: no such file or directory\n' +
        "\nINFO: BIRDv6 process: 'bird6' is not running.\n\n",
    );
    expect(stderr).toMatch(/^hint: /);
  });

  test('a path that is not a socket: refused, exit 3', async () => {
    const file = join(dir, 'regular.ctl');
    writeFileSync(file, 'not a socket');
    const { stdout, code } = await runCli(['node', 'status', '--socket', file]);
    expect(code).toBe(3);
    expect(stdout).toContain(
      `Error querying BIRD: unable to connect to BIRDv4 socket: dial unix ${file}: connect: connection refused\n`,
    );
  });

  test('a silent socket: ends at --timeout, exit 3, naming the path', async () => {
    const path = await serve('silent.ctl', () => {});
    const started = Date.now();
    const { stdout, stderr, code } = await runCli(
      ['node', 'status', '--socket', path, '--timeout', '500ms'],
      {
        killAfterMs: 10_000,
      },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect({ stdout, code }).toEqual({ stdout: '', code: 3 });
    expect(stderr).toBe(
      `error executing command: read unix @->${path}: i/o timeout\nhint: BIRD at ${path} sent nothing for 500 ms; check the daemon or raise --timeout\n`,
    );
  });

  test("garbage and non-BIRD greetings: calicoctl's message, exit 1, no stack trace", async () => {
    const http = await serve('http.ctl', (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const other = await serve('other.ctl', (s) => s.write('0001 Welcome to something else\n'));
    for (const path of [http, other]) {
      const { stdout, stderr, code } = await runCli(['node', 'status', '--socket', path]);
      expect({ stdout, code }).toEqual({ stdout: '', code: 1 });
      expect(stderr.split('\n')[0]).toBe('error executing command: unexpected output line from BIRD');
      expect(stderr).toContain(path);
      expect(stderr).not.toContain('    at ');
    }
  });

  test('a reply cut off mid-line: exit 1', async () => {
    const path = await serve('cut.ctl', (s) =>
      s.end(
        '0001 BIRD 1.6.8 ready.\n2002-name     proto    table    state  since       info\n1002-Mesh_10_2',
      ),
    );
    const { stderr, code } = await runCli(['node', 'status', '--socket', path, '-o', 'json']);
    expect(code).toBe(1);
    expect(JSON.parse(stderr).error).toMatchObject({
      code: 'BirdUnusableReply',
      message: `error executing command: BIRD at ${path} closed the connection before the end of its reply`,
    });
  });

  test('an error reply from BIRD and an unknown table heading', async () => {
    const err = await serve('err.ctl', (s) => s.end('0001 BIRD 1.6.8 ready.\n9001 syntax error\n'));
    const odd = await serve('odd.ctl', (s) =>
      s.end('0001 BIRD 3.9 ready.\n2002-Name Proto Table State Since Info Extra\n0000 \n'),
    );
    const a = await runCli(['node', 'status', '--socket', err]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(
      /^error executing command: unexpected output line from BIRD\nhint: .*"9001 syntax error"/,
    );
    const b = await runCli(['node', 'status', '--socket', odd]);
    expect(b.code).toBe(1);
    expect(b.stderr.split('\n')[0]).toBe('error executing command: unknown BIRD table output format');
  });

  test("rows whose names are not Calico's are skipped as calicoctl skips them", async () => {
    const path = await serve('names.ctl', (s) =>
      s.end(
        '0001 BIRD 1.6.8 ready.\n2002-name     proto    table    state  since       info\n' +
          '1002-bgp1     BGP      master   up     10:00:00    Established   \n' +
          ' Local_Workload_10_0_0_9 BGP      master   up     10:00:00    Established   \n' +
          ' Mesh_10_0_0_2 BGP      master   up     10:00:00    Established   \n0000 \n',
      ),
    );
    const { stdout, code } = await runCli(['node', 'status', '--socket', path]);
    expect(code).toBe(0);
    expect(stdout).toContain('| 10.0.0.2     | node-to-node mesh | up    | 10:00:00 | Established |\n');
    expect(stdout).not.toContain('bgp1');
  });

  test('--watch needs a terminal', async () => {
    const { stderr, code } = await runCli(['node', 'status', '--watch', '--socket', '/nonexistent.ctl']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('--watch needs a terminal, but stdout is not one');
  });
});
