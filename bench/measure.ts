/**
 * Runs one command the way a user's shell would and records its wall time (from spawn to exit,
 * measured here), its CPU time (GNU time's %U + %S: what a loaded machine disturbs far less than
 * the wall time) and peak RSS (%M, the child's ru_maxrss). Standard output goes to /dev/null unless
 * the caller wants it counted; every run has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Command {
  /** The executable and its arguments. */
  argv: readonly string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface Sample {
  seconds: number;
  /** User + system CPU seconds of the command and its children. */
  cpuSeconds: number;
  rssMiB: number;
  exitCode: number | null;
  /** The last lines of standard error, for a failed run. */
  stderr: string;
  /** Bytes and lines written to standard output when counted (otherwise 0). */
  stdoutBytes: number;
  stdoutLines: number;
}

const TIME = '/usr/bin/time';
const DEFAULT_DEADLINE_MS = 300_000;

let runCounter = 0;
/** Children still running, so that an interrupted benchmark can stop them (see stopAllRuns). */
const running = new Set<ChildProcess>();

/** Kills every command still being measured (on Ctrl-C). */
export function stopAllRuns(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function measure(
  cmd: Command,
  scratchDir: string,
  opts: { countStdout?: boolean; deadlineMs?: number } = {},
): Promise<Sample> {
  const rssFile = join(scratchDir, `rss-${process.pid}-${runCounter++}.txt`);
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-f', '%M %U %S', '-o', rssFile, ...cmd.argv], {
    env: cmd.env,
    cwd: cmd.cwd,
    stdio: ['ignore', opts.countStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  let stdoutBytes = 0;
  let stdoutLines = 0;
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  child.stdout?.on('data', (d: Buffer) => {
    stdoutBytes += d.length;
    for (const byte of d) if (byte === 10) stdoutLines++;
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => running.delete(child));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearTimeout(deadline);
  let rssMiB = Number.NaN;
  let cpuSeconds = Number.NaN;
  try {
    // GNU time writes "Command exited with non-zero status N" before the format when it fails.
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const [rssKiB, user, system] = lines[lines.length - 1]!.split(' ').map(Number);
    rssMiB = rssKiB! / 1024;
    cpuSeconds = user! + system!;
  } catch {
    // No file: time itself was killed by the deadline.
  }
  rmSync(rssFile, { force: true });
  return { seconds, cpuSeconds, rssMiB, exitCode, stderr, stdoutBytes, stdoutLines };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
