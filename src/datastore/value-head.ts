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

export interface ValueHead {
  /** The first maxBytes bytes of the value as UTF-8 (a character cut at the end becomes U+FFFD). */
  text: string;
  /** The value's last byte (-1 when empty), e.g. to tell a complete JSON object from a cut one. */
  lastByte: number;
  /** The value is no longer than text. */
  whole: boolean;
}

/** The head of kv's value, from its bytes if a backend registered them, else from kv.value. */
export function valueHead(kv: KeyValue, maxBytes: number): ValueHead {
  const bytes = bytesOf.get(kv);
  if (!bytes) {
    const text = kv.value;
    return { text, lastByte: text.length > 0 ? text.charCodeAt(text.length - 1) : -1, whole: true };
  }
  const { buf, start, end } = bytes;
  const stop = Math.min(end, start + maxBytes);
  return {
    text: buf.toString('utf8', start, stop),
    lastByte: end > start ? buf[end - 1]! : -1,
    whole: stop === end,
  };
}
