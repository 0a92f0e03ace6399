/**
 * Go's strconv parsers this tool reproduces, one of each: ParseInt / ParseUint at 64 bits (go-yaml's
 * plain scalars: base 0 after dropping `_`, and base 2 after `0b`), Atoi (calicoctl's integer
 * flags) and ParseBool (calicoctl's boolean flags, envconfig's boolean settings).
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * strconv.ParseInt(s, base, 64) when signed, ParseUint(s, base, 64) when not: the value, or
 * undefined where Go returns an error. Base 0 reads the prefixes `0x`, `0o`, `0b` and a leading `0`
 * as octal; the caller removes `_` separators first where Go's syntax allows them.
 */
export function parseGoInt(s: string, base: 0 | 2 | 10, signed: boolean): bigint | undefined {
  let text = s;
  let negative = false;
  if (signed && (text.startsWith('+') || text.startsWith('-'))) {
    negative = text.startsWith('-');
    text = text.slice(1);
  }
  let digits = /^[0-9]+$/;
  let prefix = '';
  if (base === 2) {
    digits = /^[01]+$/;
    prefix = '0b';
  } else if (base === 0) {
    const radix = /^0[xXoObB]/.test(text)
      ? text[1]!.toLowerCase()
      : text.length > 1 && text[0] === '0'
        ? 'o'
        : '';
    if (radix !== '') {
      digits = radix === 'x' ? /^[0-9a-fA-F]+$/ : radix === 'o' ? /^[0-7]+$/ : /^[01]+$/;
      prefix = `0${radix}`;
      text = text.slice(/^0[xXoObB]/.test(text) ? 2 : 1);
    }
  }
  if (!digits.test(text)) return undefined;
  const magnitude = BigInt(prefix + text);
  const value = negative ? -magnitude : magnitude;
  if (signed ? value < INT64_MIN || value > INT64_MAX : value > UINT64_MAX) return undefined;
  return value;
}

/** strconv.Atoi on a 64-bit platform, as a JavaScript number; undefined beyond 2^53 as well. */
export function parseGoAtoi(s: string): number | undefined {
  const n = parseGoInt(s, 10, true);
  if (n === undefined) return undefined;
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : undefined;
}

/** strconv.ParseBool: the value, or undefined where Go returns an error. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}
