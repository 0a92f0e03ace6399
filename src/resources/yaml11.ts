/**
 * The YAML 1.1 scalar rules calicoctl's reader applies (sigs.k8s.io/yaml v1.6 over
 * go.yaml.in/yaml/v2 `resolve.go`), as a js-yaml schema: `yes/no/on/off/y/n` (three casings) are
 * booleans; integers follow Go's strconv.ParseInt base 0 after dropping `_` (`0x1f`, `0o17`,
 * `0b101`, and a leading 0 means octal: `0777` is 511); floats match yaml.v2's pattern plus
 * `.inf`/`.nan`; `~`, `null`, `Null`, `NULL` and the empty scalar are null. Timestamps stay strings,
 * as yaml.v2 keeps them when decoding into interface{}.
 */
import yaml from 'js-yaml';

const BOOLS: Record<string, boolean> = {};
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLS[w] = true;
for (const w of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  BOOLS[w] = false;

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: Record<string, number> = {
  '.nan': NaN,
  '.NaN': NaN,
  '.NAN': NaN,
  '.inf': Infinity,
  '.Inf': Infinity,
  '.INF': Infinity,
  '+.inf': Infinity,
  '+.Inf': Infinity,
  '+.INF': Infinity,
  '-.inf': -Infinity,
  '-.Inf': -Infinity,
  '-.INF': -Infinity,
};
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Go strconv.ParseInt(s, 0, 64), falling back to ParseUint: the value, or undefined. */
export function parseGoInt(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2]!;
  let v: bigint;
  if (/^0[oO]/.test(digits)) v = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (m[1] === '-') v = -v;
  return v >= INT64_MIN && v <= UINT64_MAX ? v : undefined;
}

/** The value yaml.v2 resolves an untagged plain scalar to, or undefined for a string. */
function resolveNumber(text: string): number | bigint | undefined {
  if (text in SPECIAL_FLOATS) return SPECIAL_FLOATS[text];
  const first = text[0];
  if (first === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : undefined;
  if (first === undefined || !/[0-9+-]/.test(first)) return undefined;
  const plain = text.replaceAll('_', '');
  const i = parseGoInt(plain);
  if (i !== undefined)
    return i >= BigInt(Number.MIN_SAFE_INTEGER) && i <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(i) : i;
  if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
  return undefined;
}

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULLS.has(data),
  construct: () => null,
  predicate: (o: unknown) => o === null,
  represent: () => 'null',
});

const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && data in BOOLS,
  construct: (data: string) => BOOLS[data],
  predicate: (o: unknown) => typeof o === 'boolean',
  represent: (o: object) => String(o),
});

const numberType = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && resolveNumber(data) !== undefined,
  construct: (data: string) => resolveNumber(data),
  predicate: (o: unknown) => typeof o === 'number' || typeof o === 'bigint',
  represent: (o: object) => String(o),
});

/** js-yaml schema with yaml.v2's implicit scalar types (everything else is a string). */
export const YAML11_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, numberType] });
