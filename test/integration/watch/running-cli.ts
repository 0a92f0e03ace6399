/**
 * The built CLI as a running process whose output a test watches as it comes: wait for a line, act,
 * wait for the next. Optionally inside a pseudo-terminal (util-linux `script`), where stdin is the
 * terminal's keyboard (a "\x03" written there is a real Ctrl-C) and stdout and stderr both arrive
 * on script's stdout. Optionally inside a network namespace (`ip netns exec`, which becomes the CLI).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

import { baseEnv, CLI, makeHome, REPO_ROOT } from '../../helpers/cli.js';

export interface RunningCli {
  stdout(): string;
  stderr(): string;
  /** Resolves with the text once predicate holds for the output so far (stdout, or stderr). */
  waitFor(
    predicate: (text: string) => boolean,
    opts?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number },
  ): Promise<string>;
  /** Writes to the process's stdin (the terminal's keyboard under a pseudo-terminal). */
  type(text: string): void;
  exited: Promise<{ code: number | null; at: number }>;
  /** SIGINT, as Ctrl-C sends it (outside a pseudo-terminal). */
  interrupt(): void;
  kill(): void;
}

export function startCli(
  args: string[],
  env: Record<string, string>,
  opts: { terminal?: boolean; columns?: number; ns?: string } = {},
): RunningCli {
  // The CLI's private HOME goes when the process has ended.
  const home = makeHome();
  const direct = [process.execPath, CLI, ...args];
  const quoted = direct.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const [file, ...argv] = opts.terminal
    ? ['script', '-q', '-e', '-c', `stty cols ${opts.columns ?? 160}; exec ${quoted}`, '/dev/null']
    : opts.ns
      ? ['ip', 'netns', 'exec', opts.ns, ...direct]
      : direct;
  const child = spawn(file!, argv, {
    cwd: REPO_ROOT,
    env: { ...baseEnv(home), ...(opts.terminal ? { TERM: 'xterm' } : {}), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const changed = (): void => waiters.forEach((w) => w());
  child.stdout.setEncoding('utf8').on('data', (d: string) => ((out.stdout += d), changed()));
  child.stderr.setEncoding('utf8').on('data', (d: string) => ((out.stderr += d), changed()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ code, at: Date.now() });
      changed();
    }),
  );
  return {
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    type: (text) => child.stdin.write(text),
    exited,
    interrupt: () => child.kill('SIGINT'),
    kill: () => child.kill('SIGKILL'),
    waitFor: (predicate, { stream = 'stdout', timeoutMs = 20_000 } = {}) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (predicate(out[stream])) {
            finish();
            resolve(out[stream]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            reject(
              new Error(
                `the CLI ended (${child.exitCode}) first; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The JSON lines written so far. */
export const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
