/**
 * The cost of a watch (issue 16, docs/performance.md "Watching"): `node bench/run.js watch`.
 * On 10,000 IPAM blocks (the issue-7 dataset) in a throwaway etcd and in the embedded store, it
 * times the CPU (user + system) of full `ipam show` reads, then runs `ipam show --watch -o json`
 * while one block is updated per second for a minute (one address more in use each time) and
 * reads the watching process's CPU from /proc at its first document (the initial read) and after
 * the last change's document. Budget: the whole minute of watching uses less CPU than three full
 * reads. It measures and prints; it never fails a build.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { loadClientConfig } from '../src/config/load.js';
import type { Datastore } from '../src/datastore/contract.js';
import { openDatastore } from '../src/datastore/open.js';
import { BLOCK_PREFIX, DEFAULT_SEED, generateDataset } from './dataset.js';
import { startBenchEtcd } from './etcd.js';
import { loadIntoEmbedded, loadIntoEtcd } from './load.js';
import { describeMachine, machineText } from './report.js';

const CLOCK_TICKS = 100;
const FULL_READS = 3;

interface Result {
  backend: string;
  fullReadCpu: number;
  watchInitialCpu: number;
  watchChangesCpu: number;
  changes: number;
  documents: number;
}

export async function watchCommand(args: string[], repoRoot: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      blocks: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '60' },
    },
  });
  const blocks = Number(values.blocks);
  const seconds = Number(values.seconds);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`machine: ${machineText(describeMachine()).trim()}`);
  const scratch = mkdtempSync(join(tmpdir(), 'calicoctl-ts-bench-watch-'));
  const etcd = await startBenchEtcd();
  const results: Result[] = [];
  try {
    const dataset = () => generateDataset({ blocks, seed: DEFAULT_SEED });
    await loadIntoEtcd(etcd.endpoint, dataset());
    const dbPath = join(scratch, 'datastore.db');
    await loadIntoEmbedded(dbPath, dataset());
    const backends: { name: string; env: Record<string, string> }[] = [
      {
        name: 'etcd',
        env: { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoint },
      },
      {
        name: 'embedded',
        env: { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: dbPath },
      },
    ];
    for (const b of backends) {
      log(`${b.name}: ${FULL_READS} full reads`);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, ...b.env };
      const cli = [join(repoRoot, 'bin', 'run.js'), 'ipam', 'show'];
      const reads: number[] = [];
      for (let i = 0; i < FULL_READS; i++) reads.push(await cpuOfRun([...cli], env));
      const fullReadCpu = reads.sort((x, y) => x - y)[1]!;
      log(`${b.name}: watching for ${seconds} s, one block updated per second`);
      const ds = await openDatastore(loadClientConfig({ env: b.env }), { timeoutMs: 10_000 });
      try {
        results.push({ backend: b.name, fullReadCpu, ...(await watchWhileUpdating(cli, env, ds, seconds)) });
      } finally {
        await ds.close();
      }
    }
  } finally {
    await etcd.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(resultTable(results, blocks, seconds));
  return 0;
}

/** CPU seconds (user + system) of one run, from GNU time. */
async function cpuOfRun(argv: string[], env: Record<string, string>): Promise<number> {
  const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...argv], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ipam show failed (${code}): ${stderr}`);
  const [user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return user! + system!;
}

/** CPU seconds a running process has used so far (/proc/PID/stat utime + stime). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function watchWhileUpdating(
  cli: string[],
  env: Record<string, string>,
  ds: Datastore,
  seconds: number,
): Promise<Omit<Result, 'backend' | 'fullReadCpu'>> {
  const child = spawn(process.execPath, [...cli, '--watch', '-o', 'json'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let documents = 0;
  let waiter: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    for (const byte of d) if (byte === 10) documents++;
    waiter?.();
  });
  const documentsReach = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${documents} of ${n} documents arrived`)),
        120_000,
      );
      waiter = () => {
        if (documents >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      waiter();
    });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await documentsReach(1);
    const watchInitialCpu = cpuOf(child.pid!);
    const keys: string[] = [];
    for await (const kv of await ds.list(`${BLOCK_PREFIX}ipv4/block/`)) keys.push(kv.key);
    let changes = 0;
    for (let i = 0; i < seconds; i++) {
      const next = new Promise((resolve) => setTimeout(resolve, 1000));
      // The next block (in a fixed scattered order) that has a free address left.
      for (let k = 0; k < keys.length; k++)
        if (await takeOneAddress(ds, keys[((i + k) * 7919) % keys.length]!)) {
          changes++;
          break;
        }
      await next;
    }
    await documentsReach(1 + changes);
    const watchChangesCpu = cpuOf(child.pid!) - watchInitialCpu;
    return { watchInitialCpu, watchChangesCpu, changes, documents };
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

/** One more address of the block in use: its first free ordinal leaves `unallocated`. */
async function takeOneAddress(ds: Datastore, key: string): Promise<boolean> {
  const kv = await ds.get(key);
  if (!kv) return false;
  const value = kv.value.replace(/"unallocated":\[\d+,/, '"unallocated":[');
  if (value === kv.value) return false;
  return (await ds.update(key, value, kv.modRevision)).ok;
}

function resultTable(results: readonly Result[], blocks: number, seconds: number): string {
  const s = (n: number) => n.toFixed(2);
  const rows = results.map((r) => {
    const total = r.watchInitialCpu + r.watchChangesCpu;
    const budget = FULL_READS * r.fullReadCpu;
    return `| ${r.backend} | ${s(r.fullReadCpu)} | ${s(r.watchInitialCpu)} | ${s(r.watchChangesCpu)} (${r.changes} changes, ${r.documents} documents) | ${s(total)} | ${s(budget)} | ${total < budget ? 'met' : 'over'} |`;
  });
  return [
    `${blocks} blocks, one block updated per second for ${seconds} s; CPU seconds (user + system)`,
    '',
    '| datastore | one full `ipam show` (median of 3) | watch: start and initial read | watch: the changes | watch: whole run | budget (3 full reads) | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
