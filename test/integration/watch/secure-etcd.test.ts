/**
 * The watch on an etcd that wants TLS, a client certificate and a password user: `ipam show --watch
 * -o json` gets its changes through the same credentials as every other call, with nothing on stderr
 * (no DeprecationWarning for an IP address as TLS server name either).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { poolKey, seed, type Backend } from '../pools/harness.js';
import { BLOCK_KEY, heldBlock, OLD, release } from './blocks.js';
import { jsonLines, startCli } from './running-cli.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd({
    tls: true,
    clientCertAuth: true,
    auth: { user: 'calico', password: 'calico-pw' },
  });
}, 60_000);
afterAll(() => etcd.stop());

describe('ipam show --watch on etcd with TLS, a client certificate and a password', () => {
  it('follows the changes with the configured credentials', async () => {
    const backend: Backend = { name: 'etcd', env: () => etcd.env };
    await seed(backend, { [poolKey('old')]: OLD, [BLOCK_KEY]: heldBlock(4) });
    const running = startCli(['ipam', 'show', '--watch', '-o', 'json'], etcd.env);
    const inUse = (n: number) => (t: string) =>
      jsonLines(t).some((d) => (d.pools as { inUse: number }[])[0]?.inUse === n);
    await running.waitFor(inUse(4));
    await release(backend, 1);
    await running.waitFor(inUse(1));
    running.interrupt();
    expect((await running.exited).code).toBe(0);
    expect(running.stderr()).toBe('');
  });
});
