/**
 * go-yaml v2's resolve.go: what an untagged plain scalar means (go.yaml.in/yaml/v2 v2.4.3, which
 * sigs.k8s.io/yaml uses both to read calicoctl's manifests and to write its `-o yaml`). One module
 * for both directions: the manifest reader builds values from it (src/resources/yaml11.ts), and
 * the YAML writer quotes a string exactly when it would not read back as a string
 * (src/output/yaml.ts).
 */
import { parseGoInt } from './go-strconv.js';

export type PlainScalar =
  | { tag: 'null' }
  | { tag: 'bool'; value: boolean }
  | { tag: 'int'; value: bigint }
  | { tag: 'float'; value: number }
  | { tag: 'timestamp' }
  | { tag: 'str' };

const RESOLVE_MAP = new Map<string, PlainScalar>();
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])
  RESOLVE_MAP.set(w, { tag: 'bool', value: true });
for (const w of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  RESOLVE_MAP.set(w, { tag: 'bool', value: false });
for (const w of ['', '~', 'null', 'Null', 'NULL']) RESOLVE_MAP.set(w, { tag: 'null' });
for (const w of ['.nan', '.NaN', '.NAN']) RESOLVE_MAP.set(w, { tag: 'float', value: NaN });
for (const w of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
  RESOLVE_MAP.set(w, { tag: 'float', value: Infinity });
for (const w of ['-.inf', '-.Inf', '-.INF']) RESOLVE_MAP.set(w, { tag: 'float', value: -Infinity });

/**
 * The first characters resolve.go's table gives a hint for; any other plain scalar is a string (so
 * the map's `<<` entry is never reached for an untagged scalar).
 */
const HINTED = /^[-+0-9yYnNtTfFoO~.]/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// strconv.ParseFloat of a string that starts with '.': digits may be separated by single underscores.
const DOT_FLOAT = /^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

const STR: PlainScalar = { tag: 'str' };

/** resolve("", in): what go-yaml reads this plain scalar as. */
export function resolvePlain(s: string): PlainScalar {
  if (s !== '' && !HINTED.test(s)) return STR;
  const mapped = RESOLVE_MAP.get(s);
  if (mapped) return mapped;
  const first = s.charAt(0);
  if (first === '.') {
    const value = Number(s.replaceAll('_', ''));
    return DOT_FLOAT.test(s) && Number.isFinite(value) ? { tag: 'float', value } : STR;
  }
  if (!/[-+0-9]/.test(first)) return STR;
  if (isTimestamp(s)) return { tag: 'timestamp' };
  const plain = s.replaceAll('_', '');
  const int = parseGoInt(plain, 0, true) ?? parseGoInt(plain, 0, false);
  if (int !== undefined) return { tag: 'int', value: int };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = Number(plain);
    // strconv.ParseFloat fails (out of range) where the value would be infinite.
    if (Number.isFinite(value)) return { tag: 'float', value };
  }
  let binary: bigint | undefined;
  if (plain.startsWith('0b')) {
    binary = parseGoInt(plain.slice(2), 2, true) ?? parseGoInt(plain.slice(2), 2, false);
  } else if (plain.startsWith('-0b')) {
    binary = parseGoInt('-' + plain.slice(3), 2, true);
  }
  return binary === undefined ? STR : { tag: 'int', value: binary };
}

/** encode.go's isBase60Float: YAML 1.1 sexagesimal numbers (`1:20`), quoted by the writer. */
export function isBase60Float(s: string): boolean {
  return s.includes(':') && BASE60_FLOAT.test(s);
}

/** go-yaml's parseTimestamp: the time.Parse layouts it tries, with Go's range checks. */
function isTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[+-](\d{2}):(\d{2})))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?))?$/.exec(
      s,
    );
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day > daysInMonth) return false;
  const hour = m[4] ?? m[9];
  const minute = m[5] ?? m[10];
  const second = m[6] ?? m[11];
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)) return false;
  if (m[7] !== undefined && (Number(m[7]) > 24 || Number(m[8]) > 60)) return false;
  return true;
}
