/**
 * The bad-input corpus (test/fixtures/bad-input/cases.json): every malformed manifest or config
 * file gives exactly its documented first stderr line and exit code, no stack trace, and leaves
 * the datastore revision unchanged, on the embedded store and on etcd. Huge, binary and deeply
 * nested files are generated at test time (bad-input-generated.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../src/datastore/embedded/backend.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { generateCase } from './bad-input-generated.js';

interface Case {
  file?: string;
  generate?: string;
  /** create / apply / validate -f FILE, or config: apply a valid manifest with -c FILE. */
  command: 'create' | 'apply' | 'validate' | 'config';
  exit: number;
  /** The exact first line of stderr; {file} stands for the path given on the command line. */
  error: string;
}

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'bad-input');
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as Case[];
const SEED = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: seed
spec:
  cidr: 10.200.0.0/16
`;
const GOOD = SEED.replace('name: seed', 'name: good').replace('10.200.0.0/16', '10.99.0.0/24');

const dir = tempDir('calicoctl-ts-bad-input-');
const storePath = join(dir, 'datastore.db');
const embeddedEnv = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: storePath };
let etcd: EtcdServer;
let goodManifest: string;

async function embeddedRevision(): Promise<number> {
  const ds = createDatastore(await openEmbeddedBackend({ path: storePath, source: 'test', timeoutMs: 5000 }));
  try {
    return await ds.currentRevision();
  } finally {
    await ds.close();
  }
}

async function etcdRevision(): Promise<number> {
  const out = await etcd.etcdctl([
    'get',
    '/calico/',
    '--prefix',
    '--keys-only',
    '--limit',
    '1',
    '-w',
    'json',
  ]);
  return Number((JSON.parse(out) as { header: { revision: number } }).header.revision);
}

const revisions = { embedded: 0, etcd: 0 };

beforeAll(async () => {
  etcd = await startEtcd();
  const seed = join(dir, 'seed.yaml');
  writeFileSync(seed, SEED);
  goodManifest = join(dir, 'good.yaml');
  writeFileSync(goodManifest, GOOD);
  // The seed also creates ClusterInformation and the default tiers, so no case adds them.
  for (const env of [embeddedEnv, etcd.env]) {
    const res = await runCli(['create', '-f', seed], { env });
    expect(res.code, res.stderr).toBe(0);
  }
  revisions.embedded = await embeddedRevision();
  revisions.etcd = await etcdRevision();
});

afterAll(async () => {
  await etcd?.stop();
});

function pathOf(c: Case): string {
  if (c.generate) return generateCase(c.generate, dir);
  // Relative to the repository (the CLI's working directory), as a user would type it.
  return join('test', 'fixtures', 'bad-input', c.file!);
}

function expectOneLineError(stderr: string, c: Case, path: string): void {
  const lines = stderr.replace(/\n$/, '').split('\n');
  expect(lines[0]).toBe(c.error.replaceAll('{file}', path));
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toContain('unexpected error');
  // One message line, then at most a hint.
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
}

describe('the corpus', () => {
  it('has at least 60 cases, each file with exactly one case', async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(FIXTURES).filter((f) => f !== 'cases.json');
    expect(CASES.flatMap((c) => (c.file ? [c.file] : [])).sort()).toEqual(files.sort());
  });
});

/**
 * Offline checks fail the same way whatever the datastore, so the cases alternate between the two
 * (keeping the file well under a minute); the checks that read the datastore run on both.
 */
function backendsFor(c: Case, index: number): string[] {
  if (c.command === 'validate' || c.command === 'config') return ['embedded'];
  if (c.file?.startsWith('overlap-')) return ['embedded', 'etcd'];
  return [index % 2 === 0 ? 'embedded' : 'etcd'];
}

describe.concurrent.each(CASES.map((c, i) => [c.file ?? `generated: ${c.generate}`, c, i] as const))(
  '%s',
  (_name, c, index) => {
    const backends = backendsFor(c, index);
    it.each(backends)(
      `${c.command} on %s: exit ${c.exit}, its error line, nothing written`,
      async (backend) => {
        const path = pathOf(c);
        const args =
          c.command === 'config' ? ['apply', '-f', goodManifest, '-c', path] : [c.command, '-f', path];
        const env = backend === 'etcd' ? etcd.env : embeddedEnv;
        const started = Date.now();
        const res = await runCli(args, { env });
        expect(Date.now() - started).toBeLessThan(30_000);
        expectOneLineError(res.stderr, c, path);
        expect(res.code).toBe(c.exit);
        if (backend === 'etcd') expect(await etcdRevision()).toBe(revisions.etcd);
        else expect(await embeddedRevision()).toBe(revisions.embedded);
      },
    );
  },
);
