/**
 * Which Calico and BIRD processes run on this host, found as calicoctl finds them (bird.md §4.1):
 * by the exact argv of every process in /proc (argv[0] `bird` is BIRD for IPv4, not
 * `/usr/sbin/bird`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningProcesses {
  /** argv[0] `calico-felix`, or calicoctl's `["calico-node", "-felix"]` pattern. */
  calico: boolean;
  bird: boolean;
  bird6: boolean;
}

export function scanProcesses(procRoot = '/proc'): RunningProcesses {
  const found: RunningProcesses = { calico: false, bird: false, bird6: false };
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(join(procRoot, entry, 'cmdline'), 'latin1').split('\0');
    } catch {
      continue; // the process ended while we looked
    }
    const [arg0, arg1] = argv;
    // calicoctl's psContains matches when ANY listed position matches, so argv[0] `calico-node`
    // alone, or argv[1] `-felix` alone, counts.
    if (arg0 === 'calico-felix' || arg0 === 'calico-node' || arg1 === '-felix') found.calico = true;
    if (arg0 === 'bird') found.bird = true;
    if (arg0 === 'bird6') found.bird6 = true;
  }
  return found;
}
