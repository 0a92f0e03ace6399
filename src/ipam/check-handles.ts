/**
 * The join of `ipam check` between the handle IDs its blocks name and the handle keys it lists,
 * over bytes. Each of the ~300,000 IDs at 10k blocks used to become a JS string twice (JSON.parse
 * of the block, a slice of the key) and meet in a Map, a lookup of a freshly made string costing
 * about a microsecond; here an ID in a block's bytes is hashed where it lies and kept once, as
 * bytes, in an open-addressing table, and a handle key is hashed and compared character by
 * character in place. Only the IDs the check prints (leaked and missing handles) become strings.
 *
 * IDs that are not plain ASCII (rare: Kubernetes names are ASCII) are kept in a Map by their
 * decoded text, so that every ID compares exactly as JavaScript strings compare, whatever its bytes.
 */
import type { ValueHead } from '../datastore/value-head.js';
import { WINDOWS_RESERVED_HANDLE } from './block.js';
import { holdOneMore, type HeldAddresses } from './consistency.js';
import { HANDLE_PREFIX } from './keys.js';
import type { ReportEncoder } from './report.js';
import { grown } from './typed-array.js';

/** What find() returns for a key that is not a handle key (parseHandleKey's undefined). */
export const NOT_A_HANDLE_KEY = -2;
/** What find() returns for a handle no block names. */
export const NOT_HELD = -1;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const SLASH = 0x2f;
const FIRST_SLOTS = 1 << 12;
/** Int32s a slot holds: the ID's hash, and its entry + 1 (0: empty). */
const SLOT = 2;
/** Int32s an entry holds, next to each other (one cache line): */
const ENTRY = 4;
const ID_START = 0; // where its ID's bytes start in ids (-1: the ID is not ASCII, see otherText)
const ID_LENGTH = 1;
const HELD = 2; // 0: nothing; b + 1: one address in block b; -(m + 1): the counts heldMaps[m]
const FOUND = 3; // 1 once the handle listing found it

/**
 * The handles named by blocks: one entry per distinct ID, numbered from 0 in the order first seen.
 * At 300,000 handles each lookup is a cache miss or more, so what one lookup reads lies together:
 * a slot holds the hash and the entry number, an entry its ID's place, what is held and whether it
 * was found; the ID's bytes are compared only when the hash matches.
 */
export class HandleJoin {
  /** Open addressing, linear probing; a power of two of slots, at most half full. */
  private slots = new Int32Array(FIRST_SLOTS * SLOT);
  private entries = new Int32Array((FIRST_SLOTS / 2) * ENTRY);
  private count = 0;
  private ids = Buffer.allocUnsafe(1 << 16);
  private idBytes = 0;
  /** IDs that are not ASCII, by their text. */
  private readonly others = new Map<string, number>();
  private readonly otherText: string[] = [];
  /** The block CIDRs held addresses are in, by block number. */
  private readonly cidrs: string[] = [];
  /** What is held for handles with more than one address. */
  private readonly heldMaps: Map<string, number>[] = [];
  /** Entries in the order the blocks first held them (calicoctl's listing order of missing handles). */
  private readonly heldOrder: number[] = [];
  /** The entry of Windows' reserved handle, held in blocks but never looked for among handles. */
  windowsEntry = NOT_HELD;

  /** The number of a block (its CIDR, as Go's IPNet.String) whose addresses holdOneMore counts. */
  addBlock(cidr: string): number {
    return this.cidrs.push(cidr) - 1;
  }

  /** The entry of the ID b[start, end) (UTF-8 of a JSON string without escapes), made if new. */
  entryOfBytes(b: Buffer, start: number, end: number): number {
    let h = FNV_OFFSET;
    for (let k = start; k < end; k++) {
      const c = b[k]!;
      if (c >= 0x80) return this.entryOfText(b.toString('utf8', start, end));
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const mask = this.slots.length / SLOT - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.slots[slot * SLOT + 1]! - 1;
      if (e < 0) return this.add(h, slot, b, start, end);
      if (this.slots[slot * SLOT] === h && this.bytesEqual(e, b, start, end)) return e;
    }
  }

  /** The entry of an ID as text, made if new. */
  entryOfText(id: string): number {
    if (isAscii(id)) return this.entryOfBytes(Buffer.from(id, 'latin1'), 0, id.length);
    const e = this.others.get(id);
    if (e !== undefined) return e;
    const added = this.newEntry(-1, 0);
    this.others.set(id, added);
    this.otherText[added] = id;
    return added;
  }

  /** One more address of the entry's handle, in block number block (addBlock). */
  holdOneMore(e: number, block: number): void {
    const at = e * ENTRY + HELD;
    const held = this.entries[at]!;
    if (held === 0) {
      this.heldOrder.push(e);
      this.entries[at] = block + 1;
    } else if (held > 0) {
      this.heldMaps.push(holdOneMore(this.cidrs[held - 1]!, this.cidrs[block]!) as Map<string, number>);
      this.entries[at] = -this.heldMaps.length;
    } else {
      holdOneMore(this.heldMaps[-held - 1]!, this.cidrs[block]!);
    }
  }

  /**
   * The entry of a handle key's ID, or NOT_HELD, or NOT_A_HANDLE_KEY; compared in place, no string
   * made for an ASCII ID.
   */
  find(key: string): number {
    if (!key.startsWith(HANDLE_PREFIX) || key.length === HANDLE_PREFIX.length) return NOT_A_HANDLE_KEY;
    let h = FNV_OFFSET;
    for (let k = HANDLE_PREFIX.length; k < key.length; k++) {
      const c = key.charCodeAt(k);
      if (c === SLASH) return NOT_A_HANDLE_KEY;
      if (c >= 0x80) {
        const id = key.slice(HANDLE_PREFIX.length);
        return id.includes('/') ? NOT_A_HANDLE_KEY : (this.others.get(id) ?? NOT_HELD);
      }
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const mask = this.slots.length / SLOT - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.slots[slot * SLOT + 1]! - 1;
      if (e < 0) return NOT_HELD;
      if (this.slots[slot * SLOT] === h && this.textEqual(e, key, HANDLE_PREFIX.length)) return e;
    }
  }

  /**
   * What the blocks hold for the entry's handle, marking it found (no longer missing); undefined
   * when they hold nothing for it (NOT_HELD, or an attribute no allocation uses).
   */
  take(e: number): HeldAddresses | undefined {
    if (e < 0) return undefined;
    const held = this.entries[e * ENTRY + HELD]!;
    if (held === 0) return undefined;
    this.entries[e * ENTRY + FOUND] = 1;
    return held > 0 ? this.cidrs[held - 1]! : this.heldMaps[-held - 1]!;
  }

  /** The IDs the blocks hold addresses for that the handle listing did not find, in first-held order. */
  *missing(): Generator<string> {
    for (const e of this.heldOrder) if (this.entries[e * ENTRY + FOUND] === 0) yield this.idOf(e);
  }

  /** Writes the entry's ID as the report's handle field. */
  writeId(e: number, enc: ReportEncoder): void {
    const start = this.entries[e * ENTRY + ID_START]!;
    if (start < 0) enc.textField('handle', this.otherText[e]!);
    else enc.bytesField('handle', this.ids, start, start + this.entries[e * ENTRY + ID_LENGTH]!);
  }

  idOf(e: number): string {
    const start = this.entries[e * ENTRY + ID_START]!;
    if (start < 0) return this.otherText[e]!;
    return this.ids.toString('latin1', start, start + this.entries[e * ENTRY + ID_LENGTH]!);
  }

  private add(h: number, slot: number, b: Buffer, start: number, end: number): number {
    const length = end - start;
    if (this.idBytes + length > this.ids.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.ids.length * 2, this.idBytes + length));
      this.ids.copy(grown, 0, 0, this.idBytes);
      this.ids = grown;
    }
    this.ids.set(b.subarray(start, end), this.idBytes);
    const e = this.newEntry(this.idBytes, length);
    this.idBytes += length;
    this.slots[slot * SLOT] = h;
    this.slots[slot * SLOT + 1] = e + 1;
    if (this.count * 2 * SLOT > this.slots.length) this.rehash();
    if (length === WINDOWS_RESERVED_HANDLE.length && this.idOf(e) === WINDOWS_RESERVED_HANDLE) {
      this.windowsEntry = e;
    }
    return e;
  }

  private newEntry(start: number, length: number): number {
    const e = this.count++;
    if ((e + 1) * ENTRY > this.entries.length) this.entries = grown(this.entries);
    this.entries[e * ENTRY + ID_START] = start;
    this.entries[e * ENTRY + ID_LENGTH] = length;
    return e;
  }

  /** Twice the slots, each ASCII entry placed again by its hash. */
  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length / SLOT - 1;
    for (let old = 0; old < this.slots.length; old += SLOT) {
      const e = this.slots[old + 1]!;
      if (e === 0) continue;
      let slot = this.slots[old]! & mask;
      while (slots[slot * SLOT + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * SLOT] = this.slots[old]!;
      slots[slot * SLOT + 1] = e;
    }
    this.slots = slots;
  }

  private bytesEqual(e: number, b: Buffer, start: number, end: number): boolean {
    const at = this.entries[e * ENTRY + ID_START]!;
    if (at < 0 || this.entries[e * ENTRY + ID_LENGTH] !== end - start) return false;
    return this.ids.compare(b, start, end, at, at + end - start) === 0;
  }

  private textEqual(e: number, key: string, from: number): boolean {
    const at = this.entries[e * ENTRY + ID_START]!;
    if (at < 0 || this.entries[e * ENTRY + ID_LENGTH] !== key.length - from) return false;
    for (let k = 0; k < key.length - from; k++)
      if (this.ids[at + k] !== key.charCodeAt(from + k)) return false;
    return true;
  }
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return false;
  return true;
}

/**
 * A handle value in the form Go writes (`{"block":{"<cidr>":<n>,...},"deleted":false}`), read from
 * its bytes: exactly what check-values.ts's PLAIN_HANDLE matches in its text. read() returns -1 when
 * the value is not in that form (then its text decides), else the number of blocks it counts, with
 * the first block's CIDR at [firstStart, firstEnd) and whether its count is exactly 1. One reader
 * serves every handle of a listing.
 */
export class PlainHandle {
  firstStart = 0;
  firstEnd = 0;
  firstIsOne = false;
  private b: Buffer = Buffer.alloc(0);
  private i = 0;
  private stop = 0;

  read(head: ValueHead): number {
    this.b = head.buf;
    this.i = head.start;
    this.stop = head.stop;
    if (!this.literal('{"block":{')) return -1;
    let entries = 0;
    if (this.next() !== CLOSE_OBJECT) {
      do {
        if (this.next() !== QUOTE) return -1;
        const start = ++this.i;
        for (let c = this.next(); c !== QUOTE; c = this.next()) {
          if (c === BACKSLASH || c < 0) return -1;
          this.i++;
        }
        const end = this.i++;
        if (this.next() !== COLON) return -1;
        const digits = ++this.i;
        while (this.next() >= DIGIT_0 && this.next() <= DIGIT_9) this.i++;
        const n = this.i - digits;
        if (n === 0 || n > MAX_COUNT_DIGITS || (n > 1 && this.b[digits] === DIGIT_0)) return -1;
        if (entries++ === 0) {
          this.firstStart = start;
          this.firstEnd = end;
          this.firstIsOne = n === 1 && this.b[digits] === DIGIT_1;
        }
      } while (this.literal(','));
    }
    if (!this.literal('},"deleted":') || !(this.literal('false}') || this.literal('true}'))) return -1;
    return this.i === this.stop ? entries : -1;
  }

  /** Whether the first block's CIDR is text (ASCII). */
  firstIs(text: string): boolean {
    if (this.firstEnd - this.firstStart !== text.length) return false;
    for (let k = 0; k < text.length; k++)
      if (this.b[this.firstStart + k] !== text.charCodeAt(k)) return false;
    return true;
  }

  /** The byte at the cursor, or -1 past the value's end. */
  private next(): number {
    return this.i < this.stop ? this.b[this.i]! : -1;
  }

  /** Consumes text if it is next. */
  private literal(text: string): boolean {
    if (this.i + text.length > this.stop) return false;
    for (let k = 0; k < text.length; k++) if (this.b[this.i + k] !== text.charCodeAt(k)) return false;
    this.i += text.length;
    return true;
  }
}

/** PLAIN_HANDLE's counts: at most 18 digits, no leading zero. */
const MAX_COUNT_DIGITS = 18;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const CLOSE_OBJECT = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
