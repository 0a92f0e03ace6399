/**
 * The commands that write several keys in one etcd transaction, with the built CLI on a real
 * kube-apiserver, which writes one object per request: `ipam assign` (handle, then block), `ippool
 * mode` over two pools, `ippool migrate` (create, then disable), `ipam split` step by step, `datastore
 * import` one key at a time, and `--atomic` refused with exit 2 before anything is written. Each prints
 * what it prints on etcd, and what it wrote is what Calico's Kubernetes backend reads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliResult } from '../../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';

let kube: KubeCluster;
let etcd: EtcdServer;
const dir = tempDir('calicoctl-ts-kdd-one-key-');

const kdd = (...args: string[]): Promise<CliResult> => runCli(args, { env: kube.env });
const onEtcd = (...args: string[]): Promise<CliResult> => runCli(args, { env: etcd.env });
/** Runs the same command on both stores; both must succeed. */
async function both(...args: string[]): Promise<[CliResult, CliResult]> {
  const [a, b] = await Promise.all([kdd(...args), onEtcd(...args)]);
  expect(a.stderr, `kdd: ${args.join(' ')}`).toBe('');
  expect(b.stderr, `etcd: ${args.join(' ')}`).toBe('');
  return [a, b];
}

async function crd(
  path: string,
): Promise<{ metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> }> {
  const res = await kube.request('GET', `/apis/crd.projectcalico.org/v1/${path}`);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body as never;
}

const POOLS = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: p1}
spec: {cidr: 10.70.0.0/16, ipipMode: Always, blockSize: 26, nodeSelector: all()}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: p2}
spec: {cidr: 10.71.0.0/16, ipipMode: Always, blockSize: 26, nodeSelector: all()}
`;

beforeAll(async () => {
  [kube, etcd] = await Promise.all([startKubeCluster(), startEtcd()]);
  const file = join(dir, 'pools.yaml');
  writeFileSync(file, POOLS);
  await both('apply', '-f', file);
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([kube?.stop(), etcd?.stop()]);
});

describe('one key at a time on the Kubernetes datastore', () => {
  it('ipam assign writes the handle and the block; ipam show and release agree with etcd', async () => {
    const [a, b] = await both(
      'ipam',
      'assign',
      '--node',
      'n1',
      '--num',
      '3',
      '--handle',
      'h1',
      '--pool',
      'p1',
    );
    expect(a.stdout).toBe(b.stdout);
    const handle = await crd('ipamhandles/h1');
    expect(handle.spec).toMatchObject({ handleID: 'h1', deleted: false });
    expect(Object.values(handle.spec['block'] as Record<string, number>)).toEqual([3]);
    const [showA, showB] = await both('ipam', 'show', '--show-blocks');
    expect(showA.stdout).toBe(showB.stdout);
    const [relA, relB] = await both('ipam', 'release', '--handle', 'h1');
    expect(relA.stdout).toBe(relB.stdout);
    expect((await kube.request('GET', '/apis/crd.projectcalico.org/v1/ipamhandles/h1')).status).toBe(404);
  });

  it('ippool mode changes both pools, one at a time, with the output of one transaction', async () => {
    const [a, b] = await both('ippool', 'mode', 'p1', 'p2', '--vxlan=Always', '--force');
    const closing = /^Changed 2 IPPool\(s\) (in one transaction|one at a time) \(revision \d+\)\.$/m;
    expect(a.stdout.replace(closing, '')).toBe(b.stdout.replace(closing, ''));
    expect(a.stdout).toMatch(/^Changed 2 IPPool\(s\) one at a time \(revision \d+\)\.$/m);
    expect(b.stdout).toMatch(/^Changed 2 IPPool\(s\) in one transaction \(revision \d+\)\.$/m);
    for (const name of ['p1', 'p2'])
      expect((await crd(`ippools/${name}`)).spec).toMatchObject({ vxlanMode: 'Always', ipipMode: 'Never' });
  });

  it('ippool migrate creates the new pool, then disables the old one', async () => {
    const [a, b] = await both('ippool', 'migrate', 'p2', '--to', 'p3', '--cidr', '10.72.0.0/16');
    expect(a.stdout.replace(/\d{4,}/g, 'N')).toBe(b.stdout.replace(/\d{4,}/g, 'N'));
    expect((await crd('ippools/p2')).spec['disabled']).toBe(true);
    expect((await crd('ippools/p3')).spec['cidr']).toBe('10.72.0.0/16');
  });

  it('ipam split is written step by step and prints what it prints on etcd', async () => {
    await both('datastore', 'migrate', 'lock');
    const [a, b] = await both('ipam', 'split', '2', '--name', 'p3');
    expect(a.stdout).toBe(b.stdout);
    expect((await kube.request('GET', '/apis/crd.projectcalico.org/v1/ippools/p3')).status).toBe(404);
    expect((await crd('ippools/split-p3-1')).spec['cidr']).toBe('10.72.128.0/17');
    await both('datastore', 'migrate', 'unlock');
  });

  it('--atomic is refused with exit 2 before anything is written', async () => {
    const file = join(dir, 'atomic.yaml');
    writeFileSync(
      file,
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p9}\nspec: {cidr: 10.79.0.0/16}\n',
    );
    const r = await kdd('apply', '--atomic', '-f', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      '--atomic is not available on the kubernetes datastore: it writes one object per request, so a file cannot be written all or nothing\n' +
        'hint: drop --atomic (each resource is then written on its own, compare-and-swap, and reported), or use --dry-run to check the whole file first\n',
    );
    expect((await kube.request('GET', '/apis/crd.projectcalico.org/v1/ippools/p9')).status).toBe(404);
  });

  it('datastore import from etcd writes every key, one at a time; a re-run writes nothing', async () => {
    const file = join(dir, 'etcd.jsonl');
    const exported = await onEtcd('datastore', 'export', '-o', file);
    expect(exported.code).toBe(0);
    const target = await startKubeCluster();
    try {
      const into = (...args: string[]) => runCli(args, { env: target.env });
      const r = await into('datastore', 'import', '-f', file, '--allow-non-empty', '-o', 'json');
      expect(r.stderr).toBe('');
      const summary = JSON.parse(r.stdout) as { keys: number; transactions: number };
      expect(summary.transactions).toBe(summary.keys);
      const [wide, reference] = await Promise.all([
        into('get', 'ippools', '-o', 'wide'),
        onEtcd('get', 'ippools', '-o', 'wide'),
      ]);
      expect(wide.stdout).toBe(reference.stdout);
      // The pools as listed, without the list's own revision (the API server writes its own objects too).
      const pools = async () =>
        (await into('get', 'ippools', '-o', 'yaml')).stdout.replace(
          /\nmetadata:\n {2}resourceVersion: "\d+"\n$/,
          '',
        );
      const before = await pools();
      const again = await into('datastore', 'import', '-f', file, '--allow-non-empty');
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      // Nothing was rewritten: every resourceVersion is what it was.
      expect(await pools()).toBe(before);
      expect(before).toContain('resourceVersion');
    } finally {
      await target.stop();
    }
  });
});
