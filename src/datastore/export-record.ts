/**
 * The record lines of `datastore export`, `{"key":"...","value":"..."}` (JSON.stringify of two
 * strings), read and written as bytes.
 *
 * Read (ExportRecordDecoder): a line exactly as the export writes it is decoded into the UTF-8
 * bytes of its key (compared as bytes for the file's order) and its value's string, parsed from the
 * value's literal alone. An import reads its file twice (every line is checked before anything is
 * written); through JSON.parse of the line each line became a string, an object and two more
 * strings, twice, and most of the import's garbage. A line in any other shape (white space, other
 * fields, another order, a surrogate escape in the key, bytes that are not UTF-8) is not decoded
 * here: the caller reads it with JSON.parse, which also words what is wrong with it.
 *
 * Written (ExportLineWriter): a value held as valid UTF-8 bytes (read from etcd) is stringified from
 * the text of its bytes (KeyValue.value would decode them anew for each read); a value that is not
 * UTF-8 is declined, and the caller writes JSON.stringify of its value (with U+FFFD). Either way the
 * bytes are JSON.stringify's (test/integration/datastore/export-bytes.test.ts pins them).
 */
import { isAscii, isUtf8 } from 'node:buffer';

import type { ValueHead } from './value-head.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KEY_OPEN = Buffer.from('{"key":"', 'latin1');
const VALUE_OPEN = Buffer.from(',"value":"', 'latin1');
const CLOSE = 0x7d; // }

/** What each single-character escape stands for (0: not an escape JSON has, or \u). */
const UNESCAPED = new Uint8Array(128);
for (const [escape, byte] of [
  ['"', 0x22],
  ['\\', 0x5c],
  ['/', 0x2f],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
] as const)
  UNESCAPED[escape.charCodeAt(0)] = byte;

export class ExportRecordDecoder {
  /** The last record's key, as UTF-8 bytes in bytes[0, keyEnd). */
  bytes: Buffer = Buffer.allocUnsafe(64 * 1024);
  keyEnd = 0;
  /** The last record's value. */
  private text = '';
  /** Where the key just decoded ended in the line (after its closing quote). */
  private after = 0;
  /** Whether the key holds a byte >= 0x80 (then it must be valid UTF-8 to be decoded here). */
  private nonAscii = false;

  /**
   * Decodes the line src[start, end) when it is a record in the export's own shape; false for
   * anything else (the record is then undefined until the next decode or set). The value, most of
   * the line, is read by JSON.parse from the text of its string literal (its bytes decoded as
   * latin1 when they are ASCII, V8's one-byte fast path): on the 10k dataset's 341,647 lines
   * 0.17-0.22 s of CPU a pass, against 0.40-0.44 s for unescaping its bytes in a JavaScript loop
   * and then decoding them (docs/performance.md, seventh session).
   */
  decode(src: Buffer, start: number, end: number): boolean {
    if (end - start < KEY_OPEN.length + VALUE_OPEN.length + 3) return false;
    if (!bytesAt(src, start, KEY_OPEN)) return false;
    // The bytes of a JSON string are never fewer than those of what it stands for.
    if (this.bytes.length < end - start) this.bytes = Buffer.allocUnsafe(2 * (end - start));
    this.nonAscii = false;
    const keyEnd = this.decodeKey(src, start + KEY_OPEN.length, end);
    if (keyEnd < 0) return false;
    const valueStart = this.after;
    if (this.nonAscii && !isUtf8(src.subarray(start, valueStart))) return false;
    if (valueStart + VALUE_OPEN.length > end || !bytesAt(src, valueStart, VALUE_OPEN)) return false;
    if (src[end - 1] !== CLOSE || src[end - 2] !== QUOTE) return false;
    // The value's string literal, from its opening quote to its closing one: JSON.parse takes it
    // whole or throws (an unescaped quote inside, a bad escape, a raw control character).
    const literal = utf8Text(src.subarray(valueStart + VALUE_OPEN.length - 1, end - 1));
    if (literal === undefined) return false;
    let value: unknown;
    try {
      value = JSON.parse(literal);
    } catch {
      return false;
    }
    if (typeof value !== 'string') return false;
    this.keyEnd = keyEnd;
    this.text = value;
    return true;
  }

  /** Makes key and value the record (a line read another way). */
  set(key: string, value: string): void {
    const size = Buffer.byteLength(key);
    if (this.bytes.length < size) this.bytes = Buffer.allocUnsafe(2 * size);
    this.keyEnd = this.bytes.write(key, 0, 'utf8');
    this.text = value;
  }

  key(): string {
    return this.bytes.toString('utf8', 0, this.keyEnd);
  }

  value(): string {
    return this.text;
  }

  /** The record's bytes as a put stores them: its key's and its value's, UTF-8. */
  size(): number {
    return this.keyEnd + Buffer.byteLength(this.text, 'utf8');
  }

  /** Whether the key starts with prefix (ASCII). */
  keyStartsWith(prefix: Buffer): boolean {
    return this.keyEnd >= prefix.length && bytesAt(this.bytes, 0, prefix);
  }

  /**
   * The key's JSON string, whose contents start at src[from] (after its opening quote), decoded into
   * bytes from 0 on: where its bytes end, or -1 when it is not one this decoder takes.
   */
  private decodeKey(src: Buffer, from: number, end: number): number {
    const bytes = this.bytes;
    let o = 0;
    for (let i = from; i < end; i++) {
      const b = src[i]!;
      // Most bytes: printable ASCII after the quote, not a backslash (one test, ~15% faster).
      if (b > QUOTE && b !== BACKSLASH && b < 0x80) {
        bytes[o++] = b;
        continue;
      }
      if (b === QUOTE) {
        this.after = i + 1;
        return o;
      }
      if (b === BACKSLASH) {
        if (++i >= end) return -1;
        const e = src[i]!;
        const unescaped = e < 128 ? UNESCAPED[e]! : 0;
        if (unescaped !== 0) {
          bytes[o++] = unescaped;
          continue;
        }
        if (e !== 0x75 || i + 4 >= end) return -1;
        const c = hex(src[i + 1]!) * 4096 + hex(src[i + 2]!) * 256 + hex(src[i + 3]!) * 16 + hex(src[i + 4]!);
        // A surrogate (a pair, or one alone, which JSON.parse keeps and UTF-8 cannot hold): not here.
        if (!(c >= 0) || (c >= 0xd800 && c <= 0xdfff)) return -1;
        i += 4;
        if (c < 0x80) bytes[o++] = c;
        else if (c < 0x800) {
          bytes[o++] = 0xc0 | (c >> 6);
          bytes[o++] = 0x80 | (c & 0x3f);
        } else {
          bytes[o++] = 0xe0 | (c >> 12);
          bytes[o++] = 0x80 | ((c >> 6) & 0x3f);
          bytes[o++] = 0x80 | (c & 0x3f);
        }
        continue;
      }
      // A control character must be escaped in JSON: JSON.parse says so.
      if (b < 0x20) return -1;
      if (b >= 0x80) this.nonAscii = true;
      bytes[o++] = b;
    }
    return -1;
  }
}

/** The keys of a file, checked to ascend in byte order as they come. */
export class KeyOrder {
  private previous = Buffer.allocUnsafe(1024);
  private length = -1;

  /** Whether the key bytes[0, end) comes after the one before; it is then the one before. */
  next(bytes: Buffer, end: number): boolean {
    if (this.length >= 0 && !this.before(bytes, end)) return false;
    if (this.previous.length < end) this.previous = Buffer.allocUnsafe(2 * end);
    this.length = bytes.copy(this.previous, 0, 0, end);
    return true;
  }

  /**
   * Whether the one before sorts before bytes[0, end) in byte order: a loop, since Buffer.compare's
   * checks of its offsets cost more than the few bytes after the common prefix of two keys.
   */
  private before(bytes: Buffer, end: number): boolean {
    const previous = this.previous;
    const common = Math.min(this.length, end);
    for (let i = 0; i < common; i++) {
      if (previous[i] !== bytes[i]) return previous[i]! < bytes[i]!;
    }
    return this.length < end;
  }
}

/**
 * Whether buf holds literal at at (buf long enough): a loop, since Buffer.compare's checks of its
 * offsets cost more than comparing a few bytes, and it runs several times a line.
 */
function bytesAt(buf: Buffer, at: number, literal: Buffer): boolean {
  for (let i = 0; i < literal.length; i++) if (buf[at + i] !== literal[i]) return false;
  return true;
}

/** A hex digit's value, or NaN (which fails the caller's range check). */
/**
 * The text of UTF-8 bytes, or undefined when they are not UTF-8. ASCII (every Calico value in
 * practice, checked natively) is decoded as latin1, one character a byte: V8's one-byte strings,
 * which JSON.parse and JSON.stringify take on their fast paths.
 */
function utf8Text(bytes: Buffer): string | undefined {
  if (isAscii(bytes)) return bytes.toString('latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

function hex(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return NaN;
}

/**
 * Gathers the export's text into chunks of about chunkBytes and hands each to a sink that has
 * written it when it returns (so the chunk's buffer is written into again).
 */
export class ExportLineWriter {
  private buf: Buffer;
  private pos = 0;
  /** Bytes handed to the sink so far. */
  written = 0;

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    private readonly chunkBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(2 * chunkBytes);
  }

  /** Text as UTF-8. */
  text(text: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    this.room(3 * text.length);
    this.pos += this.buf.write(text, this.pos, 'utf8');
    if (this.pos >= this.chunkBytes) this.flush();
  }

  /**
   * The line JSON.stringify({ key, value }) makes, the value's text decoded from its bytes: false,
   * having written nothing, when they are not UTF-8 (decoding them would have replaced some with
   * U+FFFD). ASCII bytes (every Calico value in practice, checked natively) are decoded as latin1,
   * one character a byte, which V8 stringifies on its one-byte fast path: in a microbenchmark on
   * the 10k dataset's 341,647 values 0.29–0.35 s of CPU against 0.34–0.46 s for escaping the bytes
   * in a JavaScript loop.
   */
  record(key: string, value: ValueHead): boolean {
    const text = utf8Text(value.buf.subarray(value.start, value.stop));
    if (text === undefined) return false;
    this.text('{"key":' + JSON.stringify(key) + ',"value":' + JSON.stringify(text) + '}\n');
    return true;
  }

  /** Hands what is gathered to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.written += this.pos;
    this.pos = 0;
  }

  /** Room for n more bytes: what is gathered is handed over first when the buffer lacks it. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
}
