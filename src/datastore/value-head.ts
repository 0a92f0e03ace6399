/**
 * The start of a stored value without decoding all of it. A backend that receives values as bytes
 * (etcd's range reader) registers each KeyValue's bytes here and decodes `value` only when it is
 * read; a caller that needs a few hundred bytes of a 9 KB IPAM block then never creates the 9 KB
 * string (at 50,000 blocks that is 450 MB of strings, and most of the garbage collector's work).
 */
import type { KeyValue } from './contract.js';

interface ValueBytes {
  buf: Buffer;
  start: number;
  end: number;
}

const bytesOf = new WeakMap<KeyValue, ValueBytes>();

/** A KeyValue whose value is decoded from buf[start, end) on first read. */
export function lazyKeyValue(
  fields: Omit<KeyValue, 'value'>,
  buf: Buffer,
  start: number,
  end: number,
): KeyValue {
  let value: string | undefined;
  const kv: KeyValue = {
    key: fields.key,
    // An own enumerable accessor, so the object still compares and serialises as a plain KeyValue.
    get value(): string {
      return (value ??= buf.toString('utf8', start, end));
    },
    createRevision: fields.createRevision,
    modRevision: fields.modRevision,
    version: fields.version,
  };
  bytesOf.set(kv, { buf, start, end });
  return kv;
}

/**
 * A KeyValue that lives only while a scan visits it (a streamed page's bytes are reused once the
 * visitor returns): cheaper than lazyKeyValue, which every KeyValue of a buffered page gets, since
 * it needs neither a closure nor an entry in the WeakMap above.
 */
export class TransientKeyValue implements KeyValue {
  readonly #buf: Buffer;
  readonly #start: number;
  readonly #end: number;

  constructor(
    readonly key: string,
    readonly createRevision: number,
    readonly modRevision: number,
    readonly version: number,
    buf: Buffer,
    start: number,
    end: number,
  ) {
    this.#buf = buf;
    this.#start = start;
    this.#end = end;
  }

  get value(): string {
    return this.#buf.toString('utf8', this.#start, this.#end);
  }

  get byteLength(): number {
    return this.#end - this.#start;
  }

  head(maxBytes: number): ValueHead {
    return headOf(this.#buf, this.#start, this.#end, maxBytes);
  }
}

export interface ValueHead {
  /** The value's first bytes are buf[start, stop): at most maxBytes of them, UTF-8. */
  buf: Buffer;
  start: number;
  stop: number;
  /** The value's last byte (-1 when empty), e.g. to tell a complete JSON object from a cut one. */
  lastByte: number;
}

/** The head of kv's value: its own bytes if a backend registered them, else the start of kv.value encoded. */
export function valueHead(kv: KeyValue, maxBytes: number): ValueHead {
  if (kv instanceof TransientKeyValue) return kv.head(maxBytes);
  const bytes = bytesOf.get(kv);
  if (!bytes) {
    const text = kv.value;
    // maxBytes UTF-8 bytes hold at most maxBytes characters.
    const buf = Buffer.from(text.length > maxBytes ? text.slice(0, maxBytes) : text, 'utf8');
    const last = text.length > 0 ? text.charCodeAt(text.length - 1) : -1;
    return { buf, start: 0, stop: Math.min(buf.length, maxBytes), lastByte: last < 0x80 ? last : 0x80 };
  }
  return headOf(bytes.buf, bytes.start, bytes.end, maxBytes);
}

/** kv's value as the UTF-8 bytes a backend holds it in (a KeyValue read from etcd), or undefined. */
export function valueBytes(kv: KeyValue): ValueHead | undefined {
  if (kv instanceof TransientKeyValue) return kv.head(Infinity);
  const bytes = bytesOf.get(kv);
  return bytes ? headOf(bytes.buf, bytes.start, bytes.end, Infinity) : undefined;
}

/** How long kv's value is in bytes (in characters when no backend registered its bytes), without decoding it. */
export function valueLength(kv: KeyValue): number {
  if (kv instanceof TransientKeyValue) return kv.byteLength;
  const bytes = bytesOf.get(kv);
  return bytes ? bytes.end - bytes.start : kv.value.length;
}

/** The head of a value held as buf[start, end). */
function headOf(buf: Buffer, start: number, end: number, maxBytes: number): ValueHead {
  return { buf, start, stop: Math.min(end, start + maxBytes), lastByte: end > start ? buf[end - 1]! : -1 };
}
