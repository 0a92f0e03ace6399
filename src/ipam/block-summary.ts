/**
 * What the utilization tables need from a block: its network, affinity and how many ordinals are
 * free. A /26 block with attributes is ~10 KB of JSON and a large cluster has 10,000 of them, so the
 * common shape Calico writes is scanned for just those three fields; anything unusual falls back to
 * the full decoder (which also reports corrupt values by key).
 */
import type { KeyValue } from '../datastore/contract.js';
import { valueHead, type ValueHead } from '../datastore/value-head.js';
import { parseCIDR } from '../resources/ip.js';
import type { Network } from './keys.js';
import { decodeBlock } from './block.js';

/** Enough for the head of a /26 or /122 block (64 allocations); larger blocks take the full decoder. */
const HEAD_BYTES = 2048;

export interface BlockSummary {
  key: string;
  net: Network;
  affinity: string | null;
  /** len(unallocated): in use = capacity - free (Windows-reserved addresses count as in use). */
  free: number;
}

/**
 * The summary from the head of a block in Calico's own layout, or undefined for any other layout.
 * The head is matched byte by byte against the layout Go writes:
 *
 *   {"cidr":"C","affinity":null|"A"[,"affinity_claim_time":null|"T"],"allocations":null|[0-9nul,]*,
 *    "unallocated":null|[N(,N)*] followed by , or }
 *
 * with no backslash in C, A or T, all within the head, and the value ending in '}' (not cut short).
 * Anchored at the start, so every field matched is a top-level one, and only the first few hundred
 * bytes are looked at; nothing is decoded but the affinity (and the cidr when it is not the expected one).
 */
export function scanBlockHead(
  head: ValueHead,
  expected?: ExpectedNetwork,
): Omit<BlockSummary, 'key'> | undefined {
  if (head.lastByte !== 0x7d) return undefined; // '}': not truncated
  const { buf: b, stop } = head;
  let i = literal(b, head.start, stop, CIDR);
  const cidrStart = i + 1;
  i = plainString(b, i, stop);
  const cidrEnd = i - 1;
  i = literal(b, i, stop, AFFINITY);
  const affinityStart = i + 1;
  i = nullOrPlainString(b, i, stop);
  const affinityEnd = i - 1;
  const claim = literal(b, i, stop, CLAIM_TIME);
  if (claim >= 0) i = nullOrPlainString(b, claim, stop);
  i = skipArray(b, literal(b, i, stop, ALLOCATIONS), stop, true);
  i = literal(b, i, stop, UNALLOCATED);
  const listStart = i + 1;
  i = skipArray(b, i, stop, false);
  if (i < 0 || i >= stop || (b[i] !== COMMA && b[i] !== 0x7d)) return undefined;
  const free = b[listStart - 1] === OPEN ? countList(b, listStart, i - 1) : 0;
  if (free < 0) return undefined;

  const net = cidrNetwork(b, cidrStart, cidrEnd, expected);
  if (!net) return undefined;
  return {
    net,
    affinity: b[affinityStart - 1] === QUOTE ? b.toString('utf8', affinityStart, affinityEnd) : null,
    free,
  };
}

// The steps of the scan take the position of what they match and return the position after it, or
// -1 (which every later step passes on) when it does not match.

function literal(b: Buffer, i: number, stop: number, lit: Uint8Array): number {
  if (i < 0 || i + lit.length > stop) return -1;
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) return -1;
  return i + lit.length;
}

/** A JSON string without escapes. */
function plainString(b: Buffer, i: number, stop: number): number {
  if (i < 0 || b[i] !== QUOTE) return -1;
  for (let k = i + 1; k < stop; k++) {
    const c = b[k];
    if (c === QUOTE) return k + 1;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

function nullOrPlainString(b: Buffer, i: number, stop: number): number {
  return b[i] === 0x6e ? literal(b, i, stop, NULL) : plainString(b, i, stop); // 'n'
}

/** null, or [ ] around digits and commas (and the letters of null when nulls are allowed). */
function skipArray(b: Buffer, i: number, stop: number, nulls: boolean): number {
  if (i < 0) return -1;
  if (b[i] === 0x6e) return literal(b, i, stop, NULL);
  if (b[i] !== OPEN) return -1;
  for (let k = i + 1; k < stop; k++) {
    const c = b[k]!;
    if (c === CLOSE) return k + 1;
    const allowed =
      (c >= 0x30 && c <= 0x39) || c === COMMA || (nulls && (c === 0x6e || c === 0x75 || c === 0x6c));
    if (!allowed) return -1;
  }
  return -1;
}

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CIDR = ascii('{"cidr":');
const AFFINITY = ascii(',"affinity":');
const CLAIM_TIME = ascii(',"affinity_claim_time":');
const ALLOCATIONS = ascii(',"allocations":');
const UNALLOCATED = ascii(',"unallocated":');
const NULL = ascii('null');
const [QUOTE, BACKSLASH, OPEN, CLOSE, COMMA] = ascii('"\\[],');

/** Entries of a list of integers b[start, end) ("" is 0 entries); -1 unless it is N(,N)*. */
function countList(b: Buffer, start: number, end: number): number {
  if (start === end) return 0;
  let entries = 1;
  for (let k = start; k < end; k++) {
    if (b[k] !== COMMA) continue;
    if (k === start || k === end - 1 || b[k - 1] === COMMA) return -1;
    entries++;
  }
  return entries;
}

/** Whether b[start, end) is the ASCII text. */
export function equalsAscii(b: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (b[start + k] !== text.charCodeAt(k)) return false;
  return true;
}

/**
 * The network a block's value most likely holds (the one its key names) and that network's text:
 * a value whose cidr is exactly this text gets this very object as its net, without a second parse.
 */
export interface ExpectedNetwork {
  text: string;
  net: Network;
}

/**
 * The network of a block value's cidr, the text b[start, end): expected's own object when it is
 * exactly expected's text (no second parse), else parsed; undefined when it is not a CIDR.
 */
export function cidrNetwork(
  b: Buffer,
  start: number,
  end: number,
  expected: ExpectedNetwork | undefined,
): Network | undefined {
  if (expected && equalsAscii(b, start, end, expected.text)) return expected.net;
  const cidr = parseCIDR(b.toString('utf8', start, end));
  return cidr ? { network: cidr.network, prefix: cidr.prefix } : undefined;
}

/** Summarises a stored block; throws CorruptBlockError (naming the key) for a value Calico would reject. */
export function summarizeBlock(kv: KeyValue, expected?: ExpectedNetwork): BlockSummary {
  const quick = scanBlockHead(valueHead(kv, HEAD_BYTES), expected);
  if (quick) return { key: kv.key, ...quick };
  const full = decodeBlock(kv);
  return {
    key: kv.key,
    net: full.net,
    affinity: full.value.affinity,
    free: full.value.unallocated?.length ?? 0,
  };
}
