import { DurationError, parseGoDuration } from '../codec/go-duration.js';
import { InputError } from '../errors.js';

/**
 * A `--timeout`-style flag in milliseconds: any Go duration (`5s`, `1500ms`, `1m30s`, `1h`), the
 * syntax calicoctl's own flags and Calico's resources use, or a bare number of seconds.
 */
export function parseDuration(text: string, flag = '--timeout'): number {
  const trimmed = text.trim();
  let ns: bigint;
  try {
    ns = parseGoDuration(/^\d+(?:\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new InputError(`invalid duration for ${flag}: '${text}'`, {
      hint: 'use a number with a unit, for example 5s, 1500ms, 2m or 1m30s',
    });
  }
  if (ns <= 0n) {
    throw new InputError(`invalid duration for ${flag}: '${text}' (must be greater than zero)`);
  }
  // A positive duration shorter than half a millisecond still waits a millisecond.
  return Math.max(1, Math.round(Number(ns) / 1e6));
}
