/**
 * What only the embedded store must show: many OS processes sharing it without lost updates, file
 * modes, no files from reads, clear errors for paths that are not stores, a bounded wait on a locked
 * store, and 10,000 IPAM-sized values (how fast they are read is the benchmark's, bench/; kills in
 * the middle of writes are test/reliability/crash.test.ts's).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { InputError, UnreachableError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp.js';
import { bundleWorker } from '../../reliability/workers/bundle.js';

const open = (path: string, timeoutMs = 5000) =>
  openEmbeddedBackend({ path, source: 'test', timeoutMs }).then(createDatastore);

let worker: string;
let dir: string;

beforeAll(async () => {
  dir = tempDir('calicoctl-ts-embedded-');
  worker = await bundleWorker('test/integration/datastore/workers/kv-worker.ts');
});

function runWorker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('embedded store shared by processes', () => {
  it('8 processes x 25 compare-and-swap increments on one key, starting from no store: exactly 200', async () => {
    const path = join(dir, 'cas', 'nested', 'store.db');
    const key = '/calico/test/counter';
    const runs = await Promise.all(Array.from({ length: 8 }, () => runWorker([path, key, '25'])));
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0 });
    const ds = await open(path);
    try {
      const kv = await ds.get(key);
      expect(kv?.value).toBe('200');
      expect(kv?.version).toBe(200);
      expect(await ds.currentRevision()).toBe(200);
    } finally {
      await ds.close();
    }
  });
});

describe('embedded store files', () => {
  it('reads of a missing store see nothing at revision 0 and create no file', async () => {
    const parent = join(dir, 'untouched');
    const path = join(parent, 'deeper', 'store.db');
    const ds = await open(path);
    try {
      expect(await ds.get('/calico/x')).toBeUndefined();
      expect(await ds.count('/calico/')).toBe(0);
      expect(await ds.currentRevision()).toBe(0);
      const stream = await ds.list('/calico/');
      expect(stream.revision).toBe(0);
      for await (const kv of stream) throw new Error(`unexpected ${kv.key}`);
      expect(await ds.delete('/calico/x')).toEqual({ ok: false, reason: 'missing' });
      expect(await ds.update('/calico/x', 'v', 3)).toEqual({ ok: false, reason: 'missing' });
      expect(existsSync(parent)).toBe(false);
    } finally {
      await ds.close();
    }
  });

  it('the first write creates the directory 0700 and the files 0600', async () => {
    const path = join(dir, 'modes', 'store.db');
    const previous = process.umask(0o022);
    const ds = await open(path);
    try {
      expect(existsSync(path)).toBe(false);
      expect((await ds.create('/calico/x', 'v')).ok).toBe(true);
      const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
      expect(mode(join(dir, 'modes'))).toBe('700');
      expect(readdirSync(join(dir, 'modes')).sort()).toEqual(['store.db', 'store.db-shm', 'store.db-wal']);
      for (const f of ['store.db', 'store.db-shm', 'store.db-wal'])
        expect(mode(join(dir, 'modes', f))).toBe('600');
    } finally {
      process.umask(previous);
      await ds.close();
    }
  });

  it('refuses paths that are not stores, naming them', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(
      text,
      'this is not a database, just some text that is long enough to have a header\n'.repeat(20),
    );
    const notDb = await open(text).catch((e: unknown) => e);
    expect(notDb).toBeInstanceOf(InputError);
    expect((notDb as Error).message).toBe(
      `${text} is not a calicoctl-ts embedded datastore: file is not a database`,
    );

    const folder = join(dir, 'a-directory');
    mkdirSync(folder);
    await expect(open(folder)).rejects.toThrow(`embedded datastore ${folder} is not a regular file`);

    const foreign = join(dir, 'other.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const err = await open(foreign).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${foreign} is not a calicoctl-ts embedded datastore`);

    const underFile = join(text, 'store.db');
    await expect(open(underFile)).rejects.toThrow(
      `embedded datastore ${underFile}: a part of the path is not a directory`,
    );
  });

  it('an empty file (a store killed while being created) is initialised on first use', async () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    const ds = await open(path);
    try {
      expect((await ds.create('/calico/x', 'v')).ok).toBe(true);
      expect((await ds.get('/calico/x'))?.value).toBe('v');
    } finally {
      await ds.close();
    }
  });

  it('a store locked by another process for longer than the timeout fails naming the path', async () => {
    const path = join(dir, 'locked.db');
    const ds = await open(path, 300);
    await ds.create('/calico/x', 'v');
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const err = await ds.create('/calico/y', 'w').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as Error).message).toBe(
        `embedded datastore ${path} is locked by another process: gave up after 300 ms`,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      // Readers are not blocked by a writer.
      expect((await ds.get('/calico/x'))?.value).toBe('v');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      await ds.close();
    }
  });
});

describe('embedded store size', () => {
  it('holds 10,000 IPAM-block-sized values (about 90 MB), streams them back, and rewrites one in place', async () => {
    const path = join(dir, 'big', 'store.db');
    const ds = await open(path);
    const prefix = '/calico/ipam/v2/assignment/ipv4/block/';
    const value = (i: number): string =>
      JSON.stringify({
        cidr: `10.${i >> 8}.${i & 255}.0/26`,
        seq: '18446744073709551615',
        pad: 'a'.repeat(9000),
      });
    try {
      for (let batch = 0; batch < 10; batch++) {
        const success = Array.from({ length: 1000 }, (_, j) => {
          const i = batch * 1000 + j;
          return { type: 'put' as const, key: `${prefix}10.${i >> 8}.${i & 255}.0-26`, value: value(i) };
        });
        expect((await ds.txn({ compare: [], success })).succeeded).toBe(true);
      }
      expect(statSync(path).size).toBeGreaterThan(90_000_000);

      let count = 0;
      let bytes = 0;
      const stream = await ds.list(prefix);
      for await (const kv of stream) {
        count++;
        bytes += kv.value.length;
      }
      expect(count).toBe(10_000);
      expect(bytes).toBeGreaterThan(90_000_000);

      // One more write touches a few pages, not the whole file: with the WAL emptied first, the
      // frames in it afterwards are the pages that write wrote (the file has about 22,000).
      const wal = new Database(path);
      try {
        wal.pragma('wal_checkpoint(TRUNCATE)');
        const one = await ds.get(`${prefix}10.0.7.0-26`);
        expect((await ds.update(one!.key, value(1), one!.modRevision)).ok).toBe(true);
        const [{ log }] = wal.pragma('wal_checkpoint(PASSIVE)') as [{ log: number }];
        expect(log).toBeGreaterThan(0);
        expect(log).toBeLessThan(50);
      } finally {
        wal.close();
      }
      expect(await ds.count(prefix)).toBe(10_000);
    } finally {
      await ds.close();
    }
  });
});
