/**
 * How a wait shows its progress (docs/pools.md, "Waiting"): with -o json one JSON object per line
 * on stdout per change; on a terminal (stderr) a progress bar redrawn in place; elsewhere one plain
 * line on stderr per change, at most one every PLAIN_EVERY_MS (the newest count is shown when that
 * time is up). stop() erases the bar and drops a line still pending.
 */
import { colourWanted } from '../output/colour.js';
import { isTerminal } from '../output/terminal.js';
import type { DrainProgress } from '../pools/wait.js';
import { toJsonLine } from './json.js';
import { writeOut } from './write.js';

export const PLAIN_EVERY_MS = 3000;
const BAR_WIDTH = 24;
const CLEAR_LINE = '\r\x1b[K';
/** How many of the nodes holding most a line names. */
const NODES_SHOWN = 3;

export interface WaitReporter {
  progress(p: DrainProgress): void;
  stop(): void;
}

export function waitReporter(json: boolean, env: NodeJS.ProcessEnv = process.env): WaitReporter {
  if (json)
    return {
      progress: (p) => writeOut(1, toJsonLine({ left: p.left, total: p.total, at: p.at })),
      stop: () => undefined,
    };
  const stderr = { isTTY: isTerminal(2) };
  return colourWanted(stderr, env) ? barReporter() : plainReporter();
}

function nodesText(p: DrainProgress): string {
  const shown = p.nodes.slice(0, NODES_SHOWN).map((n) => `${n.node || '(no node)'} ${n.count}`);
  if (p.nodes.length > NODES_SHOWN) shown.push(`${p.nodes.length - NODES_SHOWN} more node(s)`);
  return shown.join(', ');
}

export function plainLine(p: DrainProgress): string {
  const nodes = nodesText(p);
  return `${p.left} of ${p.total} address(es) left in IPPool(${p.pool}) ${p.cidr}${nodes ? ` (${nodes})` : ''}\n`;
}

function plainReporter(): WaitReporter {
  let lastAt = 0;
  let pending: DrainProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    if (!pending) return;
    writeOut(2, plainLine(pending));
    pending = undefined;
    lastAt = Date.now();
  };
  return {
    progress(p) {
      pending = p;
      const wait = lastAt + PLAIN_EVERY_MS - Date.now();
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait).unref();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}

/** [#####-----] 12 of 40 left in IPPool(old) · 1.5/s · ~8s left · node-a 8, node-b 4 */
export function barLine(p: DrainProgress, elapsedMs: number): string {
  const doneFraction = p.total > 0 ? (p.total - p.left) / p.total : 1;
  const filled = Math.round(doneFraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const rate = elapsedMs > 0 ? ((p.total - p.left) * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? `~${formatSeconds(p.left / rate)} left` : 'time left unknown';
  const nodes = nodesText(p);
  return [
    `${bar} ${p.left} of ${p.total} left in IPPool(${p.pool})`,
    rateText(rate),
    eta,
    ...(nodes ? [nodes] : []),
  ].join(' · ');
}

/** Addresses per second, or per minute or hour when slower (drains can take hours). */
function rateText(perSecond: number): string {
  if (perSecond === 0 || perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  if (perSecond * 60 >= 1) return `${(perSecond * 60).toFixed(1)}/min`;
  return `${(perSecond * 3600).toFixed(1)}/h`;
}

function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
}

function barReporter(): WaitReporter {
  const started = Date.now();
  let last: DrainProgress | undefined;
  const draw = (): void => {
    // One line that fits: a wrapped line could not be redrawn in place.
    const width = Math.max(20, (process.stderr.columns || 80) - 1);
    if (last) writeOut(2, CLEAR_LINE + barLine(last, Date.now() - started).slice(0, width));
  };
  // Redrawn every second too, so the rate and the time left move while nothing changes.
  const ticker = setInterval(draw, 1000).unref();
  return {
    progress(p) {
      last = p;
      draw();
    },
    stop() {
      clearInterval(ticker);
      if (last) writeOut(2, CLEAR_LINE);
      last = undefined;
    },
  };
}
