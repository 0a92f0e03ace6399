/**
 * YAML exactly as calicoctl prints it: `sigs.k8s.io/yaml` Marshal, which is Go `encoding/json`
 * followed by go-yaml v2 (go.yaml.in/yaml/v2 v2.4.3 = gopkg.in/yaml.v2 v2.4.0) decoding that JSON
 * into interface{} values and encoding them again.
 *
 * Ported rules (encode.go, resolve.go, sorter.go, emitterc.go of go-yaml v2):
 * - Map keys are sorted with go-yaml's "natural" order (letters after non-letters, digit runs
 *   compared as numbers), not plain byte order.
 * - A string is written plain unless, unquoted, it would read back as another type (YAML 1.1
 *   bools such as yes/no/on/off/y/n, null and ~, ints incl. 0x/0o/0b and `_` separators, floats,
 *   timestamps, base-60 numbers like 1:20): then it is double-quoted. A string containing "\n" asks
 *   for literal style (`|-`). The emitter then downgrades plain to single-quoted and single-quoted
 *   or literal to double-quoted when the characters require it (indicators, leading/trailing
 *   spaces, tabs, control or non-BMP characters, ...).
 * - Plain and quoted scalars are folded at spaces once the line is past column 80 (best_width);
 *   continuation lines are indented two more than the parent.
 * - Block sequences inside a mapping are not indented (`key:\n- item`); empty collections are
 *   written `[]` and `{}`.
 * - Numbers: JSON integers within int64/uint64 are printed exactly; everything else is a float64
 *   printed with strconv.FormatFloat(f, 'g', -1, 64) (`0.5`, `1e+06`, `1e-07`).
 */

import { formatShortest } from '../codec/go-float.js';
import { isBase60Float, resolvePlain } from '../codec/go-yaml-resolve.js';

/** Plain JSON-like data: objects, arrays, strings, numbers, bigints, booleans, null. */
export type YamlData = unknown;

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

/** Converts plain data to YAML text byte-compatible with calicoctl's `-o yaml`. */
export function toGoYaml(value: YamlData): string {
  const emitter = new Emitter();
  emitter.emitNode(normalize(value), { root: true, sequence: false, mapping: false, simpleKey: false });
  emitter.writeIndent(); // document end
  return emitter.out;
}

// ---------------------------------------------------------------------------------------------
// Data model: what go-yaml sees after decoding the JSON.

type Node =
  | { kind: 'scalar'; text: string; style: ScalarStyle }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'map'; entries: [Node & { kind: 'scalar' }, Node][] };

function normalize(value: unknown): Node {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || value === undefined) return { kind: 'scalar', text: 'null', style: 'plain' };
  if (typeof value === 'boolean') return { kind: 'scalar', text: String(value), style: 'plain' };
  if (typeof value === 'bigint') return { kind: 'scalar', text: integerText(value), style: 'plain' };
  if (typeof value === 'number') return { kind: 'scalar', text: numberText(value), style: 'plain' };
  if (typeof value === 'string') return stringNode(value);
  if (Array.isArray(value))
    return { kind: 'seq', items: value.map((v) => normalize(v === undefined ? null : v)) };
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
    keys.sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
    return {
      kind: 'map',
      entries: keys.map((k) => [stringNode(k), normalize((value as Record<string, unknown>)[k])]),
    };
  }
  throw new TypeError(`cannot convert a ${typeof value} to YAML`);
}

function stringNode(s: string): Node & { kind: 'scalar' } {
  let style: ScalarStyle;
  if (s.includes('\n')) style = 'literal';
  else if (resolvesAsString(s) && !isBase60Float(s)) style = 'plain';
  else style = 'double';
  return { kind: 'scalar', text: s, style };
}

/** A JSON integer after go-yaml's resolve: int64 or uint64 exactly, otherwise a float64. */
function integerText(n: bigint): string {
  if (n >= INT64_MIN && n <= UINT64_MAX) return n.toString();
  return formatShortest(Number(n));
}

function numberText(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`cannot convert ${x} to YAML: JSON has no such number`);
  return Number.isInteger(x) ? integerText(BigInt(x)) : formatShortest(x);
}

// ---------------------------------------------------------------------------------------------
// resolve.go: would this text, written plain, read back as a string?

function resolvesAsString(s: string): boolean {
  return resolvePlain(s).tag === 'str';
}

// ---------------------------------------------------------------------------------------------
// sorter.go: keyList.Less for string keys.

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function keyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i]!;
    const bc = br[i]!;
    if (ac === bc) continue;
    const al = LETTER.test(ac);
    const bl = LETTER.test(bc);
    if (al && bl) return ac.codePointAt(0)! < bc.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai]!); ai++) {
      an = BigInt.asIntN(64, an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48));
    }
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi]!); bi++) {
      bn = BigInt.asIntN(64, bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48));
    }
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac.codePointAt(0)! < bc.codePointAt(0)!;
  }
  return ar.length < br.length;
}

// ---------------------------------------------------------------------------------------------
// emitterc.go

interface Context {
  root: boolean;
  sequence: boolean;
  mapping: boolean;
  simpleKey: boolean;
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

function isBreak(ch: string | undefined): boolean {
  return ch === '\r' || ch === '\n' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

function analyzeScalar(value: string): ScalarAnalysis {
  if (value.length === 0) {
    return {
      multiline: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  const chars = [...value];
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;

  // Flow indicators only matter inside flow collections, which never hold scalars here.
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  chars.forEach((ch, i) => {
    const last = i === chars.length - 1;
    const followedByWhitespace = last || isBlank(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if (ch === ':' && followedByWhitespace) {
      blockIndicators = true;
    } else if (ch === '#' && precededByWhitespace) {
      blockIndicators = true;
    }
    if (!isPrintable(ch.codePointAt(0)!)) specialCharacters = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(ch) || isBreak(ch) || ch === '\0';
  });

  const a: ScalarAnalysis = {
    multiline: lineBreaks,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlainAllowed = false;
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.blockPlainAllowed = false;
  }
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

class Emitter {
  out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private ctx: Context = { root: true, sequence: false, mapping: false, simpleKey: false };

  emitNode(node: Node, ctx: Context): void {
    this.ctx = ctx;
    if (node.kind === 'scalar') this.emitScalar(node.text, node.style, analyzeScalar(node.text));
    else if (node.kind === 'seq') this.emitSequence(node.items);
    else this.emitMapping(node.entries);
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private put(ch: string): void {
    this.out += ch;
    this.column++;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
    } else {
      this.out += ch;
      this.column = 0;
    }
  }

  private writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const ch of indicator) this.put(ch);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  /**
   * go-yaml writes empty collections in flow style; nothing else is ever flow style here, so the
   * emitter's flow level is always 0 outside these two indicators.
   */
  private emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  private emitSequence(items: Node[]): void {
    if (items.length === 0) return this.emitEmptyFlow('[', ']');
    this.increaseIndent(false, this.ctx.mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item, { root: false, sequence: true, mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  private emitMapping(entries: [Node & { kind: 'scalar' }, Node][]): void {
    if (entries.length === 0) return this.emitEmptyFlow('{', '}');
    this.increaseIndent(false, false);
    for (const [key, value] of entries) {
      this.writeIndent();
      const analysis = analyzeScalar(key.text);
      if (!analysis.multiline && Buffer.byteLength(key.text, 'utf8') <= 128) {
        this.ctx = { root: false, sequence: false, mapping: true, simpleKey: true };
        this.emitScalar(key.text, key.style, analysis);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.ctx = { root: false, sequence: false, mapping: true, simpleKey: false };
        this.emitScalar(key.text, key.style, analysis);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(value, { root: false, sequence: false, mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  private selectStyle(requested: ScalarStyle, value: string, a: ScalarAnalysis): ScalarStyle {
    let style = requested;
    if (this.ctx.simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if (!a.blockPlainAllowed) style = 'single';
      if (value.length === 0 && this.ctx.simpleKey) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.ctx.simpleKey)) style = 'double';
    return style;
  }

  private emitScalar(value: string, requested: ScalarStyle, analysis: ScalarAnalysis): void {
    const style = this.selectStyle(requested, value, analysis);
    this.increaseIndent(true, false);
    const allowBreaks = !this.ctx.simpleKey;
    if (style === 'plain') this.writePlain(value, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(value, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(value, allowBreaks);
    else this.writeLiteral(value);
    this.popIndent();
  }

  private writePlain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    const chars = [...value];
    this.writeFoldable(
      chars,
      (i) => allowBreaks && chars[i + 1] !== ' ',
      (ch) => this.put(ch),
    );
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const chars = [...value];
    this.writeFoldable(
      chars,
      (i) => allowBreaks && i > 0 && i < chars.length - 1 && chars[i + 1] !== ' ',
      (ch) => {
        if (ch === "'") this.put("'");
        this.put(ch);
      },
    );
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * The loop go-yaml's plain and single-quoted writers share: the first space of a run may fold
   * the line once past the best width (where `mayFoldAt` allows), line breaks are kept, and
   * every other character is written by `putChar`.
   */
  private writeFoldable(
    chars: readonly string[],
    mayFoldAt: (i: number) => boolean,
    putChar: (ch: string) => void,
  ): void {
    let spaces = false;
    let breaks = false;
    chars.forEach((ch, i) => {
      if (ch === ' ') {
        if (!spaces && this.column > BEST_WIDTH && mayFoldAt(i)) this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        putChar(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    });
  }

  private writeDoubleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    // go-yaml checks for a BOM at the start of the whole value, not at each character.
    const startsWithBom = value.startsWith('\ufeff');
    const chars = [...value];
    let spaces = false;
    chars.forEach((ch, i) => {
      const cp = ch.codePointAt(0)!;
      if (!isPrintable(cp) || startsWithBom || isBreak(ch) || ch === '"' || ch === '\\') {
        this.put('\\');
        const escape = ESCAPES[cp];
        if (escape !== undefined) {
          this.put(escape);
        } else {
          const [letter, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          for (const c of letter + cp.toString(16).toUpperCase().padStart(width, '0')) this.put(c);
        }
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else {
          this.put(ch);
        }
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    const chars = [...value];
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    const last = chars.length - 1;
    let chomp = '';
    if (!isBreak(chars[last])) chomp = '-';
    else if (last === 0 || isBreak(chars[last - 1])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const ch of chars) {
      if (isBreak(ch)) {
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }
}
