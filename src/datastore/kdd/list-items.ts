/**
 * A list page split into its items without parsing them: the page's bytes are scanned once for the
 * bounds of each element of its top-level "items" array, and each item is decoded and parsed only
 * when it is handed out. So neither the page's text (megabytes: a large object V8 frees only at a
 * full collection) nor a whole page of objects (500 IPAM blocks) is ever made, and the objects of one
 * item die young: `ipam show` over 10,000 blocks stays within its memory budget (docs/kdd.md).
 * UTF-8 never uses the bytes of JSON's structural characters inside a multi-byte character.
 */
import { parseGoJson } from '../../codec/go-json.js';

export interface SplitList<T> {
  /** The page without its items (metadata: resourceVersion, continue). */
  rest: Record<string, unknown>;
  /** How many items the page holds. */
  readonly length: number;
  /** Item i, decoded and parsed now. */
  item(i: number): T;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Throws a SyntaxError for bytes that are not a JSON object with the shape of a list. */
export function splitList<T>(text: Buffer): SplitList<T> {
  const bounds: number[] = [];
  const rest: string[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== OPEN_BRACE) throw new SyntaxError('a list is a JSON object');
  i = skipSpace(text, i + 1);
  for (let member = 0; text[i] !== CLOSE_BRACE; member++) {
    if (member > 0) i = skipSpace(text, expect(text, i, COMMA) + 1);
    const keyStart = i;
    i = skipString(text, i);
    const key = text.toString('utf8', keyStart, i);
    i = skipSpace(text, expect(text, skipSpace(text, i), COLON) + 1);
    const valueStart = i;
    if (key === '"items"' && text[i] === OPEN_BRACKET) {
      i = skipSpace(text, i + 1);
      for (let n = 0; text[i] !== CLOSE_BRACKET; n++) {
        if (n > 0) i = skipSpace(text, expect(text, i, COMMA) + 1);
        const itemStart = i;
        i = skipSpace(text, skipValue(text, i));
        let itemEnd = i;
        while (itemEnd > itemStart && isSpace(text[itemEnd - 1]!)) itemEnd--;
        bounds.push(itemStart, itemEnd);
      }
      i++;
    } else {
      i = skipValue(text, i);
      rest.push(`${key}:${text.toString('utf8', valueStart, i)}`);
    }
    i = skipSpace(text, i);
    if (i >= text.length) throw new SyntaxError('unexpected end of the list');
  }
  return {
    rest: parseGoJson(`{${rest.join(',')}}`) as Record<string, unknown>,
    length: bounds.length / 2,
    item: (n) => parseGoJson(text.toString('utf8', bounds[2 * n], bounds[2 * n + 1])) as T,
  };
}

function expect(text: Buffer, i: number, c: number): number {
  if (text[i] !== c) throw new SyntaxError(`expected ${String.fromCharCode(c)} at position ${i}`);
  return i;
}

function skipSpace(text: Buffer, i: number): number {
  while (i < text.length && isSpace(text[i]!)) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipString(text: Buffer, i: number): number {
  if (text[i] !== QUOTE) throw new SyntaxError(`expected a string at position ${i}`);
  for (i++; i < text.length; i++) {
    const c = text[i]!;
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The end of the JSON value starting at i (not validated: the item's own parse does that). */
function skipValue(text: Buffer, i: number): number {
  const c = text[i];
  if (c === QUOTE) return skipString(text, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    while (i < text.length && !isDelimiter(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const d = text[i]!;
    if (d === QUOTE) i = skipString(text, i) - 1;
    else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  throw new SyntaxError('unterminated value');
}

function isDelimiter(c: number): boolean {
  return (
    c === COMMA ||
    c === CLOSE_BRACE ||
    c === CLOSE_BRACKET ||
    c === 0x20 ||
    c === 0x0a ||
    c === 0x0d ||
    c === 0x09
  );
}
