/**
 * JSON as Go's encoding/json writes it, so that values we store in etcd are byte-identical to what
 * Calico (libcalico-go) would store, and values we read keep every integer exact.
 *
 * Go facts reproduced here (encoding/json encode.go of Go 1.22+):
 * - strings: `"` and `\` escaped; \b \f \n \r \t short forms; other C0 controls as \u00XX;
 *   `<` `>` `&` as \u003c \u003e \u0026; U+2028/U+2029 as \u2028/\u2029; invalid UTF-8 as \ufffd
 *   (in JS: a lone surrogate); everything else raw.
 * - floats: shortest round-trip digits, 'e' form only below 1e-6 or from 1e21 on, exponent without
 *   zero padding (the same text as ECMAScript Number#toString, except -0; go-float.ts).
 * - map keys sorted as strings (byte order), struct fields in declaration order, omitempty drops
 *   false/0/""/nil/empty map/empty slice, never a non-pointer struct; omitzero drops a zero value
 *   (a struct whose fields are all zero, a nil slice or map, never an empty non-nil one); a
 *   pointer (to a slice too) is empty only when nil.
 * - MarshalIndent: `"key": value`, one element per line, empty objects and arrays stay `{}`/`[]`.
 */

import { formatJSONFloat } from './go-float.js';

export type GoJsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | GoJsonValue[]
  | { [key: string]: GoJsonValue };

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Text the native parser would get wrong: a run of 16 digits (an integer may exceed
 * Number.MAX_SAFE_INTEGER = 9007199254740991) or a surrogate escape (Go decodes an unpaired one as
 * U+FFFD, JSON.parse keeps it).
 */
const NEEDS_OWN_PARSER = /\d{16}|\\u[dD][89a-fA-F]/;

/**
 * Parses JSON; integers outside Number.MAX_SAFE_INTEGER become bigint (exact); everything else as
 * JSON.parse. Throws SyntaxError with position on bad input.
 */
export function parseGoJson(text: string): GoJsonValue {
  // Most values (pools, affinities, handles) hold no long digit run: the native parser is exact.
  if (!NEEDS_OWN_PARSER.test(text)) {
    try {
      return JSON.parse(text) as GoJsonValue;
    } catch {
      // Fall through so the error carries our position format.
    }
  }
  return new Parser(text).parseDocument();
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): GoJsonValue {
    this.skipWs();
    const value = this.parseValue();
    this.skipWs();
    if (this.pos < this.text.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private fail(what: string): never {
    if (this.pos >= this.text.length) {
      throw new SyntaxError(`invalid JSON: unexpected end of input at position ${this.pos}`);
    }
    throw new SyntaxError(
      `invalid JSON: ${what} (${JSON.stringify(this.text[this.pos])}) at position ${this.pos}`,
    );
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length && WS.has(t.charCodeAt(this.pos))) this.pos++;
  }

  private parseValue(): GoJsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.fail('unexpected character');
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return value;
  }

  private parseObject(): { [key: string]: GoJsonValue } {
    const out: { [key: string]: GoJsonValue } = {};
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      const value = this.parseValue();
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
      } else if (c === '}') {
        this.pos++;
        return out;
      } else {
        this.fail("expected ',' or '}'");
      }
    }
  }

  private parseArray(): GoJsonValue[] {
    const out: GoJsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue());
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
      } else if (c === ']') {
        this.pos++;
        return out;
      } else {
        this.fail("expected ',' or ']'");
      }
    }
  }

  private parseNumber(): number | bigint {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const match = m.exec(this.text);
    if (!match) this.fail('invalid number');
    const raw = match[0];
    this.pos += raw.length;
    if (match[1] === undefined && match[2] === undefined) {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : BigInt(raw);
    }
    return Number(raw);
  }

  private parseString(): string {
    const t = this.text;
    const start = ++this.pos;
    // Fast path: no escapes.
    for (let i = start; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
    }
    let out = '';
    let chunk = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(chunk, this.pos);
      const e = t[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          out += this.parseUnicodeEscape();
          break;
        default:
          this.pos -= 1;
          this.fail('invalid escape');
      }
      chunk = this.pos;
    }
    return this.fail('unterminated string');
  }

  /** Like Go: a surrogate escape that does not form a pair decodes as U+FFFD. */
  private parseUnicodeEscape(): string {
    const hi = this.hex4();
    if (hi >= 0xd800 && hi < 0xdc00) {
      if (this.text.startsWith('\\u', this.pos)) {
        const save = this.pos;
        this.pos += 2;
        const lo = this.hex4();
        if (lo >= 0xdc00 && lo < 0xe000) return String.fromCharCode(hi, lo);
        this.pos = save;
      }
      return '\ufffd';
    }
    if (hi >= 0xdc00 && hi < 0xe000) return '\ufffd';
    return String.fromCharCode(hi);
  }

  private hex4(): number {
    const digits = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape');
    this.pos += 4;
    return parseInt(digits, 16);
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas

interface ScalarOpts {
  /** A Go pointer (*string, *bool, ...): null is written as null and omitempty keeps zero values. */
  pointer?: boolean;
}

export type Schema =
  | { readonly kind: 'string' | 'bool' | 'int' | 'float'; readonly pointer: boolean }
  | { readonly kind: 'any' }
  | { readonly kind: 'struct'; readonly fields: readonly Field[]; readonly pointer: boolean }
  | { readonly kind: 'map'; readonly value: Schema }
  | { readonly kind: 'slice'; readonly elem: Schema; readonly pointer: boolean };

export interface Field {
  name: string;
  schema: Schema;
  omitempty?: boolean;
  /** Go 1.24 `omitzero`: dropped when the Go value is its type's zero value (a non-nil empty slice is not). */
  omitzero?: boolean;
}

export const S = {
  string: (opts: ScalarOpts = {}): Schema => ({ kind: 'string', pointer: opts.pointer ?? false }),
  bool: (opts: ScalarOpts = {}): Schema => ({ kind: 'bool', pointer: opts.pointer ?? false }),
  /** number or bigint; written exactly. */
  int: (opts: ScalarOpts = {}): Schema => ({ kind: 'int', pointer: opts.pointer ?? false }),
  float: (opts: ScalarOpts = {}): Schema => ({ kind: 'float', pointer: opts.pointer ?? false }),
  /**
   * Unknown content (Go interface{} / json.RawMessage): objects keep insertion order, except objects
   * with integer-like keys, which can only be Go maps: their keys are sorted as strings.
   */
  any: (): Schema => ({ kind: 'any' }),
  struct: (fields: Field[], opts: ScalarOpts = {}): Schema => ({
    kind: 'struct',
    fields,
    pointer: opts.pointer ?? false,
  }),
  /** Keys sorted as strings, like Go. A JS Map or a plain object. */
  map: (value: Schema): Schema => ({ kind: 'map', value }),
  /**
   * undefined/null is a nil slice (null) unless omitempty drops it. A pointer to a slice (*[]T) is
   * empty for omitempty only when nil: an empty list is kept, as `[]`.
   */
  slice: (elem: Schema, opts: ScalarOpts = {}): Schema => ({
    kind: 'slice',
    elem,
    pointer: opts.pointer ?? false,
  }),
};

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes like Go json.Marshal (compact) or json.MarshalIndent(v, "", indent). Known struct fields
 * come in schema order (Go's omitempty rules), then any unknown fields present in the value in their
 * original order, so values written by newer Calico versions survive a rewrite.
 */
export function encodeGoJson(value: unknown, schema: Schema, opts: { indent?: string } = {}): string {
  const enc = new Encoder(opts.indent ?? '');
  enc.value(value, schema, '$', 0);
  return enc.out;
}

/**
 * 1 for each ASCII character Go's JSON encoder (HTML-escaping on) writes as it is inside a string:
 * printable ASCII and DEL, but `"`, `\`, `<`, `>` and `&`; 0 for every other UTF-16 code unit. Byte
 * writers that copy text straight into their output (the `ipam check -o` report) index it by byte,
 * which agrees below 0x80. A table, not a function: it is asked of every character of two million
 * strings, and a lookup costs less there than a call.
 */
export const WRITTEN_VERBATIM: Uint8Array = (() => {
  const table = new Uint8Array(0x10000);
  for (let c = 0x20; c < 0x80; c++) table[c] = 1;
  for (const c of '"\\<>&') table[c.charCodeAt(0)] = 0;
  return table;
})();

/**
 * Go's quoting of one string (HTML-escaping on, as json.Marshal). Text it writes as it is (no
 * control characters, quotes, backslashes, <, >, &, U+2028, U+2029 or surrogates) skips the
 * character loop: nearly every string, two million of them in an `ipam check -o` report at 10k
 * blocks.
 */
export function quoteGoString(s: string): string {
  if (VERBATIM.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x80) {
      if (WRITTEN_VERBATIM[c] === 1) continue;
      rep = SHORT_ESCAPES[c] ?? '\\u00' + c.toString(16).padStart(2, '0');
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u' + c.toString(16);
    } else if (c >= 0xd800 && c < 0xdc00) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    } else if (c >= 0xdc00 && c < 0xe000) {
      rep = '\\ufffd';
    } else {
      continue;
    }
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const VERBATIM = /^[^\x00-\x1f"\\<>&\u2028\u2029\ud800-\udfff]*$/;

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x3c: '\\u003c',
  0x3e: '\\u003e',
  0x26: '\\u0026',
};

/** Byte-order comparison of the UTF-8 forms (what Go's sort of map keys uses). */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from UTF-8 order only between surrogates and U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) return Buffer.compare(Buffer.from(a), Buffer.from(b));
    return x - y;
  }
  return a.length - b.length;
}

const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

class Encoder {
  out = '';
  constructor(private readonly indent: string) {}

  private newline(depth: number): void {
    if (this.indent) this.out += '\n' + this.indent.repeat(depth);
  }

  private mismatch(path: string, want: string, v: unknown): never {
    throw new TypeError(`go-json: ${path} must be ${want}, got ${describe(v)}`);
  }

  value(v: unknown, schema: Schema, path: string, depth: number): void {
    switch (schema.kind) {
      case 'string':
        if (v === null || (v === undefined && schema.pointer)) this.out += 'null';
        else if (v === undefined) this.out += '""';
        else if (typeof v === 'string') this.out += quoteGoString(v);
        else this.mismatch(path, 'a string', v);
        return;
      case 'bool':
        if (v === null || (v === undefined && schema.pointer)) this.out += 'null';
        else if (v === undefined) this.out += 'false';
        else if (typeof v === 'boolean') this.out += v ? 'true' : 'false';
        else this.mismatch(path, 'a boolean', v);
        return;
      case 'int':
        if (v === null || (v === undefined && schema.pointer)) this.out += 'null';
        else if (v === undefined) this.out += '0';
        else if (typeof v === 'bigint') this.out += v.toString();
        else if (typeof v === 'number' && Number.isInteger(v)) this.out += BigInt(v).toString();
        else this.mismatch(path, 'an integer', v);
        return;
      case 'float':
        if (v === null || (v === undefined && schema.pointer)) this.out += 'null';
        else if (v === undefined) this.out += '0';
        else if (typeof v === 'number') this.out += formatJSONFloat(v);
        else if (typeof v === 'bigint') this.out += formatJSONFloat(Number(v));
        else this.mismatch(path, 'a number', v);
        return;
      case 'any':
        this.any(v, path, depth);
        return;
      case 'struct':
        if (v === null || (v === undefined && schema.pointer)) {
          this.out += 'null';
          return;
        }
        if (v !== undefined && !isPlainObject(v)) this.mismatch(path, 'an object', v);
        this.struct(v ?? {}, schema.fields, path, depth);
        return;
      case 'map':
        this.map(v, schema.value, path, depth);
        return;
      case 'slice':
        if (v === null || v === undefined) {
          this.out += 'null';
          return;
        }
        if (!Array.isArray(v)) this.mismatch(path, 'an array', v);
        this.array(v, schema.elem, path, depth);
        return;
    }
  }

  private struct(obj: Record<string, unknown>, fields: readonly Field[], path: string, depth: number): void {
    let first = true;
    const open = (): void => {
      this.out += first ? '{' : ',';
      first = false;
      this.newline(depth + 1);
    };
    const known = new Set<string>();
    for (const f of fields) {
      known.add(f.name);
      const fv = Object.hasOwn(obj, f.name) ? obj[f.name] : undefined;
      if (f.omitempty && isEmpty(fv, f.schema)) continue;
      if (f.omitzero && isZero(fv, f.schema)) continue;
      open();
      this.out += quoteGoString(f.name) + (this.indent ? ': ' : ':');
      this.value(fv, f.schema, `${path}.${f.name}`, depth + 1);
    }
    for (const key of Object.keys(obj)) {
      if (known.has(key) || obj[key] === undefined) continue;
      open();
      this.out += quoteGoString(key) + (this.indent ? ': ' : ':');
      this.any(obj[key], `${path}.${key}`, depth + 1);
    }
    this.close(first, '{', '}', depth);
  }

  private close(empty: boolean, open: string, close: string, depth: number): void {
    if (empty) {
      this.out += open + close;
      return;
    }
    this.newline(depth);
    this.out += close;
  }

  private entries(v: unknown, path: string): [string, unknown][] {
    if (v instanceof Map) return [...v.entries()].map(([k, x]) => [String(k), x]);
    if (isPlainObject(v)) return Object.entries(v);
    return this.mismatch(path, 'an object', v);
  }

  private map(v: unknown, elem: Schema, path: string, depth: number): void {
    if (v === null || v === undefined) {
      this.out += 'null';
      return;
    }
    const entries = this.entries(v, path).filter(([, x]) => x !== undefined);
    entries.sort((a, b) => compareGoStrings(a[0], b[0]));
    this.members(entries, depth, (x, key) => this.value(x, elem, `${path}[${key}]`, depth + 1));
  }

  private members(
    entries: [string, unknown][],
    depth: number,
    write: (value: unknown, key: string) => void,
  ): void {
    let first = true;
    for (const [key, x] of entries) {
      this.out += first ? '{' : ',';
      first = false;
      this.newline(depth + 1);
      this.out += quoteGoString(key) + (this.indent ? ': ' : ':');
      write(x, key);
    }
    this.close(first, '{', '}', depth);
  }

  private array(v: readonly unknown[], elem: Schema | undefined, path: string, depth: number): void {
    for (let i = 0; i < v.length; i++) {
      this.out += i === 0 ? '[' : ',';
      this.newline(depth + 1);
      if (elem) this.value(v[i], elem, `${path}[${i}]`, depth + 1);
      else this.any(v[i], `${path}[${i}]`, depth + 1);
    }
    this.close(v.length === 0, '[', ']', depth);
  }

  private any(v: unknown, path: string, depth: number): void {
    if (v === null || v === undefined) this.out += 'null';
    else if (typeof v === 'string') this.out += quoteGoString(v);
    else if (typeof v === 'boolean') this.out += v ? 'true' : 'false';
    else if (typeof v === 'bigint') this.out += v.toString();
    else if (typeof v === 'number') this.out += formatJSONFloat(v);
    else if (Array.isArray(v)) this.array(v, undefined, path, depth);
    else {
      const entries = this.entries(v, path).filter(([, x]) => x !== undefined);
      if (v instanceof Map || entries.some(([k]) => INTEGER_KEY.test(k))) {
        entries.sort((a, b) => compareGoStrings(a[0], b[0]));
      }
      this.members(entries, depth, (x, key) => this.any(x, `${path}.${key}`, depth + 1));
    }
  }
}

/** Go's isEmptyValue for omitempty, seen through the schema (pointers are empty only when nil). */
function isEmpty(v: unknown, schema: Schema): boolean {
  if (schema.kind === 'struct' && !schema.pointer) return false;
  if (v === null || v === undefined) return true;
  switch (schema.kind) {
    case 'string':
      return !schema.pointer && v === '';
    case 'bool':
      return !schema.pointer && v === false;
    case 'int':
    case 'float':
      return !schema.pointer && (v === 0 || v === 0n);
    case 'any':
      return false;
    case 'struct':
      return false;
    case 'map':
      return v instanceof Map ? v.size === 0 : isPlainObject(v) && Object.keys(v).length === 0;
    case 'slice':
      return !schema.pointer && Array.isArray(v) && v.length === 0;
  }
}

/** Go's reflect.Value.IsZero for omitzero, seen through the schema: scalars as omitempty sees them. */
function isZero(v: unknown, schema: Schema): boolean {
  switch (schema.kind) {
    case 'struct':
      if (v === null || v === undefined) return true;
      return (
        !schema.pointer &&
        isPlainObject(v) &&
        Object.keys(v).every((key) => {
          const field = schema.fields.find((fd) => fd.name === key);
          return v[key] === undefined || (field !== undefined && isZero(v[key], field.schema));
        })
      );
    case 'any':
    case 'map':
    case 'slice':
      return v === null || v === undefined;
    default:
      return isEmpty(v, schema);
  }
}
