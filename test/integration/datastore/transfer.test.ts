/**
 * `datastore export` and `datastore import` through the built CLI (npm run build first): from the
 * embedded store into a real etcd and back, byte for byte, plus the refusals and errors.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import type { TxnOp } from '../../../src/datastore/contract.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

const embeddedEnv = (path: string) => ({ DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path });

/** A store with resources, 300 IPAM blocks (more than two etcd transactions' worth), awkward values. */
function seedOps(): TxnOp[] {
  const ops: TxnOp[] = [
    {
      type: 'put',
      key: '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool',
      value:
        '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool","uid":"3f9f1a7e","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"10.0.0.0/8","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()"}}',
    },
    {
      type: 'put',
      key: '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.é-policy',
      value: '{"spec":{"selector":"a \\u0026\\u0026 b","note":"zoë ☃ 𝄞"}}',
    },
    {
      type: 'put',
      key: '/calico/ipam/v2/config',
      value: '{"strict_affinity":false,"auto_allocate_blocks":true}',
    },
    {
      type: 'put',
      key: '/calico/ipam/v2/handle/k8s-pod-network.abc',
      value: '{"block":{"10.0.0.0/26":1},"deleted":false}',
    },
  ];
  for (let i = 0; i < 300; i++) {
    const cidr = `10.${i >> 2}.${(i & 3) * 64}.0`;
    ops.push({
      type: 'put',
      key: `/calico/ipam/v2/assignment/ipv4/block/${cidr}-26`,
      value: `{"cidr":"${cidr}/26","affinity":"host:node-${i}","sequenceNumber":18446744073709551615,"pad":"${'x'.repeat(9000)}"}`,
    });
  }
  return ops;
}

const body = (file: string): string => readFileSync(file, 'utf8').split('\n').slice(1).join('\n');
const header = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;

describe('datastore export / import', () => {
  let etcd: EtcdServer;
  let dir: string;
  let source: string;

  beforeAll(async () => {
    dir = tempDir('calicoctl-ts-transfer-');
    source = join(dir, 'source', 'store.db');
    const ds = createDatastore(await openEmbeddedBackend({ path: source, source: 'test', timeoutMs: 5000 }));
    await ds.txn({ compare: [], success: seedOps() });
    await ds.close();
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('moves the embedded store into etcd and back, every key and value unchanged', async () => {
    const fromEmbedded = join(dir, 'embedded.jsonl');
    const exp = await runCli(['datastore', 'export', '-o', fromEmbedded], { env: embeddedEnv(source) });
    expect(exp.stderr).toBe('');
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(
      new RegExp(
        `^Exported 304 keys at revision 1 from embedded datastore ${source} to ${fromEmbedded} \\(\\d+ bytes\\)\\n$`,
      ),
    );
    expect(statSync(fromEmbedded).mode & 0o777).toBe(0o600);
    expect(header(fromEmbedded)).toMatchObject({
      kind: 'CalicoctlTsDatastoreExport',
      version: 1,
      source: 'embedded',
      revision: 1,
    });
    expect(header(fromEmbedded).exportedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body(fromEmbedded)).toContain('"key":"/calico/ipam/v2/assignment/ipv4/block/10.0.128.0-26"');
    expect(body(fromEmbedded)).toContain('zoë ☃ 𝄞');

    const imp = await runCli(['datastore', 'import', '-f', fromEmbedded, '-o', 'json'], { env: etcd.env });
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    const summary = JSON.parse(imp.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      file: fromEmbedded,
      target: { type: 'etcdv3', endpoints: [etcd.endpoint] },
      exportedFrom: { source: 'embedded', revision: 1 },
      keys: 304,
      targetKeysBefore: 0,
      dryRun: false,
    });
    expect(summary.transactions).toBeGreaterThanOrEqual(3);

    const fromEtcd = join(dir, 'etcd.jsonl');
    const again = await runCli(['datastore', 'export', '-o', fromEtcd, '--json'], { env: etcd.env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ keys: 304, source: { type: 'etcdv3' } });
    expect(header(fromEtcd)).toMatchObject({ source: 'etcdv3' });
    expect(body(fromEtcd)).toBe(body(fromEmbedded));
    // An IPAM value with a uint64 beyond 2^53 survived the trip as text.
    const line = readFileSync(fromEtcd, 'utf8').split('\n')[5]!;
    expect((JSON.parse(line) as { value: string }).value).toContain('"sequenceNumber":18446744073709551615');

    // And back, from etcd into a new embedded store, through stdin.
    const back = join(dir, 'back', 'store.db');
    const viaStdin = await runCli(['datastore', 'import', '-f', '-'], {
      env: embeddedEnv(back),
      input: readFileSync(fromEtcd, 'utf8'),
    });
    expect(viaStdin.code).toBe(0);
    expect(viaStdin.stdout).toMatch(
      /^Imported 304 keys \(\d+ bytes\) from stdin into embedded datastore .* in \d+ transactions; revision is now \d+\n$/,
    );
    const roundTrip = await runCli(['datastore', 'export'], { env: embeddedEnv(back) });
    expect(roundTrip.code).toBe(0);
    expect(roundTrip.stdout.split('\n').slice(1).join('\n')).toBe(body(fromEmbedded));
  });

  it('refuses a non-empty target unless told, and a dry run writes nothing', async () => {
    const file = join(dir, 'refuse.jsonl');
    expect((await runCli(['datastore', 'export', '-o', file], { env: embeddedEnv(source) })).code).toBe(0);
    const target = join(dir, 'refuse-target', 'store.db');
    expect((await runCli(['datastore', 'import', '-f', file], { env: embeddedEnv(target) })).code).toBe(0);

    const refused = await runCli(['datastore', 'import', '-f', file], { env: embeddedEnv(target) });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toBe(
      `refusing to import into embedded datastore ${target}: it already has 304 keys under /calico/\n` +
        'hint: import into an empty datastore, or pass --allow-non-empty to overwrite the keys the file holds (other keys stay)\n',
    );

    const dry = await runCli(
      ['datastore', 'import', '-f', file, '--allow-non-empty', '--dry-run', '-o', 'json'],
      {
        env: embeddedEnv(target),
      },
    );
    expect(dry.code).toBe(0);
    const before = JSON.parse(dry.stdout) as { revision: number; dryRun: boolean; targetKeysBefore: number };
    expect(before).toMatchObject({ dryRun: true, targetKeysBefore: 304, keys: 304 });

    const forced = await runCli(['datastore', 'import', '-f', file, '--allow-non-empty', '-o', 'json'], {
      env: embeddedEnv(target),
    });
    expect(forced.code).toBe(0);
    const after = JSON.parse(forced.stdout) as { revision: number; transactions: number };
    // The dry run left the revision alone; the real import wrote one revision per transaction.
    expect(after.revision).toBe(before.revision + after.transactions);
  });

  it('rejects a file with a bad line, naming the file and line, and writes nothing', async () => {
    const good = join(dir, 'good.jsonl');
    expect((await runCli(['datastore', 'export', '-o', good], { env: embeddedEnv(source) })).code).toBe(0);
    const lines = readFileSync(good, 'utf8').split('\n');
    const cases: Array<[string, string]> = [
      ['{"key":"/calico/x","value":', 'line 200: not valid JSON'],
      ['{"key":"/registry/x","value":"v"}', 'line 200: key /registry/x is not under /calico/'],
      ['{"key":"/calico/zzz","value":{"not":"a string"}}', 'line 200: "value" must be a string'],
    ];
    const target = join(dir, 'bad-target', 'store.db');
    for (const [bad, message] of cases) {
      const file = join(dir, 'bad.jsonl');
      writeFileSync(file, [...lines.slice(0, 199), bad, ...lines.slice(200)].join('\n'));
      const res = await runCli(['datastore', 'import', '-f', file], { env: embeddedEnv(target) });
      expect(res.code).toBe(2);
      expect(res.stderr.split('\n')[0]).toMatch(
        new RegExp(`^${file}: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      expect(existsSync(join(dir, 'bad-target'))).toBe(false);
    }
    const noHeader = join(dir, 'no-header.jsonl');
    writeFileSync(noHeader, lines.slice(1).join('\n'));
    const res = await runCli(['datastore', 'import', '-f', noHeader], { env: embeddedEnv(target) });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^.*no-header\.jsonl: line 1: expected a header with "kind":"CalicoctlTsDatastoreExport", got null\n/,
    );
  });
});
