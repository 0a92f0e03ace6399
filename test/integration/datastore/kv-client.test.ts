/**
 * The lean etcd client (src/datastore/etcd/kv-client.ts) against a real etcd with TLS, client
 * certificates and a password user: what its reads and transactions return, how it fails, and that
 * commands that read and write get their whole answer through it without loading etcd3/gRPC.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { prefixEnd } from '../../../src/datastore/contract.js';
import {
  openKvClient,
  CallDeadlineError,
  type KvClientOptions,
} from '../../../src/datastore/etcd/kv-client.js';
import { runCli } from '../../helpers/cli.js';
import { startSilentServer, type SilentServer } from '../../helpers/silent-server.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { ALL_KEYS, EXPECTED_SHOW, EXPECTED_SHOW_BLOCKS } from '../../unit/ipam/fixtures.js';

let etcd: EtcdServer;
const readFile = (path: string) => import('node:fs').then((fs) => fs.readFileSync(path));

async function readerOptions(overrides: Partial<KvClientOptions> = {}): Promise<KvClientOptions> {
  const certs = etcd.certs!;
  return {
    endpoint: etcd.endpoint,
    tls: {
      ca: await readFile(certs.caFile),
      cert: await readFile(certs.certFile),
      key: await readFile(certs.keyFile),
    },
    auth: { username: 'calico', password: 'calico-pw' },
    ...overrides,
  };
}

const range = (key: string, extra: Record<string, unknown> = {}) => ({ key, ...extra });
const bytes = (s: string) => Buffer.from(s, 'utf8');
const endBytes = (prefix: string) => Buffer.from(prefixEnd(prefix), 'latin1');

beforeAll(async () => {
  etcd = await startEtcd({
    tls: true,
    clientCertAuth: true,
    auth: { user: 'calico', password: 'calico-pw' },
  });
  for (const [key, value] of Object.entries(ALL_KEYS)) await etcd.etcdctl(['put', key, value]);
  for (const k of ['a', 'b', 'c']) await etcd.etcdctl(['put', `/calico/rr/${k}`, `v-${k}`]);
  await etcd.etcdctl(['put', '/calico/rr/a', 'héllo ✓']);
}, 60_000);

afterAll(async () => etcd?.stop());

describe('the lean client over TLS with a client certificate and a password user', () => {
  it('reads keys, values, revisions and versions as etcd stores them', async () => {
    const reader = openKvClient(await readerOptions());
    try {
      const one = await reader.range(range('/calico/rr/a'), bytes('/calico/rr/a'), undefined, 5000);
      expect(one.kvs).toHaveLength(1);
      const kv = one.kvs[0]!;
      expect(kv).toMatchObject({ key: '/calico/rr/a', value: 'héllo ✓', version: 2 });
      expect(kv.modRevision).toBeGreaterThan(kv.createRevision);
      expect(one.revision).toBeGreaterThanOrEqual(kv.modRevision);
      expect(one).toMatchObject({ count: 1, more: false });

      const page = await reader.range(
        range('/calico/rr/', { limit: 2 }),
        bytes('/calico/rr/'),
        endBytes('/calico/rr/'),
        5000,
      );
      expect(page.kvs.map((k) => [k.key, k.value])).toEqual([
        ['/calico/rr/a', 'héllo ✓'],
        ['/calico/rr/b', 'v-b'],
      ]);
      expect(page).toMatchObject({ more: true, count: 3 });

      // Pinned to the revision before the update: the old value.
      const old = await reader.range(
        range('/calico/rr/a', { revision: kv.createRevision }),
        bytes('/calico/rr/a'),
        undefined,
        5000,
      );
      expect(old.kvs[0]?.value).toBe('v-a');

      const keys = await reader.range(
        range('/calico/rr/', { keysOnly: true }),
        bytes('/calico/rr/'),
        endBytes('/calico/rr/'),
        5000,
      );
      expect(keys.kvs.map((k) => [k.key, k.value])).toEqual([
        ['/calico/rr/a', ''],
        ['/calico/rr/b', ''],
        ['/calico/rr/c', ''],
      ]);
      const count = await reader.range(
        range('/calico/rr/', { countOnly: true }),
        bytes('/calico/rr/'),
        endBytes('/calico/rr/'),
        5000,
      );
      expect(count).toMatchObject({ kvs: [], count: 3 });
      const missing = await reader.range(range('/calico/rr/zz'), bytes('/calico/rr/zz'), undefined, 5000);
      expect(missing).toMatchObject({ kvs: [], count: 0, more: false });
    } finally {
      reader.close();
    }
  });

  it('runs transactions as etcd does: compares, the branch taken, puts, range deletes and reads (txn)', async () => {
    const client = openKvClient(await readerOptions());
    const get = async (key: string) => (await client.range(range(key), bytes(key), undefined, 5000)).kvs[0];
    try {
      const big = 'ü'.repeat(600_000); // 1.2 MB of UTF-8: several HTTP/2 frames and flow-control windows
      const created = await client.txn(
        {
          compare: [{ key: '/calico/tx/a', target: 'version', op: '==', value: 0 }],
          success: [
            { type: 'put', key: '/calico/tx/a', value: 'one ✓' },
            { type: 'put', key: '/calico/tx/b', value: big },
            { type: 'put', key: '/calico/tx/c', value: '' },
          ],
          failure: [{ type: 'get', key: '/calico/tx/a' }],
        },
        5000,
      );
      expect(created).toEqual({
        succeeded: true,
        revision: created.revision,
        results: [{ type: 'put' }, { type: 'put' }, { type: 'put' }],
      });
      const a = await get('/calico/tx/a');
      expect(a).toMatchObject({ value: 'one ✓', version: 1, modRevision: created.revision });
      expect((await get('/calico/tx/b'))?.value).toBe(big);

      // The compare fails: the failure branch runs and its read comes back.
      const again = await client.txn(
        {
          compare: [{ key: '/calico/tx/a', target: 'version', op: '==', value: 0 }],
          success: [{ type: 'put', key: '/calico/tx/a', value: 'two' }],
          failure: [{ type: 'get', key: '/calico/tx/a' }],
        },
        5000,
      );
      expect(again.succeeded).toBe(false);
      expect(again.revision).toBe(created.revision);
      expect(again.results).toHaveLength(1);
      const read = again.results[0]!;
      expect(read.type === 'get' && read.kvs.map((kv) => ({ ...kv }))).toEqual([{ ...a! }]);

      // Every compare target and operator, then a range delete that reports how many it deleted.
      const checks = await client.txn(
        {
          compare: [
            { key: '/calico/tx/a', target: 'modRevision', op: '==', value: created.revision },
            { key: '/calico/tx/a', target: 'createRevision', op: '<', value: created.revision + 1 },
            { key: '/calico/tx/a', target: 'value', op: '==', value: 'one ✓' },
            { key: '/calico/tx/a', target: 'version', op: '>', value: 0 },
            { key: '/calico/tx/a', target: 'value', op: '!=', value: 'two' },
          ],
          success: [
            { type: 'delete', key: '/calico/tx/', rangeEnd: prefixEnd('/calico/tx/') },
            { type: 'get', key: '/calico/tx/', rangeEnd: prefixEnd('/calico/tx/') },
          ],
        },
        5000,
      );
      expect(checks).toEqual({
        succeeded: true,
        revision: created.revision + 1,
        results: [
          { type: 'delete', deleted: 3 },
          { type: 'get', kvs: [] },
        ],
      });
      const wrong = await client.txn(
        { compare: [{ key: '/calico/tx/a', target: 'value', op: '==', value: 'one ✓' }], success: [] },
        5000,
      );
      expect(wrong).toEqual({ succeeded: false, revision: created.revision + 1, results: [] });
    } finally {
      client.close();
    }
  });

  it('streams what range() returns, key by key, over its own TLS connection (streamRange)', async () => {
    // Pages of values large and small, so that many KeyValues arrive split over reads and frames.
    const prefix = '/calico/stream/';
    const value = (i: number) => (i % 7 === 0 ? `big-${i}-${'é'.repeat(30_000 + i)}` : `v-${i}`);
    for (let i = 0; i < 60; i++)
      await etcd.etcdctl(['put', `${prefix}${String(i).padStart(3, '0')}`, value(i)]);
    const reader = openKvClient(await readerOptions());
    try {
      for (const extra of [{}, { limit: 25 }, { limit: 60 }, { limit: 1 }]) {
        const req = range(prefix, extra);
        const whole = await reader.range(req, bytes(prefix), endBytes(prefix), 5000);
        const seen: string[][] = [];
        const streamed = await reader.streamRange(
          req,
          bytes(prefix),
          endBytes(prefix),
          (kv) => seen.push([kv.key, kv.value, String(kv.modRevision), String(kv.version)]),
          { revision: 0 },
          5000,
        );
        expect(seen).toEqual(
          whole.kvs.map((kv) => [kv.key, kv.value, String(kv.modRevision), String(kv.version)]),
        );
        expect(streamed).toEqual({ ...whole, kvs: [] });
      }
      // Pinned to a revision, as a scan reads its later pages.
      const at = await reader.range(range(prefix, { limit: 1 }), bytes(prefix), endBytes(prefix), 5000);
      const pinned: string[] = [];
      await reader.streamRange(
        range(`${prefix}010`, { revision: at.revision, serializable: true }),
        bytes(`${prefix}010`),
        endBytes(prefix),
        (kv) => pinned.push(kv.key),
        { revision: 0 },
        5000,
      );
      expect(pinned).toHaveLength(50);
      // An etcd error (a future revision) fails the call; the caller falls back to range().
      const err = await reader
        .streamRange(
          range(prefix, { revision: at.revision + 1000 }),
          bytes(prefix),
          endBytes(prefix),
          () => undefined,
          { revision: 0 },
          5000,
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
    } finally {
      reader.close();
    }
  });

  it('fails, without waiting for the deadline, on a wrong password or an untrusted client certificate', async () => {
    const certs = etcd.certs!;
    const cases: Partial<KvClientOptions>[] = [
      { auth: { username: 'calico', password: 'wrong' } },
      {
        tls: {
          ca: await readFile(certs.caFile),
          cert: await readFile(certs.untrustedCertFile),
          key: await readFile(certs.untrustedKeyFile),
        },
      },
      { tls: { ca: await readFile(certs.untrustedCaFile) } },
    ];
    // A deadline far beyond what a handshake takes on a loaded machine, and a bound of half of
    // it, which only waiting for the deadline can cross.
    for (const overrides of cases) {
      const reader = openKvClient(await readerOptions(overrides));
      const started = Date.now();
      const err = await reader
        .range(range('/calico/rr/a'), bytes('/calico/rr/a'), undefined, 40_000)
        .catch((e: unknown) => e);
      reader.close();
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(CallDeadlineError);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });
});

describe("the lean client's deadline", () => {
  let silent: SilentServer;
  beforeAll(async () => void (silent = await startSilentServer()));
  afterAll(() => silent.close());

  it('gives up on a server that accepts and never answers, within the timeout', async () => {
    const reader = openKvClient({ endpoint: `http://127.0.0.1:${silent.port}` });
    // Each call says which deadline it applied, cannot end before it, and only a deadline not
    // applied (the server never answers) crosses ten times it.
    const within = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      const err = await call().catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(CallDeadlineError);
      expect((err as Error).message).toBe('4 DEADLINE_EXCEEDED: Deadline exceeded after 500 ms');
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThan(10 * 500);
    };
    try {
      await within(() => reader.range(range('/x'), bytes('/x'), undefined, 500));
      await within(() =>
        reader.streamRange(range('/x'), bytes('/x'), undefined, () => undefined, { revision: 0 }, 500),
      );
    } finally {
      reader.close();
    }
  });
});

/** etcd's environment, with a probe that prints on exit how many etcd3/gRPC modules were loaded. */
function probedEnv(): Record<string, string> {
  const probe = join(tempDir(), 'probe.cjs');
  writeFileSync(
    probe,
    "process.on('exit', () => { const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(etcd3|@grpc)\\//.test(k)); process.stderr.write('loaded:' + loaded.length + '\\n'); });\n",
  );
  return { ...etcd.env, NODE_OPTIONS: `--require ${probe}` };
}

describe('commands on etcd', () => {
  it('ipam show reads everything through the lean client: right bytes, etcd3 never loaded', async () => {
    const env = probedEnv();
    const show = await runCli(['ipam', 'show'], { env });
    expect(show.stderr).toBe('loaded:0\n');
    expect(show.stdout).toBe(EXPECTED_SHOW);
    const blocks = await runCli(['ipam', 'show', '--show-blocks'], { env });
    expect(blocks.stderr).toBe('loaded:0\n');
    expect(blocks.stdout).toBe(EXPECTED_SHOW_BLOCKS);
  });

  it('datastore import writes every key through the lean client (Txn), etcd3 never loaded', async () => {
    const env = probedEnv();
    const file = join(tempDir(), 'export.jsonl');
    expect((await runCli(['datastore', 'export', '-o', file], { env })).code).toBe(0);
    const imported = await runCli(['datastore', 'import', '-f', file, '--allow-non-empty', '-o', 'json'], {
      env,
    });
    expect(imported.stderr).toBe('loaded:0\n');
    expect(imported.code).toBe(0);
    const summary = JSON.parse(imported.stdout) as {
      keys: number;
      targetKeysBefore: number;
      revision: number;
    };
    expect(summary.keys).toBe(summary.targetKeysBefore);
    const after = join(tempDir(), 'after.jsonl');
    expect((await runCli(['datastore', 'export', '-o', after], { env })).code).toBe(0);
    const body = (path: string) => readFileSync(path, 'utf8').split('\n').slice(1).join('\n');
    expect(body(after)).toBe(body(file));
  });
});
