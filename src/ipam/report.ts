/**
 * The `ipam check -o FILE` report, in calicoctl v3.32.1's shape (`commands/ipam/check.go` Report,
 * Allocation, HandleInfo; json.MarshalIndent with two spaces, no trailing newline), and reading
 * reports back for `ipam release --from-report` (`commands/ipam/release.go` mergeReports).
 */
import { closeSync, fchmodSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { compareGoStrings, encodeGoJson, parseGoJson, quoteGoString, S } from '../codec/go-json.js';
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

/**
 * The report as json.MarshalIndent(report, "", "  ") writes it, in chunks: the head is encoded
 * with an empty allocations map, which is then replaced by the entries one at a time, so the whole
 * text never exists at once.
 */
export function* encodeReportChunks(
  head: ReportHead,
  allocations: Iterable<[string, ReportAllocation[]]>,
): Generator<string> {
  const text = encodeGoJson({ ...head, allocations: new Map() }, reportSchema, { indent: '  ' });
  const marker = '"allocations": {}';
  const at = text.indexOf(marker) + marker.length - 1;
  yield text.slice(0, at);
  let first = true;
  for (const [ip, list] of allocations) {
    yield `${first ? '' : ','}${INDENT[2]}${quoteGoString(ip)}: ${encodeAllocationList(list)}`;
    first = false;
  }
  yield first ? text.slice(at) : `${INDENT[1]}${text.slice(at)}`;
}

/** A new line indented for each depth of the report (two spaces a level). */
const INDENT = ['\n', '\n  ', '\n    ', '\n      ', '\n        ', '\n          '] as const;

/**
 * One address's allocations as encodeGoJson writes them with allocationSchema at their depth in the
 * report (a list of 300,000 is written at 10k blocks: the schema walk was most of the writing).
 */
function encodeAllocationList(list: readonly ReportAllocation[]): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    out += `${i === 0 ? '' : ','}${INDENT[3]}{${INDENT[4]}"ip": ${quoteGoString(a.ip)}`;
    if (a.handle) out += field('handle') + quoteGoString(a.handle);
    if (a.sequenceNumber !== undefined && a.sequenceNumber !== null) {
      out += field('sequenceNumber') + integerText(a.sequenceNumber);
    }
    if (a.pod) out += field('pod') + quoteGoString(a.pod);
    if (a.namespace) out += field('namespace') + quoteGoString(a.namespace);
    if (a.node) out += field('node') + quoteGoString(a.node);
    if (a.type) out += field('type') + quoteGoString(a.type);
    if (a.creationTimestamp) out += field('creationTimestamp') + quoteGoString(a.creationTimestamp);
    out += field('inUse') + (a.inUse ? 'true' : 'false');
    if (a.borrowed) out += field('borrowed') + 'true';
    out += field('owners');
    if (a.owners === null || a.owners === undefined) out += 'null';
    else if (a.owners.length === 0) out += '[]';
    else out += `[${a.owners.map((o) => INDENT[5] + quoteGoString(o)).join(',')}${INDENT[4]}]`;
    out += `${INDENT[3]}}`;
  }
  return `${out}${INDENT[2]}]`;
}

/** What comes before a field's value (after the first field). */
const field = (name: string): string => `,${INDENT[4]}"${name}": `;

/** An integer's digits, exact (as encodeGoJson writes an int). */
const integerText = (n: number | bigint): string =>
  typeof n === 'bigint' || !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n);

export function encodeReport(report: Report): string {
  const sorted = [...report.allocations].sort((a, b) => compareGoStrings(a[0], b[0]));
  return [...encodeReportChunks(report, sorted)].join('');
}

const CHUNK_BYTES = 1 << 20;

/**
 * Writes the report atomically: a private temporary file in the same directory, written a chunk at
 * a time, then a rename, so a failed run never leaves a half-written report. Mode 0600 (calicoctl
 * uses 0777).
 */
export function writeReportFile(
  path: string,
  head: ReportHead,
  allocations: Iterable<[string, ReportAllocation[]]>,
): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    let pending: string[] = [];
    let size = 0;
    const flush = (): void => {
      writeFileSync(fd!, pending.join(''));
      pending = [];
      size = 0;
    };
    for (const chunk of encodeReportChunks(head, allocations)) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= CHUNK_BYTES) flush();
    }
    flush();
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
