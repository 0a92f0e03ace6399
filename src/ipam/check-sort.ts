/**
 * Byte strings sorted without comparing most of them: what the handle join of `ipam check`
 * (check-handles.ts) orders the blocks' handle IDs by, ~300,000 of them at 10k blocks. A sort
 * by comparison reads two IDs at random places for each of its ~5 million comparisons, and a read
 * at a random place of 24 MB of IDs is a cache miss (~0.1-0.2 µs here); this one reads each ID in
 * order of its place once per level, and levels are few: a level orders by five bytes at once,
 * as one native sort of 64-bit numbers, and skips the bytes every string of a run shares
 * (Calico's `k8s-pod-network.` before a container ID's 64 hex digits).
 */
import { LOW_HALF } from './typed-array.js';

/** Byte strings: item i is bytes[start[i], start[i] + length[i]). */
interface ByteStrings {
  bytes: Uint8Array;
  start: Int32Array;
  length: Int32Array;
}

/** The strings sorted, and where each group of equal strings starts. */
export interface SortedBytes {
  /** The items 0..n-1 in order of their bytes (unsigned, a prefix first), equal ones by number. */
  order: Int32Array;
  /** 1 where order[i]'s bytes differ from order[i - 1]'s (and at 0). */
  startsGroup: Uint8Array;
}

/** Runs this short are sorted by comparing their bytes. */
const SHORT_RUN = 8;
const HIGH_HALF = 1 - LOW_HALF;
/** A level's key: the next five bytes (0 past the end), then the item's place in its run (24 bits). */
const LEVEL_BYTES = 5;
const PLACE_BITS = 24;
const PLACE_MASK = (1 << PLACE_BITS) - 1;
/** Runs longer than a place holds take four bytes a level and 32 bits of place. */
const LONG_LEVEL_BYTES = 4;

/**
 * Sorts the items 0..n-1 (n = start.length) by their bytes, bytes[start[i], start[i] + length[i]):
 * a most-significant-digit radix sort. Each run of items (in number order, sharing their first
 * depth bytes) is ordered by the next bytes after those they all share, as 64-bit numbers whose
 * low bits are the item's place in the run (so equal bytes keep number order); each run of equal
 * numbers then goes a level deeper, or when it is short, or when an item ended within the bytes
 * (its padding zeros could equal a zero byte), is sorted by comparison.
 */
export function sortByBytes(bytes: Uint8Array, start: Int32Array, length: Int32Array): SortedBytes {
  const n = start.length;
  const strings: ByteStrings = { bytes, start, length };
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const startsGroup = new Uint8Array(n);
  if (n > 0) startsGroup[0] = 1;
  const keys = new BigUint64Array(n);
  const halves = new Uint32Array(keys.buffer);
  const placed = new Int32Array(n);
  const byte = (item: number, at: number): number => (at < length[item]! ? bytes[start[item]! + at]! : 0);
  // Runs to sort, as (low, high, depth) triples.
  const runs: number[] = [0, n, 0];
  while (runs.length > 0) {
    const depth0 = runs.pop()!;
    const high = runs.pop()!;
    const low = runs.pop()!;
    const size = high - low;
    if (size <= SHORT_RUN) {
      sortByComparison(strings, order, startsGroup, low, high, depth0);
      continue;
    }
    const depth = depth0 + sharedBytes(strings, order, low, high, depth0);
    const long = size > PLACE_MASK + 1;
    const levelBytes = long ? LONG_LEVEL_BYTES : LEVEL_BYTES;
    for (let i = low; i < high; i++) {
      const item = order[i]!;
      const place = i - low;
      halves[2 * place + HIGH_HALF] =
        ((byte(item, depth) << 24) |
          (byte(item, depth + 1) << 16) |
          (byte(item, depth + 2) << 8) |
          byte(item, depth + 3)) >>>
        0;
      halves[2 * place + LOW_HALF] = long ? place : ((byte(item, depth + 4) << PLACE_BITS) | place) >>> 0;
    }
    keys.subarray(0, size).sort();
    const placeMask = long ? 0xffffffff : PLACE_MASK;
    for (let j = 0; j < size; j++) placed[j] = order[low + ((halves[2 * j + LOW_HALF]! & placeMask) >>> 0)]!;
    order.set(placed.subarray(0, size), low);
    const bytesOf = (j: number): number => (long ? 0 : halves[2 * j + LOW_HALF]! >>> PLACE_BITS);
    for (let j = 0; j < size; ) {
      const top = halves[2 * j + HIGH_HALF]!;
      const last = bytesOf(j);
      let end = j + 1;
      while (end < size && halves[2 * end + HIGH_HALF] === top && bytesOf(end) === last) end++;
      // Different bytes here: different strings (a string and its padding only equal another's
      // padded the same way, in the same run).
      if (j > 0) startsGroup[low + j] = 1;
      if (end - j > 1) {
        let ended = false;
        for (let i = low + j; i < low + end && !ended; i++) ended = length[order[i]!]! <= depth + levelBytes;
        if (ended) sortByComparison(strings, order, startsGroup, low + j, low + end, depth);
        else runs.push(low + j, low + end, depth + levelBytes);
      }
      j = end;
    }
  }
  return { order, startsGroup };
}

/** How many bytes from depth on every item of order[low, high) shares with the first. */
function sharedBytes(
  strings: ByteStrings,
  order: Int32Array,
  low: number,
  high: number,
  depth: number,
): number {
  const { bytes, start, length } = strings;
  const first = order[low]!;
  const at = start[first]! + depth;
  let shared = Math.max(0, length[first]! - depth);
  for (let i = low + 1; i < high && shared > 0; i++) {
    const item = order[i]!;
    const other = start[item]! + depth;
    const most = Math.min(shared, length[item]! - depth);
    let k = 0;
    while (k < most && bytes[at + k] === bytes[other + k]) k++;
    shared = Math.max(0, k);
  }
  return shared;
}

/**
 * Sorts order[low, high) (items sharing their first depth bytes, in number order) by comparing
 * their bytes, equal ones by number (an insertion sort: stable), and marks where groups start
 * after the first (whose mark the caller made).
 */
function sortByComparison(
  strings: ByteStrings,
  order: Int32Array,
  startsGroup: Uint8Array,
  low: number,
  high: number,
  depth: number,
): void {
  for (let i = low + 1; i < high; i++) {
    const item = order[i]!;
    let j = i - 1;
    while (j >= low && compareFrom(strings, order[j]!, item, depth) > 0) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = item;
  }
  for (let i = low + 1; i < high; i++)
    startsGroup[i] = compareFrom(strings, order[i - 1]!, order[i]!, depth) === 0 ? 0 : 1;
}

/** The order of items a and b by their bytes from depth on (a prefix first). */
function compareFrom(strings: ByteStrings, a: number, b: number, depth: number): number {
  const { bytes, start, length } = strings;
  const la = length[a]! - depth;
  const lb = length[b]! - depth;
  const sa = start[a]! + depth;
  const sb = start[b]! + depth;
  for (let k = 0; k < Math.min(la, lb); k++) {
    const d = bytes[sa + k]! - bytes[sb + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}
