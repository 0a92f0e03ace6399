/**
 * The exact bytes `datastore export` writes, pinned: the hashes below are of what the export code
 * wrote for this data before it was made to stream (issue 14), so a faster writer must write the
 * same file. The data has what could trip a writer that works on bytes: every control character,
 * quotes and backslashes, U+2028/U+2029, characters of two, three and four UTF-8 bytes, bytes that
 * are not UTF-8 at all (etcd stores bytes; they are exported as U+FFFD), empty values, values of
 * 9 KB and of 1 MB, and more keys than one page of any reader.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TxnOp } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

const KEYS = 7000;

/** Values as text (valid UTF-8): what both stores can hold. */
function textValue(i: number): string {
  const controls = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join('');
  const shapes = [
    '',
    `{"cidr":"10.${i >> 8}.${i & 255}.0/26","affinity":"host:node-${i}","sequenceNumber":18446744073709551615}`,
    controls + '\u007f"\\/\u2028\u2029',
    'é ☃ 𝄞 zoë \u00a0\ufeff\uffff',
    `{"note":"a \\"quoted\\" \\\\ back\\u0026slash"}`,
    'x'.repeat(9000) + `"${i}"`,
  ];
  return shapes[i % shapes.length]!;
}

function key(i: number): string {
  const kinds = ['ipam/v2/assignment/ipv4/block', 'ipam/v2/handle', 'resources/v3/projectcalico.org/nodes'];
  const suffix = i % 97 === 0 ? `nœud-${i}` : `n-${String(i).padStart(5, '0')}`;
  return `/calico/${kinds[i % kinds.length]}/${suffix}`;
}

/** Bytes that are not UTF-8, only etcd can hold them: a lone 0xff, a cut sequence, an encoded surrogate. */
const NOT_UTF8 = [
  Buffer.from([0x7b, 0xff, 0x7d]),
  Buffer.from([0x61, 0xe2, 0x98]),
  Buffer.from([0xed, 0xa0, 0x80, 0x22]),
  Buffer.from([0xc0, 0xaf, 0x0a]),
];

const sha256 = (text: Buffer): string => createHash('sha256').update(text).digest('hex');

/** The file with the header's exportedAt (the only thing that depends on the clock) fixed. */
function pinned(file: string): Buffer {
  const bytes = readFileSync(file);
  const newline = bytes.indexOf(10);
  const head = bytes
    .subarray(0, newline)
    .toString('utf8')
    .replace(/"exportedAt":"[^"]*"/, '"exportedAt":"T"');
  return Buffer.concat([Buffer.from(head), bytes.subarray(newline)]);
}

describe('datastore export writes the same bytes as before', () => {
  let etcd: EtcdServer;
  let dir: string;
  let embedded: string;

  beforeAll(async () => {
    dir = tempDir('calicoctl-ts-export-bytes-');
    etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      for (let start = 0; start < KEYS; start += 100) {
        const ops = [];
        for (let i = start; i < Math.min(KEYS, start + 100); i++) {
          ops.push({ request_put: { key: Buffer.from(key(i)), value: Buffer.from(textValue(i)) } });
        }
        await client.kv.txn({ success: ops });
      }
      for (const [n, value] of NOT_UTF8.entries()) await client.put(`/calico/zz/bytes-${n}`).value(value);
      await client.put('/calico/zz/large').value('{"big":"' + 'y'.repeat(1 << 20) + '"}');
      await client.put('/calicox/outside').value('not exported');
    } finally {
      client.close();
    }

    embedded = join(dir, 'store.db');
    const ds = createDatastore(await openEmbeddedBackend({ path: embedded, source: 't', timeoutMs: 5000 }));
    for (let start = 0; start < KEYS; start += 1000) {
      const ops: TxnOp[] = [];
      for (let i = start; i < Math.min(KEYS, start + 1000); i++) {
        ops.push({ type: 'put', key: key(i), value: textValue(i) });
      }
      await ds.txn({ compare: [], success: ops });
    }
    await ds.txn({
      compare: [],
      success: [{ type: 'put', key: '/calico/zz/large', value: '{"big":"' + 'y'.repeat(1 << 20) + '"}' }],
    });
    await ds.close();
  }, 120_000);

  afterAll(async () => {
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('from etcd, to a file and to stdout', async () => {
    const file = join(dir, 'etcd.jsonl');
    const res = await runCli(['datastore', 'export', '-o', file], { env: etcd.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const bytes = pinned(file);
    expect(bytes.subarray(0, bytes.indexOf(10)).toString()).toMatch(
      /^\{"kind":"CalicoctlTsDatastoreExport","version":1,"source":"etcdv3","revision":\d+,"exportedAt":"T"\}$/,
    );
    expect(sha256(bytes.subarray(bytes.indexOf(10)))).toBe(ETCD_BODY_SHA256);

    // stdout carries the same text (what was written is valid UTF-8: runCli's decoding loses nothing).
    const viaStdout = await runCli(['datastore', 'export'], { env: etcd.env });
    expect(viaStdout.code).toBe(0);
    const out = Buffer.from(viaStdout.stdout);
    expect(sha256(out.subarray(out.indexOf(10)))).toBe(ETCD_BODY_SHA256);
  }, 60_000);

  it('from the embedded store', async () => {
    const file = join(dir, 'embedded.jsonl');
    const res = await runCli(['datastore', 'export', '-o', file], {
      env: { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: embedded },
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const bytes = pinned(file);
    expect(bytes.subarray(0, bytes.indexOf(10)).toString()).toBe(
      '{"kind":"CalicoctlTsDatastoreExport","version":1,"source":"embedded","revision":8,"exportedAt":"T"}',
    );
    expect(sha256(bytes)).toBe(EMBEDDED_SHA256);
  }, 60_000);
});

const ETCD_BODY_SHA256 = 'fe830299ddd13506f2cf0ba6317b4e280e2dfee36d97f8b44d402b6c8e083766';
const EMBEDDED_SHA256 = 'b51982cb160a8a5fd81cd3f85857dcc001ae458a76a94d4cd3659ce20c89a2fe';
