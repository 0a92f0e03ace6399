/**
 * The join of `ipam check` between the handle IDs its blocks name and the handle keys it lists,
 * over bytes, as a merge of two sorted lists. etcd lists the handles in key order, that is in the
 * order of their IDs' bytes; the blocks name them in block order, which is random against it. A
 * hash table of the blocks' IDs cost three cache misses a lookup (slot, entry, ID bytes) at
 * 300,000 handles in random order, about a microsecond each, and its hashing and growth most of
 * the walk's own time. Here the block walk only appends each ID's bytes (one copy, in block
 * order); once every block is in, the allocations' IDs are sorted once (sortByBytes) and grouped,
 * and each handle key is compared with the next ID in that order: the lookups walk the entries in
 * order, and the one miss left is on the ID's bytes, which lie in naming order. Any other order of
 * keys is still answered exactly (a binary search), only slower.
 *
 * An ID is compared as its UTF-8 bytes: ASCII (every Kubernetes name) as it lies; any other ID as
 * the bytes of its decoded text, so that IDs compare exactly as JavaScript strings compare, whatever
 * the block's bytes (a text that is not well-formed UTF-16 can match no key, which is decoded from
 * UTF-8: it is kept as 0xff then its UTF-16 code units, bytes no key's text encodes to). Only the
 * IDs the check prints (leaked and missing handles) and the report's become strings.
 */
import type { ValueHead } from '../datastore/value-head.js';
import { WINDOWS_RESERVED_HANDLE } from './block.js';
import { holdOneMore, type HeldAddresses } from './consistency.js';
import { HANDLE_PREFIX } from './keys.js';
import type { ReportEncoder } from './report.js';
import { sortByBytes } from './check-sort.js';
import { grown } from './typed-array.js';

/** What find() returns for a key that is not a handle key (parseHandleKey's undefined). */
export const NOT_A_HANDLE_KEY = -2;
/** What find() returns for a handle no block holds an address for. */
export const NOT_HELD = -1;

/** The first byte of an ID kept as UTF-16 (no UTF-8 text has it). */
const NOT_UTF8 = 0xff;
/** How many IDs find() steps over one by one before it searches (held IDs without a handle key). */
const LINEAR_STEPS = 8;
const WINDOWS_ID = Buffer.from(WINDOWS_RESERVED_HANDLE, 'latin1');

/**
 * The handle IDs the blocks name and hold addresses for. While the blocks are walked: every ID as
 * it is named (addId: a number per naming, not per distinct ID) and every address held for one
 * (holdOneMore). seal() then sorts the held IDs; a distinct ID is an entry, numbered from 0 in
 * byte order, and the handle listing finds them (find, take) in that order.
 */
export class HandleJoin {
  /** Each named ID's bytes, in naming order: ids[idStart[n], idStart[n] + idLength[n]). */
  private ids = Buffer.allocUnsafe(1 << 16);
  private idBytes = 0;
  private idStart = new Int32Array(1024);
  private idLength = new Int32Array(1024);
  private named = 0;
  /** The IDs named that are Windows' reservation. */
  private readonly windowsIds = new Set<number>();
  /** The block CIDRs held addresses are in, by block number. */
  private readonly cidrs: string[] = [];
  /** One row per address held: the ID named for it and its block number. */
  private holdId = new Int32Array(1024);
  private holdBlock = new Int32Array(1024);
  private holds = 0;

  /**
   * After seal(), by entry (byte order): where its bytes are, the ID named first for it, what is
   * held, whether found.
   */
  private entryStart = new Int32Array(0);
  private entryLength = new Int32Array(0);
  private entryId = new Int32Array(0);
  /** The first hold of each entry (calicoctl's listing order of missing handles is first held). */
  private entryFirstHold = new Int32Array(0);
  /** b + 1: one address in block b; -(m + 1): the counts heldMaps[m]. */
  private entryHeld = new Int32Array(0);
  private found = new Uint8Array(0);
  private readonly heldMaps: Map<string, number>[] = [];
  /** Where find() looks first: the entry after the last one found. */
  private cursor = 0;
  private sealed = false;
  /** The entry of Windows' reserved handle, held in blocks but never looked for among handles. */
  windowsEntry = NOT_HELD;

  /** The number of a block (its CIDR, as Go's IPNet.String) whose addresses holdOneMore counts. */
  addBlock(cidr: string): number {
    return this.cidrs.push(cidr) - 1;
  }

  /** Names the ID b[start, end) (UTF-8 of a JSON string without escapes); returns its number. */
  addId(b: Buffer, start: number, end: number): number {
    for (let k = start; k < end; k++)
      if (b[k]! >= 0x80) return this.addIdText(b.toString('utf8', start, end));
    return this.addIdBytes(b, start, end);
  }

  /** Names an ID given as text; returns its number. */
  addIdText(id: string): number {
    if (isAscii(id)) return this.addIdBytes(Buffer.from(id, 'latin1'), 0, id.length);
    const utf8 = Buffer.from(id, 'utf8');
    const bytes =
      utf8.toString('utf8') === id ? utf8 : Buffer.concat([Buffer.of(NOT_UTF8), Buffer.from(id, 'utf16le')]);
    return this.addIdBytes(bytes, 0, bytes.length);
  }

  /** Whether the ID named n is Windows' reserved handle. */
  isWindows(n: number): boolean {
    return this.windowsIds.has(n);
  }

  /** One more address of the handle named n, in block number block (addBlock). */
  holdOneMore(n: number, block: number): void {
    const h = this.holds++;
    if (h === this.holdId.length) {
      this.holdId = grown(this.holdId);
      this.holdBlock = grown(this.holdBlock);
    }
    this.holdId[h] = n;
    this.holdBlock[h] = block;
  }

  /**
   * Once every block is in: the held IDs sorted by their bytes and grouped, one entry per distinct
   * ID, with what the blocks hold for it (gathered in the order held). find() and missing() seal a
   * join not sealed yet: `ipam check` leaves it to its first handle key, so that the sort runs while
   * etcd reads the next page of handles rather than while it waits for the next request.
   */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    const start = new Int32Array(this.holds);
    const length = new Int32Array(this.holds);
    for (let h = 0; h < this.holds; h++) {
      start[h] = this.idStart[this.holdId[h]!]!;
      length[h] = this.idLength[this.holdId[h]!]!;
    }
    const { order, startsGroup } = sortByBytes(this.ids, start, length);
    let entries = 0;
    for (let i = 0; i < order.length; i++) entries += startsGroup[i]!;
    this.entryStart = new Int32Array(entries);
    this.entryLength = new Int32Array(entries);
    this.entryId = new Int32Array(entries);
    this.entryFirstHold = new Int32Array(entries);
    this.entryHeld = new Int32Array(entries);
    this.found = new Uint8Array(entries);
    for (let i = 0, e = -1; i < order.length; i++) {
      const h = order[i]!;
      const cidr = this.holdBlock[h]!;
      if (startsGroup[i] === 1) {
        e++;
        this.entryStart[e] = start[h]!;
        this.entryLength[e] = length[h]!;
        this.entryId[e] = this.holdId[h]!;
        this.entryFirstHold[e] = h;
        this.entryHeld[e] = cidr + 1;
        if (this.windowsIds.has(this.holdId[h]!)) this.windowsEntry = e;
        continue;
      }
      // A second address or more (the group's holds are in the order held): counts by block.
      const held = this.entryHeld[e]!;
      if (held > 0) {
        const counts = holdOneMore(this.cidrs[held - 1]!, this.cidrs[cidr]!) as Map<string, number>;
        this.entryHeld[e] = -this.heldMaps.push(counts);
      } else holdOneMore(this.heldMaps[-held - 1]!, this.cidrs[cidr]!);
    }
    this.holdId = new Int32Array(0);
    this.holdBlock = new Int32Array(0);
  }

  /**
   * The entry of a handle key's ID, or NOT_HELD, or NOT_A_HANDLE_KEY. Keys in their
   * listing order are each compared with the entry after the last one found, in place; any other
   * order is searched.
   */
  find(key: string): number {
    this.seal();
    const from = HANDLE_PREFIX.length;
    if (!key.startsWith(HANDLE_PREFIX) || key.length === from || key.indexOf('/', from) >= 0)
      return NOT_A_HANDLE_KEY;
    const entries = this.entryId.length;
    let at = this.cursor;
    let order = at < entries ? this.compareKey(key, at) : -1;
    if (order > 0) {
      // Past the cursor: step over the held IDs no handle key names, then search.
      let steps = 0;
      while (order > 0 && ++at < entries && ++steps <= LINEAR_STEPS) order = this.compareKey(key, at);
      if (order > 0 && at < entries) [at, order] = this.search(key, at, entries);
    } else if (order < 0 && at > 0 && this.compareKey(key, at - 1) <= 0) {
      // Before the cursor's previous entry: a key out of listing order.
      [at, order] = this.search(key, 0, at);
    }
    if (order !== 0) {
      this.cursor = at;
      return NOT_HELD;
    }
    this.cursor = at + 1;
    return at;
  }

  /**
   * What the blocks hold for the entry's handle, marking it found (no longer missing); undefined
   * for NOT_HELD.
   */
  take(e: number): HeldAddresses | undefined {
    if (e < 0) return undefined;
    this.found[e] = 1;
    const held = this.entryHeld[e]!;
    return held > 0 ? this.cidrs[held - 1]! : this.heldMaps[-held - 1]!;
  }

  /** The IDs the blocks hold addresses for that the handle listing did not find, in first-held order. */
  *missing(): Generator<string> {
    this.seal();
    const lost: number[] = [];
    for (let e = 0; e < this.found.length; e++) if (this.found[e] === 0) lost.push(e);
    lost.sort((a, b) => this.entryFirstHold[a]! - this.entryFirstHold[b]!);
    for (const e of lost) yield this.idOf(this.entryId[e]!);
  }

  /** Writes the ID named n as the report's handle field. */
  writeId(n: number, enc: ReportEncoder): void {
    const start = this.idStart[n]!;
    if (this.isUtf16(n)) enc.textField('handle', this.idOf(n));
    else enc.bytesField('handle', this.ids, start, start + this.idLength[n]!);
  }

  /** The ID named n. */
  idOf(n: number): string {
    const start = this.idStart[n]!;
    const end = start + this.idLength[n]!;
    return this.isUtf16(n)
      ? this.ids.toString('utf16le', start + 1, end)
      : this.ids.toString('utf8', start, end);
  }

  /** Whether the ID named n is kept as UTF-16 (a text that is not well-formed). */
  private isUtf16(n: number): boolean {
    return this.idLength[n]! > 0 && this.ids[this.idStart[n]!] === NOT_UTF8;
  }

  private addIdBytes(b: Buffer, start: number, end: number): number {
    const length = end - start;
    if (this.idBytes + length > this.ids.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.ids.length * 2, this.idBytes + length));
      this.ids.copy(bigger, 0, 0, this.idBytes);
      this.ids = bigger;
    }
    // A JS loop: IDs are ~80 bytes, for which a copy's native call costs more than it copies.
    for (let k = 0; k < length; k++) this.ids[this.idBytes + k] = b[start + k]!;
    const n = this.named++;
    if (n === this.idStart.length) {
      this.idStart = grown(this.idStart);
      this.idLength = grown(this.idLength);
    }
    this.idStart[n] = this.idBytes;
    this.idLength[n] = length;
    this.idBytes += length;
    if (length === WINDOWS_ID.length && WINDOWS_ID.equals(b.subarray(start, end))) this.windowsIds.add(n);
    return n;
  }

  /** The order of a handle key's ID (key from HANDLE_PREFIX on) against entry e's: <0, 0 or >0. */
  private compareKey(key: string, e: number): number {
    const from = HANDLE_PREFIX.length;
    const at = this.entryStart[e]!;
    const length = this.entryLength[e]!;
    const keyLength = key.length - from;
    const common = Math.min(keyLength, length);
    for (let k = 0; k < common; k++) {
      const c = key.charCodeAt(from + k);
      if (c >= 0x80) return Buffer.from(key.slice(from), 'utf8').compare(this.ids, at, at + length);
      const d = c - this.ids[at + k]!;
      if (d !== 0) return d;
    }
    // The shorter is first; equal lengths here mean the same ASCII.
    return keyLength - length;
  }

  /** The first entry in [low, high) not before the key's ID, and its order against it. */
  private search(key: string, low: number, high: number): [number, number] {
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compareKey(key, mid) > 0) low = mid + 1;
      else high = mid;
    }
    return [low, low < this.entryId.length ? this.compareKey(key, low) : -1];
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
