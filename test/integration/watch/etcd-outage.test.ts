/**
 * A wait on etcd through the loss of its connection: cut (a TCP proxy between the CLI and etcd
 * stops), compacted meanwhile, restored: the watch is resumed from a fresh read; and etcd stopped
 * for good: exit 3 once the documented bound (6 x --timeout) has passed.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { OUTAGE_TIMEOUTS } from '../../../src/cli/datastore-session.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { poolKey, seed, withDs, type Backend } from '../pools/harness.js';
import { BLOCK_KEY, heldBlock, OLD, release } from './blocks.js';
import { jsonLines, startCli } from './running-cli.js';

/** Forwards 127.0.0.1:port to etcd; cut() drops every connection and refuses new ones until restore(). */
interface Proxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

async function startProxy(target: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.on('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  const port = await listen(0);
  return {
    port,
    cut: async () => {
      const closed = new Promise((resolve) => server!.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: async () => {
      await listen(port);
    },
  };
}

let etcd: EtcdServer;
let proxy: Proxy;
beforeAll(async () => {
  etcd = await startEtcd();
  proxy = await startProxy(new URL(etcd.endpoint));
}, 30_000);
afterAll(async () => {
  await proxy.cut();
  await etcd.stop();
});

const direct: Backend = { name: 'etcd', env: () => etcd.env };
const viaProxy = () => ({ ...etcd.env, ETCD_ENDPOINTS: `http://127.0.0.1:${proxy.port}` });
const left = (n: number) => (text: string) => jsonLines(text).some((l) => l.left === n);

describe('ippool migrate --wait when etcd goes away', () => {
  it('a compaction while the connection was lost: the watch resumes from a fresh read', async () => {
    await seed(direct, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(6) });
    const cli = startCli(
      ['ippool', 'migrate', 'old', '--to', 'new', '--cidr', '10.2.0.0/16', '--wait', '-o', 'json'],
      viaProxy(),
    );
    await cli.waitFor(left(6));
    await proxy.cut();
    await release(direct, 3);
    await release(direct, 2);
    const revision = await withDs(direct, (ds) => ds.currentRevision());
    await etcd.etcdctl(['compact', String(revision)]);
    await proxy.restore();
    await cli.waitFor(left(2));
    await release(direct, 0);
    const { code } = await cli.exited;
    expect(cli.stderr()).toBe('');
    expect(code).toBe(0);
    // The changes lost to the compaction are not replayed: the fresh read counts 2.
    expect(
      jsonLines(cli.stdout())
        .slice(0, -1)
        .map((l) => l.left),
    ).toEqual([6, 2, 0]);
    expect(jsonLines(cli.stdout()).at(-1)).toMatchObject({ outcome: 'readyToFinish' });
  });

  it('etcd stopped during the wait: exit 3 once it stayed away for 6 x --timeout', async () => {
    await seed(direct, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(2) });
    const cli = startCli(
      ['ippool', 'migrate', 'old', '--to', 'new', '--cidr', '10.2.0.0/16', '--wait', '--timeout', '1s'],
      etcd.env,
    );
    await cli.waitFor((t) => t.includes('2 of 2 address(es) left'), { stream: 'stderr' });
    const stoppedAt = Date.now();
    await etcd.stop();
    const { code, at } = await cli.exited;
    expect(code).toBe(ExitCode.Unreachable);
    const bound = OUTAGE_TIMEOUTS * 1000;
    expect(at - stoppedAt).toBeGreaterThanOrEqual(bound - 500);
    // The message below names the outage it allowed; only a watch that never gives up crosses
    // three times it.
    expect(at - stoppedAt).toBeLessThan(3 * bound);
    expect(cli.stderr()).toContain(
      `cannot reach etcd at ${etcd.endpoint} (from environment): the watch stayed disconnected for over ${bound} ms`,
    );
    expect(cli.stderr()).toContain(
      'hint: check that etcd is running and reachable, then run the command again',
    );
  });
});
