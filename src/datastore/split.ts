/**
 * Where to cut a long key range so that several readers can fetch it at once. etcd prepares each
 * page (index walk, reads, marshalling) before the first byte of it is sent, and a single reader
 * cannot ask for the next page before it knows the last key of this one; readers over disjoint
 * parts of the range keep etcd preparing one page while another is on the wire.
 *
 * The cut points come from count-only reads, which etcd answers from its in-memory index: the
 * range after the first page is divided along the path of that page's last key (the keys sharing
 * ever shorter prefixes with it), and the parts where a cut should fall are divided again by the
 * characters seen in the first page, for a few rounds. Any cut points are correct (the parts always
 * cover the whole range, in order); good ones only make the parts even.
 */
import { prefixEnd } from './contract.js';

/** The number of keys in [from, to) at the listing's revision. */
export type RangeCounter = (from: string, to: string) => Promise<number>;

export interface Segment {
  from: string;
  /** Exclusive. */
  to: string;
  /** Keys in [from, to) as counted while splitting. */
  count: number;
}

export interface SplitOptions {
  /** The last key already read: the range to split is (after, end). */
  after: string;
  end: string;
  /** Length of the listing's prefix, which every key shares (never cut inside it). */
  prefixLength: number;
  parts: number;
  /** Keys already read, whose characters are the likely ones at every position. */
  sample: readonly string[];
  /** Refinement rounds after the first (each one round trip of count-only reads). */
  rounds?: number;
}

interface Region extends Segment {
  /** The keys of this region mostly start with this: its children are stem + one character. */
  stem: string;
  /** Dividing it again would give nothing new. */
  leaf: boolean;
}

const DEFAULT_ROUNDS = 2;
// Cut points are made by appending a character or incrementing one, so keys must be plain ASCII
// (a range end is sent as raw bytes; an incremented 0x7e would not be ASCII any more).
const SPLITTABLE = /^[\x20-\x7d]*$/;

/**
 * Consecutive segments covering (after, end): at most `parts`, fewer when the counts leave no
 * useful cut; none when the keys are not ones this can cut (the caller reads the range as one).
 */
export async function splitRange(count: RangeCounter, opts: SplitOptions): Promise<Segment[]> {
  const { after, end, prefixLength, parts } = opts;
  const start = after + '\0';
  if (parts < 2 || !SPLITTABLE.test(after)) return [];

  // The path of `after`: for each prefix of it, the keys that share the prefix but sort after its
  // subtree. Consecutive and together exactly (after, end). Below the prefix the first page's keys
  // share with `after` (and one character more), the regions are lumped into one: they hold keys
  // close to `after`, few or many, and the refinement below divides that one if it is large.
  const near = Math.min(after.length, commonPrefixLength(opts.sample[0] ?? after, after) + 1);
  const path: Region[] = [
    { from: start, to: prefixEnd(after.slice(0, near)), count: 0, stem: after.slice(0, near), leaf: false },
  ];
  for (let p = near - 1; p >= prefixLength; p--) {
    const stem = after.slice(0, p);
    const to = p === prefixLength ? end : prefixEnd(stem);
    path.push({ from: prefixEnd(after.slice(0, p + 1)), to, count: 0, stem, leaf: false });
  }
  let regions = await counted(count, path);
  const alphabet = alphabetsOf(opts.sample, prefixLength);

  for (let round = 0; round < (opts.rounds ?? DEFAULT_ROUNDS); round++) {
    const total = sum(regions);
    const target = total / parts;
    const coarse = new Set<Region>();
    for (let j = 1; j < parts; j++) {
      const r = regionAt(regions, j * target);
      if (r && !r.leaf && r.count > target / 4) coarse.add(r);
    }
    if (coarse.size === 0) break;
    const next: Region[] = [];
    for (const r of regions) next.push(...(coarse.has(r) ? divide(r, alphabet) : [r]));
    await counted(
      count,
      next.filter((r) => Number.isNaN(r.count)),
    );
    regions = next.filter((r) => r.count > 0);
  }
  return cut(regions, parts, start, end);
}

/** Counts the given regions concurrently; returns the non-empty ones. */
async function counted(count: RangeCounter, regions: Region[]): Promise<Region[]> {
  const counts = await Promise.all(regions.map((r) => count(r.from, r.to)));
  regions.forEach((r, i) => (r.count = counts[i]!));
  return regions.filter((r) => r.count > 0);
}

/** r divided at stem + c for every character c seen after such a stem that falls inside it. */
function divide(r: Region, alphabet: Alphabets): Region[] {
  const chars = alphabet.at[r.stem.length] ?? alphabet.all;
  const bounds = chars.map((c) => r.stem + c).filter((b) => b >= r.from && b < r.to);
  if (bounds.length === 0) return [{ ...r, leaf: true }];
  // Keys between r's start and the first bound have characters the alphabet lacks: left whole.
  const out: Region[] =
    bounds[0] === r.from ? [] : [{ from: r.from, to: bounds[0]!, count: NaN, stem: r.stem, leaf: true }];
  bounds.forEach((b, i) => {
    out.push({ from: b, to: bounds[i + 1] ?? r.to, count: NaN, stem: b, leaf: false });
  });
  return out;
}

/** The region holding the key at position `rank` (0-based) of the ordered regions. */
function regionAt(regions: readonly Region[], rank: number): Region | undefined {
  let seen = 0;
  for (const r of regions) {
    if (rank < seen + r.count) return r;
    seen += r.count;
  }
  return undefined;
}

/** Segments cut at region boundaries nearest to each j/parts of the keys; empty ones dropped. */
function cut(regions: readonly Region[], parts: number, start: string, end: string): Segment[] {
  const total = sum(regions);
  const cuts: { at: string; rank: number }[] = [];
  let seen = 0;
  let j = 1;
  for (const r of regions) {
    // Cut before r if the j-th quantile is nearer to r's start than to its end.
    while (j < parts && j * (total / parts) < seen + r.count / 2) {
      if (seen > (cuts.at(-1)?.rank ?? 0) && seen < total) cuts.push({ at: r.from, rank: seen });
      j++;
    }
    seen += r.count;
  }
  const segments: Segment[] = [];
  let from = start;
  let rank = 0;
  for (const c of [...cuts, { at: end, rank: total }]) {
    segments.push({ from, to: c.at, count: c.rank - rank });
    from = c.at;
    rank = c.rank;
  }
  return segments;
}

/**
 * For each position, the characters the sample has at that position or later (a position's own are
 * too few: the first page may show only 0 and 1 where the rest of the range has every digit), and
 * all of them.
 */
interface Alphabets {
  at: (string[] | undefined)[];
  all: string[];
}

function alphabetsOf(sample: readonly string[], prefixLength: number): Alphabets {
  const own: Set<string>[] = [];
  for (const key of sample)
    for (let i = prefixLength; i < key.length; i++) {
      const c = key[i]!;
      if (c >= ' ' && c <= '}') (own[i] ??= new Set()).add(c);
    }
  const at: (string[] | undefined)[] = [];
  const later = new Set<string>();
  for (let i = own.length - 1; i >= prefixLength; i--) {
    for (const c of own[i] ?? []) later.add(c);
    at[i] = [...later].sort();
  }
  return { at, all: [...later].sort() };
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function sum(regions: readonly Segment[]): number {
  return regions.reduce((n, r) => n + r.count, 0);
}
