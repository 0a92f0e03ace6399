/** The results as a text table for the terminal and a Markdown table for docs/performance.md. */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

import type { Row } from './suite.js';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  etcd: string;
  etcdctl: string;
}

export function describeMachine(): Machine {
  const firstLine = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')[0]!
        .trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: `Linux ${release()}`,
    node: process.version,
    etcd: firstLine('etcd', ['--version']),
    etcdctl: firstLine('etcdctl', ['version']),
  };
}

const HEADERS = [
  'group',
  'case',
  'runs',
  'median s',
  'reference',
  'ref s',
  'ratio',
  'budget',
  'peak RSS MiB',
  'CPU s',
  'etcd CPU s',
  'throughput',
  'result',
];

function cells(row: Row): string[] {
  const s = (v: number | undefined, digits = 3): string => (v === undefined ? '' : v.toFixed(digits));
  const result = !row.note
    ? row.status
    : row.status === 'n/a'
      ? `n/a (${row.note})`
      : `${row.status} — ${row.note}`;
  return [
    row.group,
    row.label,
    row.runs === undefined ? '' : String(row.runs),
    s(row.seconds),
    row.referenceLabel ?? '',
    s(row.referenceSeconds),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`,
    row.budget,
    row.rssMiB === undefined ? '' : row.rssMiB.toFixed(0),
    s(row.cpuSeconds, 2),
    s(row.serverCpuSeconds, 2),
    row.throughput ?? '',
    result,
  ];
}

export function textTable(rows: readonly Row[]): string {
  const table = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return (
    table
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function markdownTable(rows: readonly Row[]): string {
  const line = (r: readonly string[]): string => `| ${r.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return (
    [line(HEADERS), line(HEADERS.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n') + '\n'
  );
}

export function machineText(m: Machine): string {
  return (
    `${m.date}; ${m.cores} x ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.kernel}; ` +
    `Node ${m.node}; ${m.etcd}; ${m.etcdctl}\n`
  );
}
