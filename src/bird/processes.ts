/**
 * Which Calico and BIRD processes run on this host, found as calicoctl finds them (bird.md §4.1):
 * by the exact argv of every process in /proc (argv[0] `bird` is BIRD for IPv4, not
 * `/usr/sbin/bird`).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RunningProcesses {
  /** argv[0] `calico-felix`, or calicoctl's `["calico-node", "-felix"]` pattern. */
  calico: boolean;
  bird: boolean;
  bird6: boolean;
}

/**
 * One read of each /proc/<pid>/cmdline (readFileSync to UTF-8 is a single call into Node's C++: no
 * stat, no stream), and the scan stops once all three are found. Decoding cannot make a name match
 * that the bytes do not: the names are ASCII, and a NUL is never part of a replaced sequence.
 */
export function scanProcesses(procRoot = '/proc'): RunningProcesses {
  const found: RunningProcesses = { calico: false, bird: false, bird6: false };
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!isPid(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`${procRoot}/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // the process ended while we looked
    }
    const end0 = cmdline.indexOf('\0');
    const arg0 = end0 < 0 ? cmdline : cmdline.slice(0, end0);
    // calicoctl's psContains matches when ANY listed position matches, so argv[0] `calico-node`
    // alone, or argv[1] `-felix` alone, counts.
    if (arg0 === 'calico-felix' || arg0 === 'calico-node' || (end0 >= 0 && isFelixFlag(cmdline, end0 + 1)))
      found.calico = true;
    if (arg0 === 'bird') found.bird = true;
    if (arg0 === 'bird6') found.bird6 = true;
    if (found.calico && found.bird && found.bird6) break;
  }
  return found;
}

/** Whether the argument starting at start is exactly `-felix`. */
function isFelixFlag(cmdline: string, start: number): boolean {
  const end = start + '-felix'.length;
  return cmdline.startsWith('-felix', start) && (end === cmdline.length || cmdline.charCodeAt(end) === 0);
}

function isPid(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return name.length > 0;
}
