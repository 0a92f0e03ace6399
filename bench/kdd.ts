/**
 * `ipam show` on the Kubernetes datastore (issue 18): the CLI against `kubectl get
 * ipamblocks.crd.projectcalico.org -o json > /dev/null` on the same kube-apiserver, in the same rounds,
 * with peak RSS (docs/performance.md).
 *
 * `node bench/run.js kdd [--blocks 10000] [--runs 5] [--seed N]`. It starts the tests' cluster
 * (test/helpers/kube-apiserver.ts: etcd and kube-apiserver v1.34.2 on loopback, Calico's CRDs), builds
 * or finds kubectl v1.34.2 the way the cluster's binary is built (scripts/build-kube-apiserver.sh
 * kubectl, cached), writes the generated dataset as a `datastore export` file and loads it with
 * `datastore import --allow-non-empty` (the cluster's own Namespaces are Profiles already), less what
 * `ipam show` does not read: the handles (one per address), and the Node resources (on Kubernetes they
 * are core Nodes, not Calico's to create). The load average before and after is printed with the
 * results: the machine may be shared.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';

import { startKubeCluster, type KubeCluster } from '../test/helpers/kube-apiserver.js';
import { loadBuiltCli } from './built-cli.js';
import { DEFAULT_SEED, emptyStats, generateDataset } from './dataset.js';
import { measure } from './measure.js';
import { describeMachine, machineText, markdownTable, textTable } from './report.js';
import { runGroup, type Row } from './suite.js';

const run = promisify(execFile);
/** Left out of the load: what `ipam show` does not read (a third of a million handles at 10k blocks). */
const NOT_READ = ['/calico/resources/v3/projectcalico.org/nodes/', '/calico/ipam/v2/handle/'];

export async function kddCommand(args: string[], repoRoot: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      blocks: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '5' },
      seed: { type: 'string' },
      'results-dir': { type: 'string', default: join(repoRoot, 'bench', 'results') },
    },
  });
  const blocks = Number(values.blocks);
  const runs = Number(values.runs);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const load = (): string =>
    loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  const machine = describeMachine();
  log(`machine: ${machineText(machine).trim()}`);
  const loadBefore = load();

  const { stdout } = await run('bash', [join(repoRoot, 'scripts', 'build-kube-apiserver.sh'), 'kubectl'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const kubectl = stdout.trim();
  const scratch = mkdtempSync(join(tmpdir(), 'calicoctl-ts-bench-kdd-'));
  const home = join(scratch, 'home');
  mkdirSync(home);
  let cluster: KubeCluster | undefined;
  try {
    log('starting etcd and kube-apiserver');
    cluster = await startKubeCluster({ repoRoot });
    const cli = loadBuiltCli(repoRoot, home);

    const file = join(scratch, 'dataset.jsonl');
    const stats = emptyStats();
    const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
    const entries = [...generateDataset({ blocks, seed }, stats)].filter(
      ([key]) => !NOT_READ.some((prefix) => key.startsWith(prefix)),
    );
    entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)) as number);
    await writeExport(file, entries);
    log(`loading ${entries.length} keys with datastore import`);
    const imported = await measure(cli.subject('import', 'datastore:import', ['datastore', 'import', '-f', file, '--allow-non-empty'], cluster.env).command, scratch, {
      deadlineMs: 30 * 60_000,
    }); // prettier-ignore
    if (imported.exitCode !== 0)
      throw new Error(`datastore import into Kubernetes failed:\n${imported.stderr}`);
    log(
      `  imported in ${imported.seconds.toFixed(1)} s (${(entries.length / imported.seconds).toFixed(0)} keys/s)`,
    );

    const size = blocks >= 1000 ? `${blocks / 1000}k` : String(blocks);
    const reference = {
      label: 'kubectl get ipamblocks.crd.projectcalico.org -o json',
      command: {
        argv: [kubectl, 'get', 'ipamblocks.crd.projectcalico.org', '-o', 'json'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: cluster.kubeconfig },
      },
    };
    const budget = { kind: 'ratio' as const, max: 1.0, rssMaxMiB: 200 };
    const rows: Row[] = await runGroup(
      {
        title: `kdd ${size}`,
        reference,
        cases: [
          { subject: cli.subject('ipam show (kdd)', 'ipam:show', ['ipam', 'show'], cluster.env), budget },
          {
            subject: cli.subject('ipam show --show-blocks (kdd)', 'ipam:show', ['ipam', 'show', '--show-blocks'], cluster.env),
            budget,
          }, // prettier-ignore
        ],
      },
      { runs, groupBudgetSeconds: 240, deadlineMs: 300_000 },
      scratch,
      log,
    );
    const loadAfter = load();
    const note =
      `dataset ${blocks} blocks (${stats.blocksV4} IPv4 + ${stats.blocksV6} IPv6), ${entries.length} keys imported ` +
      `in ${imported.seconds.toFixed(1)} s; load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter}\n`;
    process.stdout.write(`\n${machineText(machine)}\n${textTable(rows)}${note}`);
    mkdirSync(values['results-dir'], { recursive: true });
    const base = join(values['results-dir'], `bench-kdd-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    writeFileSync(
      `${base}.json`,
      JSON.stringify({ machine, blocks, loadBefore, loadAfter, rows }, null, 2) + '\n',
    );
    writeFileSync(`${base}.md`, `${machineText(machine)}\n${markdownTable(rows)}\n${note}`);
    return 0;
  } finally {
    await cluster?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Writes entries (sorted by key) as a `datastore export` file (docs/datastore.md, version 1). */
async function writeExport(file: string, entries: readonly (readonly [string, string])[]): Promise<void> {
  const out = createWriteStream(file);
  const header = {
    kind: 'CalicoctlTsDatastoreExport',
    version: 1,
    source: 'etcdv3',
    revision: 1,
    exportedAt: '2026-06-01T10:00:00Z',
  };
  out.write(`${JSON.stringify(header)}\n`);
  for (const [key, value] of entries) {
    if (!out.write(`${JSON.stringify({ key, value })}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}
