/**
 * `node bench/run.js profile FILE [--self N] [--inclusive N]`: a V8 .cpuprofile (what
 * `node --cpu-prof` or `node-check --cpu-prof-dir` writes) summed by function, self time and
 * inclusive time, in milliseconds: the tables docs/performance.md quotes. The CLI runs from
 * dist/bundle/*.cjs, whose function names survive bundling, so rows read as the sources do.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function profileCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { self: { type: 'string', default: '30' }, inclusive: { type: 'string', default: '40' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('profile: name a .cpuprofile file');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(summarizeProfile(profile, Number(values.self), Number(values.inclusive)));
  return 0;
}

export function summarizeProfile(profile: CpuProfile, selfRows: number, inclusiveRows: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  // Microseconds sampled in each node (the delta before a sample is the time it stands for).
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, us] of sampled) {
    total += us;
    add(self, frameName(byId.get(id)!), us);
    // A recursive function counts once per sample in its inclusive time.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = frameName(byId.get(at)!);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  const ms = (us: number): string => (us / 1000).toFixed(1).padStart(8);
  const rows = (m: Map<string, number>, n: number): string[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `${ms(us)} ${name}`);
  return [
    `total ms ${(total / 1000).toFixed(0)} wall ${((profile.endTime - profile.startTime) / 1000).toFixed(0)}`,
    '--- self',
    ...rows(self, selfRows),
    '--- inclusive',
    ...rows(inclusive, inclusiveRows),
    '',
  ].join('\n');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anon)'} ${url.split('/').slice(-2).join('/')}:${lineNumber}`;
}

function add(m: Map<string, number>, key: string, us: number): void {
  m.set(key, (m.get(key) ?? 0) + us);
}
