/**
 * A streamed page whose connection breaks halfway: the etcd backend goes on from the last key it
 * handed over, at the same revision, through its other connection, so a scan still sees every key
 * exactly once. The break is real: a TCP proxy in front of a real etcd cuts the first connection
 * that carries a megabyte (the streaming one: a scan streams from its first page on), once. A page
 * sent ahead of its turn on that connection fails with it, and goes on the same way on its turn.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/load.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEtcdBackend } from '../../../src/datastore/etcd/backend.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

let etcd: EtcdServer;
let proxy: Server;
let proxyPort = 0;
let connections = 0;
let cut = false;
const sockets = new Set<Socket>();
/** The streaming connection is cut once it has carried this much (once per test). */
let cutAfter = 1024 * 1024;
/** Instead of being cut, the connection stops carrying etcd's bytes (a hung member). */
let stall = false;

beforeAll(async () => {
  etcd = await startEtcd();
  const target = new URL(etcd.endpoint);
  proxy = createServer((client) => {
    connections++;
    const server = connect(Number(target.port), target.hostname);
    sockets.add(client).add(server);
    client.pipe(server);
    let forwarded = 0;
    server.on('data', (chunk: Buffer) => {
      forwarded += chunk.length;
      if (cut && stall && forwarded > cutAfter) return;
      if (!cut && forwarded > cutAfter) {
        cut = true;
        if (stall) return;
        client.destroy();
        server.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await etcd?.stop();
});

/** A datastore on etcd through the proxy, its --debug lines collected in trace. */
async function throughProxy(timeoutMs: number, trace: string[]): Promise<Datastore> {
  const env = { ...etcd.env, ETCD_ENDPOINTS: `http://127.0.0.1:${proxyPort}` };
  return createDatastore(
    await openEtcdBackend(loadClientConfig({ env }).etcd!, {
      timeoutMs,
      source: 'test',
      trace: (line) => trace.push(line),
    }),
  );
}

/** count keys under prefix, each value its key, ':' and valueBytes more; their names. */
async function writeKeys(prefix: string, count: number, valueBytes: number): Promise<string[]> {
  const direct = createDatastore(
    await openEtcdBackend(loadClientConfig({ env: etcd.env }).etcd!, { timeoutMs: 5000, source: 'test' }),
  );
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
  for (let i = 0; i < keys.length; i += 50) {
    const success = keys
      .slice(i, i + 50)
      .map((key) => ({ type: 'put' as const, key, value: `${key}:${'x'.repeat(valueBytes)}` }));
    await direct.txn({ compare: [], success });
  }
  await direct.close();
  return keys;
}

describe('a streamed scan whose connection breaks', () => {
  it('goes on from the last key handed over: every key once, in order', async () => {
    const prefix = '/calico/fallback/';
    const keys = await writeKeys(prefix, 900, 8000);

    const env = { ...etcd.env, ETCD_ENDPOINTS: `http://127.0.0.1:${proxyPort}` };
    const ds = createDatastore(
      await openEtcdBackend(loadClientConfig({ env }).etcd!, { timeoutMs: 5000, source: 'test' }),
    );
    try {
      const { results } = await ds.scan(prefix, (kv) =>
        kv.value.startsWith(`${kv.key}:`) ? kv.key : 'bad value',
      );
      expect(cut).toBe(true);
      expect(connections).toBe(2);
      expect(results).toEqual(keys);
    } finally {
      await ds.close();
    }
  });

  it('a page sent ahead on the broken connection is read on its turn: every key once, in order', async () => {
    const prefix = '/calico/prefetched/';
    // 8,000 keys of 1 KB: pages of 2,000 keys, about 2 MB.
    const keys = await writeKeys(prefix, 8000, 1000);

    // Pages of 2,000 keys (2 MB): the cut falls in the second, while the third is sent ahead.
    cut = false;
    cutAfter = 3 * 1024 * 1024;
    connections = 0;
    const trace: string[] = [];
    const ds = await throughProxy(5000, trace);
    try {
      const { results } = await ds.scan(prefix, (kv) =>
        kv.value.startsWith(`${kv.key}:`) ? kv.key : 'bad value',
      );
      expect(cut).toBe(true);
      expect(results).toEqual(keys);
      // The page sent ahead failed with the connection, and went on only once the page before it
      // (read the usual way after the cut) was done.
      const failed = trace.findIndex((line) => /\(sent ahead\) at .*: .*closed/.test(line));
      expect(failed).toBeGreaterThan(0);
      const start = /Range \[([^,]+),/.exec(trace[failed]!)![1]!;
      expect(trace[failed - 1]).toContain(`, "${start}") (limit`);
      expect(trace[failed - 1]).toMatch(/\(streamed\) at .*: ok in/);
    } finally {
      await ds.close();
    }
  });

  it("a page sent ahead whose member hangs on its turn fails within the call's time, counted from its turn", async () => {
    // Pages of 2.06 MB, 1.84 MB, then the page sent ahead, in which etcd's bytes stop arriving.
    const prefix = '/calico/hung/';
    await writeKeys(prefix, 8000, 1000);
    cut = false;
    stall = true;
    cutAfter = 4.5 * 1024 * 1024;
    const trace: string[] = [];
    const ds = await throughProxy(1000, trace);
    try {
      // The stall is once only: a second attempt, on a budget of its own, would have succeeded.
      await expect(ds.scan(prefix, () => undefined)).rejects.toThrow(/no answer within 1s/);
      expect(cut).toBe(true);
      expect(trace.some((line) => /\(sent ahead\) at .*DEADLINE_EXCEEDED/.test(line))).toBe(true);
    } finally {
      stall = false;
      await ds.close();
    }
  });
});
