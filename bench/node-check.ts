/**
 * `node check` on a node of a 10,000-block cluster (about 10,000 remote-block routes in its kernel)
 * against reading the same two things with the tools themselves: `ip -d -j route show table all`
 * plus `etcdctl get --prefix /calico/ipam/v2/assignment/`, back to back (docs/performance.md).
 *
 * `node bench/run.js node-check [--blocks 10000] [--runs 5] [--seed N] [--cpu-prof-dir DIR]` (root: it
 * makes a network namespace; with --cpu-prof-dir, one profiled check instead of the timed rounds). The benchmark re-runs itself inside a fresh namespace, so that etcd, the CLI and the
 * reference share the namespace's own loopback and nothing touches the host's network. In there:
 * etcd with the generated dataset (its IPv4 pool switched to no encapsulation, since this kernel
 * has no ipip module for tunl0), eth0 with the first node's address, and the node's routes put in
 * place by running the hints of a first `node check` (so the timed checks find a clean node).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { alive } from '../test/helpers/process.js';
import { loadBuiltCli } from './built-cli.js';
import { BLOCK_PREFIX, DEFAULT_SEED, emptyStats, generateDataset, type Entry } from './dataset.js';
import { startBenchEtcd } from './etcd.js';
import { loadIntoEtcd } from './load.js';
import { describeMachine, machineText, markdownTable, textTable } from './report.js';
import { runGroup } from './suite.js';
import { onEtcd } from './whole-datastore.js';

/** The dataset's first node (bench/dataset.ts nodeName(0), nodeAddress(0)). */
const NODE = 'ip-172-20-0-10.ec2.internal';
const NODE_ADDRESS = '172.20.0.10/16';
const IN_NAMESPACE = '--in-namespace';

export async function nodeCheckCommand(args: string[], repoRoot: string): Promise<number> {
  if (args[0] !== IN_NAMESPACE) {
    // A namespace left by an interrupted run (its pid gone) is removed first.
    for (const line of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
      const stale = /^nclbench(\d+)/.exec(line);
      if (stale && !alive(Number(stale[1]))) execFileSync('ip', ['netns', 'del', stale[0]]);
    }
    const ns = `nclbench${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const inner = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          join(repoRoot, 'bench', 'run.js'),
          'node-check',
          IN_NAMESPACE,
          ...args,
        ],
        { stdio: 'inherit' },
      );
      return inner.status ?? 1;
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  }
  const { values } = parseArgs({
    args: args.slice(1),
    options: {
      blocks: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '5' },
      seed: { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
    },
  });
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`machine: ${machineText(describeMachine()).trim()}`);
  const ip = (...a: string[]): string => execFileSync('ip', a, { encoding: 'utf8' });
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
  ip('addr', 'add', NODE_ADDRESS, 'dev', 'eth0');
  ip('link', 'set', 'eth0', 'up');
  ip('link', 'set', 'peer0', 'up');
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');

  const scratch = mkdtempSync(join(tmpdir(), 'calicoctl-ts-bench-'));
  const etcd = await startBenchEtcd();
  try {
    const blocks = Number(values.blocks);
    const stats = emptyStats();
    const load = await loadIntoEtcd(
      etcd.endpoint,
      noEncapsulation(
        generateDataset({ blocks, seed: values.seed ? Number(values.seed) : DEFAULT_SEED }, stats),
      ),
    );
    log(
      `etcd: ${load.keys} keys (${stats.blocksV4} IPv4 blocks, ${stats.nodes} nodes) in ${load.seconds.toFixed(1)} s`,
    );
    const home = join(scratch, 'home');
    mkdirSync(home);
    const cli = loadBuiltCli(repoRoot, home);
    const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoint };
    const check = cli.subject(
      'node check (etcd)',
      'node:check',
      ['node', 'check', '--node', NODE, '--timeout', '60s'],
      env,
    );
    const run = (extra: string[]): { status: number | null; stdout: string } => {
      const r = spawnSync(check.command.argv[0]!, [...check.command.argv.slice(1), ...extra], {
        env: check.command.env,
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      });
      return { status: r.status, stdout: r.stdout };
    };
    // Put the node's routes in place with the first check's own hints.
    const first = JSON.parse(run(['-o', 'json']).stdout) as { findings: { hint: string }[] };
    const batches: Record<'4' | '6', string[]> = { 4: [], 6: [] };
    for (const f of first.findings) {
      const m = /(?:^|by hand: )ip (-6 )?route replace (.*)$/.exec(f.hint);
      if (m) batches[m[1] ? '6' : '4'].push(`route replace ${m[2]}`);
      // Sysctls Felix sets at start-up (this namespace's own: net.* is per network namespace).
      const sysctl = /^sysctl -w (net\.[\w.-]+)=(\S+)/.exec(f.hint);
      if (sysctl) writeFileSync(`/proc/sys/${sysctl[1]!.replaceAll('.', '/')}`, sysctl[2]!);
    }
    for (const [family, lines] of Object.entries(batches)) {
      const file = join(scratch, `routes${family}.batch`);
      writeFileSync(file, lines.join('\n') + '\n');
      ip(`-${family}`, '-batch', file);
    }
    const second = run([]);
    log(
      `routes: ${batches[4].length} IPv4 and ${batches[6].length} IPv6 put in place; then: ${second.stdout.trim().split('\n').pop()}`,
    );
    if (second.status !== 0)
      throw new Error(`node check is not clean on the prepared node:\n${second.stdout}`);

    const profileDir = values['cpu-prof-dir'];
    if (profileDir !== undefined) {
      // One profiled check instead of the timed rounds (node --cpu-prof writes a .cpuprofile there).
      const argv = check.command.argv;
      spawnSync(argv[0]!, ['--cpu-prof', '--cpu-prof-dir', profileDir, ...argv.slice(1)], {
        env: check.command.env,
        stdio: 'ignore',
      });
      log(`profile written to ${profileDir}`);
      return 0;
    }
    const reference = {
      serverCpuSeconds: () => etcd.cpuSeconds(),
      label: `ip -d -j route show table all; etcdctl get --prefix ${BLOCK_PREFIX}`,
      command: {
        argv: [
          'sh',
          '-c',
          `ip -d -j route show table all && etcdctl --endpoints ${etcd.endpoint} --command-timeout 300s get --prefix ${BLOCK_PREFIX}`,
        ],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '3' },
      },
    };
    const size = blocks >= 1000 ? `${blocks / 1000}k` : String(blocks);
    const rows = await runGroup(
      {
        title: `node check, etcd ${size}`,
        reference,
        cases: [
          { subject: onEtcd(check, etcd), budget: { kind: 'ratio', max: 1.0 } },
          {
            subject: onEtcd(
              cli.subject('node check -o json (etcd)', 'node:check', ['node', 'check', '--node', NODE, '-o', 'json'], env),
              etcd,
            ), // prettier-ignore
            budget: { kind: 'ratio', max: 1.0 },
          },
        ],
      },
      { runs: Number(values.runs), groupBudgetSeconds: 240, deadlineMs: 300_000 },
      scratch,
      log,
    );
    process.stdout.write(`${textTable(rows)}\n${markdownTable(rows)}\n`);
    return rows.some((r) => r.status === 'error') ? 1 : 0;
  } finally {
    await etcd.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The dataset's IPIP pool as a no-encapsulation pool: routes BIRD programs on eth0, no tunl0. */
function* noEncapsulation(entries: Iterable<Entry>): Generator<Entry> {
  for (const [key, value] of entries) {
    yield key.includes('/ippools/')
      ? [key, value.replace('"ipipMode":"Always"', '"ipipMode":"Never"')]
      : [key, value];
  }
}
