/**
 * The protobuf side of the lean etcd client (kv-client.ts): gRPC message framing, the two
 * readers (ChunkReader over the chunks a unary response arrived in, BufferReader over one message
 * held in one buffer), the writer for requests, and the encoders and decoders of the rpc.proto and
 * kv.proto messages it needs (Range, Txn, Authenticate). Only the fields this tool reads are decoded.
 */
import {
  rangeEndBytes,
  type CompareOp,
  type CompareTarget,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type TxnOp,
  type TxnOpResult,
  type TxnRequest,
  type TxnResponse,
} from '../contract.js';
import { lazyKeyValue, TransientKeyValue } from '../value-head.js';

/**
 * One length-prefixed gRPC message (uncompressed) as the chunks it arrived in. A page is not copied
 * into one buffer of its own: at 90 MB of blocks that copy, into freshly mapped memory, cost more
 * than receiving the data. Each KeyValue is decoded from a view of its chunk, or from a copy of its
 * own few kilobytes when it straddles two.
 */
export class GrpcMessage {
  private readonly chunks: Buffer[] = [];
  private total = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** A reader over the message, or undefined when the response was not exactly one uncompressed message. */
  body(): ChunkReader | undefined {
    if (this.total < 5) return undefined;
    const reader = new ChunkReader(this.chunks, this.total);
    const head = reader.take(5);
    if (head[0] !== 0 || head.readUInt32BE(1) !== this.total - 5) return undefined;
    return reader;
  }
}

const SLAB_BYTES = 256 * 1024;

const truncated = (): Error => new Error('13 INTERNAL: truncated protobuf message');

/** Reads a byte sequence held as a list of buffers, front to back. */
export class ChunkReader {
  private index = 0;
  private pos = 0;
  private spare: Buffer | undefined;

  constructor(
    private readonly chunks: readonly Buffer[],
    private left: number,
  ) {}

  get done(): boolean {
    return this.left === 0;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }

  /** The next len bytes as one buffer: a view of the chunk holding them, or a copy if two do. */
  take(len: number): Buffer {
    if (len > this.left) throw truncated();
    this.left -= len;
    let chunk = this.current();
    if (this.pos + len <= chunk.length) {
      this.pos += len;
      return chunk.subarray(this.pos - len, this.pos);
    }
    const out = this.slab(len);
    let filled = 0;
    while (filled < len) {
      chunk = this.current();
      const n = Math.min(len - filled, chunk.length - this.pos);
      chunk.copy(out, filled, this.pos, this.pos + n);
      filled += n;
      this.pos += n;
    }
    return out;
  }

  /**
   * len bytes for a copy, cut from a slab shared by the copies of this message: one allocation per
   * 256 KB instead of one per straddling KeyValue (each its own ArrayBuffer, which V8 counts as
   * external memory: at 50,000 blocks they alone set off garbage collections).
   */
  private slab(len: number): Buffer {
    if (len > SLAB_BYTES / 4) return Buffer.allocUnsafe(len);
    if (!this.spare || this.spare.length < len) this.spare = Buffer.allocUnsafeSlow(SLAB_BYTES);
    const out = this.spare.subarray(0, len);
    this.spare = this.spare.subarray(len);
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.take(this.varint());
    else if (wireType === 1) this.take(8);
    else if (wireType === 5) this.take(4);
    else throw new Error(`13 INTERNAL: unsupported protobuf wire type ${wireType}`);
  }

  private byte(): number {
    if (this.left === 0) throw truncated();
    this.left--;
    const chunk = this.current();
    return chunk[this.pos++]!;
  }

  /** The chunk holding the next byte (there is one: callers check left first). */
  private current(): Buffer {
    let chunk = this.chunks[this.index]!;
    while (this.pos >= chunk.length) {
      chunk = this.chunks[++this.index]!;
      this.pos = 0;
    }
    return chunk;
  }
}

/** A gRPC message: the 5-byte prefix (not compressed, length), then the message. */
export function grpcFrame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0; // not compressed
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

// --- protobuf (etcd's rpc.proto and kv.proto) ------------------------------------------------

/**
 * Writes a message's fields into a buffer known to be large enough (every field number below 16,
 * so a tag is one byte): a request is encoded where it is sent from, not gathered and copied.
 */
class MessageWriter {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }
  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = v % 0x80 | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  /** The tag and length of a length-delimited field whose bytes follow. */
  delimited(field: number, length: number): void {
    // Tags of fields from 16 on take more than a byte (Compare's range_end is 64).
    if (field < 16) this.buf[this.pos++] = field * 8 + 2;
    else this.varint(field * 8 + 2);
    this.varint(length);
  }
  int(field: number, value: number): void {
    this.buf[this.pos++] = field * 8;
    this.varint(value);
  }
  bytes(field: number, value: Buffer): void {
    this.delimited(field, value.length);
    this.pos += value.copy(this.buf, this.pos);
  }
  /** A string field whose UTF-8 length is already known. */
  text(field: number, value: string, length: number): void {
    this.delimited(field, length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }
  /** What was written from the start of the buffer. */
  written(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Room for the varint fields of a small message: tag and value of up to 11 bytes each. */
const VARINT_FIELD_ROOM = 11;

/** RangeRequest: key 1, range_end 2, limit 3, revision 4, serializable 7, keys_only 8, count_only 9. */
export function encodeRangeRequest(req: RangeRequest, key: Buffer, rangeEnd: Buffer | undefined): Buffer {
  const w = new MessageWriter(
    Buffer.allocUnsafe(
      delimitedSize(key.length) + delimitedSize(rangeEnd?.length ?? 0) + 5 * VARINT_FIELD_ROOM,
    ),
  );
  w.bytes(1, key);
  if (rangeEnd) w.bytes(2, rangeEnd);
  if (req.limit) w.int(3, req.limit);
  if (req.revision) w.int(4, req.revision);
  if (req.serializable) w.int(7, 1);
  if (req.keysOnly) w.int(8, 1);
  if (req.countOnly) w.int(9, 1);
  return w.written();
}

/** AuthenticateRequest: name 1, password 2. */
export function encodeAuthenticate(auth: { username: string; password: string }): Buffer {
  const name = Buffer.from(auth.username, 'utf8');
  const password = Buffer.from(auth.password, 'utf8');
  const w = new MessageWriter(
    Buffer.allocUnsafe(delimitedSize(name.length) + delimitedSize(password.length)),
  );
  w.bytes(1, name);
  w.bytes(2, password);
  return w.written();
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/** A length-delimited field of a field number below 16: tag, length, bytes. */
function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** A varint field of a field number below 16. */
function intFieldSize(value: number): number {
  return 1 + varintSize(value);
}

/** Reads one message held in buf[start, end) (a KeyValue, a ResponseHeader). */
class BufferReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('13 INTERNAL: truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }
  /** A length-delimited field's bytes (a view); moves past them. */
  take(): Buffer {
    return this.buf.subarray(...this.span());
  }
  /** The [start, end) of a length-delimited field's bytes; moves past them. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('13 INTERNAL: truncated protobuf field');
    return [start, this.pos];
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.span();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`13 INTERNAL: unsupported protobuf wire type ${wireType}`);
  }
}

/** RangeResponse: header 1 (ResponseHeader: revision 3), kvs 2, more 3, count 4. */
export function decodeRangeResponse(r: ChunkReader): RangeResponse {
  const kvs: KeyValue[] = [];
  let more = false;
  let count = 0;
  let revision = 0;
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) revision = decodeHeaderRevision(r.take(r.varint()));
    else if (tag === ((2 << 3) | 2)) kvs.push(decodeKeyValue(r.take(r.varint())));
    else if (tag === 3 << 3) more = r.varint() !== 0;
    else if (tag === 4 << 3) count = r.varint();
    else r.skip(tag & 7);
  }
  return { kvs, more, count, revision };
}

function decodeHeaderRevision(buf: Buffer): number {
  const r = new BufferReader(buf);
  let revision = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 3 << 3) revision = r.varint();
    else r.skip(tag & 7);
  }
  return revision;
}

/**
 * KeyValue: key 1, create_revision 2, mod_revision 3, version 4, value 5 (lease 6 unused). The
 * value stays in the page's buffer until it is read (value-head.ts).
 */
function decodeKeyValue(buf: Buffer, start = 0, end = buf.length, transient = false): KeyValue {
  const r = new BufferReader(buf, start, end);
  let key = '';
  let valueStart = 0;
  let valueEnd = 0;
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 2:
        key = buf.toString('utf8', ...r.span());
        break;
      case 2 << 3:
        createRevision = r.varint();
        break;
      case 3 << 3:
        modRevision = r.varint();
        break;
      case 4 << 3:
        version = r.varint();
        break;
      case (5 << 3) | 2:
        [valueStart, valueEnd] = r.span();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return transient
    ? new TransientKeyValue(key, createRevision, modRevision, version, buf, valueStart, valueEnd)
    : lazyKeyValue({ key, createRevision, modRevision, version }, buf, valueStart, valueEnd);
}

/**
 * A RangeResponse decoded from its bytes as they arrive: each KeyValue is decoded in place when its
 * bytes are all there (from the caller's buffer, or from a carry buffer when they arrived in
 * pieces) and handed on at once; nothing is kept.
 */
export class StreamingRangeDecoder {
  private carry: Buffer = Buffer.allocUnsafe(16 * 1024);
  private carried = 0;
  /** Bytes still needed to complete the carried field; -1 while its tag and length are incomplete. */
  private needed = 0;
  private readonly response: RangeResponse = { kvs: [], more: false, count: 0, revision: 0 };

  constructor(
    private readonly onKeyValue: (kv: KeyValue) => void,
    private readonly progress?: { revision: number },
  ) {}

  feed(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (this.carried > 0) {
        i = this.fill(buf, i, end);
        continue;
      }
      const size = fieldSize(buf, i, end);
      if (size > 0 && i + size <= end) {
        this.field(buf, i, i + size);
        i += size;
        continue;
      }
      // The field goes on in the next piece: carry what there is.
      this.needed = size > 0 ? size - (end - i) : -1;
      this.carry = grow(this.carry, Math.max(size, end - i, 16));
      buf.copy(this.carry, 0, i, end);
      this.carried = end - i;
      i = end;
    }
  }

  finish(): RangeResponse {
    if (this.carried > 0) throw truncated();
    return this.response;
  }

  /** Adds bytes to the carried field; decodes it once complete. Returns the position after what it took. */
  private fill(buf: Buffer, start: number, end: number): number {
    let i = start;
    if (this.needed < 0) {
      // Tag and length: a byte at a time until they are complete (at most ~15 bytes).
      this.carry[this.carried++] = buf[i++]!;
      const size = fieldSize(this.carry, 0, this.carried);
      if (size < 0) return i;
      this.carry = grow(this.carry, size, this.carried);
      this.needed = size - this.carried;
    }
    const k = Math.min(this.needed, end - i);
    buf.copy(this.carry, this.carried, i, i + k);
    this.carried += k;
    this.needed -= k;
    if (this.needed === 0) {
      const size = this.carried;
      this.carried = 0;
      this.field(this.carry, 0, size);
    }
    return i + k;
  }

  /** One top-level field, whole in buf[start, end). */
  private field(buf: Buffer, start: number, end: number): void {
    const r = new BufferReader(buf, start, end);
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) {
      this.response.revision = decodeHeaderRevision(r.take());
      if (this.progress) this.progress.revision = this.response.revision;
    } else if (tag === ((2 << 3) | 2)) this.onKeyValue(decodeKeyValue(buf, ...r.span(), true));
    else if (tag === 3 << 3) this.response.more = r.varint() !== 0;
    else if (tag === 4 << 3) this.response.count = r.varint();
  }
}

/** The size of the field starting at buf[start] (tag, length and value), or -1 if buf ends first. */
function fieldSize(buf: Buffer, start: number, end: number): number {
  const tagEnd = varintEnd(buf, start, end);
  if (tagEnd < 0) return -1;
  const wireType = buf[start]! & 7; // in the tag's first byte
  if (wireType === 1) return tagEnd - start + 8;
  if (wireType === 5) return tagEnd - start + 4;
  if (wireType !== 0 && wireType !== 2)
    throw new Error(`13 INTERNAL: unsupported protobuf wire type ${wireType}`);
  const valueEnd = varintEnd(buf, tagEnd, end);
  if (valueEnd < 0) return -1;
  return wireType === 0 ? valueEnd - start : valueEnd - start + new BufferReader(buf, tagEnd).varint();
}

/** The position after the varint starting at buf[start], or -1 if buf ends first. */
function varintEnd(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i]! < 0x80) return i + 1;
  return -1;
}

/** buf, or a larger copy of its first `keep` bytes when it has fewer than `size`. */
function grow(buf: Buffer, size: number, keep = 0): Buffer {
  if (buf.length >= size) return buf;
  const bigger = Buffer.allocUnsafe(Math.max(size, 2 * buf.length));
  buf.copy(bigger, 0, 0, keep);
  return bigger;
}

/** AuthenticateResponse: header 1, token 2. */
export function decodeAuthenticateToken(r: ChunkReader): string {
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((2 << 3) | 2)) return r.take(r.varint()).toString('utf8');
    r.skip(tag & 7);
  }
  throw new Error('13 INTERNAL: etcd returned no authentication token');
}

// --- Txn -------------------------------------------------------------------------------------

/** Compare.CompareResult and Compare.CompareTarget (rpc.proto). */
const COMPARE_RESULT: Record<CompareOp, number> = { '==': 0, '>': 1, '<': 2, '!=': 3 };
const COMPARE_TARGET: Record<CompareTarget, number> = {
  version: 0,
  createRevision: 1,
  modRevision: 2,
  value: 3,
};
/** Compare's target_union field for each target: version 4, create_revision 5, mod_revision 6, value 7. */
const COMPARE_VALUE_FIELD: Record<CompareTarget, number> = {
  version: 4,
  createRevision: 5,
  modRevision: 6,
  value: 7,
};

/** Compare's range_end. */
const COMPARE_RANGE_END_FIELD = 64;

/** One RequestOp's body (a RangeRequest, PutRequest or DeleteRangeRequest) and its size. */
interface SizedOp {
  op: TxnOp;
  keyLength: number;
  /** A put's value's UTF-8 length (0 for the other ops). */
  valueLength: number;
  rangeEnd: Buffer | undefined;
  bodySize: number;
}

function sizeOp(op: TxnOp): SizedOp {
  const keyLength = Buffer.byteLength(op.key, 'utf8');
  if (op.type === 'put') {
    const valueLength = Buffer.byteLength(op.value, 'utf8');
    return {
      op,
      keyLength,
      valueLength,
      rangeEnd: undefined,
      bodySize: delimitedSize(keyLength) + delimitedSize(valueLength),
    };
  }
  const rangeEnd = op.rangeEnd !== undefined ? rangeEndBytes(op.rangeEnd) : undefined;
  const bodySize = delimitedSize(keyLength) + (rangeEnd ? delimitedSize(rangeEnd.length) : 0);
  return { op, keyLength, valueLength: 0, rangeEnd, bodySize };
}

/** RequestOp: request_range 1, request_put 2, request_delete_range 3. */
const REQUEST_OP_FIELD = { get: 1, put: 2, delete: 3 } as const;

/**
 * TxnRequest (compare 1: result 1, target 2, key 3, the target's value, range_end 64; success 2,
 * failure 3) as one gRPC message: the 5-byte prefix, then the
 * message, sized first and then written in place. An import's transaction carries a megabyte of
 * values: each is written once, from its string, into the one buffer sent.
 */
export function encodeTxnFrame(req: TxnRequest): Buffer {
  const compares = req.compare.map((c) => {
    const key = Buffer.from(c.key, 'utf8');
    const value = c.target === 'value' ? Buffer.from(String(c.value), 'utf8') : undefined;
    const rangeEnd = c.rangeEnd !== undefined ? rangeEndBytes(c.rangeEnd) : undefined;
    const size =
      intFieldSize(COMPARE_RESULT[c.op]) +
      intFieldSize(COMPARE_TARGET[c.target]) +
      delimitedSize(key.length) +
      (value ? delimitedSize(value.length) : intFieldSize(Number(c.value))) +
      // Field 64: a two-byte tag.
      (rangeEnd ? 1 + delimitedSize(rangeEnd.length) : 0);
    return { c, key, value, rangeEnd, size };
  });
  const success = req.success.map(sizeOp);
  const failure = (req.failure ?? []).map(sizeOp);
  let size = 0;
  for (const c of compares) size += delimitedSize(c.size);
  for (const op of [...success, ...failure]) size += delimitedSize(delimitedSize(op.bodySize));

  const w = new MessageWriter(Buffer.allocUnsafe(5 + size), 5);
  w.buf[0] = 0; // not compressed
  w.buf.writeUInt32BE(size, 1);
  for (const { c, key, value, rangeEnd, size: compareSize } of compares) {
    w.delimited(1, compareSize);
    w.int(1, COMPARE_RESULT[c.op]);
    w.int(2, COMPARE_TARGET[c.target]);
    w.bytes(3, key);
    if (value) w.bytes(COMPARE_VALUE_FIELD[c.target], value);
    else w.int(COMPARE_VALUE_FIELD[c.target], Number(c.value));
    if (rangeEnd) w.bytes(COMPARE_RANGE_END_FIELD, rangeEnd);
  }
  const writeOps = (field: number, ops: SizedOp[]): void => {
    for (const { op, keyLength, valueLength, rangeEnd, bodySize } of ops) {
      w.delimited(field, delimitedSize(bodySize));
      w.delimited(REQUEST_OP_FIELD[op.type], bodySize);
      w.text(1, op.key, keyLength);
      if (op.type === 'put') w.text(2, op.value, valueLength);
      else if (rangeEnd) w.bytes(2, rangeEnd);
    }
  };
  writeOps(2, success);
  writeOps(3, failure);
  if (w.pos !== w.buf.length) throw new Error(`TxnRequest encoded as ${w.pos} bytes, sized ${w.buf.length}`);
  return w.buf;
}

/**
 * TxnResponse: header 1, succeeded 2, responses 3 (ResponseOp: response_range 1, response_put 2,
 * response_delete_range 3: DeleteRangeResponse deleted 2), one per op of the branch that ran.
 */
export function decodeTxnResponse(r: ChunkReader, req: TxnRequest): TxnResponse {
  let revision = 0;
  let succeeded = false;
  const responses: Buffer[] = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) revision = decodeHeaderRevision(r.take(r.varint()));
    else if (tag === 2 << 3) succeeded = r.varint() !== 0;
    else if (tag === ((3 << 3) | 2)) responses.push(r.take(r.varint()));
    else r.skip(tag & 7);
  }
  const ops = succeeded ? req.success : (req.failure ?? []);
  const results = ops.map((op, i): TxnOpResult => {
    const res = responses[i];
    if (op.type === 'put') return { type: 'put' };
    if (op.type === 'delete') return { type: 'delete', deleted: res ? deletedOf(res) : 0 };
    const range = res ? responseField(res, 1) : undefined;
    return { type: 'get', kvs: range ? decodeRangeResponse(new ChunkReader([range], range.length)).kvs : [] };
  });
  return { succeeded, revision, results };
}

/** The bytes of a ResponseOp's length-delimited field, if it has it. */
function responseField(buf: Buffer, field: number): Buffer | undefined {
  const r = new BufferReader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((field << 3) | 2)) return r.take();
    r.skip(tag & 7);
  }
  return undefined;
}

/** DeleteRangeResponse's deleted, from the ResponseOp holding it. */
function deletedOf(op: Buffer): number {
  const body = responseField(op, 3);
  if (!body) return 0;
  const r = new BufferReader(body);
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 2 << 3) return r.varint();
    r.skip(tag & 7);
  }
  return 0;
}
