/**
 * Groups of commands timed side by side: each round runs the group's reference and then its cases,
 * starting at a different member each round so that drift on a shared machine spreads evenly.
 * One warm-up round first (page cache, etcd's caches) that also checks every command succeeds;
 * a command that fails is reported with its error and left out of the timed rounds.
 */
import { median, measure, type Command, type Sample } from './measure.js';

export interface Subject {
  label: string;
  command: Command;
  /** Why this command cannot run (e.g. it does not exist in the built CLI). */
  unavailable?: string;
  /** Run before every run of the command, untimed (e.g. empty the store an import writes to). */
  prepare?: () => Promise<void>;
  /** The CPU seconds so far of the server the command talks to (etcd), to charge it its share. */
  serverCpuSeconds?: () => number;
}

export type Budget =
  | { kind: 'ratio'; max: number; rssMaxMiB?: number }
  | { kind: 'throughput'; units: number; unit: string }
  | { kind: 'none' };

export interface Case {
  subject: Subject;
  budget: Budget;
}

export interface Group {
  title: string;
  reference?: Subject;
  cases: Case[];
}

export interface Row {
  group: string;
  label: string;
  /** Median wall seconds, or undefined when the command did not run. */
  seconds?: number;
  referenceLabel?: string;
  referenceSeconds?: number;
  ratio?: number;
  budget: string;
  /** The highest peak RSS over the runs. */
  rssMiB?: number;
  /** Median user + system CPU seconds of the command, and of its server (etcd) during it. */
  cpuSeconds?: number;
  serverCpuSeconds?: number;
  /** e.g. "12,345 addresses/s". */
  throughput?: string;
  status: 'pass' | 'FAIL' | 'reference' | 'info' | 'n/a' | 'error';
  /** Timed runs behind the median. */
  runs?: number;
  note?: string;
  stdoutBytes?: number;
}

interface Outcome {
  samples: (Sample & { serverCpuSeconds?: number })[];
  warmup?: Sample;
  error?: string;
}

export interface RunLimits {
  /** Timed rounds after the warm-up. */
  runs: number;
  /** Fewer rounds when the warm-up round says `runs` would take longer than this; none when one would. */
  groupBudgetSeconds: number;
  /** A single command is killed after this long. */
  deadlineMs: number;
}

export async function runGroup(
  group: Group,
  limits: RunLimits,
  scratchDir: string,
  log: (line: string) => void,
): Promise<Row[]> {
  const members: Subject[] = [
    ...(group.reference ? [group.reference] : []),
    ...group.cases.map((c) => c.subject),
  ];
  const outcomes = new Map<Subject, Outcome>();
  for (const subject of members) {
    if (subject.unavailable) {
      outcomes.set(subject, { samples: [], error: subject.unavailable });
      continue;
    }
    await subject.prepare?.();
    const warmup = await measureWithServer(subject, scratchDir, {
      countStdout: true,
      deadlineMs: limits.deadlineMs,
    });
    const error = warmup.exitCode === 0 ? undefined : failure(warmup);
    outcomes.set(subject, { samples: [], warmup, ...(error ? { error } : {}) });
    log(`  warm-up ${subject.label}: ${warmup.seconds.toFixed(3)} s${error ? ` (${error})` : ''}`);
  }
  const live = members.filter((m) => !outcomes.get(m)!.error);
  const warmupSeconds = live.reduce((sum, m) => sum + outcomes.get(m)!.warmup!.seconds, 0);
  const runs = Math.min(limits.runs, Math.floor(limits.groupBudgetSeconds / warmupSeconds));
  if (runs < limits.runs) {
    log(`  ${runs} timed rounds instead of ${limits.runs}: one round takes ${warmupSeconds.toFixed(0)} s`);
  }
  // Too slow for even one more round: the warm-up is the only measurement (the table says so).
  if (runs === 0) for (const m of live) outcomes.get(m)!.samples.push(outcomes.get(m)!.warmup!);
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < live.length; i++) {
      const subject = live[(i + round) % live.length]!;
      await subject.prepare?.();
      const sample = await measureWithServer(subject, scratchDir, { deadlineMs: limits.deadlineMs });
      const outcome = outcomes.get(subject)!;
      if (sample.exitCode !== 0) outcome.error ??= failure(sample);
      outcome.samples.push(sample);
    }
    log(`  round ${round + 1}/${runs} done`);
  }

  const summary = (
    subject: Subject,
  ): {
    seconds?: number;
    cpuSeconds?: number;
    serverCpuSeconds?: number;
    rssMiB?: number;
    error?: string;
    bytes?: number;
    runs?: number;
  } => {
    const o = outcomes.get(subject)!;
    if (o.error) return { error: o.error };
    const server = o.samples
      .map((s) => s.serverCpuSeconds)
      .filter((s): s is number => s !== undefined && !Number.isNaN(s));
    return {
      runs: o.samples.length,
      seconds: median(o.samples.map((s) => s.seconds)),
      cpuSeconds: median(o.samples.map((s) => s.cpuSeconds)),
      ...(server.length > 0 ? { serverCpuSeconds: median(server) } : {}),
      rssMiB: Math.max(...o.samples.map((s) => s.rssMiB)),
      ...(o.warmup ? { bytes: o.warmup.stdoutBytes } : {}),
    };
  };

  const rows: Row[] = [];
  const ref = group.reference ? summary(group.reference) : undefined;
  if (group.reference && ref) {
    rows.push({
      group: group.title,
      label: group.reference.label,
      ...(ref.seconds !== undefined ? { seconds: ref.seconds, runs: ref.runs! } : {}),
      ...cpu(ref),
      ...(ref.rssMiB !== undefined ? { rssMiB: ref.rssMiB } : {}),
      budget: 'reference',
      status: ref.error ? 'error' : 'reference',
      ...(ref.error ? { note: ref.error } : {}),
      ...(ref.bytes !== undefined ? { stdoutBytes: ref.bytes } : {}),
    });
  }
  for (const c of group.cases) {
    const s = summary(c.subject);
    const row: Row = {
      group: group.title,
      label: c.subject.label,
      budget: budgetText(c.budget),
      status: 'info',
      ...(s.bytes !== undefined ? { stdoutBytes: s.bytes } : {}),
    };
    if (s.error) {
      row.status = c.subject.unavailable ? 'n/a' : 'error';
      row.note = s.error;
      rows.push(row);
      continue;
    }
    row.seconds = s.seconds!;
    Object.assign(row, cpu(s));
    row.runs = s.runs!;
    row.rssMiB = s.rssMiB!;
    if (group.reference && ref?.seconds !== undefined) {
      row.referenceLabel = group.reference.label;
      row.referenceSeconds = ref.seconds;
      row.ratio = s.seconds! / ref.seconds;
    }
    row.status = judge(c.budget, row);
    if (c.budget.kind === 'throughput') {
      row.throughput = `${Math.round(c.budget.units / s.seconds!).toLocaleString('en-US')} ${c.budget.unit}/s`;
    }
    rows.push(row);
  }
  return rows;
}

function cpu(s: { cpuSeconds?: number; serverCpuSeconds?: number }): Partial<Row> {
  return {
    ...(s.cpuSeconds !== undefined && !Number.isNaN(s.cpuSeconds) ? { cpuSeconds: s.cpuSeconds } : {}),
    ...(s.serverCpuSeconds !== undefined ? { serverCpuSeconds: s.serverCpuSeconds } : {}),
  };
}

/** measure(), with the CPU its server used meanwhile when the subject names one. */
async function measureWithServer(
  subject: Subject,
  scratchDir: string,
  opts: Parameters<typeof measure>[2],
): Promise<Sample & { serverCpuSeconds?: number }> {
  const before = subject.serverCpuSeconds?.();
  const sample = await measure(subject.command, scratchDir, opts);
  if (before === undefined) return sample;
  return { ...sample, serverCpuSeconds: subject.serverCpuSeconds!() - before };
}

function judge(budget: Budget, row: Row): Row['status'] {
  if (budget.kind !== 'ratio') return 'info';
  if (row.ratio === undefined) return 'error';
  const timeOk = row.ratio <= budget.max;
  const rssOk = budget.rssMaxMiB === undefined || (row.rssMiB ?? Infinity) <= budget.rssMaxMiB;
  if (!timeOk || !rssOk) {
    row.note = [
      !timeOk ? `time ${row.ratio.toFixed(2)}x > ${budget.max.toFixed(1)}x` : '',
      !rssOk ? 'RSS over budget' : '',
    ]
      .filter(Boolean)
      .join('; ');
    return 'FAIL';
  }
  return 'pass';
}

function budgetText(budget: Budget): string {
  switch (budget.kind) {
    case 'ratio':
      return `<= ${budget.max.toFixed(1)}x${budget.rssMaxMiB !== undefined ? `, <= ${budget.rssMaxMiB} MiB` : ''}`;
    case 'throughput':
      return 'report throughput';
    case 'none':
      return '';
  }
}

function failure(sample: Sample): string {
  // The line that says what went wrong, not a stack frame or a log prefix.
  const lines = sample.stderr.trim().split('\n');
  const firstLine = lines.find((l) => /error/i.test(l) && !/^\s+at /.test(l)) ?? lines[0] ?? '';
  const how = sample.exitCode === null ? 'killed (deadline)' : `exit ${sample.exitCode}`;
  return `${how}${firstLine ? `: ${firstLine.slice(0, 160)}` : ''}`;
}
