/**
 * The benchmark of issue 7 (docs/performance.md). `node bench/run.js [run] [--sizes ...]` builds the
 * datasets, starts a throwaway etcd per size, times every case side by side with its reference and
 * prints medians, ratios and peak RSS; `node bench/run.js generate` writes a dataset as
 * `key<TAB>value` lines for inspection. It measures; it never fails a build: the exit status is
 * non-zero only when the benchmark itself could not run.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { loadBuiltCli, type BuiltCli } from './built-cli.js';
import {
  BLOCK_PREFIX,
  DEFAULT_SEED,
  emptyStats,
  generateDataset,
  type DatasetOptions,
  type DatasetStats,
} from './dataset.js';
import { startBenchEtcd } from './etcd.js';
import { startFakeBird } from './fake-bird.js';
import { loadIntoEmbedded, loadIntoEtcd } from './load.js';
import { spawnSync } from 'node:child_process';

import { applyManifest, ASSIGN_POOL, ASSIGN_POOL_YAML, SMALL_POOL_YAML } from './manifests.js';
import { describeMachine, machineText, markdownTable, textTable } from './report.js';
import { stopAllRuns } from './measure.js';
import { runGroup, type Group, type Row, type RunLimits, type Subject } from './suite.js';
import {
  blockReaders,
  etcdGroups,
  importGroup,
  RELEASE_ADDRESSES,
  releaseRow,
  reportPath,
  snapshotEmbedded,
  checks,
  exporter,
  onEtcd,
} from './whole-datastore.js';

const USAGE = `usage:
  node bench/run.js [run] [--sizes 10000,50000] [--runs 5] [--group-budget 240] [--deadline 300] [--embedded-sizes 10000] [--seed N]
                    [--leaks] [--skip-startup] [--skip-writes] [--results-dir bench/results]
  node bench/run.js generate --blocks 10000 [--leaks] [--seed N] [--out FILE]   (key<TAB>value lines; stats on stderr)
  node bench/run.js watch [--blocks 10000] [--seconds 60]   (the CPU of ipam show --watch, docs/performance.md)
  node bench/run.js node-check [--blocks 10000] [--runs 5] [--seed N]   (root: node check in a network namespace)
  node bench/run.js kdd [--blocks 10000] [--runs 5] [--seed N]   (ipam show on a Kubernetes API server against kubectl; needs Go)
  node bench/run.js serve [--blocks 10000] [--leaks] [--embedded FILE] [--seed N]   (a loaded etcd kept up for profiling)
  node bench/run.js profile FILE.cpuprofile [--self 30] [--inclusive 40]   (a CPU profile summed by function, in ms)
Build the CLI first: npm run build.
`;

const APPLY_RESOURCES = 1000;
const ASSIGN_ADDRESSES = 10_000;

export async function main(argv: string[], repoRoot: string): Promise<number> {
  const first = argv[0];
  try {
    if (first === 'generate') return await generateCommand(argv.slice(1));
    if (first === 'watch') return await (await import('./watch.js')).watchCommand(argv.slice(1), repoRoot);
    if (first === 'serve') return await (await import('./serve.js')).serveCommand(argv.slice(1));
    if (first === 'node-check')
      return await (await import('./node-check.js')).nodeCheckCommand(argv.slice(1), repoRoot);
    if (first === 'kdd') return await (await import('./kdd.js')).kddCommand(argv.slice(1), repoRoot);
    if (first === 'profile') return (await import('./profile.js')).profileCommand(argv.slice(1));
    if (first === '--help' || first === '-h' || first === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    return await runCommand(first === 'run' ? argv.slice(1) : argv, repoRoot);
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      blocks: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      leaks: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const stats = emptyStats();
  const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out) : process.stdout;
  for (const [key, value] of generateDataset(
    { blocks: positive(values.blocks, '--blocks'), seed: seed(values.seed), leaks: values.leaks },
    stats,
  )) {
    if (!out.write(`${key}\t${value}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  if (out !== process.stdout) await new Promise<void>((r) => out.end(() => r()));
  process.stderr.write(`${JSON.stringify(stats)}\n`);
  return 0;
}

interface RunOptions {
  sizes: number[];
  limits: RunLimits;
  embeddedSizes: Set<number>;
  seed: number;
  leaks: boolean;
  skipStartup: boolean;
  skipWrites: boolean;
  resultsDir: string;
}

async function runCommand(args: string[], repoRoot: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: '10000,50000' },
      runs: { type: 'string', default: '5' },
      'group-budget': { type: 'string', default: '240' },
      deadline: { type: 'string', default: '300' },
      'embedded-sizes': { type: 'string', default: '10000' },
      seed: { type: 'string' },
      leaks: { type: 'boolean', default: false },
      'skip-startup': { type: 'boolean', default: false },
      'skip-writes': { type: 'boolean', default: false },
      'results-dir': { type: 'string', default: join(repoRoot, 'bench', 'results') },
    },
  });
  const opts: RunOptions = {
    sizes: list(values.sizes).sort((a, b) => a - b),
    limits: {
      runs: positive(values.runs, '--runs'),
      groupBudgetSeconds: positive(values['group-budget'], '--group-budget'),
      deadlineMs: positive(values.deadline, '--deadline') * 1000,
    },
    embeddedSizes: new Set(list(values['embedded-sizes'])),
    seed: seed(values.seed),
    leaks: values.leaks,
    skipStartup: values['skip-startup'],
    skipWrites: values['skip-writes'],
    resultsDir: values['results-dir'],
  };

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanUp = async (): Promise<void> => {
    stopAllRuns();
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    cleanups.length = 0;
  };
  const onSignal = (): void => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runAll(opts, repoRoot, cleanups);
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runAll(
  opts: RunOptions,
  repoRoot: string,
  cleanups: (() => Promise<void> | void)[],
): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const machine = describeMachine();
  log(`machine: ${machineText(machine).trim()}`);
  const scratch = mkdtempSync(join(tmpdir(), 'calicoctl-ts-bench-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  const home = join(scratch, 'home');
  mkdirSync(home);
  const cli = loadBuiltCli(repoRoot, home);
  const rows: Row[] = [];
  const datasets: { blocks: number; stats: DatasetStats; etcdLoad: number; embeddedLoad?: number }[] = [];

  if (!opts.skipStartup) {
    log('startup: commands that do not touch etcd, against `node -e 0`');
    rows.push(
      ...(await runGroup(await startupGroup(cli, repoRoot, scratch, cleanups), opts.limits, scratch, log)),
    );
  }

  for (const [index, blocks] of opts.sizes.entries()) {
    log(`dataset ${blocks} blocks: starting etcd and loading`);
    const etcd = await startBenchEtcd();
    const stopEtcd = (): Promise<void> => etcd.stop();
    cleanups.push(stopEtcd);
    const stats = emptyStats();
    const datasetOptions = (n: number): DatasetOptions => ({ blocks: n, seed: opts.seed, leaks: opts.leaks });
    const etcdLoad = await loadIntoEtcd(etcd.endpoint, generateDataset(datasetOptions(blocks), stats));
    log(
      `  etcd: ${etcdLoad.keys} keys in ${etcdLoad.seconds.toFixed(1)} s; ` +
        `${(stats.blockValueBytes / 1e6).toFixed(1)} MB of block values`,
    );
    const dataset: (typeof datasets)[number] = { blocks, stats, etcdLoad: etcdLoad.seconds };
    datasets.push(dataset);
    const size = blocks >= 1000 ? `${blocks / 1000}k` : String(blocks);
    const etcdEnv = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoint };
    const rssBudget = blocks === 10_000 ? 200 : undefined;
    const checkRss = blocks === 10_000 ? 250 : undefined;
    const ratio = (max: number, rssMaxMiB = rssBudget) => ({
      kind: 'ratio' as const,
      max,
      ...(rssMaxMiB ? { rssMaxMiB } : {}),
    });
    const run = async (group: Group): Promise<void> => {
      log(`${group.title}: ${group.cases.map((c) => c.subject.label).join(', ')}`);
      rows.push(...(await runGroup(group, opts.limits, scratch, log)));
    };
    for (const group of etcdGroups(cli, etcd, scratch, size, stats.sampleAddress, ratio, checkRss)) {
      await run(group);
    }
    const importTarget = await startBenchEtcd();
    cleanups.push(() => importTarget.stop());
    await run(importGroup(cli, etcd, importTarget, scratch, size));
    await importTarget.stop();

    if (opts.embeddedSizes.has(blocks)) {
      const path = join(scratch, `embedded-${blocks}.db`);
      cleanups.push(() => rmSync(path, { force: true }));
      const load = await loadIntoEmbedded(path, generateDataset(datasetOptions(blocks)));
      dataset.embeddedLoad = load.seconds;
      log(`  embedded: ${load.keys} keys in ${load.seconds.toFixed(1)} s`);
      const env = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path };
      // Each command on the embedded store against the same command on etcd, in the same rounds.
      // `ipam check` in text only: its other outputs do the same reading.
      const sameOnEtcd = [
        ...blockReaders(cli, etcdEnv, 'etcd'),
        exporter(cli, etcdEnv, 'etcd', scratch, size),
        checks(cli, etcdEnv, 'etcd', scratch, size)[0]!,
      ].map((subject) => onEtcd(subject, etcd));
      const onEmbedded = [
        ...blockReaders(cli, env, 'embedded'),
        exporter(cli, env, 'embedded', scratch, size),
        checks(cli, env, 'embedded', scratch, size)[0]!,
      ];
      for (const [i, subject] of onEmbedded.entries()) {
        await run({
          title: `embedded ${size}`,
          reference: sameOnEtcd[i]!,
          cases: [
            { subject, budget: ratio(1.0, subject.label.startsWith('ipam check') ? checkRss : rssBudget) },
          ],
        });
      }
      if (!opts.skipWrites) {
        log(`embedded ${size}: ipam release --from-report of ${RELEASE_ADDRESSES} addresses`);
        const snapshot = snapshotEmbedded(path);
        rows.push(
          await releaseRow(cli, env, reportPath(scratch, `embedded-${size}`), scratch, 'ipam release --from-report (embedded)', `writes embedded ${size}`, {
            runs: opts.limits.runs,
            restore: () => snapshot.restore(),
            deadlineMs: opts.limits.deadlineMs,
          }),
        ); // prettier-ignore
      }
    }

    if (!opts.skipWrites) {
      // Once, last: it changes the store (the released addresses are free afterwards).
      log(`writes on etcd ${size}: ipam release --from-report of ${RELEASE_ADDRESSES} addresses`);
      rows.push(
        await releaseRow(cli, etcdEnv, reportPath(scratch, `etcd-${size}`), scratch, 'ipam release --from-report (etcd, one run)', `writes etcd ${size}`, {
          runs: 1,
          deadlineMs: opts.limits.deadlineMs,
        }),
      ); // prettier-ignore
    }
    if (index === 0 && !opts.skipWrites) {
      log(`writes on etcd ${size}: apply and ipam assign throughput`);
      createAssignPool(repoRoot, home, etcdEnv, scratch);
      rows.push(...(await runGroup(writeGroup(cli, etcdEnv, scratch, size), opts.limits, scratch, log)));
    }
    await stopEtcd();
    cleanups.splice(cleanups.indexOf(stopEtcd), 1);
  }

  rows.push(...rssGrowthRows(rows, opts.sizes));
  const table = textTable(rows);
  process.stdout.write(`\n${machineText(machine)}\n${table}`);
  for (const d of datasets) {
    process.stdout.write(
      `dataset ${d.blocks} blocks: ${d.stats.blocksV4} IPv4 + ${d.stats.blocksV6} IPv6 blocks, ${d.stats.nodes} nodes, ` +
        `${d.stats.allocatedAddresses} addresses (${d.stats.borrowedAddresses} borrowed), ${d.stats.handles} handles ` +
        `(${d.stats.leakedHandles} leaked; ${d.stats.handlelessAllocations} allocations without one), ${d.stats.affinities} affinities, ` +
        `${d.stats.orphanedBlocks} orphaned and ${d.stats.churnedBlocks} churned blocks, ` +
        `${(d.stats.blockValueBytes / 1e6).toFixed(1)} MB block values, ${d.stats.keys} keys; ` +
        `load etcd ${d.etcdLoad.toFixed(1)} s${d.embeddedLoad !== undefined ? `, embedded ${d.embeddedLoad.toFixed(1)} s` : ''}\n`,
    );
  }
  mkdirSync(opts.resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(opts.resultsDir, `bench-${stamp}`);
  writeFileSync(
    `${base}.json`,
    JSON.stringify(
      { machine, options: { ...opts, embeddedSizes: [...opts.embeddedSizes] }, datasets, rows },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(`${base}.md`, `${machineText(machine)}\n${markdownTable(rows)}`);
  log(`results: ${base}.json and .md`);
  return 0;
}

async function startupGroup(
  cli: BuiltCli,
  repoRoot: string,
  scratch: string,
  cleanups: (() => Promise<void> | void)[],
): Promise<Group> {
  const poolFile = join(scratch, 'pool.yaml');
  writeFileSync(poolFile, SMALL_POOL_YAML);
  const fixtures = join(repoRoot, 'test', 'fixtures', 'bird');
  const bird4 = await startFakeBird(join(scratch, 'bird.ctl'), join(fixtures, 'bird1-show-protocols.txt'));
  cleanups.push(() => bird4.close());
  const bird6 = await startFakeBird(
    join(scratch, 'bird6.ctl'),
    join(fixtures, 'bird1-show-protocols-v6.txt'),
  );
  cleanups.push(() => bird6.close());
  const budget = { kind: 'ratio' as const, max: 1.5 };
  return {
    title: 'startup',
    reference: {
      label: 'node -e 0',
      command: { argv: [process.execPath, '-e', '0'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    },
    cases: [
      { subject: cli.subject('--help', '', ['--help']), budget },
      { subject: cli.subject('version --client', 'version', ['version', '--client']), budget },
      { subject: cli.subject('validate -f pool.yaml', 'validate', ['validate', '-f', poolFile]), budget },
      {
        subject: cli.subject('node status (fake BIRD sockets)', 'node:status', [
          'node', 'status', '--socket', bird4.path, '--socket6', bird6.path,
        ]), // prettier-ignore
        budget,
      },
    ],
  };
}

function writeGroup(cli: BuiltCli, env: Record<string, string>, scratch: string, size: string): Group {
  const manifest = join(scratch, 'apply-1000.yaml');
  writeFileSync(manifest, applyManifest(APPLY_RESOURCES));
  const apply = cli.subject(`apply -f ${APPLY_RESOURCES} resources`, 'apply', ['apply', '-f', manifest], env);
  return {
    title: `writes etcd ${size}`,
    cases: [
      { subject: apply, budget: { kind: 'throughput', units: APPLY_RESOURCES, unit: 'resources' } },
      {
        subject: assignSubject(cli, env),
        budget: { kind: 'throughput', units: ASSIGN_ADDRESSES, unit: 'addresses' },
      },
    ],
  };
}

/**
 * The pool of ASSIGN_POOL_YAML, created with the CLI under test (a failure shows in the assign row),
 * and room for every round on one node: Calico caps a node at 20 blocks unless IPAMConfig's
 * maxBlocksPerHost says otherwise, and 20 blocks of 4,096 addresses hold only 8 rounds of 10,000.
 */
function createAssignPool(
  repoRoot: string,
  home: string,
  env: Record<string, string>,
  scratch: string,
): void {
  const file = join(scratch, 'assign-pool.yaml');
  writeFileSync(file, ASSIGN_POOL_YAML);
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env },
      stdio: 'ignore',
    });
  cli(['apply', '-f', file]);
  // calicoctl's rule: a maxBlocksPerHost needs strict affinity (the rounds borrow from nobody anyway).
  cli([
    'ipam',
    'configure',
    '--strictaffinity=true',
    '--max-blocks-per-host',
    String(ASSIGN_MAX_BLOCKS_PER_HOST),
  ]);
}

/** `ipam assign` is not a calicoctl command; its flags are read from the build's manifest. */
function assignSubject(cli: BuiltCli, env: Record<string, string>): Subject {
  const label = `ipam assign ${ASSIGN_ADDRESSES} addresses`;
  const flags = cli.flags('ipam:assign');
  const base = cli.subject(label, 'ipam:assign', ['ipam', 'assign'], env);
  if (!flags) return base;
  const countFlag = ['num', 'count', 'number'].find((f) => flags.has(f));
  if (!countFlag) return { ...base, unavailable: 'ipam assign has no --num flag' };
  const args = ['ipam', 'assign', `--${countFlag}`, String(ASSIGN_ADDRESSES)];
  const nodeFlag = ['node', 'hostname'].find((f) => flags.has(f));
  // The first node of every dataset (it owns the first IPv4 block).
  if (nodeFlag) args.push(`--${nodeFlag}`, 'ip-172-20-0-10.ec2.internal');
  if (flags.has('pool')) args.push('--pool', ASSIGN_POOL);
  const handleFlag = ['handle', 'handle-id'].find((f) => flags.get(f)?.required);
  if (handleFlag) args.push(`--${handleFlag}`, 'bench-assign');
  return cli.subject(label, 'ipam:assign', args, env);
}

/** Enough blocks of the assign pool for 400 rounds of the assign case on one node. */
const ASSIGN_MAX_BLOCKS_PER_HOST = 1000;

/** "Growing less than linearly with the data": RSS at the largest size over RSS at the smallest. */
function rssGrowthRows(rows: readonly Row[], sizes: readonly number[]): Row[] {
  if (sizes.length < 2) return [];
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  const name = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));
  const out: Row[] = [];
  for (const label of [
    'ipam show (etcd)',
    'ipam show --show-blocks (etcd)',
    'ipam show --by-node (etcd)',
    'ipam show --show-borrowed (etcd)',
    `etcdctl get --prefix ${BLOCK_PREFIX}`,
    'ipam check (etcd)',
    'ipam check --json (etcd)',
    'datastore export -o FILE (etcd)',
    'etcdctl get --prefix /calico/',
  ]) {
    const at = (n: number) =>
      rows.find(
        (r) => (r.group === `etcd ${name(n)}` || r.group === `etcd ${name(n)} whole`) && r.label === label,
      )?.rssMiB;
    const a = at(small);
    const b = at(large);
    if (a === undefined || b === undefined) continue;
    const growth = b / a;
    const data = large / small;
    const isReference = label.startsWith('etcdctl');
    out.push({
      group: `RSS ${name(small)} -> ${name(large)}`,
      label,
      budget: isReference ? 'reference' : `growth < ${data.toFixed(1)}x (data)`,
      status: isReference ? 'reference' : growth < data ? 'pass' : 'FAIL',
      note: `${a.toFixed(0)} -> ${b.toFixed(0)} MiB = ${growth.toFixed(2)}x`,
    });
  }
  return out;
}

function list(text: string): number[] {
  return text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => positive(s, 'a size'));
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what}: expected a positive integer, got "${text}"`);
  return n;
}

function seed(text: string | undefined): number {
  return text === undefined ? DEFAULT_SEED : positive(text, '--seed');
}
