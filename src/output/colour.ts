/**
 * The one place that decides whether output gets colour, and the chalk instances that follow that
 * decision. Colour is on only when the stream it goes to is a terminal, NO_COLOR is unset or
 * empty (https://no-color.org), FORCE_COLOR is not 0/false and TERM is not `dumb`. Piped or
 * redirected output never has escape codes, so text calicoctl also prints stays byte-equal.
 * FORCE_COLOR cannot switch colour on for a pipe: scripts must always see plain text.
 */
import { Chalk, type ChalkInstance } from 'chalk';

/** What the decision needs from a stream: process.stdout, process.stderr or a test double. */
export interface TerminalStream {
  isTTY?: boolean;
}

/** True when text written to stream may carry colour (see the module comment for the rules). */
export function colourWanted(
  stream: TerminalStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = (env.FORCE_COLOR ?? '').toLowerCase();
  if (force === '0' || force === 'false') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** A chalk instance for text written to stream: basic 16 colours, or none at all. */
export function colourFor(stream: TerminalStream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return new Chalk({ level: colourWanted(stream, env) ? 1 : 0 });
}

/** Colour for stdout, decided once at start-up. */
export const colour: ChalkInstance = colourFor(process.stdout);
