/**
 * Every way Go turns a float64 (or float32) into text that calicoctl's output holds, in one module:
 * - formatShortest: strconv.FormatFloat(x, 'g', -1, 64|32), which is also fmt's `%v` (text/template
 *   columns, go-yaml's floats, sigs.k8s.io/yaml's float32 fields);
 * - formatJSONFloat: encoding/json's float64 text;
 * - formatGeneral / formatFixed: fmt's `%.<prec>g` and `%.<prec>f` (`%.5g` for IP counts, `%.f`
 *   for percentages in calicoctl's IPAM tables).
 *
 * Algorithm for the fixed-precision forms (the same result as Go's strconv for float64):
 * 1. Go converts every count to float64 first, so a bigint is turned into the nearest double
 *    (`Number(bigint)` rounds to nearest, ties to even, exactly like Go's `float64(uint64)`).
 * 2. The double's exact decimal expansion is computed with BigInt: a double is m·2^e, and for
 *    e < 0 that equals m·5^-e / 10^-e, so its decimal digits are finite and exact.
 * 3. The digits are rounded to the requested precision with ties to even on that exact value
 *    (strconv's ryuFtoaFixed64/formatDecimal for `%g`, decimal.Round for `%f`). JavaScript's
 *    toPrecision/toFixed round exact ties away from zero, and Math.round rounds ties up, so
 *    neither can be used.
 * 4. `%g` then picks exponent or fixed notation as strconv's formatDigits does: exponent form when
 *    exp < -4 or exp >= eprec, where eprec is the precision, lowered to the digit count when the
 *    rounded digits (trailing zeros dropped) reach the decimal point. Trailing zeros are dropped;
 *    the exponent has a sign and at least two digits (`1e+05`, `1.2089e+24`).
 */

/** Exact decimal digits of a finite, non-negative double: value = 0.d1d2d3... × 10^dp. */
interface Decimal {
  /** Significant digits without leading or trailing zeros ('' for zero). */
  digits: string;
  /** Position of the decimal point relative to the start of digits. */
  dp: number;
}

const view = new DataView(new ArrayBuffer(8));

function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biasedExp === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  let text: string;
  let fracDigits: number;
  if (exp >= 0) {
    text = (mant << BigInt(exp)).toString();
    fracDigits = 0;
  } else {
    text = (mant * 5n ** BigInt(-exp)).toString();
    fracDigits = -exp;
  }
  let dp = text.length - fracDigits;
  const lead = text.length - text.replace(/^0+/, '').length;
  text = text.slice(lead);
  dp -= lead;
  return { digits: text.replace(/0+$/, ''), dp };
}

/**
 * Rounds digits to keep the first n of them, ties to even on the exact value (strconv's
 * decimal.Round: a tie is a '5' that is the last digit; nothing before it rounds down).
 */
function roundDigits(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.digits.length) return d;
  const next = d.digits.charCodeAt(n) - 48;
  let up: boolean;
  if (next === 5 && n + 1 === d.digits.length) {
    up = n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1;
  } else {
    up = next >= 5;
  }
  if (!up) return { digits: d.digits.slice(0, n).replace(/0+$/, ''), dp: d.dp };
  const kept = d.digits.slice(0, n).split('');
  for (let i = n - 1; i >= 0; i--) {
    if (kept[i] !== '9') {
      kept[i] = String.fromCharCode(kept[i]!.charCodeAt(0) + 1);
      return { digits: kept.slice(0, i + 1).join(''), dp: d.dp };
    }
  }
  return { digits: '1', dp: d.dp + 1 }; // all nines
}

function toNumber(x: number | bigint): number {
  return typeof x === 'bigint' ? Number(x) : x;
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Digits of d from position `from` (relative to the first digit) for `count` places, zero-filled. */
function digitsAt(d: Decimal, from: number, count: number): string {
  let out = '';
  for (let i = from; i < from + count; i++) out += i >= 0 && i < d.digits.length ? d.digits[i] : '0';
  return out;
}

function fixedText(d: Decimal, decimals: number): string {
  const intPart = d.dp > 0 ? digitsAt(d, 0, d.dp) : '0';
  return decimals > 0 ? `${intPart}.${digitsAt(d, d.dp, decimals)}` : intPart;
}

/** Go `fmt.Sprintf("%.<prec>f", x)`; a bigint is converted to float64 first, as Go would. */
export function formatFixed(value: number | bigint, prec: number): string {
  const x = toNumber(value);
  const s = special(x);
  if (s !== undefined) return s;
  const exact = exactDecimal(Math.abs(x));
  const d = roundDigits(exact, exact.dp + prec);
  return sign(x) + fixedText(d, prec);
}

/** Go `fmt.Sprintf("%.<prec>g", x)` (prec >= 1); a bigint is converted to float64 first. */
export function formatGeneral(value: number | bigint, prec: number): string {
  const x = toNumber(value);
  const s = special(x);
  if (s !== undefined) return s;
  const p = Math.max(prec, 1);
  const d = roundDigits(exactDecimal(Math.abs(x)), p);
  const nd = d.digits.length;
  const eprec = p > nd && nd >= d.dp ? nd : p;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    const mantissa = nd > 1 ? `${d.digits[0]}.${d.digits.slice(1)}` : d.digits;
    const e = Math.abs(exp);
    return `${sign(x)}${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const decimals = Math.max((p > d.dp ? nd : p) - d.dp, 0);
  return sign(x) + fixedText(d, decimals);
}

/** Go `%.5g`, calicoctl's format for IP counts: `65536`, `1e+05`, `1.8447e+19`. */
export function formatG5(value: number | bigint): string {
  // Block counts (every row of --show-blocks): an integer of at most five digits is its own %.5g.
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 0 &&
    value < 1e5 &&
    !Object.is(value, -0)
  ) {
    return String(value);
  }
  return formatGeneral(value, 5);
}

/** Go `%.f` (no decimals, ties to even): `12.5` -> `12`, `37.5` -> `38`. */
export function formatPercent0(value: number | bigint): string {
  // Percentages: below 2^52 the fraction x - floor(x) is exact, so comparing it with 0.5 finds
  // exact ties, which go to the even neighbour as strconv's decimal.Round does.
  if (typeof value === 'number' && value >= 0 && value < 2 ** 52 && !Object.is(value, -0)) {
    const floor = Math.floor(value);
    const frac = value - floor;
    return String(frac > 0.5 || (frac === 0.5 && floor % 2 === 1) ? floor + 1 : floor);
  }
  return formatFixed(value, 0);
}

/**
 * strconv.FormatFloat(x, 'g', -1, bitSize), which is also fmt's `%v`: the shortest digits that read
 * back as the same float64 (or float32), in exponent form when the exponent is < -4 or >= 6, as
 * strconv decides for the shortest precision (`123456.7`, `1e+06`, `1e-05`, `1.2345675e+06`).
 * Zero prints as `0` whatever its sign: the callers only see -0 where Go had an integer zero.
 */
export function formatShortest(x: number, bitSize: 32 | 64 = 64): string {
  const s = special(x);
  if (s !== undefined) return s;
  if (x === 0) return '0';
  const [mant, expText] = shortestExponential(x, bitSize).split('e') as [string, string];
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** The shortest digits as toExponential writes them: ECMAScript's are float64's shortest already. */
function shortestExponential(x: number, bitSize: 32 | 64): string {
  if (bitSize === 64) return x.toExponential();
  const f = Math.fround(x);
  for (let p = 1; p < 9; p++) {
    const t = f.toExponential(p - 1);
    if (Math.fround(Number(t)) === f) return t;
  }
  return f.toExponential(8);
}

/** encoding/json's float64 text: ECMAScript's number-to-string has the same cut-offs and digits. */
export function formatJSONFloat(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${n}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}
