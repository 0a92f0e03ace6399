/**
 * Issue 14's cases: the commands that read a whole cluster's IPAM, each against etcdctl reading the
 * keys it reads, in the same rounds; the export/import pair; and the throughput of `ipam release
 * --from-report` for a report of RELEASE_ADDRESSES leaked addresses.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { encodeAllocations, readReportFile, writeReportFile } from '../src/ipam/report.js';
import type { BuiltCli } from './built-cli.js';
import { BLOCK_PREFIX } from './dataset.js';
import type { BenchEtcd } from './etcd.js';
import { measure } from './measure.js';
import type { Group, Row, Subject } from './suite.js';

export const RELEASE_ADDRESSES = 10_000;
const POOLS_PREFIX = '/calico/resources/v3/projectcalico.org/ippools/';

type Env = Record<string, string>;

/**
 * The CLI's per-call deadline for the datastore cases, as etcdctl gets `--command-timeout 300s`: at
 * 50k blocks on a loaded machine, etcd took longer than the default 5 s to answer one 45 MB page.
 * It changes no work.
 */
const TIMEOUT = ['--timeout', '300s'];

export function etcdctlSubject(endpoint: string, prefix: string): Subject {
  return {
    label: `etcdctl get --prefix ${prefix}`,
    command: {
      // etcdctl gives up after 5 s by default, which 50k blocks can exceed on a slow machine.
      argv: ['etcdctl', '--endpoints', endpoint, '--command-timeout', '300s', 'get', '--prefix', prefix],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '3' },
    },
  };
}

/** The subject, charged the CPU etcd uses while it runs. */
export function onEtcd(subject: Subject, etcd: Pick<BenchEtcd, 'cpuSeconds'>): Subject {
  return { ...subject, serverCpuSeconds: () => etcd.cpuSeconds() };
}

/** Every member of each group, charged the CPU etcd uses while it runs. */
function allOnEtcd(groups: Group[], etcd: BenchEtcd): Group[] {
  return groups.map((g) => ({
    ...g,
    ...(g.reference ? { reference: onEtcd(g.reference, etcd) } : {}),
    cases: g.cases.map((c) => ({ ...c, subject: onEtcd(c.subject, etcd) })),
  }));
}

type Ratio = (max: number, rssMiB?: number) => { kind: 'ratio'; max: number; rssMaxMiB?: number };

/** `ipam show` variants that read the blocks (and one key more), against etcdctl reading the blocks. */
export function blockReaders(cli: BuiltCli, env: Env, where: string): Subject[] {
  return [
    cli.subject(`ipam show (${where})`, 'ipam:show', ['ipam', 'show', ...TIMEOUT], env),
    cli.subject(
      `ipam show --show-blocks (${where})`,
      'ipam:show',
      ['ipam', 'show', '--show-blocks', ...TIMEOUT],
      env,
    ),
    cli.subject(
      `ipam show --by-node (${where})`,
      'ipam:show',
      ['ipam', 'show', '--by-node', ...TIMEOUT],
      env,
    ),
    cli.subject(
      `ipam show --show-borrowed (${where})`,
      'ipam:show',
      ['ipam', 'show', '--show-borrowed', ...TIMEOUT],
      env,
    ),
  ];
}

/** `ipam check` in its three outputs (all read about the whole datastore). */
export function checks(cli: BuiltCli, env: Env, where: string, scratch: string, size: string): Subject[] {
  return [
    cli.subject(`ipam check (${where})`, 'ipam:check', ['ipam', 'check', ...TIMEOUT], env),
    cli.subject(`ipam check --json (${where})`, 'ipam:check', ['ipam', 'check', '--json', ...TIMEOUT], env),
    cli.subject(`ipam check -o REPORT (${where})`, 'ipam:check', ['ipam', 'check', '-o', reportPath(scratch, `${where}-${size}`), ...TIMEOUT], env),
  ]; // prettier-ignore
}

export function exporter(cli: BuiltCli, env: Env, where: string, scratch: string, size: string): Subject {
  const file = exportPath(scratch, `${where}-${size}`);
  return cli.subject(
    `datastore export -o FILE (${where})`,
    'datastore:export',
    ['datastore', 'export', '-o', file, ...TIMEOUT],
    env,
  );
}

export const reportPath = (scratch: string, tag: string): string => join(scratch, `report-${tag}.json`);
export const exportPath = (scratch: string, tag: string): string => join(scratch, `export-${tag}.jsonl`);

export function etcdGroups(
  cli: BuiltCli,
  etcd: BenchEtcd,
  scratch: string,
  size: string,
  sampleAddress: string,
  ratio: Ratio,
  checkRss: number | undefined,
): Group[] {
  const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoint };
  return allOnEtcd([
    {
      title: `etcd ${size}`,
      reference: etcdctlSubject(etcd.endpoint, BLOCK_PREFIX),
      cases: blockReaders(cli, env, 'etcd').map((subject) => ({ subject, budget: ratio(1.0) })),
    },
    {
      title: `etcd ${size} --ip`,
      reference: etcdctlSubject(etcd.endpoint, POOLS_PREFIX),
      cases: [
        {
          subject: cli.subject(
            'ipam show --ip (etcd)',
            'ipam:show',
            ['ipam', 'show', '--ip', sampleAddress, ...TIMEOUT],
            env,
          ),
          budget: ratio(1.0),
        },
      ],
    },
    {
      title: `etcd ${size} whole`,
      reference: etcdctlSubject(etcd.endpoint, '/calico/'),
      cases: [{ subject: exporter(cli, env, 'etcd', scratch, size), budget: ratio(1.0) }],
    },
    // A group of its own: a round of the three takes minutes, and would leave the export no rounds.
    {
      title: `etcd ${size} check`,
      reference: etcdctlSubject(etcd.endpoint, '/calico/'),
      cases: checks(cli, env, 'etcd', scratch, size).map((subject) => ({
        subject,
        budget: ratio(1.0, checkRss),
      })),
    },
  ], etcd); // prettier-ignore
}

/** Issue 14 gives the import no memory budget (its RSS is reported all the same). */
const IMPORT_BUDGET = { kind: 'ratio', max: 1.5 } as const;

/**
 * The export (from etcd, written by this group's reference) loaded into an empty embedded
 * store and an empty etcd, against the export itself.
 */
export function importGroup(
  cli: BuiltCli,
  source: BenchEtcd,
  target: BenchEtcd,
  scratch: string,
  size: string,
): Group {
  const etcdEnv = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: source.endpoint };
  const file = exportPath(scratch, `import-${size}`);
  const store = join(scratch, `import-target-${size}.db`);
  const embeddedEnv = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: store };
  const args = ['datastore', 'import', '-f', file, ...TIMEOUT];
  return {
    title: `import ${size}`,
    reference: onEtcd(cli.subject('datastore export -o FILE (etcd)', 'datastore:export', ['datastore', 'export', '-o', file, ...TIMEOUT], etcdEnv), source), // prettier-ignore
    cases: [
      {
        subject: {
          ...cli.subject(
            'datastore import into an empty embedded store',
            'datastore:import',
            args,
            embeddedEnv,
          ),
          prepare: async () => {
            for (const suffix of ['', '-wal', '-shm']) rmSync(store + suffix, { force: true });
          },
        },
        budget: IMPORT_BUDGET,
      },
      {
        subject: {
          ...onEtcd(
            cli.subject('datastore import into an empty etcd', 'datastore:import', args, {
              DATASTORE_TYPE: 'etcdv3',
              ETCD_ENDPOINTS: target.endpoint,
            }),
            target,
          ),
          prepare: () => target.reset(),
        },
        budget: IMPORT_BUDGET,
      },
    ],
  };
}

/**
 * `ipam release --from-report` of RELEASE_ADDRESSES leaked addresses, once per store state: the
 * report of the whole group's `ipam check -o` cut to that many addresses (and no handles), then
 * released with --force (the store is not locked). restore, when given, puts the store back before
 * each of `runs` rounds; without it the release runs once.
 */
export async function releaseRow(
  cli: BuiltCli,
  env: Env,
  fullReport: string,
  scratch: string,
  label: string,
  group: string,
  opts: { runs: number; restore?: () => void; deadlineMs: number },
): Promise<Row> {
  if (!existsSync(fullReport)) {
    const check = cli.subject(
      'ipam check -o',
      'ipam:check',
      ['ipam', 'check', '-o', fullReport, ...TIMEOUT],
      env,
    );
    await measure(check.command, scratch, { deadlineMs: opts.deadlineMs });
  }
  const report = readReportFile(fullReport);
  const leaked = [...report.allocations].filter(([, allocs]) => allocs.every((a) => !a.inUse));
  const cut = join(scratch, `release-${label.replace(/\W+/g, '-')}.json`);
  rmSync(cut, { force: true });
  // The report's order (Go's sorted keys) is kept: the first addresses of the full report.
  const { allocations: _all, ...head } = report;
  writeReportFile(cut, { ...head, leakedHandles: [] }, (enc) =>
    encodeAllocations(enc, leaked.slice(0, RELEASE_ADDRESSES)),
  );
  const addresses = Math.min(RELEASE_ADDRESSES, leaked.length);
  const subject = cli.subject(
    label,
    'ipam:release',
    ['ipam', 'release', '--from-report', cut, '--force', ...TIMEOUT],
    env,
  );
  const seconds: number[] = [];
  let rssMiB = 0;
  let error: string | undefined;
  const rounds = opts.restore ? opts.runs : 1;
  for (let i = 0; i < rounds && !error; i++) {
    opts.restore?.();
    const sample = await measure(subject.command, scratch, { deadlineMs: opts.deadlineMs });
    if (sample.exitCode !== 0)
      error = `exit ${sample.exitCode}: ${sample.stderr.trim().split('\n')[0] ?? ''}`;
    seconds.push(sample.seconds);
    rssMiB = Math.max(rssMiB, sample.rssMiB);
  }
  if (error) return { group, label, budget: 'report throughput', status: 'error', note: error };
  seconds.sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)]!;
  return {
    group,
    label,
    seconds: median,
    runs: seconds.length,
    rssMiB,
    budget: 'report throughput',
    status: 'info',
    throughput: `${Math.round(addresses / median).toLocaleString('en-US')} addresses/s`,
    note: `${addresses} leaked addresses`,
  };
}

/** A copy of an embedded store (its file, and its WAL if one is left), put back before each release round. */
export function snapshotEmbedded(path: string): { restore(): void } {
  const files = ['', '-wal'].map((suffix) => path + suffix).filter((f) => existsSync(f));
  for (const f of files) copyFileSync(f, `${f}.pristine`);
  return {
    restore() {
      for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
      for (const f of files) copyFileSync(`${f}.pristine`, f);
    },
  };
}
