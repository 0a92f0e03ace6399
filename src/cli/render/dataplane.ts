/**
 * The text of `node check`: a short header per node (its addresses, pools and modes, who programs
 * their routes), one table of findings grouped by area, the numbered hints, and a one-line summary.
 */
import { renderTable } from '../../output/tablewriter.js';
import type { NodeCheckReport } from '../../dataplane/check.js';
import { AREAS, type CheckSummary, type Finding, type FindingChange } from '../../dataplane/findings.js';

const HEADERS = ['#', 'AREA', 'SEVERITY', 'CODE', 'SUBJECT', 'EXPECTED', 'ACTUAL'];

export function renderNodeHeader(report: NodeCheckReport): string {
  const lines = [
    `Node:       ${report.node} (name from ${report.nodeSource})`,
    `Addresses:  ${report.addresses.length > 0 ? report.addresses.join(', ') : 'none'}`,
  ];
  if (report.pools.length === 0) lines.push('Pools:      none');
  report.pools.forEach((p, i) => {
    lines.push(
      `${i === 0 ? 'Pools:      ' : '            '}${p.name} ${p.cidr} ${p.mode}, routes by ${p.programmedBy}`,
    );
  });
  return lines.join('\n') + '\n';
}

/** Findings sorted by area (in AREAS order), then as found. */
export function renderFindings(findings: readonly Finding[], summary: CheckSummary): string {
  let out = '';
  if (findings.length > 0) {
    const sorted = [...findings].sort((a, b) => AREAS.indexOf(a.area) - AREAS.indexOf(b.area));
    // `#1`, not `1`: a number would be right-aligned, and tablewriter pads its filler lines oddly.
    const rows = sorted.map((f, i) => [
      `#${i + 1}`,
      f.area,
      f.severity,
      f.code,
      subjectText(f),
      f.expected ?? '-',
      f.actual ?? '-',
    ]);
    out += renderTable(HEADERS, rows, { drawer: 'direct' });
    out += '\nHints:\n';
    out += sorted.map((f, i) => `  #${i + 1} ${f.hint}\n`).join('');
    out += '\n';
  }
  out += summaryLine(summary);
  return out;
}

export function summaryLine(s: CheckSummary): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}; ${plural(s.checked, 'entry')} checked\n`.replace(
    'entrys',
    'entries',
  );
}

/** One line per change of `node check --watch` (docs/node-check.md). */
export function renderFindingChange({ change, finding: f }: FindingChange): string {
  if (change === 'resolved') return `- resolved ${f.code} ${subjectText(f)}\n`;
  return `+ ${f.severity} ${f.code} ${subjectText(f)} expected ${f.expected ?? '-'} actual ${f.actual ?? '-'}; ${f.hint}\n`;
}

/** The subject, with the two nodes of a cross-node finding. */
function subjectText(f: Finding): string {
  return f.node !== undefined ? `${f.subject} (${f.node} vs ${f.peer ?? '?'})` : f.subject;
}
