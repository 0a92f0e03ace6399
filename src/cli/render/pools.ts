/**
 * The text of `ippool mode` and `ippool migrate`: tables (calicoctl's tabwriter layout), the
 * checks with their fixes, and one closing line that says what happened. stdout carries the
 * report; the command adds the refusal line on stderr.
 */
import { PLAIN, type Palette } from '../../output/colour.js';
import { renderTabwriter } from '../../output/tabwriter.js';
import type { Check } from '../../pools/checks.js';
import type { Encapsulation } from '../../pools/encap.js';
import type { DrainReport, MigrateResult } from '../../pools/migrate.js';
import type { ModeResult, PoolOutcome } from '../../pools/mode.js';

const arrow = (before: string, after: string) => (before === after ? before : `${before} -> ${after}`);
const encapText = (e: Encapsulation) =>
  e.ipipMode !== 'Never' ? `IPIP ${e.ipipMode}` : e.vxlanMode !== 'Never' ? `VXLAN ${e.vxlanMode}` : 'none';

export function checksText(checks: readonly Check[], force: boolean): string {
  return checks
    .map((c) => {
      const label = c.severity === 'warning' && force ? 'warning (forced)' : c.severity;
      return `${label}: ${c.message}\n  fix: ${c.fix}\n`;
    })
    .join('');
}

export function modeText(r: ModeResult, palette: Palette = PLAIN): string {
  const results = r.pools.map((p) =>
    p.outcome === 'changed' || p.outcome === 'wouldChange'
      ? `${p.outcome === 'changed' ? 'changed' : 'would change'}: ${encapText(p.before)} -> ${encapText(p.after)}`
      : p.outcome,
  );
  const rows = [
    ['NAME', 'CIDR', 'IPIPMODE', 'VXLANMODE', 'RESULT'],
    ...r.pools.map((p, i) => [
      p.name,
      p.cidr,
      arrow(p.before.ipipMode, p.after.ipipMode),
      arrow(p.before.vxlanMode, p.after.vxlanMode),
      results[i]!,
    ]),
  ];
  const paints = r.pools.map((p) => OUTCOME_PAINT[p.outcome](palette));
  const changing = r.pools.filter((p) => p.outcome !== 'unchanged').length;
  // A store without multi-key transactions (Kubernetes) writes each pool on its own revision.
  const oneWrite = r.pools.every((p) => p.outcome !== 'changed' || p.resourceVersion === String(r.revision));
  const closing = {
    changed: `Changed ${changing} IPPool(s) ${oneWrite ? 'in one transaction' : 'one at a time'} (revision ${r.revision}).`,
    unchanged: `Unchanged: every named IPPool already has these modes.`,
    dryRun: `Dry run: would change ${changing} IPPool(s); nothing was written.`,
    refused: `Refused: nothing was written.`,
  }[r.outcome];
  const table = paintLastCells(renderTabwriter(rows), results, paints);
  return table + checksText(r.checks, r.force) + closing + '\n';
}

const OUTCOME_PAINT: Record<PoolOutcome, (p: Palette) => (t: string) => string> = {
  changed: (p) => p.ok,
  wouldChange: (p) => p.warning,
  refused: (p) => p.critical,
  unchanged: () => (t) => t,
};

/**
 * Colours the last cell of each body line after layout (tabwriter would count escape codes as
 * width): body line i ends with cells[i] and then only padding.
 */
function paintLastCells(
  table: string,
  cells: readonly string[],
  paints: readonly ((t: string) => string)[],
): string {
  const lines = table.split('\n');
  cells.forEach((cell, i) => {
    const line = lines[i + 1]!;
    const end = line.trimEnd().length;
    lines[i + 1] = line.slice(0, end - cell.length) + paints[i]!(cell) + line.slice(end);
  });
  return lines.join('\n');
}

function drainText(d: DrainReport): string {
  let out = '';
  if (d.holders.length > 0) {
    out += `${d.left} address(es) still held in IPPool(${d.pool}) ${d.cidr}:\n`;
    out += renderTabwriter([
      ['NODE', 'NAMESPACE', 'POD', 'IP', 'KIND'],
      ...d.holders.map((h) => [h.node, h.namespace ?? '', h.pod ?? '', h.ip, h.type ?? h.kind]),
    ]);
    out += `Per node: ${d.nodes.map((n) => `${n.node || '(no node)'} ${n.count}`).join(', ')}\n`;
  } else {
    out += `Nothing but released addresses is left in IPPool(${d.pool}) ${d.cidr}`;
    out += d.released > 0 ? ` (${d.released} released)\n` : '\n';
  }
  for (const c of d.corrupt)
    out += `warning: block ${c.key} cannot be read (${c.reason}); it counts as held\n`;
  return out;
}

export function migrateText(r: MigrateResult): string {
  const title =
    r.kind === 'move'
      ? `Migration of IPPool(${r.old}) to IPPool(${r.new ?? ''})`
      : `Block size change of IPPool(${r.old}) to /${r.blockSize ?? ''} through temporary IPPool(${r.temporary ?? ''})`;
  let out = title + '\n';
  out += renderTabwriter([
    ['STEP', 'ACTION', 'STATE'],
    ...r.steps.map((s) => [
      String(s.step),
      s.description,
      s.state === 'current' && s.action === 'drain' && r.draining ? `current: ${r.left} left` : s.state,
    ]),
  ]);
  if (r.actions.length > 0) out += `This run: ${r.actions.join('; ')}.\n`;
  if (r.draining) out += drainText(r.draining);
  const current = r.steps[r.stepReached - 1];
  const again = `calicoctl-ts ippool migrate ${r.old}`;
  const next = {
    complete: 'Complete: nothing left to do.',
    waiting: `Next: restart the workloads above (or wait for calico-node to move its tunnel addresses), then run '${again} --finish'.`,
    readyToFinish: `Next: run '${again} --finish' to ${current?.description.replace(' (--finish)', '') ?? 'finish'}.`,
    refused: `Refused: IPPool(${r.draining?.pool ?? ''}) still holds addresses; nothing was deleted.`,
    wouldChange: 'Dry run: nothing was written.',
    notStarted: 'Not started.',
    inProgress: `Next: run '${again}' to ${current?.description ?? 'continue'}.`,
  }[r.outcome];
  const reached =
    r.stepReached > r.steps.length
      ? `All ${r.steps.length} steps done.`
      : `Step reached: ${r.stepReached} of ${r.steps.length}.`;
  return out + `${reached} ${next}\n`;
}
