/**
 * Network namespaces for tests. Every name carries the test run's id (the pid of the vitest process,
 * test/setup/run.ts), so the end-of-run check finds a namespace the run left, and namespaces of a
 * run that was killed before its cleanup are removed by the next run that makes one.
 */
import { execFileSync } from 'node:child_process';

import { alive } from './process.js';

const PREFIX = 'cts';
/** The test run's id; a file run outside vitest's global setup is a run of its own. */
export const TEST_RUN = process.env.CALICOCTL_TS_TEST_RUN ?? String(process.pid);

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A namespace name unique to this run and this worker: cts<run>-<worker pid>-<what>. */
export function namespaceName(what: string): string {
  return `${PREFIX}${TEST_RUN}-${process.pid}-${what}`;
}

/** Every test namespace that exists now, with the run it belongs to. */
export function testNamespaces(): Array<{ name: string; run: string }> {
  const found: Array<{ name: string; run: string }> = [];
  for (const line of ip('netns', 'list').split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line);
    if (m) found.push({ name: m[1]!, run: m[2]! });
  }
  return found;
}

let staleRemoved = false;

/** Makes a namespace, first removing (once per worker) those of earlier runs that no longer exist. */
export function addNamespace(name: string): void {
  if (!staleRemoved) {
    staleRemoved = true;
    for (const ns of testNamespaces()) if (!alive(Number(ns.run))) deleteNamespace(ns.name);
  }
  ip('netns', 'add', name);
}

/** Deletes a namespace and kills whatever still runs in it; a namespace already gone is fine. */
export function deleteNamespace(name: string): void {
  try {
    for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ip('netns', 'del', name);
  } catch {
    // already gone
  }
}
