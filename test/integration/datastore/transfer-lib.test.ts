/** The export writer itself: exact header and lines, and atomic replacement of the output file. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Datastore } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { exportTo, exportToFile, importFrom } from '../../../src/datastore/transfer.js';
import { ConflictError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp.js';

async function store(dir: string): Promise<Datastore> {
  const ds = createDatastore(
    await openEmbeddedBackend({ path: join(dir, 's.db'), source: 't', timeoutMs: 1000 }),
  );
  await ds.txn({
    compare: [],
    success: [
      { type: 'put', key: '/calico/b', value: '{"n":18446744073709551615}' },
      { type: 'put', key: '/calico/a', value: 'é "quoted"\n' },
      { type: 'put', key: '/other/c', value: 'not exported' },
    ],
  });
  return ds;
}

describe('exportTo', () => {
  it('writes the header and one line per /calico/ key in key order', async () => {
    const ds = await store(tempDir());
    let text = '';
    const summary = await exportTo(ds, (chunk) => void (text += chunk.toString('utf8')), {
      file: '-',
      now: new Date('2026-06-01T10:00:00.123Z'),
    });
    expect(text).toBe(
      '{"kind":"CalicoctlTsDatastoreExport","version":1,"source":"embedded","revision":1,"exportedAt":"2026-06-01T10:00:00Z"}\n' +
        '{"key":"/calico/a","value":"é \\"quoted\\"\\n"}\n' +
        '{"key":"/calico/b","value":"{\\"n\\":18446744073709551615}"}\n',
    );
    expect(summary).toMatchObject({ keys: 2, revision: 1, bytes: Buffer.byteLength(text) });
    await ds.close();
  });

  it('leaves an existing output file untouched and no temporary file when the export fails', async () => {
    const dir = tempDir();
    const ds = await store(dir);
    const out = join(dir, 'out.jsonl');
    writeFileSync(out, 'previous export\n');
    const failing: Datastore = {
      ...ds,
      scan: async () => {
        throw new Error('datastore went away');
      },
    };
    await expect(exportToFile(failing, out)).rejects.toThrow('datastore went away');
    expect(readFileSync(out, 'utf8')).toBe('previous export\n');
    expect(readdirSync(dir).sort()).toEqual(['out.jsonl', 's.db', 's.db-shm', 's.db-wal']);
    await exportToFile(ds, out);
    expect(readFileSync(out, 'utf8')).toMatch(
      /^\{"kind":"CalicoctlTsDatastoreExport".*\n.*\/calico\/a.*\n.*\/calico\/b.*\n$/,
    );
    await ds.close();
  });
});

describe('importFrom', () => {
  it('reads lines across read pieces and multi-byte characters, and CRLF line ends', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.jsonl');
    // 3 MiB of a three-byte character: the reader's 1 MiB pieces end inside characters and lines.
    const large = '☃'.repeat(1024 * 1024) + '"\\';
    const header =
      '{"kind":"CalicoctlTsDatastoreExport","version":1,"source":"etcdv3","revision":7,"exportedAt":"2026-06-01T10:00:00Z"}';
    const records = [
      { key: '/calico/a', value: 'first' },
      { key: '/calico/b', value: large },
      { key: '/calico/c', value: 'é\r\n' },
    ];
    writeFileSync(file, [header, ...records.map((r) => JSON.stringify(r))].join('\r\n') + '\r\n');
    const ds = createDatastore(
      await openEmbeddedBackend({ path: join(dir, 'target.db'), source: 't', timeoutMs: 1000 }),
    );
    const summary = await importFrom(ds, file, { file, allowNonEmpty: false, dryRun: false });
    expect(summary).toMatchObject({ keys: 3, exportedFrom: { revision: 7 }, transactions: 1 });
    for (const r of records) expect((await ds.get(r.key))?.value).toBe(r.value);
    await ds.close();
  });

  it('never overwrites a key another writer created after the emptiness check; --allow-non-empty does', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.jsonl');
    const header =
      '{"kind":"CalicoctlTsDatastoreExport","version":1,"source":"etcdv3","revision":7,"exportedAt":"2026-06-01T10:00:00Z"}';
    const records = [
      { key: '/calico/a', value: 'from the file' },
      { key: '/calico/b', value: 'from the file' },
    ];
    writeFileSync(file, [header, ...records.map((r) => JSON.stringify(r))].join('\n') + '\n');
    const ds = createDatastore(
      await openEmbeddedBackend({ path: join(dir, 'target.db'), source: 't', timeoutMs: 1000 }),
    );
    await ds.txn({ compare: [], success: [{ type: 'put', key: '/calico/b', value: 'written meanwhile' }] });
    // The other writer's key appears between the emptiness check (count) and the import's writes.
    const racing: Datastore = { ...ds, count: async () => 0 };
    const err = await importFrom(racing, file, { file, allowNonEmpty: false, dryRun: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      'import: a key from /calico/a to /calico/b was created in the target by another writer while the import ran; that transaction wrote nothing, and those sent before it were let finish',
    );
    expect((await ds.get('/calico/a'))?.value).toBeUndefined();
    expect((await ds.get('/calico/b'))?.value).toBe('written meanwhile');
    await importFrom(ds, file, { file, allowNonEmpty: true, dryRun: false });
    for (const r of records) expect((await ds.get(r.key))?.value).toBe(r.value);
    await ds.close();
  });
});
