/**
 * Issue 8's check, now: 20 `ipam assign` processes at once on etcd and on the embedded store hand
 * out no address twice, and every handle counts exactly the addresses its blocks give it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { blockHoldings } from '../../helpers/ipam-blocks.js';
import { POOL_PREFIX, poolValue } from '../../unit/ipam/fixtures.js';
import { startEmbeddedBackend, startEtcdBackend, type Backend } from './backends.js';

describe.each([
  ['etcd', startEtcdBackend],
  ['embedded', async () => startEmbeddedBackend()],
])('20 concurrent ipam assign processes on %s', (_name, start) => {
  let be: Backend;
  beforeAll(async () => {
    be = await start();
    await be.put(POOL_PREFIX + 'pool', poolValue('pool', '10.50.0.0/22', 27));
  });
  afterAll(async () => be?.stop());

  it('hand out no address twice and count every handle', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runCli(
          [
            'ipam',
            'assign',
            '--node',
            `node${i % 4}`,
            '--num',
            '5',
            '--handle',
            `h${i}`,
            '-o',
            'json',
            '--timeout',
            '30s',
          ],
          { env: be.env },
        ),
      ),
    );
    const all: string[] = [];
    for (const [i, r] of runs.entries()) {
      expect(r.stderr, `process ${i}`).toBe('');
      expect(r.code).toBe(0);
      const data = JSON.parse(r.stdout) as { addresses: string[] };
      expect(data.addresses).toHaveLength(5);
      all.push(...data.addresses);
    }
    expect(new Set(all).size).toBe(100);

    // Every handle's counts match the block allocations that carry it.
    const blocks = await be.dump('/calico/ipam/v2/assignment/');
    const perHandle = blockHoldings(Object.values(blocks));
    const allocated = [...perHandle.values()].reduce((n, held) => n + held.addresses.size, 0);
    expect(allocated).toBe(100);
    const handles = await be.dump('/calico/ipam/v2/handle/');
    expect(Object.keys(handles)).toHaveLength(20);
    for (const [h, { counts }] of perHandle) {
      expect(JSON.parse(handles[`/calico/ipam/v2/handle/${h}`]!)).toEqual({ block: counts, deleted: false });
    }
  }, 60_000);
});
