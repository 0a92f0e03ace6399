/**
 * Where the next page of a scan should end. etcd counts a limited read's whole range, from the
 * page's start to the range end, on every page (3.4's treeIndex.Revisions collects the revision of
 * each key in it; 3.5+ still walks it), so reading a section of N keys in pages that all end at
 * the section's end costs etcd's index a walk of N, then N minus a page, and so on: at 320,000
 * handles the export's pages walked 1.1 million keys, etcdctl's one read 340,000. A page whose range
 * ends about where its limit does costs a walk of its own keys only.
 *
 * That end is found by interpolation in key space. After the bytes a page's first and last keys
 * share, keys are read as fractions whose digits are the bytes its keys use (hex digits for
 * handles' container ids, decimal digits, dots and dashes for blocks' addresses): keys that use few
 * of the 256 byte values then lie as evenly in that space as they do among themselves. The next
 * page ends where the page's density puts the keys asked for. An estimate that is wrong changes
 * only how many pages there are, never what is read: a page keeps its limit, and the scan goes on
 * from its last key until a page ends at the section's end.
 */

/** Digits of a fraction: seven of Calico keys' tens of byte values fit a double's 53 bits. */
const DIGITS = 7;

/** What a page showed of how densely its keys lie: its first and last keys and how many it held. */
export interface PageDensity {
  first: string;
  last: string;
  count: number;
  /** Some of the keys between them, which show the bytes keys use after those they all share. */
  samples: readonly string[];
}

/**
 * The end (raw bytes as latin1, as RangeRequest.rangeEnd) of a range after `page.last` that holds
 * about `keys` keys if they lie as densely as the page's did; undefined when the page says nothing
 * of that (fewer than two keys) or the estimate runs past the keys it can describe (the caller then
 * reads to its section's end).
 */
export function estimatePageEnd(page: PageDensity, keys: number): string | undefined {
  if (page.count < 2 || keys < 1) return undefined;
  const a = Buffer.from(page.first, 'utf8');
  const b = Buffer.from(page.last, 'utf8');
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  const used = new Set([...a.subarray(shared), ...b.subarray(shared)]);
  for (const key of page.samples)
    for (const byte of Buffer.from(key, 'utf8').subarray(shared)) used.add(byte);
  const alphabet = [...used].sort((x, y) => x - y);
  if (alphabet.length < 2) return undefined;
  // From the first byte they differ in; from a byte or more before it when the estimate runs past
  // the keys that share all of them (handles "…network.0f…" go on with "…network.10…").
  for (let from = shared; from >= 0 && from > shared - DIGITS; from--) {
    const digits = from < shared ? withBytes(alphabet, b.subarray(from, shared)) : alphabet;
    const at = (key: Buffer): number => fraction(key, from, digits);
    const span = at(b) - at(a);
    if (!(span > 0)) return undefined;
    const target = at(b) + (span * keys) / (page.count - 1);
    if (target < 1) return keyAt(b.subarray(0, from), target, digits, b);
  }
  return undefined;
}

function withBytes(alphabet: number[], bytes: Buffer): number[] {
  return [...new Set([...alphabet, ...bytes])].sort((x, y) => x - y);
}

/**
 * key's DIGITS bytes after `from` as a fraction in [0, 1), each digit its byte's place among
 * `digits` (a byte between two of them counts as half way; a missing one, past the key's end, as
 * below them all).
 */
function fraction(key: Buffer, from: number, digits: number[]): number {
  const base = digits.length + 1;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < DIGITS; i++) {
    scale /= base;
    const byte = key[from + i];
    value += (byte === undefined ? 0 : place(digits, byte)) * scale;
  }
  return value;
}

/** 1 + the index of byte in digits (0 is "no byte"), or a half-way place for a byte not among them. */
function place(digits: number[], byte: number): number {
  let below = 0;
  while (below < digits.length && digits[below]! < byte) below++;
  return digits[below] === byte ? below + 1 : below + 0.5;
}

/** prefix followed by the digits of position, if that key lies after last (and last + "\0"). */
function keyAt(prefix: Buffer, position: number, digits: number[], last: Buffer): string | undefined {
  const base = digits.length + 1;
  const end: number[] = [...prefix];
  let rest = position;
  for (let i = 0; i < DIGITS; i++) {
    rest *= base;
    const d = Math.min(base - 1, Math.floor(rest));
    rest -= d;
    // Place 0 is "no byte": the key ends here (every byte after it would be 0 too).
    if (d === 0) break;
    end.push(digits[d - 1]!);
  }
  const key = Buffer.from(end);
  return Buffer.compare(key, Buffer.concat([last, Buffer.from([0])])) > 0
    ? key.toString('latin1')
    : undefined;
}
