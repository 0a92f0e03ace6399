/**
 * Concurrent writers through the built CLI: 20 processes replace one IPPool at the same
 * resourceVersion; exactly one wins, the other 19 report an update conflict (exit 4), and the
 * stored pool is the winner's, written once. On the embedded store and on etcd.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';

const WRITERS = 20;
const pool = (rv: string, writer: number | undefined): string => `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: contended
${rv ? `  resourceVersion: "${rv}"\n` : ''}${writer !== undefined ? `  labels:\n    writer: "w${writer}"\n` : ''}spec:
  cidr: 10.30.0.0/16
`;

let etcd: EtcdServer;
const dir = tempDir('calicoctl-ts-concurrency-');
const backends = [
  {
    name: 'embedded',
    env: () => ({ DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'datastore.db') }),
  },
  { name: 'etcd', env: () => etcd.env },
];

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describe.each(backends)('on $name', (backend) => {
  it(`${WRITERS} processes replace one pool at the same resourceVersion: one wins, ${WRITERS - 1} conflict`, async () => {
    const env = backend.env();
    const file = (name: string, text: string): string => {
      const p = join(dir, `${backend.name}-${name}`);
      writeFileSync(p, text);
      return p;
    };
    expect((await runCli(['create', '-f', file('pool.yaml', pool('', undefined))], { env })).code).toBe(0);
    const before = JSON.parse(
      (await runCli(['get', 'ippool', 'contended', '-o', 'json'], { env })).stdout,
    ) as {
      metadata: { resourceVersion: string };
    };
    const rv = before.metadata.resourceVersion;
    const files = Array.from({ length: WRITERS }, (_, i) => file(`w${i}.yaml`, pool(rv, i)));

    const results = await Promise.all(files.map((f) => runCli(['replace', '-f', f], { env })));

    const winners = results.flatMap((r, i) => (r.code === 0 ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(results[winner]!.stdout).toBe("Successfully replaced 1 'IPPool' resource(s)\n");
    for (const [i, r] of results.entries()) {
      if (i === winner) continue;
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr.split('\n')[0]).toBe('hit error: update conflict: IPPool(contended)');
    }
    const after = JSON.parse(
      (await runCli(['get', 'ippool', 'contended', '-o', 'json'], { env })).stdout,
    ) as {
      metadata: { resourceVersion: string; labels?: Record<string, string> };
    };
    expect(after.metadata.labels).toEqual({ writer: `w${winner}` });
    // Written exactly once: the only revision after the one we read.
    expect(Number(after.metadata.resourceVersion)).toBe(Number(rv) + 1);
  });
});
