/**
 * `datastore export` / `datastore import`: every key under /calico/ of one datastore, as JSON
 * Lines, so a store can move from the embedded backend to etcd and back. The export is read at
 * one pinned revision, page by page; the import validates the whole file before it writes a
 * thing, and writes in transactions small enough for etcd's default limits (one key per write, each
 * compare-and-swap, on a store without multi-key transactions).
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomBytes } from 'node:crypto';
import { createWriteStream, writeSync } from 'node:fs';
import { mkdtemp, open, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import {
  ConflictError,
  InputError,
  isClosedPipe,
  OperationError,
  OutputClosedError,
  RefusedError,
} from '../errors.js';
import { updateKey, type CasDecision } from './cas.js';
import { ExportLineWriter, ExportRecordDecoder, KeyOrder } from './export-record.js';
import { valueBytes } from './value-head.js';
import { BLOCK_PREFIX, HANDLE_PREFIX } from '../ipam/keys.js';
import { prefixEnd, type Compare, type Datastore, type DatastoreInfo, type TxnOp } from './contract.js';

export const EXPORT_KIND = 'CalicoctlTsDatastoreExport';
export const EXPORT_VERSION = 1;
export const CALICO_PREFIX = '/calico/';
interface TransactionLimits {
  ops: number;
  /** Bytes of keys and values; one larger value still goes alone. */
  bytes: number;
  /** Transactions sent before the first of them has answered. */
  inFlight: number;
}

/**
 * etcd: its default --max-txn-ops, and well under its default --max-request-bytes (1.5 MiB). Each
 * transaction waits for a raft round and a disk sync, and etcd commits the transactions that arrive
 * together in one, so several are sent at once (they write different keys: order does not matter):
 * 16 rather than 8 took etcd 8% less CPU for a 340,000-key import (docs/performance.md).
 */
const ETCD_TRANSACTIONS: TransactionLimits = { ops: 128, bytes: 1024 * 1024, inFlight: 16 };
/** The embedded store pays a disk sync per transaction and little per key: large transactions. */
const EMBEDDED_TRANSACTIONS: TransactionLimits = { ops: 10_000, bytes: 8 * 1024 * 1024, inFlight: 1 };
/**
 * A store without multi-key transactions (Kubernetes): one key per write, each a compare-and-swap
 * (create, or update at the revision just read), several in flight (they write different keys).
 */
const ONE_KEY_WRITES: TransactionLimits = { ops: 1, bytes: Infinity, inFlight: 8 };

export interface ExportHeader {
  kind: typeof EXPORT_KIND;
  version: typeof EXPORT_VERSION;
  source: DatastoreInfo['type'];
  revision: number;
  exportedAt: string;
}

/** Where the datastore is, for messages and summaries. */
export type DatastoreLocation =
  | { type: 'embedded'; path: string }
  | { type: 'etcdv3'; endpoints: string[] }
  | { type: 'kubernetes'; server: string };

export interface ExportSummary {
  /** The file written, or "-" for stdout. */
  file: string;
  source: DatastoreLocation;
  revision: number;
  keys: number;
  /** Bytes of the export (header and lines, UTF-8). */
  bytes: number;
  exportedAt: string;
}

export interface ImportSummary {
  /** The file read, or "-" for stdin. */
  file: string;
  target: DatastoreLocation;
  /** What the file's header says about where it came from. */
  exportedFrom: { source: string; revision: number; exportedAt: string };
  keys: number;
  /** Bytes of keys and values. */
  bytes: number;
  transactions: number;
  /** Keys under /calico/ in the target before the import. */
  targetKeysBefore: number;
  dryRun: boolean;
  /** The target's revision after the import (before it, on a dry run). */
  revision: number;
}

/**
 * Receives the export as UTF-8 bytes, in order, and has written them when it returns: synchronous,
 * so a scan's visitor can hand over its text as it goes and memory holds at most one chunk (whose
 * buffer is written into again once the sink returns).
 */
export type Sink = (chunk: Buffer) => void;

/** Where the v3 resources are, whose values carry a metadata uid. */
const RESOURCE_PREFIX = '/calico/resources/';
/** The keys after the first page are read in this many pages (see Datastore.scan). */
const EXPORT_PAGES = 1;
/** Pods' IPAM handles, `k8s-pod-network.<containerID>` (calico.md §2, CNI's GetHandleID). */
const POD_HANDLE_PREFIX = `${HANDLE_PREFIX}k8s-pod-network.`;
/**
 * Where a whole datastore's layout changes (calico.md §1): the IPAM blocks (9 KB each), the handles
 * (hundreds of thousands of small values), the rest of IPAM (affinities), the v3 resources. Each is
 * read in pages of its own (ScanOptions.sections), whose counts walk that section, not the rest of
 * the datastore. The handles are cut again around the pods' (hex container ids), between the
 * nodes' tunnel handles (`ipip-tunnel-addr-<node>` before them, `vxlan-…` and `wireguard-…` after):
 * in one section, a page ended where the tunnel handles' density put its keys found none, and the
 * page after it, read to the section's end, made etcd walk all the pods' handles once more.
 */
export const EXPORT_SECTIONS = [
  BLOCK_PREFIX,
  HANDLE_PREFIX,
  POD_HANDLE_PREFIX,
  prefixEnd(POD_HANDLE_PREFIX),
  prefixEnd(HANDLE_PREFIX),
  RESOURCE_PREFIX,
];
/** The export is handed to the sink in chunks of about this many bytes. */
const CHUNK_BYTES = 1024 * 1024;

export function location(info: DatastoreInfo): DatastoreLocation {
  switch (info.type) {
    case 'embedded':
      return { type: 'embedded', path: info.path };
    case 'etcdv3':
      return { type: 'etcdv3', endpoints: [...info.endpoints] };
    case 'kubernetes':
      return { type: 'kubernetes', server: info.server };
  }
}

export function describeLocation(loc: DatastoreLocation): string {
  switch (loc.type) {
    case 'embedded':
      return `embedded datastore ${loc.path}`;
    case 'etcdv3':
      return `etcdv3 datastore ${loc.endpoints.join(',')}`;
    case 'kubernetes':
      return `kubernetes datastore ${loc.server}`;
  }
}

/**
 * Streams every key under /calico/ at one revision into sink: a header line, then one line per key,
 * each `JSON.stringify({key, value})`. The revision is fixed first (the header goes first) and the
 * keys are scanned at it, each turned into its line as it arrives and nothing of it kept.
 */
export async function exportTo(
  ds: Datastore,
  sink: Sink,
  opts: { file: string; now?: Date },
): Promise<ExportSummary> {
  // Fixed by a read of the prefix's own key (a user may be allowed nothing outside /calico/; a
  // limited read of the range would make etcd walk all of it to count it).
  const revision = await ds.currentRevision(CALICO_PREFIX);
  const exportedAt = goTimestamp(opts.now ?? new Date());
  const header: ExportHeader = {
    kind: EXPORT_KIND,
    version: EXPORT_VERSION,
    source: ds.info.type,
    revision,
    exportedAt,
  };
  const out = new ExportLineWriter(sink, CHUNK_BYTES);
  out.text(JSON.stringify(header) + '\n');
  let keys = 0;
  await ds.scan(
    CALICO_PREFIX,
    (kv) => {
      // What JSON.stringify({ key, value }) writes, without the object: from the value's bytes
      // where the backend holds them, else from its string.
      const bytes = valueBytes(kv);
      if (!bytes || !out.record(kv.key, bytes)) {
        out.text('{"key":' + JSON.stringify(kv.key) + ',"value":' + JSON.stringify(kv.value) + '}\n');
      }
      keys++;
      return undefined;
    },
    // A whole datastore in a few large pages, each section of it on its own: etcd counts the rest
    // of the range for every page, which at 340,000 keys in pages of 5,000 took longer than reading
    // them (docs/performance.md).
    { revision, pages: EXPORT_PAGES, sections: EXPORT_SECTIONS },
  );
  out.flush();
  const bytes = out.written;
  return { file: opts.file, source: location(ds.info), revision, keys, bytes, exportedAt };
}

/**
 * Exports into file atomically: a temporary file (0600) beside it is written, flushed to disk
 * and renamed over file, so a reader never sees half an export and a failure leaves file as it was.
 */
export async function exportToFile(
  ds: Datastore,
  file: string,
  opts: { now?: Date } = {},
): Promise<ExportSummary> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    throw fileError('write', file, err);
  });
  let renamed = false;
  try {
    const summary = await exportTo(ds, descriptorSink(handle.fd), { file, ...opts });
    await handle.sync();
    await handle.close();
    await rename(temp, file).catch((err: NodeJS.ErrnoException) => {
      throw fileError('write', file, err);
    });
    renamed = true;
    await syncDirectory(dir);
    return summary;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

/**
 * A sink writing to an open descriptor (the export's file, or stdout) with write(2). A descriptor
 * that is non-blocking and full (a pipe to a slow reader) is waited for, a millisecond at a time,
 * so the export never holds more than one chunk however slow the reader is.
 */
export function descriptorSink(fd: number): Sink {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return (chunk) => {
    for (let done = 0; done < chunk.length; ) {
      try {
        done += writeSync(fd, chunk, done);
      } catch (err) {
        // The pipe's reader went away (`| head`): the command stops quietly, as calicoctl does.
        if (isClosedPipe(err)) throw new OutputClosedError();
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  };
}

export interface ImportOptions {
  /** Name for messages and the summary: the path, or "-" for stdin. */
  file: string;
  allowNonEmpty: boolean;
  dryRun: boolean;
}

/**
 * Imports the export at path (a regular file; stdin is spooled to one first by the caller) into
 * ds. Nothing is written unless every line is valid and the target is empty (or allowed not to be).
 */
export async function importFrom(ds: Datastore, path: string, opts: ImportOptions): Promise<ImportSummary> {
  const display = opts.file === '-' ? '<stdin>' : opts.file;
  const header = await validateExport(path, display);
  const target = location(ds.info);
  const targetKeysBefore = await ds.count(CALICO_PREFIX);
  if (targetKeysBefore > 0 && !opts.allowNonEmpty) {
    throw new RefusedError(
      `refusing to import into ${describeLocation(target)}: it already has ${targetKeysBefore} keys under ${CALICO_PREFIX}`,
      {
        code: 'TargetNotEmpty',
        hint: 'import into an empty datastore, or pass --allow-non-empty to overwrite the keys the file holds (other keys stay)',
      },
    );
  }

  const limits = !ds.multiKeyTransactions
    ? ONE_KEY_WRITES
    : ds.info.type === 'embedded'
      ? EMBEDDED_TRANSACTIONS
      : ETCD_TRANSACTIONS;
  let keys = 0;
  let bytes = 0;
  let transactions = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = async (success: TxnOp[]): Promise<void> => {
    transactions++;
    if (opts.dryRun) return;
    const write = ds.multiKeyTransactions
      ? putTogether(ds, success, opts.allowNonEmpty)
      : putOneKey(ds, success[0]!);
    const sent: Promise<void> = write.then(
      () => void inFlight.delete(sent),
      (error: unknown) => {
        inFlight.delete(sent);
        failure ??= { error };
      },
    );
    inFlight.add(sent);
    if (inFlight.size >= limits.inFlight) await Promise.race(inFlight);
    // The first failure stops the import; what is already sent is let finish (partial, as documented).
    if (failure) {
      await Promise.all(inFlight);
      throw failure.error;
    }
  };
  let batch: TxnOp[] = [];
  let batchBytes = 0;
  // The transactions filled by one piece of the file, sent before the next piece is read.
  let full: TxnOp[][] = [];
  await readExport(
    path,
    display,
    () => undefined,
    (record) => {
      const size = record.size();
      if (batch.length >= limits.ops || (batch.length > 0 && batchBytes + size > limits.bytes)) {
        full.push(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ type: 'put', key: record.key(), value: record.value() });
      batchBytes += size;
      keys++;
      bytes += size;
    },
    async () => {
      for (const success of full) await send(success);
      full = [];
    },
  );
  if (batch.length > 0) await send(batch);
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return {
    file: opts.file,
    target,
    exportedFrom: { source: header.source, revision: header.revision, exportedAt: header.exportedAt },
    keys,
    bytes,
    transactions,
    targetKeysBefore,
    dryRun: opts.dryRun,
    // Read under /calico/: a user may be allowed nothing else.
    revision: await ds.currentRevision(CALICO_PREFIX),
  };
}

/**
 * One transaction of the import. Into a target found empty, each key is created only if it is still
 * absent (version 0): a writer that created one of them since the emptiness check makes the
 * transaction write nothing, and the import stops with a conflict instead of overwriting it. With
 * --allow-non-empty the user asked for the file's values over the target's: plain puts.
 */
async function putTogether(ds: Datastore, success: TxnOp[], overwrite: boolean): Promise<void> {
  const compare = overwrite ? [] : stillAbsent(success);
  const { succeeded } = await ds.txn({ compare, success });
  if (succeeded) return;
  const [first, last] = [success[0]!.key, success[success.length - 1]!.key];
  throw new ConflictError(
    `import: a key from ${first} to ${last} was created in the target by another writer while the import ran; that transaction wrote nothing, and those sent before it were let finish`,
    {
      hint: "stop the other writer, then re-run the import with --allow-non-empty (the file's values then replace the target's)",
    },
  );
}

/**
 * Compares that hold while none of the keys ops write exists (ops in ascending key order). One
 * compare of the range from the first key to the last: etcd reads and checks one range instead of
 * 128 keys, and the compares no longer double the keys the transaction carries through etcd's log.
 * It is stricter only about keys that are not the import's own: a key another writer created between
 * two of the file's keys stops the import too. Bounds that are not ASCII are compared key by key
 * (a range end holds raw bytes, which a key's own non-ASCII characters are not).
 */
function stillAbsent(ops: TxnOp[]): Compare[] {
  const first = ops[0]!.key;
  const last = ops[ops.length - 1]!.key;
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(first + last))
    return [{ key: first, rangeEnd: last + '\0', target: 'version', op: '==', value: 0 }];
  return ops.map((op) => ({ key: op.key, target: 'version', op: '==', value: 0 }));
}

/**
 * One put of the import on a store without multi-key transactions: compare-and-swap (create, or
 * update at the revision read; a key already holding the value is left alone), so a re-run with
 * --allow-non-empty writes only what is missing or different. Such a store (Kubernetes) gives every
 * object its own uid when it is created, and an update cannot change it: an object already there keeps
 * its uid, as it would under calicoctl.
 */
async function putOneKey(ds: Datastore, op: TxnOp): Promise<void> {
  if (op.type !== 'put') throw new Error(`import writes puts only, not ${op.type}`);
  await updateKey(
    ds,
    op.key,
    (current): CasDecision<void> => {
      const value =
        current && op.key.startsWith(RESOURCE_PREFIX) ? withUidOf(current.value, op.value) : op.value;
      return current?.value === value ? { done: undefined } : { put: value, result: undefined };
    },
    () =>
      new ConflictError(`import: ${op.key} kept changing while it was written`, {
        hint: 'another writer is changing the target; stop it, then re-run with --allow-non-empty',
      }),
  );
}

/** The first `"uid"` of a resource value is its metadata's (metadata precedes spec in Go's order). */
const UID = /"uid":"[^"\\]*"/;

/** value with the metadata uid of current, when both have one. */
function withUidOf(current: string, value: string): string {
  const uid = UID.exec(current)?.[0];
  return uid && UID.test(value) ? value.replace(UID, uid) : value;
}

/** Reads the whole file once, checking the header and every line; returns the header. */
export async function validateExport(path: string, display: string): Promise<ExportHeader> {
  let header: ExportHeader | undefined;
  const order = new KeyOrder();
  await readExport(
    path,
    display,
    (text) => (header = parseHeader(text, display)),
    (record, lineNo) => {
      if (!order.next(record.bytes, record.keyEnd)) {
        throw lineError(
          display,
          lineNo,
          `key ${record.key()} is out of order or repeated (keys must be in ascending byte order)`,
        );
      }
    },
  );
  if (!header) throw lineError(display, 1, 'the file is empty: expected the export header');
  return header;
}

/**
 * Reads the export at path a piece of whole lines at a time (wholeLines): line 1, the header, to
 * onHeader as text; each record line, checked, to onRecord as the decoded record (valid until it
 * returns) with its line number; then, after each piece, afterPiece.
 */
async function readExport(
  path: string,
  display: string,
  onHeader: (text: string) => void,
  onRecord: (record: ExportRecordDecoder, lineNo: number) => void,
  afterPiece?: () => Promise<void>,
): Promise<void> {
  const record = new ExportRecordDecoder();
  let lineNo = 0;
  for await (const piece of wholeLines(path, display)) {
    lineNo = eachLine(piece, lineNo, display, record, onHeader, (n) => onRecord(record, n));
    await afterPiece?.();
  }
}

/**
 * The file in pieces of whole lines, each ended by \n (but for the file's last line, which may not
 * be): read 1 MiB at a time into one buffer, an unfinished line carried to its front. A piece is a
 * view of that buffer, valid until the next one is asked for. A piece at a time, not a line: a
 * promise per line (costly while an AsyncLocalStorage is active) cost more than reading the line.
 */
async function* wholeLines(path: string, display: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw fileError('read', display, err);
  });
  let buf = Buffer.allocUnsafe(READ_BYTES);
  // Bytes of an unfinished line at the front of buf.
  let carried = 0;
  try {
    for (;;) {
      // A line longer than what is left: room for it and another piece.
      if (buf.length - carried < READ_BYTES / 4) {
        const bigger = Buffer.allocUnsafe(carried + READ_BYTES);
        buf.copy(bigger, 0, 0, carried);
        buf = bigger;
      }
      const { bytesRead } = await handle
        .read(buf, carried, buf.length - carried, null)
        .catch((err: NodeJS.ErrnoException) => {
          throw fileError('read', display, err);
        });
      if (bytesRead === 0) break;
      const filled = carried + bytesRead;
      const lastNewline = buf.lastIndexOf(10, filled - 1);
      if (lastNewline < 0) {
        carried = filled;
        continue;
      }
      yield buf.subarray(0, lastNewline + 1);
      carried = buf.copy(buf, 0, lastNewline + 1, filled);
    }
    if (carried > 0) yield buf.subarray(0, carried);
  } finally {
    await handle.close();
  }
}

const READ_BYTES = 1024 * 1024;
const CALICO_PREFIX_BYTES = Buffer.from(CALICO_PREFIX, 'utf8');

/**
 * The lines of one piece (see wholeLines), numbered on from lineNo: line 1 (the header) is handed to
 * onHeader as text; every other line is decoded into record, at once when it is in the export's own
 * shape and through JSON.parse otherwise (which words what is wrong with it), checked, and handed
 * to onRecord with its number. Lines are split as readline splits them (at \n, \r\n and a lone
 * \r). Returns the number of the piece's last line.
 */
function eachLine(
  piece: Buffer,
  lineNo: number,
  display: string,
  record: ExportRecordDecoder,
  onHeader: (text: string) => void,
  onRecord: (lineNo: number) => void,
): number {
  let n = lineNo;
  for (let start = 0; start < piece.length; ) {
    let end = piece.indexOf(10, start);
    if (end < 0) end = piece.length;
    if (n > 0 && record.decode(piece, start, end)) {
      n++;
      if (!record.keyStartsWith(CALICO_PREFIX_BYTES)) throw notUnderPrefix(display, n, record.key());
      onRecord(n);
    } else {
      const text = piece.toString('utf8', start, end);
      const lines = !text.includes('\r')
        ? [text]
        : (text.endsWith('\r') ? text.slice(0, -1) : text).split('\r');
      for (const line of lines) {
        n++;
        if (n === 1) {
          onHeader(line);
          continue;
        }
        const { key, value } = parseRecord(line, display, n);
        record.set(key, value);
        onRecord(n);
      }
    }
    start = end + 1;
  }
  return n;
}

/**
 * Copies a stream (stdin) into a private temporary file, because an import reads its input twice:
 * once to validate every line, once to write.
 */
export async function spoolToTempFile(
  input: NodeJS.ReadableStream,
): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'calicoctl-ts-import-'));
  const path = join(dir, 'stdin.jsonl');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(input, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw new OperationError(`cannot read the export from stdin: ${(err as Error).message}`, { cause: err });
  }
  return { path, remove };
}

function parseHeader(line: string, file: string): ExportHeader {
  const obj = parseObject(line, file, 1);
  if (obj.kind !== EXPORT_KIND) {
    throw lineError(
      file,
      1,
      `expected a header with "kind":"${EXPORT_KIND}", got ${JSON.stringify(obj.kind ?? null)}`,
    );
  }
  if (obj.version !== EXPORT_VERSION) {
    throw lineError(
      file,
      1,
      `unsupported export version ${JSON.stringify(obj.version ?? null)} (this calicoctl-ts reads version ${EXPORT_VERSION})`,
    );
  }
  if (obj.source !== 'etcdv3' && obj.source !== 'embedded') {
    throw lineError(file, 1, `header "source" must be "etcdv3" or "embedded"`);
  }
  if (typeof obj.revision !== 'number' || !Number.isSafeInteger(obj.revision) || obj.revision < 0) {
    throw lineError(file, 1, `header "revision" must be a non-negative integer`);
  }
  if (typeof obj.exportedAt !== 'string') throw lineError(file, 1, `header "exportedAt" must be a string`);
  return {
    kind: EXPORT_KIND,
    version: EXPORT_VERSION,
    source: obj.source,
    revision: obj.revision,
    exportedAt: obj.exportedAt,
  };
}

function parseRecord(line: string, file: string, lineNo: number): { key: string; value: string } {
  const obj = parseObject(line, file, lineNo);
  const extra = Object.keys(obj).filter((k) => k !== 'key' && k !== 'value');
  if (extra.length > 0)
    throw lineError(file, lineNo, `unexpected field "${extra[0]}" (a line has only "key" and "value")`);
  if (typeof obj.key !== 'string') throw lineError(file, lineNo, '"key" must be a string');
  if (typeof obj.value !== 'string') throw lineError(file, lineNo, '"value" must be a string');
  if (!obj.key.startsWith(CALICO_PREFIX)) throw notUnderPrefix(file, lineNo, obj.key);
  return { key: obj.key, value: obj.value };
}

function notUnderPrefix(file: string, lineNo: number, key: string): InputError {
  return lineError(file, lineNo, `key ${key} is not under ${CALICO_PREFIX}`);
}

function parseObject(line: string, file: string, lineNo: number): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw lineError(file, lineNo, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw lineError(file, lineNo, 'expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function lineError(file: string, lineNo: number, what: string): InputError {
  return new InputError(`${file}: line ${lineNo}: ${what}`, {
    code: 'InvalidExportFile',
    hint: "import reads files written by 'calicoctl-ts datastore export'; nothing was written",
  });
}

function fileError(verb: 'read' | 'write', file: string, err: NodeJS.ErrnoException): Error {
  const reasons: Partial<Record<string, string>> = {
    ENOENT: verb === 'read' ? 'no such file' : 'its directory does not exist',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
  };
  const reason = err.code ? reasons[err.code] : undefined;
  if (reason) return new InputError(`cannot ${verb} ${file}: ${reason}`, { cause: err });
  return new OperationError(`cannot ${verb} ${file}: ${err.message}`, { cause: err });
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
