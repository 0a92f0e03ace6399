/**
 * The `ipam check -o FILE` report, in calicoctl v3.32.1's shape (`commands/ipam/check.go` Report,
 * Allocation, HandleInfo; json.MarshalIndent with two spaces, no trailing newline), and reading
 * reports back for `ipam release --from-report` (`commands/ipam/release.go` mergeReports).
 */
import { closeSync, fchmodSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import {
  compareGoStrings,
  encodeGoJson,
  parseGoJson,
  quoteGoString,
  S,
  WRITTEN_VERBATIM,
} from '../codec/go-json.js';
import { InputError, OperationError } from '../errors.js';

export interface ReportAllocation {
  ip: string;
  handle?: string;
  sequenceNumber?: bigint | number;
  pod?: string;
  namespace?: string;
  node?: string;
  type?: string;
  creationTimestamp?: string;
  inUse: boolean;
  borrowed?: boolean;
  /** null when nothing uses the address (a Go nil slice). */
  owners: string[] | null;
}

/** Go field names, no json tags: `ID`, `UID` (null outside Kubernetes), `Revision` (a string). */
export interface HandleInfo {
  ID: string;
  UID: string | null;
  Revision: string;
}

/** Everything in a report but its allocations. */
export interface ReportHead {
  version: string;
  clusterGUID: string;
  datastoreLocked: boolean;
  clusterInformationRevision: string;
  clusterType: string;
  leakedHandles: HandleInfo[];
}

export interface Report extends ReportHead {
  /** By address; written in Go's sorted-key order. */
  allocations: Map<string, ReportAllocation[]>;
}

const allocationSchema = S.struct(
  [
    { name: 'ip', schema: S.string() },
    { name: 'handle', schema: S.string(), omitempty: true },
    { name: 'sequenceNumber', schema: S.int({ pointer: true }), omitempty: true },
    { name: 'pod', schema: S.string(), omitempty: true },
    { name: 'namespace', schema: S.string(), omitempty: true },
    { name: 'node', schema: S.string(), omitempty: true },
    { name: 'type', schema: S.string(), omitempty: true },
    { name: 'creationTimestamp', schema: S.string(), omitempty: true },
    { name: 'inUse', schema: S.bool() },
    { name: 'borrowed', schema: S.bool(), omitempty: true },
    { name: 'owners', schema: S.slice(S.string()) },
  ],
  { pointer: true },
);

/** The report's Go shape (check.go Report): what encodeReport writes is encodeGoJson of it with this. */
export const reportSchema = S.struct([
  { name: 'version', schema: S.string() },
  { name: 'clusterGUID', schema: S.string() },
  { name: 'datastoreLocked', schema: S.bool() },
  { name: 'clusterInformationRevision', schema: S.string() },
  { name: 'clusterType', schema: S.string() },
  { name: 'allocations', schema: S.map(S.slice(allocationSchema)) },
  {
    name: 'leakedHandles',
    schema: S.slice(
      S.struct([
        { name: 'ID', schema: S.string() },
        { name: 'UID', schema: S.string({ pointer: true }) },
        { name: 'Revision', schema: S.string() },
      ]),
    ),
    omitempty: true,
  },
]);

/** The report's text fields of an allocation, in the order they are written (each omitted when empty). */
export type ReportTextField = 'handle' | 'pod' | 'namespace' | 'node' | 'type' | 'creationTimestamp';

/**
 * The report as json.MarshalIndent(report, "", "  ") writes it, as bytes handed to sink a chunk at a
 * time (the whole text never exists at once): the head is encoded with an empty allocations map,
 * which is then replaced by the addresses one at a time. A caller writes, in Go's sorted key order,
 * each address (address), each of its allocations (allocation, then the fields it has in
 * allocationSchema's order, then endAllocation), and at last finish. Text given as UTF-8 bytes is
 * copied as it is where Go would write it verbatim (printable ASCII but `"`, `\`, `<`, `>`, `&`),
 * so that 300,000 allocations' names and timestamps need not become strings to be written;
 * anything else goes through quoteGoString. encodeAllocation writes a ReportAllocation so, and
 * test/unit/ipam/report-encode.test.ts holds the result to encodeGoJson with reportSchema.
 */
export class ReportEncoder {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  private tail = '';
  private addresses = 0;
  /** Allocations written in the current address's list. */
  private listed = 0;

  constructor(private readonly sink: (bytes: Buffer) => void) {}

  start(head: ReportHead): void {
    const text = encodeGoJson({ ...head, allocations: new Map() }, reportSchema, { indent: '  ' });
    const marker = '"allocations": {}';
    const at = text.indexOf(marker) + marker.length - 1;
    this.utf8(text.slice(0, at));
    this.tail = text.slice(at);
  }

  /** The next address (its allocations follow): its text, or an IPv4 address's 32-bit value. */
  address(ip: string | number): void {
    this.endList();
    this.ascii(this.addresses++ === 0 ? '\n    ' : ',\n    ');
    this.ip(ip);
    this.ascii(': [');
    this.listed = 0;
  }

  /** The next allocation of the current address, up to its ip field. */
  allocation(ip: string | number): void {
    this.ascii(this.listed++ === 0 ? ALLOCATION_START : `,${ALLOCATION_START}`);
    this.ip(ip);
  }

  textField(name: ReportTextField, value: string): void {
    if (value === '') return;
    this.ascii(FIELD[name]);
    this.text(value);
  }

  /** A text field given as its UTF-8 bytes b[start, end). */
  bytesField(name: ReportTextField, b: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.ascii(FIELD[name]);
    this.room(end - start + 2);
    const out = this.buf;
    let at = this.at;
    out[at++] = QUOTE;
    for (let k = start; k < end; k++) {
      const c = b[k]!;
      if (WRITTEN_VERBATIM[c] !== 1) {
        this.text(b.toString('utf8', start, end));
        return;
      }
      out[at++] = c;
    }
    out[at++] = QUOTE;
    this.at = at;
  }

  /** The sequence number as its decimal digits (integerText). */
  sequenceNumber(digits: string): void {
    this.ascii(FIELD.sequenceNumber);
    this.ascii(digits);
  }

  /**
   * The sequence number high * 1e9 + low (high and low non-negative safe integers, low < 1e9),
   * written from its parts: a uint64 is beyond a double, and no string is made.
   */
  sequenceNumberOfParts(high: number, low: number): void {
    this.ascii(FIELD.sequenceNumber);
    this.room(MAX_SAFE_DIGITS + 9);
    if (high > 0) {
      this.digits(high, 1);
      this.digits(low, 9);
    } else this.digits(low, 1);
  }

  /** The allocation's last fields, and its end. */
  endAllocation(inUse: boolean, borrowed: boolean, owners: readonly string[] | null): void {
    // The usual end of an address nothing uses, in one piece.
    if (!inUse && !borrowed && owners === null) return this.ascii(END_UNUSED);
    this.ascii(inUse ? IN_USE_TRUE : IN_USE_FALSE);
    if (borrowed) this.ascii(BORROWED);
    this.ascii(FIELD.owners);
    if (owners === null) this.ascii('null');
    else if (owners.length === 0) this.ascii('[]');
    else {
      this.ascii('[');
      for (let i = 0; i < owners.length; i++) {
        this.ascii(i === 0 ? '\n          ' : ',\n          ');
        this.text(owners[i]!);
      }
      this.ascii('\n        ]');
    }
    this.ascii('\n      }');
  }

  /** The rest of the report after the last address; everything is then handed to sink. */
  finish(): void {
    this.endList();
    this.utf8(this.addresses === 0 ? this.tail : `\n  ${this.tail}`);
    this.flush();
  }

  /** One allocation from its fields. */
  encodeAllocation(a: ReportAllocation): void {
    this.allocation(a.ip);
    if (a.handle) this.textField('handle', a.handle);
    if (a.sequenceNumber !== undefined && a.sequenceNumber !== null) {
      this.sequenceNumber(integerText(a.sequenceNumber));
    }
    for (const name of ['pod', 'namespace', 'node', 'type', 'creationTimestamp'] as const) {
      const v = a[name];
      if (v) this.textField(name, v);
    }
    this.endAllocation(a.inUse, a.borrowed === true, a.owners ?? null);
  }

  private endList(): void {
    if (this.addresses === 0) return;
    this.ascii(this.listed === 0 ? ']' : '\n    ]');
  }

  /** A string as Go writes it: quoted, verbatim where that is what quoteGoString writes. */
  private text(s: string): void {
    this.room(s.length + 2);
    const out = this.buf;
    let at = this.at;
    out[at++] = QUOTE;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (WRITTEN_VERBATIM[c] !== 1) {
        this.utf8(quoteGoString(s));
        return;
      }
      out[at++] = c;
    }
    out[at++] = QUOTE;
    this.at = at;
  }

  /** An address, quoted: an IPv4 address's dotted quad written from its value, no string made. */
  private ip(ip: string | number): void {
    if (typeof ip === 'string') return this.text(ip);
    this.room(17);
    const out = this.buf;
    let at = this.at;
    out[at++] = QUOTE;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const octet = Math.floor(ip / 2 ** shift) % 256;
      if (octet >= 100) out[at++] = DIGIT_0 + Math.floor(octet / 100);
      if (octet >= 10) out[at++] = DIGIT_0 + (Math.floor(octet / 10) % 10);
      out[at++] = DIGIT_0 + (octet % 10);
      out[at++] = shift === 0 ? QUOTE : DOT;
    }
    this.at = at;
  }

  /** A non-negative safe integer's digits, zero-padded to at least width (room already made). */
  private digits(n: number, width: number): void {
    let count = 1;
    for (let bound = 10; bound <= n; bound *= 10) count++;
    count = Math.max(count, width);
    const out = this.buf;
    let k = this.at + count - 1;
    let rest = n;
    // Beyond 31 bits the digits take float division; below, integer (a sequence number's parts).
    for (; rest > 0x7fffffff; k--) {
      out[k] = DIGIT_0 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    for (; k >= this.at; k--) {
      const next = (rest / 10) | 0;
      out[k] = DIGIT_0 + rest - next * 10;
      rest = next;
    }
    this.at += count;
  }

  /** Text known to be ASCII (the report's punctuation, numbers). */
  private ascii(s: string): void {
    this.room(s.length);
    const out = this.buf;
    let at = this.at;
    for (let k = 0; k < s.length; k++) out[at++] = s.charCodeAt(k);
    this.at = at;
  }

  /** Any text, as UTF-8 (a quoted string, or the head and tail encodeGoJson wrote). */
  private utf8(s: string): void {
    this.room(Buffer.byteLength(s));
    this.at += this.buf.write(s, this.at);
  }

  /** Makes room for n more bytes, handing what is written to the sink first when it does not fit. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private flush(): void {
    if (this.at > 0) this.sink(this.buf.subarray(0, this.at));
    this.at = 0;
  }
}

/** An integer's digits, exact (as encodeGoJson writes an int). */
const integerText = (n: number | bigint): string =>
  typeof n === 'bigint' || !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n);

const QUOTE = 0x22;
const DOT = 0x2e;
/** The digits of Number.MAX_SAFE_INTEGER. */
const MAX_SAFE_DIGITS = 16;
const DIGIT_0 = 0x30;
const ALLOCATION_START = '\n      {\n        "ip": ';
/** What comes before a field's value (after the first field). */
const FIELD = Object.fromEntries(
  ['handle', 'sequenceNumber', 'pod', 'namespace', 'node', 'type', 'creationTimestamp', 'owners'].map(
    (name) => [name, `,\n        "${name}": `],
  ),
) as Record<ReportTextField | 'sequenceNumber' | 'owners', string>;
const IN_USE_TRUE = ',\n        "inUse": true';
const IN_USE_FALSE = ',\n        "inUse": false';
const BORROWED = ',\n        "borrowed": true';
const END_UNUSED = `${IN_USE_FALSE}${FIELD.owners}null\n      }`;

/** Addresses and their allocations, given in Go's sorted key order. */
export function encodeAllocations(
  enc: ReportEncoder,
  allocations: Iterable<[string, ReportAllocation[]]>,
): void {
  for (const [ip, list] of allocations) {
    enc.address(ip);
    for (const a of list) enc.encodeAllocation(a);
  }
}

/** The report as one string (encoded as writeReportFile writes it). */
export function encodeReport(report: Report): string {
  const chunks: Buffer[] = [];
  const enc = new ReportEncoder((bytes) => chunks.push(Buffer.from(bytes)));
  enc.start(report);
  encodeAllocations(
    enc,
    [...report.allocations].sort((a, b) => compareGoStrings(a[0], b[0])),
  );
  enc.finish();
  return Buffer.concat(chunks).toString('utf8');
}

/** The size of the chunks the report is written in. */
const CHUNK_BYTES = 1 << 20;

/**
 * Writes the report atomically: a private temporary file in the same directory, written a chunk at
 * a time, then a rename, so a failed run never leaves a half-written report. Mode 0600 (calicoctl
 * uses 0777). write is given the encoder after its start, and writes the allocations (see
 * ReportEncoder).
 */
export function writeReportFile(path: string, head: ReportHead, write: (enc: ReportEncoder) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    const out = fd;
    const enc = new ReportEncoder((bytes) => writeAll(out, bytes));
    enc.start(head);
    write(enc);
    enc.finish();
    fchmodSync(fd, 0o600);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new OperationError(`cannot write the report ${path}: ${(err as Error).message}`, {
      code: 'WriteFailed',
      hint: 'check that the directory exists and is writable',
    });
  }
}

/** writeSync until every byte is written (a write to a file may write fewer). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

const fieldString = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? o[k] : '');

/** Reads a report as Go's json.Unmarshal into Report would (missing fields are zero values). */
export function readReportFile(path: string): Report {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the report ${path}: ${(err as Error).message}`, {
      hint: "write one with 'ipam check -o <file>'",
    });
  }
  const bad = (why: string): never => {
    throw new InputError(`${path} is not an IPAM report: ${why}`, {
      hint: "write one with 'ipam check -o <file>'",
    });
  };
  let raw: unknown;
  try {
    raw = parseGoJson(text);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const r = raw as Record<string, unknown>;
  const allocations = new Map<string, ReportAllocation[]>();
  const rawAllocs = r['allocations'] ?? {};
  if (typeof rawAllocs !== 'object' || rawAllocs === null || Array.isArray(rawAllocs)) {
    return bad('allocations is not an object');
  }
  for (const [ip, list] of Object.entries(rawAllocs)) {
    if (list === null) continue;
    if (!Array.isArray(list)) return bad(`allocations[${JSON.stringify(ip)}] is not an array`);
    allocations.set(
      ip,
      list.map((a: unknown, i) => {
        if (typeof a !== 'object' || a === null)
          return bad(`allocations[${JSON.stringify(ip)}][${i}] is not an object`);
        const o = a as Record<string, unknown>;
        const seq = o['sequenceNumber'];
        if (seq !== undefined && seq !== null && typeof seq !== 'bigint' && !Number.isInteger(seq)) {
          return bad(`allocations[${JSON.stringify(ip)}][${i}].sequenceNumber is not an integer`);
        }
        return {
          ip: fieldString(o, 'ip'),
          handle: fieldString(o, 'handle'),
          ...(seq === undefined || seq === null ? {} : { sequenceNumber: BigInt(seq as number | bigint) }),
          inUse: o['inUse'] === true,
          owners: Array.isArray(o['owners']) ? (o['owners'] as string[]) : null,
        };
      }),
    );
  }
  const leaked = Array.isArray(r['leakedHandles']) ? (r['leakedHandles'] as unknown[]) : [];
  const leakedHandles = leaked.map((h, i): HandleInfo => {
    if (typeof h !== 'object' || h === null) return bad(`leakedHandles[${i}] is not an object`);
    const o = h as Record<string, unknown>;
    return {
      ID: fieldString(o, 'ID'),
      UID: typeof o['UID'] === 'string' ? o['UID'] : null,
      Revision: fieldString(o, 'Revision'),
    };
  });
  return {
    version: fieldString(r, 'version'),
    clusterGUID: fieldString(r, 'clusterGUID'),
    datastoreLocked: r['datastoreLocked'] === true,
    clusterInformationRevision: fieldString(r, 'clusterInformationRevision'),
    clusterType: fieldString(r, 'clusterType'),
    allocations,
    leakedHandles,
  };
}

export interface MergedRelease {
  /** Not-in-use allocations found in every report: address, handle and sequence number. */
  ips: { ip: string; handle: string; sequenceNumber?: bigint }[];
  /** Leaked handles found in every report with the same revision. */
  handles: HandleInfo[];
}

/** mergeReports: the intersection over all reports (later reports' values win, as in calicoctl). */
export function mergeReports(reports: readonly Report[]): MergedRelease {
  let ips: Map<string, MergedRelease['ips'][number]> | undefined;
  let handles: Map<string, HandleInfo> | undefined;
  for (const report of reports) {
    const mergedIPs = new Map<string, MergedRelease['ips'][number]>();
    for (const list of report.allocations.values()) {
      for (const a of list) {
        if (a.inUse) continue;
        if (ips !== undefined && !ips.has(a.ip)) continue;
        mergedIPs.set(a.ip, {
          ip: a.ip,
          handle: a.handle ?? '',
          ...(a.sequenceNumber === undefined ? {} : { sequenceNumber: BigInt(a.sequenceNumber) }),
        });
      }
    }
    ips = mergedIPs;
    const mergedHandles = new Map<string, HandleInfo>();
    for (const h of report.leakedHandles ?? []) {
      const old = handles?.get(h.ID);
      if (handles === undefined || (old !== undefined && old.Revision === h.Revision))
        mergedHandles.set(h.ID, h);
    }
    handles = mergedHandles;
  }
  return { ips: [...(ips ?? new Map()).values()], handles: [...(handles ?? new Map()).values()] };
}
