/**
 * The test run's global setup (vitest `globalSetup`). The run gets a temp root of its own, which every
 * worker and every CLI the tests start uses as TMPDIR, and an id (this process's pid) that names the
 * network namespaces tests make (test/helpers/netns.ts). When the run ends, the run fails if anything
 * of it is left: a file in its temp root, a namespace with its id, a process that holds either. Other
 * processes on the machine, and other test runs, have other roots and ids, so they never count.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'calicoctl-ts-run-'));
  const run = String(process.pid);
  process.env.TMPDIR = root;
  process.env.CALICOCTL_TS_TEST_RUN = run;
  return () => {
    const left = leftovers(root, run);
    // Reported, and then removed, so that even a failed run leaves nothing.
    for (const thing of left) remove(thing);
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`the test run left these behind:\n  ${left.map((t) => t.description).join('\n  ')}`);
    }
  };
}

interface Leftover {
  description: string;
  pid?: number;
  namespace?: string;
}

/** What of the run still exists: temp entries, namespaces and processes (vitest's own excepted). */
function leftovers(root: string, run: string): Leftover[] {
  const left: Leftover[] = readdirSync(root).map((name) => ({ description: `temp: ${join(root, name)}` }));
  const namespaceMark = `cts${run}-`;
  let namespaces: string[] = [];
  try {
    namespaces = readdirSync('/run/netns').filter((name) => name.startsWith(namespaceMark));
  } catch {
    // no namespace was ever made on this machine
  }
  left.push(...namespaces.map((name) => ({ description: `network namespace: ${name}`, namespace: name })));
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (pid === run) continue;
    const cmdline = readProc(pid, 'cmdline');
    const environ = readProc(pid, 'environ');
    // vitest's workers (this process's children) have the run's TMPDIR too; they end after this check.
    if (parentOf(pid) === run) continue;
    if (cmdline.includes(root) || environ.includes(root) || cmdline.includes(namespaceMark)) {
      const description = `process ${pid}: ${cmdline.replaceAll('\0', ' ').trim()}`;
      left.push({ description, pid: Number(pid) });
    }
  }
  return left;
}

function remove(thing: Leftover): void {
  try {
    if (thing.pid !== undefined) process.kill(thing.pid, 'SIGKILL');
    if (thing.namespace !== undefined) execFileSync('ip', ['netns', 'del', thing.namespace]);
  } catch {
    // gone already
  }
}

function parentOf(pid: string): string {
  // /proc/<pid>/stat: "pid (comm) state ppid ...", and comm may hold spaces or parentheses.
  const stat = readProc(pid, 'stat');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '';
}

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return ''; // gone, or not ours to read
  }
}
