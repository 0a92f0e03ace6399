/**
 * Go's time.ParseDuration and Duration.String(), which metav1.Duration uses to read and write
 * Calico's duration fields: `120s` is stored (and printed) as `2m0s`, `1.5h` as `1h30m0s`.
 * Durations are int64 nanoseconds, so bigint throughout.
 */

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX = 2n ** 63n - 1n;

export class DurationError extends Error {}

/** time.ParseDuration: nanoseconds, or a DurationError with Go's text. */
export function parseGoDuration(text: string): bigint {
  const quoted = JSON.stringify(text);
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new DurationError(`time: invalid duration ${quoted}`);
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const [whole, intPart = '', fracPart] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === ''))
      throw new DurationError(`time: invalid duration ${quoted}`);
    s = s.slice(whole.length);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (!unitMatch) throw new DurationError(`time: missing unit in duration ${quoted}`);
    const unitName = unitMatch[0];
    const unit = UNITS[unitName];
    if (unit === undefined)
      throw new DurationError(`time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`);
    s = s.slice(unitName.length);
    let v = BigInt(intPart || '0') * unit;
    if (fracPart) {
      // Go truncates the fraction to nanoseconds.
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > MAX + (neg ? 1n : 0n)) throw new DurationError(`time: invalid duration ${quoted}`);
  }
  return neg ? -total : total;
}

/** Integer part and fraction of v/10^prec with trailing zeros dropped, as Go's fmtFrac prints. */
function withFraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return `${v / scale}${frac ? `.${frac}` : ''}`;
}

/** Duration.String(). */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${withFraction(u, 3)}µs`;
    return `${sign}${withFraction(u, 6)}ms`;
  }
  const secs = u / 1_000_000_000n;
  const sec = `${withFraction(u % 60_000_000_000n, 9)}s`;
  const mins = (secs / 60n) % 60n;
  const hours = secs / 3600n;
  if (hours > 0n) return `${sign}${hours}h${mins}m${sec}`;
  if (mins > 0n) return `${sign}${mins}m${sec}`;
  return `${sign}${sec}`;
}
