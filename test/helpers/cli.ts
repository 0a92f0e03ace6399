/**
 * Runs the built CLI (bin/run.js -> dist/) as a user would, with a clean environment: no
 * ETCD_* / DATASTORE_* variables leak in from the machine, HOME and XDG_STATE_HOME point at a
 * fresh temporary directory (removed when the run ends), and stdin is closed unless input is given.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(REPO_ROOT, 'bin', 'run.js');

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  /** Kill the CLI after this many ms (the test then sees signal SIGKILL). */
  killAfterMs?: number;
}

/** A private HOME for one CLI process; whoever starts the process removes it when it ends. */
export function makeHome(): string {
  return mkdtempSync(join(tmpdir(), 'calicoctl-ts-home-'));
}

/**
 * The environment a CLI run starts from: PATH, a private HOME, and the test run's TMPDIR (so a
 * temporary file the CLI forgets is found by the end-of-run check, test/setup/run.ts).
 */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_STATE_HOME: join(home, '.local', 'state'),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const home = makeHome();
  try {
    return await spawnCli(args, home, options);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function spawnCli(args: string[], home: string, options: CliOptions): Promise<CliResult> {
  const overrides = Object.entries(options.env ?? {});
  const env = Object.fromEntries(
    [...Object.entries(baseEnv(home)), ...overrides].filter(
      ([k, v]) => v !== undefined && overrides.every(([ok, ov]) => ok !== k || ov !== undefined),
    ),
  ) as Record<string, string>;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = options.killAfterMs
      ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ stdout, stderr, code, signal });
    });
    // A command that never reads stdin may exit before the input is written: EPIPE is not a failure.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(options.input ?? '');
  });
}
