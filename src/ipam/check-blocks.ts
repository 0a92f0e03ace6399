/**
 * The blocks as `ipam check` uses them, read from their bytes where they are in the form Go writes.
 * JSON.parse of a block makes every handle ID, timestamp, sequence number and free ordinal a JS
 * value, 90 MB of them at 10k blocks, and the check needs few: for each allocated address its
 * attribute's handle (hashed in place into the HandleJoin), its node (compared in place with the
 * block's own host) and, with the report, the fields the report prints.
 *
 * The walk accepts only what Go's encoder writes for an AllocationBlock (no white space, the known
 * fields each at most once, strings without escapes or control characters, unsigned integers as
 * plain digits) and checks every field as decodeBlock does; anything else returns undefined and the
 * block is read by readBlock (check-values.ts), which decodes it in full and says what is wrong with
 * a block that cannot be read. test/unit/ipam/check-blocks.test.ts holds the two readers to the same
 * answer.
 */
import { compareGoStrings } from '../codec/go-json.js';
import type { KeyValue } from '../datastore/contract.js';
import { valueHead } from '../datastore/value-head.js';
import type { AllocationAttribute } from './block.js';
import { shapeProblem, type CheckedBlock, type RejectedBlock } from './check-values.js';
import type { HandleJoin } from './check-handles.js';
import type { Network } from './keys.js';

/** An attribute as the check reads it; the secondary values are those that are set and not empty. */
export interface CheckAttribute {
  /** handle_id's entry in the check's HandleJoin; -1 when it has none. */
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
  private bytes = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private readonly decoded: ReportFields[] = [];

  /**
   * A record of the values b[at[2k], at[2k + 1]) of the keys k (start -1: absent), the fields of
   * REPORT_FIELDS in order; a value longer than MAX_TEXT is not recorded (undefined: the block is
   * then decoded in full).
   */
  addBytes(b: Buffer, at: Int32Array, keys: readonly number[]): number | undefined {
    let size = 0;
    for (const k of keys) {
      const length = at[2 * k]! < 0 ? 0 : at[2 * k + 1]! - at[2 * k]!;
      if (length > MAX_TEXT) return undefined;
      size += 2 + length;
    }
    if (this.used + size > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + size));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    const ref = this.used;
    for (const k of keys) {
      const start = at[2 * k]!;
      const length = start < 0 ? 0 : at[2 * k + 1]! - start;
      this.bytes.writeUInt16LE(length, this.used);
      if (length > 0) b.copy(this.bytes, this.used + 2, start, start + length);
      this.used += 2 + length;
    }
    return ref;
  }

  /** A reference to fields decoded in full. */
  addFields(fields: ReportFields): number {
    return -this.decoded.push(fields);
  }

  get(ref: number | undefined): ReportFields {
    if (ref === undefined) return {};
    if (ref < 0) return this.decoded[-ref - 1]!;
    const out: ReportFields = {};
    let at = ref;
    for (const name of REPORT_FIELDS) {
      const length = this.bytes.readUInt16LE(at);
      if (length > 0) out[name] = this.bytes.toString('utf8', at + 2, at + 2 + length);
      at += 2 + length;
    }
    return out;
  }
}

/** The longest text a ReportTexts record holds (its length is 16 bits). */
const MAX_TEXT = 0xffff;
/** The report's fields of a record, in record order. */
const REPORT_FIELDS = ['pod', 'namespace', 'type', 'timestamp'] as const;

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
  /** With the report: each ordinal's sequence number (exact), by its key in sequenceNumberForAllocation. */
  sequences: Readonly<Record<string, number | bigint>> | null;
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
    sequences: reading.report ? v.sequenceNumberForAllocation : null,
  };
}

function fromAttribute(
  a: AllocationAttribute,
  affinity: string | null,
  reading: BlockReading,
): CheckAttribute {
  const out = newAttribute();
  if (typeof a.handle_id === 'string') out.handle = reading.handles.entryOfText(a.handle_id);
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
const TYPE = SECONDARY_KEYS.indexOf('type');
/** Where REPORT_FIELDS are in SECONDARY_KEYS. */
const REPORT_KEYS = REPORT_FIELDS.map((name) => SECONDARY_KEYS.indexOf(name));

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
  const head = valueHead(kv, Number.MAX_SAFE_INTEGER);
  const w = new BlockWalker(head.buf, head.start, head.stop, reading);
  try {
    if (!w.block(expected.text)) return undefined;
  } catch (err) {
    if (err === UNUSUAL) return undefined;
    throw err;
  }
  const rejected = shapeProblem(kv.key, expected.net, expected.net, w.allocations);
  if (rejected) return rejected;
  return {
    key: kv.key,
    net: expected.net,
    cidr: expected.text,
    affinity: w.affinity,
    allocations: w.allocations,
    unallocated: w.unallocated,
    attributes: w.attributes,
    sequences: w.sequences,
  };
}

/** Why a walk stopped: the block is then decoded in full. */
const UNUSUAL = new Error('not in the form Go writes');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const BLOCK_FIELDS = [
  'cidr',
  'affinity',
  'affinity_claim_time',
  'hostAffinity',
  'allocations',
  'unallocated',
  'attributes',
  'sequenceNumber',
  'sequenceNumberForAllocation',
  'deleted',
] as const;
const ATTRIBUTE_FIELDS = ['handle_id', 'secondary', 'alternateOwnerAttrs'] as const;
const HOST_PREFIX = 'host:';
const LOAD_BALANCER = 'LoadBalancer';
/** More digits than this may not be an exact double. */
const EXACT_DIGITS = 15;
/** JSON.parse reads up to this many digits as a finite number (an integer, as decodeBlock wants). */
const MAX_DIGITS = 300;

/** A cursor over one block's bytes; the fields hold what it read. */
class BlockWalker {
  affinity: string | null = null;
  allocations: (number | null)[] = [];
  unallocated: number[] = [];
  attributes: CheckAttribute[] = [];
  sequences: Record<string, number | bigint> | null = null;
  /** The bounds of the last string read. */
  private s0 = 0;
  private s1 = 0;
  /** The bounds of the affinity's host name, when it is `host:<name>`. */
  private host0 = -1;
  private host1 = -1;
  /** Where the secondary map's values are: [start, end) for each of SECONDARY_KEYS, -1 when absent. */
  private readonly valueAt = new Int32Array(2 * SECONDARY_KEYS.length);

  constructor(
    private readonly b: Buffer,
    private i: number,
    private readonly stop: number,
    private readonly reading: BlockReading,
  ) {}

  /** Reads the whole value; false when its cidr is not expectedCidr. */
  block(expectedCidr: string): boolean {
    let seen = 0;
    let cidrMatches = false;
    this.expect(OPEN_OBJECT);
    do {
      const field = this.fieldOf(BLOCK_FIELDS);
      if (seen & (1 << field)) throw UNUSUAL;
      seen |= 1 << field;
      switch (BLOCK_FIELDS[field]) {
        case 'cidr':
          this.string();
          cidrMatches = this.stringIs(expectedCidr);
          break;
        case 'affinity':
          if (this.isNull()) break;
          this.string();
          this.affinity = this.b.toString('utf8', this.s0, this.s1);
          if (this.affinity.startsWith(HOST_PREFIX))
            [this.host0, this.host1] = [this.s0 + HOST_PREFIX.length, this.s1];
          break;
        case 'affinity_claim_time':
        case 'hostAffinity':
          if (!this.isNull()) this.string();
          break;
        case 'allocations':
          if (!this.isNull()) this.list(() => this.allocations.push(this.isNull() ? null : this.uint()));
          break;
        case 'unallocated':
          if (!this.isNull()) this.list(() => this.unallocated.push(this.uint()));
          break;
        case 'attributes':
          if (!this.isNull()) this.list(() => this.attributes.push(this.attribute()));
          break;
        case 'sequenceNumber':
          this.digits();
          break;
        case 'sequenceNumberForAllocation':
          this.sequenceMap();
          break;
        case 'deleted':
          if (!this.literal('true') && !this.literal('false')) throw UNUSUAL;
          break;
      }
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
    if (this.i !== this.stop || !(seen & 1)) throw UNUSUAL;
    return cidrMatches;
  }

  private attribute(): CheckAttribute {
    const attr = newAttribute();
    let seen = 0;
    this.expect(OPEN_OBJECT);
    if (this.take(CLOSE_OBJECT)) return attr;
    do {
      const field = this.fieldOf(ATTRIBUTE_FIELDS);
      if (seen & (1 << field)) throw UNUSUAL;
      seen |= 1 << field;
      if (this.isNull()) continue;
      if (field === 0) {
        this.string();
        attr.handle = this.reading.handles.entryOfBytes(this.b, this.s0, this.s1);
      } else {
        this.stringMap(field === 1 ? attr : undefined);
      }
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
    return attr;
  }

  /**
   * A map of strings; with attr (secondary), what the check reads of it goes into attr. A key it
   * reads twice is left to the full decoder.
   */
  private stringMap(attr: CheckAttribute | undefined): void {
    this.expect(OPEN_OBJECT);
    const at = this.valueAt.fill(-1);
    if (!this.take(CLOSE_OBJECT)) {
      do {
        this.string();
        const k = attr ? this.secondaryKey() : -1;
        this.expect(COLON);
        this.string();
        if (k < 0) continue;
        if (at[2 * k]! >= 0) throw UNUSUAL;
        at[2 * k] = this.s0;
        at[2 * k + 1] = this.s1;
      } while (this.take(COMMA));
      this.expect(CLOSE_OBJECT);
    }
    if (!attr) return;
    const [node0, node1] = [at[0]!, at[1]!];
    if (node1 > node0 && !(this.host0 >= 0 && this.sameBytes(node0, node1, this.host0, this.host1))) {
      attr.node = this.b.toString('utf8', node0, node1);
    }
    const type0 = at[2 * TYPE]!;
    if (type0 >= 0 && this.sameText(type0, at[2 * TYPE + 1]!, LOAD_BALANCER)) {
      for (const name of FOR_LOAD_BALANCER) {
        const k = SECONDARY_KEYS.indexOf(name);
        const [v0, v1] = [at[2 * k]!, at[2 * k + 1]!];
        if (v1 > v0) attr[name] = name === 'type' ? LOAD_BALANCER : this.b.toString('utf8', v0, v1);
      }
    }
    if (this.reading.report) {
      attr.texts = this.reading.report.addBytes(this.b, at, REPORT_KEYS);
      if (attr.texts === undefined) throw UNUSUAL;
    }
  }

  /** sequenceNumberForAllocation: kept (exactly) for the report, else only checked. */
  private sequenceMap(): void {
    if (this.isNull()) return;
    this.expect(OPEN_OBJECT);
    const seqs: Record<string, number | bigint> | null = this.reading.report ? {} : null;
    this.sequences = seqs;
    if (this.take(CLOSE_OBJECT)) return;
    do {
      this.string();
      const [k0, k1] = [this.s0, this.s1];
      this.expect(COLON);
      const start = this.digits();
      if (!seqs) continue;
      const key = this.b.toString('utf8', k0, k1);
      if (Object.hasOwn(seqs, key)) throw UNUSUAL;
      seqs[key] =
        this.i - start <= EXACT_DIGITS
          ? Number(this.b.toString('latin1', start, this.i))
          : BigInt(this.b.toString('latin1', start, this.i));
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
  }

  /** The index in names of the next member's key (then the colon is consumed). */
  private fieldOf(names: readonly string[]): number {
    this.string();
    for (let n = 0; n < names.length; n++) {
      if (this.stringIs(names[n]!)) {
        this.expect(COLON);
        return n;
      }
    }
    throw UNUSUAL;
  }

  /** The index in SECONDARY_KEYS of the last string read, or -1. */
  private secondaryKey(): number {
    for (let n = 0; n < SECONDARY_KEYS.length; n++) if (this.stringIs(SECONDARY_KEYS[n]!)) return n;
    return -1;
  }

  /** Items separated by commas between brackets. */
  private list(item: () => void): void {
    this.expect(OPEN_ARRAY);
    if (this.take(CLOSE_ARRAY)) return;
    do item();
    while (this.take(COMMA));
    this.expect(CLOSE_ARRAY);
  }

  /** A string without escapes or control characters: its bytes go to [s0, s1). */
  private string(): void {
    this.expect(QUOTE);
    const start = this.i;
    for (; this.i < this.stop; this.i++) {
      const c = this.b[this.i]!;
      if (c === QUOTE) {
        this.s0 = start;
        this.s1 = this.i++;
        return;
      }
      if (c === BACKSLASH || c < 0x20) throw UNUSUAL;
    }
    throw UNUSUAL;
  }

  /** Whether the last string read is text (ASCII). */
  private stringIs(text: string): boolean {
    return this.sameText(this.s0, this.s1, text);
  }

  /** Whether the bytes [start, end) are text (ASCII). */
  private sameText(start: number, end: number, text: string): boolean {
    if (end - start !== text.length) return false;
    for (let k = 0; k < text.length; k++) if (this.b[start + k] !== text.charCodeAt(k)) return false;
    return true;
  }

  /** Whether the bytes [a0, a1) and [b0, b1) are the same. */
  private sameBytes(a0: number, a1: number, b0: number, b1: number): boolean {
    return a1 - a0 === b1 - b0 && this.b.compare(this.b, b0, b1, a0, a1) === 0;
  }

  /** Unsigned digits without a leading zero; returns where they start. */
  private digits(max = MAX_DIGITS): number {
    const start = this.i;
    while (this.i < this.stop && this.b[this.i]! >= DIGIT_0 && this.b[this.i]! <= DIGIT_9) this.i++;
    const n = this.i - start;
    if (n === 0 || n > max || (n > 1 && this.b[start] === DIGIT_0)) throw UNUSUAL;
    return start;
  }

  private uint(): number {
    let n = 0;
    for (let k = this.digits(EXACT_DIGITS); k < this.i; k++) n = n * 10 + this.b[k]! - DIGIT_0;
    return n;
  }

  private isNull(): boolean {
    return this.literal('null');
  }

  private literal(text: string): boolean {
    if (this.i + text.length > this.stop) return false;
    for (let k = 0; k < text.length; k++) if (this.b[this.i + k] !== text.charCodeAt(k)) return false;
    this.i += text.length;
    return true;
  }

  private take(byte: number): boolean {
    if (this.i < this.stop && this.b[this.i] === byte) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(byte: number): void {
    if (!this.take(byte)) throw UNUSUAL;
  }
}
