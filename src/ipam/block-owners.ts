/**
 * Who holds each address of a block, read from the block's bytes without decoding the rest of it:
 * what `ipam show --by-node` and `--show-borrowed` and `node check` need (the affinity, which
 * ordinals are allocated to which attribute, and each attribute's `secondary` map), not the handles,
 * timestamps, sequence numbers and free lists that are most of a block's 9 KB. JSON.parse of every
 * block made every one of those a JS string, number or object, and was most of those commands' time.
 *
 * The bytes are walked as the JSON Go writes for an AllocationBlock (no white space, the known fields
 * only, strings without escapes, integers as plain digits), checking every field as decodeBlock
 * does; anything else (an escape, an unknown field, a duplicate one, white space, a number with a
 * sign or fraction...) makes the walk step aside, and the caller decodes the block in full, which
 * also names a corrupt block by key.
 *
 * A scan of 10,000 blocks visits 300,000 addresses, so the walk allocates nothing per address: what
 * it reads is kept as byte ranges in typed arrays that one reader reuses from block to block, and a
 * string is made only when a caller asks for one (a borrowed address's node and pod). Whether an
 * address is on a given node is answered by comparing bytes.
 *
 * This walker is the only one: `ipam check` (check-blocks.ts) builds its blocks from what it keeps
 * too (the handles' bytes, the unallocated ordinals, the sequence numbers' bytes), with the secondary
 * keys it reads given to the constructor.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { valueHead } from '../datastore/value-head.js';
import { BLOCK_PREFIX, blockKeyNetwork, type Network } from './keys.js';
import {
  attributeOf,
  CorruptBlockError,
  decodeBlock,
  type AllocationBlock,
  type DecodedBlock,
} from './block.js';
import type { SkippedValue } from './utilization.js';
import { ascii, cidrNetwork, type ExpectedNetwork } from './block-summary.js';
import { grown } from './typed-array.js';

/** The keys of `secondary` the commands read (ActiveOwnerAttrs: the node, and what the address is for). */
export const SECONDARY_KEYS = ['node', 'namespace', 'pod', 'vmi-name', 'type'] as const;
export type SecondaryKey = (typeof SECONDARY_KEYS)[number];

/**
 * Who holds the addresses of one block: what a visitor of scanBlockOwners reads, the same whether
 * the block was walked in its bytes or decoded in full. Attributes are named by their index.
 */
export interface BlockHolders {
  readonly key: string;
  readonly net: Network;
  readonly affinity: string | null;
  readonly deleted: boolean;
  /** len(allocations): the block's ordinals are 0 .. ordinals - 1. */
  readonly ordinals: number;
  /** len(attributes). */
  readonly attributes: number;
  /**
   * True when every attribute's `secondary` holds `node` once, and it is the host of the block's
   * `host:<name>` affinity (a name without ':'): every allocated address is that host's. False
   * promises nothing (the answers below then say who holds what).
   */
  readonly hostHoldsAll: boolean;
  /**
   * The attribute ordinal ord is allocated to, as stored (it may point nowhere: checkAllocations
   * says so), or -1 when the ordinal is free.
   */
  attributeAt(ord: number): number;
  /** Throws CorruptBlockError (as attributeOf) for the first allocation whose attribute is missing. */
  checkAllocations(): void;
  /** Whether the attribute's `secondary` map holds `node`. */
  hasNode(attr: number): boolean;
  /** Whether the attribute's `secondary.node` is node (compared in bytes when node is ASCII). */
  nodeIs(attr: number, node: string): boolean;
  /** The attribute's `secondary[name]`, or undefined when it has none. */
  secondary(attr: number, name: SecondaryKey): string | undefined;
}

/** A decoded block seen as BlockHolders: blocks not in the usual form, and a watch's changed blocks. */
export class DecodedHolders implements BlockHolders {
  readonly key: string;
  readonly net: Network;
  readonly affinity: string | null;
  readonly deleted: boolean;
  readonly ordinals: number;
  readonly attributes: number;
  readonly hostHoldsAll = false;

  constructor(private readonly block: Pick<DecodedBlock, 'key' | 'net' | 'value'>) {
    const v = block.value;
    this.key = block.key;
    this.net = block.net;
    this.affinity = v.affinity;
    this.deleted = v.deleted;
    this.ordinals = v.allocations?.length ?? 0;
    this.attributes = v.attributes?.length ?? 0;
  }

  attributeAt(ord: number): number {
    return this.block.value.allocations?.[ord] ?? -1;
  }

  checkAllocations(): void {
    for (let ord = 0; ord < this.ordinals; ord++) attributeOf(this.block, ord);
  }

  hasNode(attr: number): boolean {
    return this.secondary(attr, 'node') !== undefined;
  }

  nodeIs(attr: number, node: string): boolean {
    return this.secondary(attr, 'node') === node;
  }

  secondary(attr: number, name: SecondaryKey): string | undefined {
    const map = this.block.value.attributes?.[attr]?.secondary;
    return map && Object.hasOwn(map, name) ? map[name] : undefined;
  }
}

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d;
const N = 0x6e; // n(ull)
const U = 0x75; // (n)u(ll)
const L = 0x6c; // (nu)l(l)
const T = 0x74; // t(rue)
const F = 0x66; // f(alse)
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const TRUE = ascii('true');
const FALSE = ascii('false');
/** More digits than this may not be an exact integer: left to the full decoder. */
const MAX_DIGITS = 15;
/** JSON.parse reads up to this many digits as a finite number (an integer, as decodeBlock wants). */
const MAX_SKIPPED_DIGITS = 300;

/** Why a walk stopped: the block is then decoded in full. */
class Unusual extends Error {}
const UNUSUAL = new Unusual();

/** The fields an AllocationBlock and an AllocationAttribute may hold; a field's index is its bit in `seen`. */
const [
  CIDR,
  AFFINITY,
  CLAIM_TIME,
  HOST_AFFINITY,
  ALLOCATIONS,
  UNALLOCATED,
  ATTRIBUTES,
  SEQUENCE,
  SEQUENCES,
  DELETED,
] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
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
].map(ascii);
const [HANDLE_ID, SECONDARY, ALTERNATE] = [0, 1, 2];
const ATTRIBUTE_FIELDS = ['handle_id', 'secondary', 'alternateOwnerAttrs'].map(ascii);
const NO_NAMES: readonly Uint8Array[] = [];
const HOST_PREFIX = 'host:';

/**
 * A string as Go writes it: no '"' or control character (JSON.parse refuses a raw control
 * character). The caller has seen no '\' in the value (an escape, which only the full decoder
 * reads): one native search, cheaper than excluding it at every character here.
 */
const STRING = '"[^"\\x00-\\x1f]*"';
/** The same in an attribute, and without '}' either (so that only an attribute's end holds '}}'). */
const TEXT = '[^"}\\x00-\\x1f]*';
/** A member of `secondary` other than `node`. */
const OTHER_MEMBER = `"(?!node")${TEXT}":"${TEXT}"`;
/** Go's layout of an attribute whose secondary holds `node` once, equal to the host (group 1). */
const HOST_ATTRIBUTE = `\\{(?:"handle_id":(?:null|"${TEXT}"),)?"secondary":\\{(?:${OTHER_MEMBER},)*"node":"\\1"(?:,${OTHER_MEMBER})*\\}\\}`;
/** An allocation's or unallocated ordinal as the walk reads one (uint: at most 15 digits, no leading zero). */
const ORDINAL = '(?:0|[1-9]\\d{0,14})';
/** A sequence number: a uint64, at most 20 digits. */
const SEQUENCE_NUMBER = '(?:0|[1-9]\\d{0,19})';
/**
 * Go's layout of a live block, from the host's name in its `host:<name>` affinity (not empty,
 * without ':') to the value's end, with attributes of the given layout.
 */
function blockLayout(attribute: string): RegExp {
  return new RegExp(
    `([^":\\x00-\\x1f]+)"(?:,"affinity_claim_time":(?:null|${STRING}))?` +
      `,"allocations":(?:null|\\[\\]|\\[(?:null|${ORDINAL})(?:,(?:null|${ORDINAL}))*\\])` +
      `,"unallocated":(?:null|\\[\\]|\\[${ORDINAL}(?:,${ORDINAL})*\\])` +
      `,"attributes":\\[${attribute}(?:,${attribute})*\\],"sequenceNumber":${SEQUENCE_NUMBER}` +
      `,"sequenceNumberForAllocation":(?:null|\\{\\}|\\{${STRING}:${SEQUENCE_NUMBER}(?:,${STRING}:${SEQUENCE_NUMBER})*\\})` +
      `,"deleted":false\\}`,
    'y',
  );
}
/**
 * A block whose every attribute is on its host. Such an attribute ends in '}}' (its secondary's end
 * and its own), and nothing else in the attributes array does, since its strings hold no '}'; and
 * only their array's end is followed by `,"sequenceNumber":`.
 */
const HOST_BLOCK = blockLayout(HOST_ATTRIBUTE);
/** A block whose attributes have any secondary map of strings (an address lent, a node missing...). */
const GO_BLOCK = blockLayout(
  `\\{(?:"handle_id":(?:null|${STRING}),)?"secondary":(?:null|\\{\\}|\\{${STRING}:${STRING}(?:,${STRING}:${STRING})*\\})\\}`,
);
/** What a value of HOST_BLOCK starts with before its cidr, and between its cidr and its host's name. */
const BEFORE_CIDR = '{"cidr":"';
const BEFORE_HOST = `","affinity":"${HOST_PREFIX}`;
const ALLOCATIONS_FIELD = '"allocations":';
const ATTRIBUTES_FIELD = '"attributes":';
const AFTER_ATTRIBUTES = '],"sequenceNumber":';

/**
 * The longest value skimmed: the expression's backtracking stack grows with the attributes matched,
 * and V8 throws a RangeError past its limit (a value of 1.5 million attributes, 315 MB, reaches it).
 * Calico's largest block, a /20 of 4,096 addresses, is about 1.2 MB; a longer value is walked.
 */
const MAX_SKIMMED_BYTES = 8 << 20;

/** Where the host's name starts in a value of HOST_BLOCK or GO_BLOCK whose cidr is expected's text. */
function hostOffset(expected: ExpectedNetwork): number {
  return BEFORE_CIDR.length + expected.text.length + BEFORE_HOST.length;
}

/**
 * buf[start, stop) as a Latin-1 string (a character a byte) when it is a block of layout (HOST_BLOCK
 * or GO_BLOCK) whose cidr is expected's text; else undefined. Every byte is checked as the walk and
 * JSON.parse would check it, in one match, which V8 runs as native code: none of the walk's
 * JavaScript, nor its compiling.
 */
function layoutText(
  buf: Buffer,
  start: number,
  stop: number,
  expected: ExpectedNetwork,
  layout: RegExp,
): string | undefined {
  if (stop - start > MAX_SKIMMED_BYTES) return undefined;
  const text = buf.toString('latin1', start, stop);
  if (text.indexOf('\\') >= 0) return undefined;
  const cidrEnd = BEFORE_CIDR.length + expected.text.length;
  if (
    !text.startsWith(BEFORE_CIDR) ||
    !text.startsWith(expected.text, BEFORE_CIDR.length) ||
    !text.startsWith(BEFORE_HOST, cidrEnd)
  ) {
    return undefined;
  }
  layout.lastIndex = hostOffset(expected);
  return layout.test(text) && layout.lastIndex === text.length ? text : undefined;
}

/**
 * The host of a block that lends nothing, or undefined for any other block: a live block in Go's
 * layout whose cidr is expected's text and whose every attribute is on the host of its
 * `host:<name>` affinity (HOST_BLOCK, the node of each attribute compared with the host by a back
 * reference). That is the usual block, and all `node check` needs of it is its host.
 */
export function hostHoldingWholeBlock(kv: KeyValue, expected: ExpectedNetwork): string | undefined {
  const { buf, start, stop } = valueHead(kv, MAX_SKIMMED_BYTES + 1);
  const text = layoutText(buf, start, stop, expected, HOST_BLOCK);
  if (text === undefined) return undefined;
  const from = hostOffset(expected);
  return buf.toString('utf8', start + from, start + text.indexOf('"', from));
}

/**
 * A live block in Go's layout whose cidr is expected's text (GO_BLOCK: any node in its attributes)
 * decoded as decodeBlock decodes it, by JSON.parse, but without decodeBlock's checks, which the
 * match has made: in a command's short life they run as JavaScript not compiled yet, at several
 * times JSON.parse's cost. Undefined for any other block (the caller then uses decodeBlock).
 */
export function decodeGoBlock(kv: KeyValue, expected: ExpectedNetwork): DecodedBlock | undefined {
  const { buf, start, stop } = valueHead(kv, MAX_SKIMMED_BYTES + 1);
  if (layoutText(buf, start, stop, expected, GO_BLOCK) === undefined) return undefined;
  const value = JSON.parse(kv.value) as AllocationBlock;
  return { key: kv.key, modRevision: kv.modRevision, net: expected.net, value };
}

/** What a walker's caller reads of a block beyond its holders. */
export interface WalkerOptions {
  /**
   * The caller reads nothing of an address on the block's host but that it is there (not its handle,
   * nor its other secondary values: `ipam show --by-node` and `--show-borrowed`), nor a block's
   * unallocated ordinals and sequence numbers. A block whose every attribute is on its host (the
   * usual block) is then checked whole in one match of a regular expression, which V8 runs as
   * native code (HOST_BLOCK), and only its allocations are walked in JavaScript: hostHoldsAll is
   * set, and its attributes are walked only if the caller asks for more than their node after all.
   */
  skimHostBlocks?: boolean;
}

/**
 * Reads blocks in their bytes, one at a time: after a successful read it is the BlockHolders of
 * that block, valid while the block's bytes are (a scan's visit). Besides the holders it keeps, as
 * byte ranges, what `ipam check` builds its CheckBlock from (check-blocks.ts): each attribute's
 * handle_id, the unallocated ordinals, the sequence numbers and the affinity's bounds.
 */
export class BlockWalker implements BlockHolders {
  key = '';
  net: Network = { network: { version: 4, value: 0n }, prefix: 0 };
  affinity: string | null = null;
  /** The bytes of the affinity's text (start -1 when it is null). */
  affinityStart = -1;
  affinityEnd = -1;
  deleted = false;
  ordinals = 0;
  attributes = 0;
  hostHoldsAll = false;
  /** len(unallocated), and whether each of them has at most 15 digits (is exact in unallocatedAt). */
  unallocatedCount = 0;
  unallocatedExact = true;
  /** The entries of sequenceNumberForAllocation, -1 when it is null or absent. */
  sequenceCount = -1;
  /** The secondary keys whose values are kept: a key of these twice is left to the full decoder. */
  private readonly keyBytes: readonly Uint8Array[];
  private readonly keyIndex: ReadonlyMap<string, number>;
  /** Per attribute: each kept value's start and end, handle_id's, and whether secondary is set. */
  private readonly stride: number;
  private readonly nodeSlot: number;
  private readonly handleSlot: number;
  private readonly secondarySlot: number;
  private readonly skimHostBlocks: boolean;
  /** The affinity's host when hostHoldsAll. */
  private host = '';
  /** Where the attributes array starts while hostHoldsAll and it is not walked yet, else -1. */
  private heldAttributes = -1;
  /** Whether a secondary key read twice keeps its last value (JSON.parse's reading) rather than stepping aside. */
  private lastWins = false;
  private b: Buffer = Buffer.alloc(0);
  private i = 0;
  private stop = 0;
  /** Where the value's last '"' is (before its start when it has none). */
  private lastQuote = 0;
  /** b's bytes, read four at a time. */
  private words: DataView = new DataView(new ArrayBuffer(0));
  /** The attribute of each ordinal, -1 when free (up to 15 digits: exact in a double). */
  private allocations = new Float64Array(64);
  /** stride entries per attribute: the byte ranges it holds, -1 for those it has not. */
  private ranges: Int32Array;
  /** The unallocated ordinals (inexact past 15 digits: see unallocatedExact). */
  private unallocated = new Float64Array(64);
  /** Four entries per sequence number: its key's start and end, its digits' start and end. */
  private sequences = new Int32Array(4 * 64);
  /** The name nodeIs compares with, and its bytes (when it is ASCII: else targetLength is -1). */
  private target = '';
  private targetBytes = new Uint8Array(64);
  private targetLength = 0;

  /** keys are the secondary keys whose values are kept (node among them: nodeIs reads it). */
  constructor(keys: readonly string[] = SECONDARY_KEYS, options: WalkerOptions = {}) {
    this.skimHostBlocks = options.skimHostBlocks ?? false;
    this.keyBytes = keys.map(ascii);
    this.keyIndex = new Map(keys.map((k, n) => [k, n]));
    this.nodeSlot = 2 * this.keyIndex.get('node')!;
    this.handleSlot = 2 * keys.length;
    this.secondarySlot = this.handleSlot + 2;
    this.stride = this.secondarySlot + 1;
    this.ranges = new Int32Array(64 * this.stride);
  }

  /** The bytes read: what the ranges below are in. */
  get bytes(): Buffer {
    return this.b;
  }

  /**
   * Reads kv's block, or returns false when its bytes are not in the form described above (the
   * caller then uses decodeBlock). expected is the network the key names: a value whose cidr is
   * exactly its text gets that object as net.
   */
  read(kv: KeyValue, expected?: ExpectedNetwork): boolean {
    const head = valueHead(kv, Number.MAX_SAFE_INTEGER);
    if (head.buf !== this.b)
      this.words = new DataView(head.buf.buffer, head.buf.byteOffset, head.buf.byteLength);
    this.b = head.buf;
    this.i = head.start;
    this.stop = head.stop;
    this.key = kv.key;
    this.affinity = null;
    this.affinityStart = -1;
    this.affinityEnd = -1;
    this.deleted = false;
    this.ordinals = 0;
    this.attributes = 0;
    this.hostHoldsAll = false;
    this.heldAttributes = -1;
    this.unallocatedCount = 0;
    this.unallocatedExact = true;
    this.sequenceCount = -1;
    let cidrStart = -1;
    let cidrEnd = -1;
    // A backslash can only be an escape in a string, which the walk leaves to the full decoder: one
    // search of the value's bytes, and the strings need not look for one.
    const value = this.b.subarray(this.i, this.stop);
    if (value.indexOf(BACKSLASH) >= 0) return false;
    this.lastQuote = this.i + value.lastIndexOf(QUOTE);
    try {
      if (this.skimHostBlocks && expected && this.skimHostBlock(expected)) return true;
      this.expect(OPEN_OBJECT);
      let seen = 0;
      if (!this.take(CLOSE_OBJECT)) {
        do {
          const field = this.field(BLOCK_FIELDS);
          if (seen & (1 << field)) throw UNUSUAL;
          seen |= 1 << field;
          switch (field) {
            case CIDR:
              cidrStart = this.i + 1;
              cidrEnd = this.string();
              break;
            case AFFINITY:
              if (this.notNull()) {
                this.affinityStart = this.i + 1;
                this.affinityEnd = this.string();
                this.affinity = this.b.toString('utf8', this.affinityStart, this.affinityEnd);
              }
              break;
            case CLAIM_TIME:
            case HOST_AFFINITY:
              if (this.notNull()) this.string();
              break;
            case ALLOCATIONS:
              this.readAllocations();
              break;
            case UNALLOCATED:
              if (this.notNull()) this.readUnallocated();
              break;
            case ATTRIBUTES:
              this.readAttributes();
              break;
            case SEQUENCE:
              this.skipUint(MAX_SKIPPED_DIGITS);
              break;
            case SEQUENCES:
              this.readSequences();
              break;
            case DELETED:
              this.deleted = this.boolean();
              break;
          }
        } while (this.take(COMMA));
        this.expect(CLOSE_OBJECT);
      }
      if (this.i !== this.stop || cidrStart < 0) return false;
    } catch (err) {
      if (err === UNUSUAL) return false;
      throw err;
    }
    const net = cidrNetwork(this.b, cidrStart, cidrEnd, expected);
    if (!net) return false;
    this.net = net;
    return true;
  }

  attributeAt(ord: number): number {
    return this.allocations[ord]!;
  }

  checkAllocations(): void {
    for (let ord = 0; ord < this.ordinals; ord++) {
      const attr = this.allocations[ord]!;
      if (attr >= this.attributes) {
        throw new CorruptBlockError(this.key, `allocations[${ord}] points at missing attributes[${attr}]`);
      }
    }
  }

  hasNode(attr: number): boolean {
    if (this.hostHoldsAll) return true;
    return this.ranges[attr * this.stride + this.nodeSlot]! >= 0;
  }

  nodeIs(attr: number, node: string): boolean {
    if (this.hostHoldsAll) return node === this.host;
    const at = attr * this.stride + this.nodeSlot;
    const start = this.ranges[at]!;
    if (start < 0) return false;
    const end = this.ranges[at + 1]!;
    if (node !== this.target) this.setTarget(node);
    // Bytes equal to an ASCII name's are that name, and no other bytes are; a name with other
    // characters compares as the decoded text (invalid UTF-8 decodes to U+FFFD, whatever its bytes).
    const length = this.targetLength;
    if (length < 0) return this.b.toString('utf8', start, end) === node;
    if (end - start !== length) return false;
    const b = this.b;
    const want = this.targetBytes;
    for (let k = 0; k < length; k++) if (b[start + k] !== want[k]) return false;
    return true;
  }

  /**
   * Makes node the name nodeIs compares with: a caller asks about one name (its block's owner) for
   * every address of a block, and bytes compare faster than the characters of a sliced string.
   */
  private setTarget(node: string): void {
    this.target = node;
    if (node.length > this.targetBytes.length) this.targetBytes = new Uint8Array(2 * node.length);
    this.targetLength = node.length;
    for (let k = 0; k < node.length; k++) {
      const c = node.charCodeAt(k);
      if (c >= 0x80) {
        this.targetLength = -1;
        return;
      }
      this.targetBytes[k] = c;
    }
  }

  /** name must be one of the walker's keys. */
  secondary(attr: number, name: SecondaryKey): string | undefined {
    if (this.hostHoldsAll && name === 'node') return this.host;
    this.walkHeldAttributes();
    const k = this.keyIndex.get(name)!;
    const start = this.valueStart(attr, k);
    return start < 0 ? undefined : this.b.toString('utf8', start, this.valueEnd(attr, k));
  }

  /** Where the value of the walker's key k in the attribute's `secondary` starts, -1 when absent. */
  valueStart(attr: number, k: number): number {
    this.walkHeldAttributes();
    return this.ranges[attr * this.stride + 2 * k]!;
  }

  valueEnd(attr: number, k: number): number {
    return this.ranges[attr * this.stride + 2 * k + 1]!;
  }

  /** Where the attribute's handle_id starts, -1 when it has none. */
  handleStart(attr: number): number {
    this.walkHeldAttributes();
    return this.ranges[attr * this.stride + this.handleSlot]!;
  }

  handleEnd(attr: number): number {
    return this.ranges[attr * this.stride + this.handleSlot + 1]!;
  }

  /** Whether the attribute's `secondary` is a map (not absent or null). */
  hasSecondary(attr: number): boolean {
    this.walkHeldAttributes();
    return this.ranges[attr * this.stride + this.secondarySlot]! > 0;
  }

  /** The n-th unallocated ordinal. */
  unallocatedAt(n: number): number {
    return this.unallocated[n]!;
  }

  /** The n-th sequence number's key and digits: [key start, key end, digits start, digits end]. */
  sequenceAt(n: number): [number, number, number, number] {
    const s = this.sequences;
    return [s[4 * n]!, s[4 * n + 1]!, s[4 * n + 2]!, s[4 * n + 3]!];
  }

  private expect(byte: number): void {
    if (this.i >= this.stop || this.b[this.i] !== byte) throw UNUSUAL;
    this.i++;
  }

  /** Consumes byte if it is next. */
  private take(byte: number): boolean {
    if (this.i < this.stop && this.b[this.i] === byte) {
      this.i++;
      return true;
    }
    return false;
  }

  private literal(text: Uint8Array): void {
    for (let k = 0; k < text.length; k++) this.expect(text[k]!);
  }

  /**
   * A string (without escapes: read() stepped aside for a value with a backslash); returns where its
   * closing quote is (its bytes start after the opening one). Most of a block's bytes are in
   * strings: the usual ones (above '"') are passed with one comparison each.
   */
  private string(): number {
    const b = this.b;
    let k = this.i;
    // A string that starts before the value's last quote ends at it or before: the scan for its
    // end needs no other bound.
    if (k >= this.lastQuote || b[k] !== QUOTE) throw UNUSUAL;
    k++;
    const words = this.words;
    for (;;) {
      // Four bytes at a time while none is '"' or below (a byte below 0x23 sets its top bit here).
      while (k + 4 <= this.lastQuote) {
        const x = words.getUint32(k, true);
        if (((x - 0x23232323) & ~x & 0x80808080) !== 0) break;
        k += 4;
      }
      while (b[k]! > QUOTE) k++;
      const c = b[k]!;
      if (c === QUOTE) {
        this.i = k + 1;
        return k;
      }
      // A control character JSON does not allow raw; else ' ' or '!'.
      if (c < 0x20) throw UNUSUAL;
      k++;
    }
  }

  /** null, or true when a value other than null follows. */
  private notNull(): boolean {
    const b = this.b;
    const i = this.i;
    if (i >= this.stop || b[i] !== N) return true;
    if (i + 4 > this.stop || b[i + 1] !== U || b[i + 2] !== L || b[i + 3] !== L) throw UNUSUAL;
    this.i = i + 4;
    return false;
  }

  private boolean(): boolean {
    const value = this.i < this.stop && this.b[this.i] === T;
    if (!value && (this.i >= this.stop || this.b[this.i] !== F)) throw UNUSUAL;
    this.literal(value ? TRUE : FALSE);
    return value;
  }

  /**
   * An unsigned integer written as plain digits, at most maxDigits of them, skipped; returns where
   * its digits start. (Sequence numbers are beyond 2^53: only their form matters here.)
   */
  private skipUint(maxDigits: number): number {
    const b = this.b;
    const start = this.i;
    let i = start;
    while (i < this.stop && b[i]! >= DIGIT_0 && b[i]! <= DIGIT_9) i++;
    this.endDigits(start, i, maxDigits);
    return start;
  }

  /**
   * An unsigned integer written as plain digits, at most maxDigits of them: its value, exact up
   * to MAX_DIGITS digits (and then as JSON.parse reads it).
   */
  private uint(maxDigits = MAX_DIGITS): number {
    const b = this.b;
    const start = this.i;
    let i = start;
    let n = 0;
    for (; i < this.stop; i++) {
      const digit = b[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    this.endDigits(start, i, maxDigits);
    return n;
  }

  /** Moves past the digits b[start, end), refusing none, too many, or a leading zero. */
  private endDigits(start: number, end: number, maxDigits: number): void {
    const digits = end - start;
    if (digits === 0 || digits > maxDigits || (digits > 1 && this.b[start] === DIGIT_0)) throw UNUSUAL;
    this.i = end;
  }

  /** [N(,N)*] or [] of unsigned integers. */
  private readUnallocated(): void {
    this.expect(OPEN_ARRAY);
    if (this.take(CLOSE_ARRAY)) return;
    let count = 0;
    let list = this.unallocated;
    do {
      if (count === list.length) list = this.unallocated = grown(list);
      const start = this.i;
      list[count++] = this.uint(MAX_SKIPPED_DIGITS);
      if (this.i - start > MAX_DIGITS) this.unallocatedExact = false;
    } while (this.take(COMMA));
    this.expect(CLOSE_ARRAY);
    this.unallocatedCount = count;
  }

  /** null, or an object of unsigned integers (sequenceNumberForAllocation): their bytes are kept. */
  private readSequences(): void {
    if (!this.notNull()) return;
    this.expect(OPEN_OBJECT);
    let count = 0;
    if (!this.take(CLOSE_OBJECT)) {
      do {
        if (4 * count === this.sequences.length) this.sequences = grown(this.sequences);
        const at = 4 * count++;
        this.sequences[at] = this.i + 1;
        this.sequences[at + 1] = this.string();
        this.expect(COLON);
        this.sequences[at + 2] = this.skipUint(MAX_SKIPPED_DIGITS);
        this.sequences[at + 3] = this.i;
      } while (this.take(COMMA));
      this.expect(CLOSE_OBJECT);
    }
    this.sequenceCount = count;
  }

  /** Which of names the next key is, its colon consumed; any other key is unusual. */
  private field(names: readonly Uint8Array[]): number {
    const n = this.memberKey(names);
    if (n < 0) throw UNUSUAL;
    return n;
  }

  /**
   * The next member's key, its colon consumed: its index in names, or -1 for another key. Each
   * name is matched where the key starts (a key that is a name needs no scan for its end).
   */
  private memberKey(names: readonly Uint8Array[]): number {
    const b = this.b;
    const start = this.i + 1;
    if (start > this.stop || b[start - 1] !== QUOTE) throw UNUSUAL;
    next: for (let n = 0; n < names.length; n++) {
      const name = names[n]!;
      const end = start + name.length;
      if (end + 1 >= this.stop || b[end] !== QUOTE || b[end + 1] !== COLON) continue;
      for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) continue next;
      this.i = end + 2;
      return n;
    }
    this.string();
    this.expect(COLON);
    return -1;
  }

  private readAllocations(): void {
    if (!this.notNull()) return;
    this.expect(OPEN_ARRAY);
    let count = 0;
    if (!this.take(CLOSE_ARRAY)) {
      do {
        if (count === this.allocations.length) this.allocations = grown(this.allocations);
        this.allocations[count++] = this.notNull() ? this.uint() : -1;
      } while (this.take(COMMA));
      this.expect(CLOSE_ARRAY);
    }
    this.ordinals = count;
  }

  /**
   * A block its host holds every address of (the usual block), checked whole by HOST_BLOCK: of
   * it only the allocations are walked and the attributes counted; hostHoldsAll is then set. False,
   * with nothing read, for any other block.
   */
  private skimHostBlock(expected: ExpectedNetwork): boolean {
    const from = this.i;
    const text = layoutText(this.b, from, this.stop, expected, HOST_BLOCK);
    if (text === undefined) return false;
    const hostStart = hostOffset(expected);
    const hostEnd = text.indexOf('"', hostStart);
    this.affinityStart = from + hostStart - HOST_PREFIX.length;
    this.affinityEnd = from + hostEnd;
    this.affinity = this.b.toString('utf8', this.affinityStart, this.affinityEnd);
    this.host = this.affinity.slice(HOST_PREFIX.length);
    this.net = expected.net;
    // The strings before each of these fields hold no '"': its first occurrence is the field.
    this.i = from + text.indexOf(ALLOCATIONS_FIELD, hostEnd) + ALLOCATIONS_FIELD.length;
    this.readAllocations();
    const attributes = text.indexOf(ATTRIBUTES_FIELD, this.i - from) + ATTRIBUTES_FIELD.length;
    const end = text.indexOf(AFTER_ATTRIBUTES, attributes);
    let count = 0;
    for (let k = text.indexOf('}}', attributes); k >= 0 && k < end; k = text.indexOf('}}', k + 2)) count++;
    this.heldAttributes = from + attributes;
    this.attributes = count;
    this.hostHoldsAll = true;
    return true;
  }

  /**
   * Walks the attributes skimHostBlock only counted, for a caller that reads more of them than
   * their node. Their form is the usual one (no escape, no unknown field), so the walk does not
   * step aside; a secondary key twice keeps its last value, as JSON.parse does.
   */
  private walkHeldAttributes(): void {
    if (this.heldAttributes < 0) return;
    const resume = this.i;
    this.i = this.heldAttributes;
    this.heldAttributes = -1;
    this.lastWins = true;
    try {
      this.readAttributes();
    } finally {
      this.i = resume;
      this.lastWins = false;
    }
  }

  private readAttributes(): void {
    if (!this.notNull()) return;
    this.expect(OPEN_ARRAY);
    let count = 0;
    if (!this.take(CLOSE_ARRAY)) {
      do {
        if ((count + 1) * this.stride > this.ranges.length) this.ranges = grown(this.ranges);
        this.readAttribute(count++);
      } while (this.take(COMMA));
      this.expect(CLOSE_ARRAY);
    }
    this.attributes = count;
  }

  /** One AllocationAttribute (decodeBlock wants an object): its handle's and values' bytes are kept. */
  private readAttribute(attr: number): void {
    const base = attr * this.stride;
    for (let slot = base; slot < base + this.stride; slot++) this.ranges[slot] = -1;
    this.expect(OPEN_OBJECT);
    if (this.take(CLOSE_OBJECT)) return;
    let seen = 0;
    do {
      const field = this.field(ATTRIBUTE_FIELDS);
      if (seen & (1 << field)) throw UNUSUAL;
      seen |= 1 << field;
      switch (field) {
        case HANDLE_ID:
          if (this.notNull()) {
            this.ranges[base + this.handleSlot] = this.i + 1;
            this.ranges[base + this.handleSlot + 1] = this.string();
          }
          break;
        case SECONDARY:
          if (this.stringMap(base)) this.ranges[base + this.secondarySlot] = 1;
          break;
        case ALTERNATE:
          this.stringMap(-1);
          break;
      }
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
  }

  /**
   * A map of strings, or null (then false). With a slot (>= 0), the bytes of the walker's keys'
   * values are kept in ranges from it; one of those keys twice is left to the full decoder
   * (JSON.parse keeps the last).
   */
  private stringMap(slot: number): boolean {
    if (!this.notNull()) return false;
    this.expect(OPEN_OBJECT);
    if (this.take(CLOSE_OBJECT)) return true;
    do {
      const n = this.memberKey(slot < 0 ? NO_NAMES : this.keyBytes);
      const valueStart = this.i + 1;
      const valueEnd = this.string();
      if (n < 0) continue;
      const at = slot + 2 * n;
      if (this.ranges[at]! >= 0 && !this.lastWins) throw UNUSUAL;
      this.ranges[at] = valueStart;
      this.ranges[at + 1] = valueEnd;
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
    return true;
  }
}

/**
 * Scans every block, handing visit who holds each address (read from the block's bytes, or decoded
 * in full when they are not in the usual form); the holders are valid during the visit only, and
 * nothing of a block is kept. Corrupt blocks are skipped and listed, as Calico's lister skips them.
 */
export async function scanBlockOwners(
  ds: Datastore,
  visit: (block: BlockHolders) => void,
): Promise<{ revision: number; skipped: SkippedValue[] }> {
  const skipped: SkippedValue[] = [];
  const walker = new BlockWalker(SECONDARY_KEYS, { skimHostBlocks: true });
  const { revision } = await ds.scan(BLOCK_PREFIX, (kv) => {
    const fromKey = blockKeyNetwork(kv.key);
    if (!fromKey) return undefined;
    try {
      visit(walker.read(kv, fromKey) ? walker : new DecodedHolders(decodeBlock(kv)));
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      skipped.push({ key: err.key, reason: err.reason });
    }
    return undefined;
  });
  return { revision, skipped };
}
