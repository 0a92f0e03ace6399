import { InputError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `5s`, `1500ms`, `2m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new InputError(`invalid duration for ${flag}: '${text}'`, {
      hint: 'use a number with a unit, for example 5s, 1500ms or 2m',
    });
  }
  const ms = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000);
  if (ms <= 0) {
    throw new InputError(`invalid duration for ${flag}: '${text}' (must be greater than zero)`);
  }
  return Math.round(ms);
}
