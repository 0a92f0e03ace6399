/**
 * A throwaway etcd for the benchmark: loopback only, free ports, a temporary data dir, and a
 * backend quota big enough for 50,000 blocks (the test harness's server keeps etcd's 2 GiB
 * default, which the larger datasets plus their bbolt overhead would come close to).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { etcdHealthy, freePort } from '../test/helpers/etcd-server.js';

export interface BenchEtcd {
  endpoint: string;
  /** Stops it and starts it again, empty, at the same endpoint (an import target per round). */
  reset(): Promise<void>;
  /** User + system CPU seconds etcd has used so far (its share of a command's work). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const QUOTA_BYTES = 8 * 1024 ** 3;
const START_TIMEOUT_MS = 30_000;

export async function startBenchEtcd(): Promise<BenchEtcd> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  let running = await launch(endpoint, peerUrl);
  return {
    endpoint,
    async reset() {
      await running.stop();
      running = await launch(endpoint, peerUrl);
    },
    stop: () => running.stop(),
    cpuSeconds: () => processCpuSeconds(running.pid),
  };
}

/**
 * utime + stime of /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux); NaN when
 * the process is gone (the row then shows no etcd CPU, and the case's own failure says why).
 */
function processCpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function launch(endpoint: string, peerUrl: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'calicoctl-ts-bench-etcd-'));
  const child = spawn(
    'etcd',
    [
      '--name', 'bench',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `bench=${peerUrl}`,
      '--initial-cluster-state', 'new',
      '--quota-backend-bytes', String(QUOTA_BYTES),
      '--max-request-bytes', String(8 * 1024 * 1024),
      '--logger', 'zap',
      '--log-level', 'error',
    ], // prettier-ignore
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await etcdHealthy(endpoint))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd at ${endpoint} did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, stop };
}
