/**
 * Who holds each address of a block, read from the block's bytes without decoding the rest of it:
 * what `ipam show --by-node` and `--show-borrowed` need (the affinity, which ordinals are allocated
 * to which attribute, and each attribute's `secondary` map), not the handles, timestamps, sequence
 * numbers and free lists that are most of a block's 9 KB. JSON.parse of every block made every one
 * of those a JS string, number or object, and was most of those commands' time.
 *
 * The bytes are walked as the JSON Go writes for an AllocationBlock (no white space, the known fields
 * only, strings without escapes, integers as plain digits), checking every field as decodeBlock
 * does; anything else (an escape, an unknown field, a duplicate one, white space, a number with a
 * sign or fraction...) returns undefined, and the caller decodes the block in full, which also names
 * a corrupt block by key.
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { valueHead } from '../datastore/value-head.js';
import { BLOCK_PREFIX, blockKeyNetwork, type Network } from './keys.js';
import { CorruptBlockError, decodeBlock } from './block.js';
import type { SkippedValue } from './utilization.js';
import { ascii, cidrNetwork, type ExpectedNetwork } from './block-summary.js';

/**
 * The part of a decoded block that says who holds its addresses (what attributeOf reads); an
 * attribute's `secondary` holds only the SECONDARY_KEYS it has.
 */
export interface BlockOwners {
  key: string;
  net: Network;
  value: {
    affinity: string | null;
    allocations: (number | null)[] | null;
    attributes: { secondary?: Record<string, string> | null }[] | null;
  };
}

function equalsBytes(b: Buffer, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
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
const T = 0x74; // t(rue)
const F = 0x66; // f(alse)
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
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
/**
 * The keys of `secondary` the commands read (ActiveOwnerAttrs: the node, and what the address is
 * for); the others (the pod's timestamp, ...) are checked to be strings and not kept.
 */
export const SECONDARY_KEYS = ['node', 'namespace', 'pod', 'vmi-name', 'type'] as const;
const SECONDARY_KEY_BYTES = SECONDARY_KEYS.map(ascii);

class Walker {
  i: number;

  constructor(
    readonly b: Buffer,
    start: number,
    readonly stop: number,
  ) {
    this.i = start;
  }

  expect(byte: number): void {
    if (this.i >= this.stop || this.b[this.i] !== byte) throw UNUSUAL;
    this.i++;
  }

  /** Consumes byte if it is next. */
  take(byte: number): boolean {
    if (this.i < this.stop && this.b[this.i] === byte) {
      this.i++;
      return true;
    }
    return false;
  }

  literal(text: string): void {
    for (let k = 0; k < text.length; k++) this.expect(text.charCodeAt(k));
  }

  /** A string without escapes: its bytes are [start, end). */
  stringBounds(): [number, number] {
    this.expect(QUOTE);
    const start = this.i;
    for (let k = start; k < this.stop; k++) {
      const c = this.b[k]!;
      if (c === QUOTE) {
        this.i = k + 1;
        return [start, k];
      }
      // An escape, or a control character JSON does not allow raw.
      if (c === BACKSLASH || c < 0x20) throw UNUSUAL;
    }
    throw UNUSUAL;
  }

  string(): string {
    const [start, end] = this.stringBounds();
    return this.b.toString('utf8', start, end);
  }

  /** null, or true when a value other than null follows. */
  notNull(): boolean {
    if (this.i < this.stop && this.b[this.i] === N) {
      this.literal('null');
      return false;
    }
    return true;
  }

  nullOrString(): string | null {
    return this.notNull() ? this.string() : null;
  }

  /**
   * An unsigned integer written as plain digits, at most maxDigits of them, skipped; returns where
   * its digits start. (Sequence numbers are beyond 2^53: only their form matters here.)
   */
  skipUint(maxDigits = MAX_SKIPPED_DIGITS): number {
    const start = this.i;
    while (this.i < this.stop && this.b[this.i]! >= DIGIT_0 && this.b[this.i]! <= DIGIT_9) this.i++;
    const digits = this.i - start;
    if (digits === 0 || digits > maxDigits || (digits > 1 && this.b[start] === DIGIT_0)) throw UNUSUAL;
    return start;
  }

  /** An unsigned integer small enough to be exact. */
  uint(): number {
    let n = 0;
    for (let k = this.skipUint(MAX_DIGITS); k < this.i; k++) n = n * 10 + (this.b[k]! - DIGIT_0);
    return n;
  }

  /** An array (or null) of items, each read by item. */
  array<T>(item: () => T): T[] | null {
    if (!this.notNull()) return null;
    this.expect(OPEN_ARRAY);
    const out: T[] = [];
    if (this.take(CLOSE_ARRAY)) return out;
    do out.push(item());
    while (this.take(COMMA));
    this.expect(CLOSE_ARRAY);
    return out;
  }

  /**
   * An object (or null) whose members are read by member, given the bounds of the member's key
   * (no string made unless it wants one) and reading the value after the colon.
   */
  object(member: (keyStart: number, keyEnd: number) => void): boolean {
    if (!this.notNull()) return false;
    this.expect(OPEN_OBJECT);
    if (this.take(CLOSE_OBJECT)) return true;
    do {
      const [start, end] = this.stringBounds();
      this.expect(COLON);
      member(start, end);
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
    return true;
  }

  /**
   * A map of strings, or null, of which only the keys in keep are kept (each value of the others is
   * checked to be a string and skipped); a kept key twice is left to the full decoder.
   */
  stringMap(keep: readonly Uint8Array[]): Record<string, string> | null {
    const map: Record<string, string> = {};
    const seen = { bits: 0 };
    const present = this.object((start, end) => {
      const n = keep.findIndex((name) => equalsBytes(this.b, start, end, name));
      if (n < 0) {
        this.stringBounds();
        return;
      }
      if (seen.bits & (1 << n)) throw UNUSUAL;
      seen.bits |= 1 << n;
      map[SECONDARY_KEYS[n]!] = this.string();
    });
    return present ? map : null;
  }

  /** Which of names the key [start, end) is (each at most once: seen is a bit set), else unusual. */
  field(start: number, end: number, names: readonly Uint8Array[], seen: { bits: number }): number {
    for (let n = 0; n < names.length; n++) {
      if (!equalsBytes(this.b, start, end, names[n]!)) continue;
      if (seen.bits & (1 << n)) throw UNUSUAL;
      seen.bits |= 1 << n;
      return n;
    }
    throw UNUSUAL;
  }
}

/**
 * The owners of a stored block, or undefined when its bytes are not in the form described above
 * (the caller then uses decodeBlock). expected is the network the key names: a value whose cidr
 * is exactly its text gets that object as net.
 */
export function readBlockOwners(kv: KeyValue, expected?: ExpectedNetwork): BlockOwners | undefined {
  const head = valueHead(kv, Number.MAX_SAFE_INTEGER);
  const w = new Walker(head.buf, head.start, head.stop);
  let cidr: [number, number] | undefined;
  let affinity: string | null = null;
  let allocations: (number | null)[] | null = null;
  let attributes: BlockOwners['value']['attributes'] = null;
  const seen = { bits: 0 };
  try {
    w.object((keyStart, keyEnd) => {
      switch (w.field(keyStart, keyEnd, BLOCK_FIELDS, seen)) {
        case CIDR:
          cidr = w.stringBounds();
          break;
        case AFFINITY:
          affinity = w.nullOrString();
          break;
        case CLAIM_TIME:
        case HOST_AFFINITY:
          if (w.notNull()) w.stringBounds();
          break;
        case ALLOCATIONS:
          allocations = w.array(() => (w.notNull() ? w.uint() : null));
          break;
        case UNALLOCATED:
          w.array(() => w.skipUint());
          break;
        case ATTRIBUTES:
          attributes = w.array(() => attribute(w));
          break;
        case SEQUENCE:
          w.skipUint();
          break;
        case SEQUENCES:
          w.object(() => w.skipUint());
          break;
        case DELETED:
          if (w.take(T)) w.literal('rue');
          else {
            w.expect(F);
            w.literal('alse');
          }
          break;
      }
    });
    if (w.i !== w.stop || cidr === undefined) return undefined;
  } catch (err) {
    if (err === UNUSUAL) return undefined;
    throw err;
  }
  const net = cidrNetwork(head.buf, cidr[0], cidr[1], expected);
  return net && { key: kv.key, net, value: { affinity, allocations, attributes } };
}

/** One AllocationAttribute: only `secondary` is kept. */
function attribute(w: Walker): { secondary?: Record<string, string> | null } {
  const attr: { secondary?: Record<string, string> | null } = {};
  const seen = { bits: 0 };
  const present = w.object((keyStart, keyEnd) => {
    switch (w.field(keyStart, keyEnd, ATTRIBUTE_FIELDS, seen)) {
      case HANDLE_ID:
        if (w.notNull()) w.stringBounds();
        break;
      case SECONDARY:
        attr.secondary = w.stringMap(SECONDARY_KEY_BYTES);
        break;
      case ALTERNATE:
        w.stringMap([]);
        break;
    }
  });
  // decodeBlock wants every attribute to be an object.
  if (!present) throw UNUSUAL;
  return attr;
}

/**
 * Scans every block, handing visit who holds each address (read from the block's bytes, or decoded
 * in full when they are not in the usual form); each block is read while it is visited and nothing
 * of it is kept. Corrupt blocks are skipped and listed, as Calico's lister skips them.
 */
export async function scanBlockOwners(
  ds: Datastore,
  visit: (block: BlockOwners) => void,
): Promise<{ revision: number; skipped: SkippedValue[] }> {
  const skipped: SkippedValue[] = [];
  const { revision } = await ds.scan(BLOCK_PREFIX, (kv) => {
    const fromKey = blockKeyNetwork(kv.key);
    if (!fromKey) return undefined;
    try {
      visit(readBlockOwners(kv, fromKey) ?? decodeBlock(kv));
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      skipped.push({ key: err.key, reason: err.reason });
    }
    return undefined;
  });
  return { revision, skipped };
}
