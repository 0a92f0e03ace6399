/**
 * Tools for the outage tests: find the etcd process the harness started (by its unique data dir),
 * freeze, kill and restart it with its own arguments, see whether a CLI process has a TCP
 * connection open to it, and run the CLI inside a network namespace.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { get } from 'node:http';

import { baseEnv, CLI, makeHome, REPO_ROOT, type CliResult } from '../helpers/cli.js';

export interface EtcdProcess {
  pid: number;
  args: string[];
}

/** The etcd process whose command line names dataDir. */
export function findEtcd(dataDir: string): EtcdProcess {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (args[0]?.endsWith('etcd') && args.includes(dataDir))
      return { pid: Number(entry), args: args.slice(1) };
  }
  throw new Error(`no etcd process with data dir ${dataDir}`);
}

/** Starts etcd again with the arguments it had (same ports, same data) and waits until it is healthy. */
export async function restartEtcd(proc: EtcdProcess, endpoint: string): Promise<() => void> {
  const child = spawn('etcd', proc.args, { stdio: 'ignore' });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await healthy(endpoint)) return stop;
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`restarted etcd at ${endpoint} did not become healthy`);
}

function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(new URL('/health', endpoint), { timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** True when process pid has an established TCP connection to 127.0.0.1:port. */
export function connectedTo(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return false;
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[2] === remote && f[3] === '01' && inodes.has(f[9] ?? '');
    });
}

export interface RunningCli {
  pid: number;
  result: Promise<CliResult & { elapsedMs: number }>;
}

/** Starts the built CLI (optionally inside network namespace ns) without waiting for it. */
export function startCli(args: string[], env: Record<string, string>, ns?: string): RunningCli {
  return startNode(CLI, args, env, ns);
}

/** Starts node on a script (optionally inside network namespace ns); elapsedMs ends when it has exited. */
export function startNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  ns?: string,
): RunningCli {
  const command = ns
    ? ['ip', 'netns', 'exec', ns, process.execPath, script, ...args]
    : [process.execPath, script, ...args];
  const started = Date.now();
  const home = makeHome();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: { ...baseEnv(home), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult & { elapsedMs: number }>((resolve, reject) => {
    child.on('error', (err) => {
      rmSync(home, { recursive: true, force: true });
      reject(err);
    });
    child.on('close', (code, signal) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ stdout, stderr, code, signal, elapsedMs: Date.now() - started });
    });
  });
  return { pid: child.pid!, result };
}

/** Polls until cond() holds, or throws after timeoutMs. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
