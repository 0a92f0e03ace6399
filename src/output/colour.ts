/**
 * The one place that decides whether output gets colour, and the palettes that follow that
 * decision. Colour is on only when the stream it goes to is a terminal, NO_COLOR is unset or
 * empty (https://no-color.org), FORCE_COLOR is not 0/false and TERM is not `dumb`. Piped or
 * redirected output never has escape codes, so text calicoctl also prints stays byte-equal.
 * FORCE_COLOR cannot switch colour on for a pipe: scripts must always see plain text.
 * chalk is loaded only when colour is wanted: piped output never pays for it at start-up.
 */

import { STDOUT } from './terminal.js';

/** What the decision needs from a stream: STDOUT, process.stderr or a test double. */
export interface TerminalStream {
  isTTY?: boolean;
}

/** True when text written to stream may carry colour (see the module comment for the rules). */
export function colourWanted(stream: TerminalStream = STDOUT, env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = (env.FORCE_COLOR ?? '').toLowerCase();
  if (force === '0' || force === 'false') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/**
 * Colours by meaning, so that code outside src/output never picks a colour or imports chalk.
 * PLAIN leaves text untouched: what piped output always gets.
 */
export interface Palette {
  ok(text: string): string;
  warning(text: string): string;
  critical(text: string): string;
}

export const PLAIN: Palette = { ok: (t) => t, warning: (t) => t, critical: (t) => t };

/**
 * The palette for text written to stream: green, yellow and red (basic 16 colours), or PLAIN
 * (colourWanted), in which case chalk is not loaded.
 */
export async function paletteFor(
  stream: TerminalStream = STDOUT,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Palette> {
  if (!colourWanted(stream, env)) return PLAIN;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { ok: (t) => c.green(t), warning: (t) => c.yellow(t), critical: (t) => c.red(t) };
}

/** Utilisation levels: under 75% in use is ok, under 90% a warning, from 90% critical. */
export function paintUsage(palette: Palette, fraction: number, text: string): string {
  if (fraction >= 0.9) return palette.critical(text);
  if (fraction >= 0.75) return palette.warning(text);
  return palette.ok(text);
}
