/**
 * The blocks as `ipam check` uses them, read from their bytes where they are in the form Go writes.
 * JSON.parse of a block makes every handle ID, timestamp, sequence number and free ordinal a JS
 * value, 90 MB of them at 10k blocks, and the check needs few: for each allocated address its
 * attribute's handle (its bytes copied into the HandleJoin), its node (compared in place with the
 * block's own host) and, with the report, the fields the report prints.
 *
 * The walk is block-owners.ts's BlockWalker (the one walker of a block's bytes: it accepts only what
 * Go's encoder writes and checks every field as decodeBlock does), keeping the secondary values the
 * check reads; this module builds its CheckBlock from what the walker kept, and also steps aside
 * where the walker's reading is not exactly the full decode's for the check (an unallocated ordinal
 * past 15 digits, a sequence number's key twice, a report text too long for its record). A block
 * not walked is read by readBlock (check-values.ts), which decodes it in full and says what is
 * wrong with a block that cannot be read. test/unit/ipam/check-blocks.test.ts holds the two readers
 * to the same answer.
 */
import { compareGoStrings } from '../codec/go-json.js';
import type { KeyValue } from '../datastore/contract.js';
import type { AllocationAttribute } from './block.js';
import { BlockWalker } from './block-owners.js';
import { equalsAscii } from './block-summary.js';
import { shapeProblem, type CheckedBlock, type RejectedBlock } from './check-values.js';
import type { HandleJoin } from './check-handles.js';
import type { ReportEncoder } from './report.js';
import type { Network } from './keys.js';

/** An attribute as the check reads it; the secondary values are those that are set and not empty. */
export interface CheckAttribute {
  /** handle_id's number in the check's HandleJoin (addId); -1 when it has none. */
  handle: number;
  /** The owner's node; undefined for the block's own host (or none). */
  node?: string;
  /** Only for a LoadBalancer's address (type LoadBalancer): what the LoadBalancer check reads. */
  type?: string;
  service?: string;
  namespace?: string;
  /** With the report: its texts in the ReportTexts (what ReportTexts.get reads back). */
  texts?: number;
  /** calicoctl's formatAttrs text, for --show-problem-ips. */
  attrs?: string;
}

/**
 * An attribute without handle or owner yet, with room for the fields nearly every attribute gets
 * (set later, they would each need a property array: 300,000 of them at 10k blocks).
 */
const newAttribute = (): CheckAttribute => ({ handle: -1, node: undefined, texts: undefined });

/** The secondary values the report prints of an attribute (those set and not empty). */
export interface ReportFields {
  pod?: string;
  namespace?: string;
  type?: string;
  timestamp?: string;
}

/**
 * The report's texts of every attribute, kept until the report is written (it is sorted across
 * blocks): from the walk as their UTF-8 bytes, one record an attribute, in one growing buffer
 * outside the JS heap (300,000 pod names and timestamps as strings were most of the report's live
 * heap and of its garbage collection); from the full decode as the decoded strings.
 */
export class ReportTexts {
  /**
   * The records, in chunks of CHUNK_BYTES (a record never spans two): a buffer grown by doubling
   * copied what it held each time, and touched twice the memory (~0.1 s of the report at 10k).
   */
  private readonly chunks: Buffer[] = [];
  private chunk = Buffer.alloc(0);
  private used = 0;
  private readonly decoded: ReportFields[] = [];

  /**
   * A record of the values b[at[2n], at[2n + 1]) (start -1: absent) of the fields of REPORT_FIELDS
   * in order; a value longer than MAX_TEXT is not recorded (undefined: the block is then decoded in
   * full).
   */
  addBytes(b: Buffer, at: Int32Array): number | undefined {
    let size = 0;
    for (let n = 0; n < REPORT_FIELDS.length; n++) {
      const length = at[2 * n]! < 0 ? 0 : at[2 * n + 1]! - at[2 * n]!;
      if (length > MAX_TEXT) return undefined;
      size += 2 + length;
    }
    if (this.used + size > this.chunk.length) {
      this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      this.chunks.push(this.chunk);
      this.used = 0;
    }
    const ref = (this.chunks.length - 1) * CHUNK_BYTES + this.used;
    const out = this.chunk;
    let to = this.used;
    for (let n = 0; n < REPORT_FIELDS.length; n++) {
      const start = at[2 * n]!;
      const length = start < 0 ? 0 : at[2 * n + 1]! - start;
      out[to] = length & 0xff;
      out[to + 1] = length >>> 8;
      to += 2;
      // Copied in a loop: a value is tens of bytes, for which Buffer.copy's native call costs more.
      for (let k = 0; k < length; k++) out[to + k] = b[start + k]!;
      to += length;
    }
    this.used = to;
    return ref;
  }

  /** A reference to fields decoded in full. */
  addFields(fields: ReportFields): number {
    return -this.decoded.push(fields);
  }

  /** Writes the record's pod and namespace (the report's fields before an allocation's node). */
  writeBeforeNode(ref: number | undefined, enc: ReportEncoder): void {
    this.write(ref, 0, 2, enc);
  }

  /** Writes the record's type and timestamp (the report's fields after an allocation's node). */
  writeAfterNode(ref: number | undefined, enc: ReportEncoder): void {
    this.write(ref, 2, 4, enc);
  }

  /**
   * Writes the fields REPORT_FIELDS[from, to) of a record that are set (as bytes where the walk
   * kept them), each under its report name.
   */
  private write(ref: number | undefined, from: number, to: number, enc: ReportEncoder): void {
    if (ref === undefined) return;
    if (ref < 0) {
      const fields = this.decoded[-ref - 1]!;
      for (let n = from; n < to; n++) enc.textField(REPORT_NAMES[n]!, fields[REPORT_FIELDS[n]!] ?? '');
      return;
    }
    const b = this.chunks[Math.floor(ref / CHUNK_BYTES)]!;
    let at = ref % CHUNK_BYTES;
    for (let n = 0; n < to; n++) {
      const length = b[at]! | (b[at + 1]! << 8);
      if (n >= from) enc.bytesField(REPORT_NAMES[n]!, b, at + 2, at + 2 + length);
      at += 2 + length;
    }
  }

  get(ref: number | undefined): ReportFields {
    if (ref === undefined) return {};
    if (ref < 0) return this.decoded[-ref - 1]!;
    const out: ReportFields = {};
    const b = this.chunks[Math.floor(ref / CHUNK_BYTES)]!;
    let at = ref % CHUNK_BYTES;
    for (const name of REPORT_FIELDS) {
      const length = b.readUInt16LE(at);
      if (length > 0) out[name] = b.toString('utf8', at + 2, at + 2 + length);
      at += 2 + length;
    }
    return out;
  }
}

/** The longest text a ReportTexts record holds (its length is 16 bits). */
const MAX_TEXT = 0xffff;
/** A ReportTexts chunk: room for the largest record (four texts of MAX_TEXT), and many usual ones. */
const CHUNK_BYTES = 1 << 22;
/** The report's fields of a record, in record order. */
const REPORT_FIELDS = ['pod', 'namespace', 'type', 'timestamp'] as const;
/** Their names in the report. */
const REPORT_NAMES = ['pod', 'namespace', 'type', 'creationTimestamp'] as const;

/** A block as the check uses it (from either reader). */
export interface CheckBlock {
  key: string;
  net: Network;
  /** Go's IPNet.String of the block's CIDR. */
  cidr: string;
  affinity: string | null;
  allocations: readonly (number | null)[];
  unallocated: readonly number[];
  attributes: readonly CheckAttribute[];
  /** With the report: each ordinal's sequence number (sequenceNumberForAllocation). */
  sequences: SequenceNumbers | null;
}

/** What the check reads of each block: everything the report needs, or only what the text needs. */
export interface BlockReading {
  handles: HandleJoin;
  /** With the report: where the attributes' texts go. */
  report: ReportTexts | undefined;
  /** Each attribute's formatAttrs text (--show-problem-ips): only the full decode has it. */
  attrs: boolean;
}

/** The check's view of a block readBlock decoded in full. */
export function fromDecoded(b: CheckedBlock, reading: BlockReading): CheckBlock {
  const v = b.value;
  return {
    key: b.key,
    net: b.net,
    cidr: b.cidr,
    affinity: v.affinity,
    allocations: v.allocations ?? [],
    unallocated: v.unallocated ?? [],
    attributes: (v.attributes ?? []).map((a) => fromAttribute(a, v.affinity, reading)),
    sequences: reading.report
      ? decodedSequences(v.sequenceNumberForAllocation, (v.allocations ?? []).length)
      : null,
  };
}

function fromAttribute(
  a: AllocationAttribute,
  affinity: string | null,
  reading: BlockReading,
): CheckAttribute {
  const out = newAttribute();
  if (typeof a.handle_id === 'string') out.handle = reading.handles.addIdText(a.handle_id);
  const secondary = a.secondary ?? {};
  const node = secondary['node'];
  if (node && `${HOST_PREFIX}${node}` !== affinity) out.node = node;
  if (secondary['type'] === LOAD_BALANCER) {
    for (const k of FOR_LOAD_BALANCER) {
      const v = secondary[k];
      if (v) out[k] = v;
    }
  }
  if (reading.report && a.secondary) {
    const fields: ReportFields = {};
    for (const name of REPORT_FIELDS) {
      const v = secondary[name];
      if (v) fields[name] = v;
    }
    out.texts = reading.report.addFields(fields);
  }
  if (reading.attrs) out.attrs = formatAttrs(a);
  return out;
}

/** Owner-attribute text of the problem lines (check.go formatAttrs / kvsFormat). */
function formatAttrs(attr: AllocationAttribute): string {
  const kvs = (m: Record<string, string> | null | undefined): string =>
    Object.keys(m ?? {})
      .sort(compareGoStrings)
      .map((k) => `${k}=${m![k]}`)
      .join(',');
  const main = typeof attr.handle_id === 'string' ? attr.handle_id : '<none>';
  let out = `Main:${main} Extra:${kvs(attr.secondary)}`;
  if (Object.keys(attr.alternateOwnerAttrs ?? {}).length > 0)
    out += ` Alternate:${kvs(attr.alternateOwnerAttrs)}`;
  return out;
}

/** The secondary keys the check reads: the node, a LoadBalancer's, and the report's. */
const SECONDARY_KEYS = ['node', 'type', 'service', 'namespace', 'pod', 'timestamp'] as const;
/** The values a LoadBalancer's address keeps as strings (the others are not made into strings). */
const FOR_LOAD_BALANCER = ['type', 'service', 'namespace'] as const;
const NODE = SECONDARY_KEYS.indexOf('node');
const TYPE = SECONDARY_KEYS.indexOf('type');
/** Where REPORT_FIELDS are in SECONDARY_KEYS. */
const REPORT_KEYS = REPORT_FIELDS.map((name) => SECONDARY_KEYS.indexOf(name));
const HOST_PREFIX = 'host:';
const LOAD_BALANCER = 'LoadBalancer';

/** The check's walker (block-owners.ts), reused from block to block: a walk is synchronous. */
const walker = new BlockWalker(SECONDARY_KEYS);

/**
 * The block from its bytes, or undefined when they are not in the form Go writes (then readBlock
 * decides). expected is the network and canonical text its key names: a value whose cidr is not
 * exactly that text is left to readBlock too.
 */
export function walkBlock(
  kv: KeyValue,
  expected: { net: Network; text: string },
  reading: BlockReading,
): CheckBlock | RejectedBlock | undefined {
  const w = walker;
  // cidrNetwork gives the expected object exactly when the cidr is its text.
  if (!w.read(kv, expected) || w.net !== expected.net || !w.unallocatedExact) return undefined;
  const allocations: (number | null)[] = [];
  for (let ord = 0; ord < w.ordinals; ord++) {
    const attr = w.attributeAt(ord);
    allocations.push(attr < 0 ? null : attr);
  }
  const rejected = shapeProblem(kv.key, expected.net, expected.net, allocations);
  if (rejected) return rejected;
  const sequences = reading.report ? walkedSequences(w) : null;
  if (sequences === undefined) return undefined;
  const attributes: CheckAttribute[] = [];
  const host0 = w.affinity?.startsWith(HOST_PREFIX) ? w.affinityStart + HOST_PREFIX.length : -1;
  for (let attr = 0; attr < w.attributes; attr++) {
    const a = checkAttribute(w, attr, host0, reading);
    if (!a) return undefined;
    attributes.push(a);
  }
  const unallocated: number[] = [];
  for (let n = 0; n < w.unallocatedCount; n++) unallocated.push(w.unallocatedAt(n));
  return {
    key: kv.key,
    net: expected.net,
    cidr: expected.text,
    affinity: w.affinity,
    allocations,
    unallocated,
    attributes,
    sequences,
  };
}

/**
 * An attribute walked: its handle joined in bytes, its node unless it is the block's host (host0:
 * where the affinity's host name starts, -1 for none; compared in bytes), and the report's texts;
 * undefined when a text is too long for a record.
 */
function checkAttribute(
  w: BlockWalker,
  attr: number,
  host0: number,
  reading: BlockReading,
): CheckAttribute | undefined {
  const b = w.bytes;
  const out = newAttribute();
  const handle = w.handleStart(attr);
  if (handle >= 0) out.handle = reading.handles.addId(b, handle, w.handleEnd(attr));
  const node0 = w.valueStart(attr, NODE);
  const node1 = w.valueEnd(attr, NODE);
  const isHost =
    host0 >= 0 && node1 - node0 === w.affinityEnd - host0 && sameBytes(b, host0, node0, node1 - node0);
  if (node1 > node0 && !isHost) out.node = b.toString('utf8', node0, node1);
  const type0 = w.valueStart(attr, TYPE);
  if (type0 >= 0 && equalsAscii(b, type0, w.valueEnd(attr, TYPE), LOAD_BALANCER)) {
    for (const name of FOR_LOAD_BALANCER) {
      const k = SECONDARY_KEYS.indexOf(name);
      const [v0, v1] = [w.valueStart(attr, k), w.valueEnd(attr, k)];
      if (v1 > v0) out[name] = name === 'type' ? LOAD_BALANCER : b.toString('utf8', v0, v1);
    }
  }
  if (reading.report && w.hasSecondary(attr)) {
    REPORT_KEYS.forEach((k, n) => {
      reportValues[2 * n] = w.valueStart(attr, k);
      reportValues[2 * n + 1] = w.valueEnd(attr, k);
    });
    out.texts = reading.report.addBytes(b, reportValues);
    if (out.texts === undefined) return undefined;
  }
  return out;
}

/** Whether b[a, a + length) and b[c, c + length) are the same bytes (a loop: node names are short, shorter than Buffer.compare's call costs). */
function sameBytes(b: Buffer, a: number, c: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (b[a + k] !== b[c + k]) return false;
  return true;
}

/** The bounds of an attribute's REPORT_FIELDS values, for ReportTexts.addBytes. */
const reportValues = new Int32Array(2 * REPORT_FIELDS.length);

/** A sequence number is kept as high * SEQUENCE_SPLIT + low, both exact doubles. */
export const SEQUENCE_SPLIT = 1e9;
const SEQUENCE_SPLIT_BIG = 1_000_000_000n;
/** The most digits high * SEQUENCE_SPLIT + low holds exactly (high then has 11: below 2^53). */
const SPLIT_DIGITS = 20;

/**
 * A block's sequenceNumberForAllocation as the report reads it, by ordinal (Go reads
 * `sequenceNumberForAllocation[strconv.Itoa(ord)]`, 0 when absent): each number as high *
 * SEQUENCE_SPLIT + low, high -1 where the ordinal has none, and in other the numbers that do not
 * split so (only the full decode makes them). 300,000 of them at 10k blocks: kept as numbers, not
 * as an object of string keys and BigInt values per block.
 */
export interface SequenceNumbers {
  high: number[];
  low: number[];
  other: Map<number, number | bigint> | undefined;
}

function noSequences(ordinals: number): SequenceNumbers {
  return {
    high: new Array<number>(ordinals).fill(-1),
    low: new Array<number>(ordinals).fill(0),
    other: undefined,
  };
}

/** The full decode's sequenceNumberForAllocation by ordinal. */
function decodedSequences(
  decoded: Readonly<Record<string, number | bigint>> | null,
  ordinals: number,
): SequenceNumbers | null {
  if (decoded === null) return null;
  const out = noSequences(ordinals);
  for (let ord = 0; ord < ordinals; ord++) {
    const n = decoded[String(ord)];
    if (n === undefined) continue;
    const big = typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : undefined;
    if (big !== undefined && big >= 0n && big.toString().length <= SPLIT_DIGITS) {
      out.high[ord] = Number(big / SEQUENCE_SPLIT_BIG);
      out.low[ord] = Number(big % SEQUENCE_SPLIT_BIG);
    } else (out.other ??= new Map()).set(ord, n);
  }
  return out;
}

/**
 * sequenceNumberForAllocation from its bytes, by ordinal, or null; undefined for a key written
 * twice (JSON.parse keeps the last: left to the full decode) or a number of more digits than
 * SPLIT_DIGITS. The keys that name an ordinal (its decimal text) are read as numbers, the others,
 * never read, only kept to see a repeat.
 */
function walkedSequences(w: BlockWalker): SequenceNumbers | null | undefined {
  if (w.sequenceCount < 0) return null;
  const b = w.bytes;
  const out = noSequences(w.ordinals);
  let otherKeys: Set<string> | undefined;
  for (let n = 0; n < w.sequenceCount; n++) {
    const [k0, k1, d0, d1] = w.sequenceAt(n);
    if (d1 - d0 > SPLIT_DIGITS) return undefined;
    const ord = ordinalOfKey(b, k0, k1, w.ordinals);
    if (ord < 0) {
      const key = b.toString('utf8', k0, k1);
      if (otherKeys?.has(key)) return undefined;
      (otherKeys ??= new Set()).add(key);
      continue;
    }
    if (out.high[ord]! >= 0) return undefined;
    const split = Math.max(d0, d1 - 9);
    out.high[ord] = decimal(b, d0, split);
    out.low[ord] = decimal(b, split, d1);
  }
  return out;
}

/** The ordinal (< ordinals) whose decimal text is b[start, end), or -1. */
function ordinalOfKey(b: Buffer, start: number, end: number, ordinals: number): number {
  if (end === start || end - start > 9 || (end - start > 1 && b[start] === DIGIT_0)) return -1;
  let ord = 0;
  for (let k = start; k < end; k++) {
    const d = b[k]! - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    ord = ord * 10 + d;
  }
  return ord < ordinals ? ord : -1;
}

/** The value of the ASCII digits b[start, end) (0 when empty). */
function decimal(b: Buffer, start: number, end: number): number {
  let n = 0;
  for (let k = start; k < end; k++) n = n * 10 + (b[k]! - DIGIT_0);
  return n;
}

const DIGIT_0 = 0x30;
