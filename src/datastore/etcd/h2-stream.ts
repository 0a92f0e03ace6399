/**
 * A minimal HTTP/2 client for gRPC unary calls whose response is handed over as it arrives, for
 * scanning long ranges. `node:http2` allocates a buffer for every socket read and emits every 16 KB
 * DATA frame through a stream; over the 90-450 MB of a large IPAM listing that allocation (and the
 * garbage collections it sets off) cost more than etcd took to send it. Here a plain connection
 * reads into one reused buffer, frames are parsed in place, and the message bytes go straight to
 * the caller, which must be done with them when its callback returns.
 *
 * It does only what these calls need: requests with literal headers (no HPACK state), windows
 * opened wide and refilled, SETTINGS and PING acknowledged. A call may be sent before its turn (a
 * scan's next page, while the current one is read): every stream starts with a window of 0
 * (SETTINGS_INITIAL_WINDOW_SIZE), so etcd builds and encodes the response (the work: grpc-go's
 * handler marshals the whole message before its transport waits for the stream's window) and then
 * holds it, and its window is opened when its turn comes. Nothing of it is buffered here.
 *
 * Response headers are not decoded: a call succeeds when its response starts with `:status 200`,
 * carries one complete uncompressed message and ends (gRPC sends a message only with status OK; an
 * error is headers alone). Anything else fails the call, and the caller falls back to
 * `node:http2`, which reports the error properly.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export interface StreamingConnectionOptions {
  host: string;
  port: number;
  /** TLS options (with ALPN h2 added); plain TCP when absent. */
  tls?: ConnectionOptions;
}

export interface StreamingConnection {
  /**
   * One call: onMessage receives the response message's bytes, in order, as views of a buffer
   * that is reused once it returns. Resolves when the response is complete and successful. With
   * `turn`, the request is sent at once but nothing of the response is received (its stream's
   * window stays shut) until turn resolves, and the deadline runs from then; if turn rejects, the
   * call is cancelled and rejects with that error.
   */
  call(
    path: string,
    message: Buffer,
    metadata: Record<string, string>,
    onMessage: (buf: Buffer, start: number, end: number) => void,
    deadline: { ms: number; error: () => Error },
    turn?: Promise<void>,
  ): Promise<void>;
  close(): void;
}

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const WINDOW_UPDATE = 8;
const END_STREAM = 1;
const ACK = 1;
const END_HEADERS = 4;
const PADDED = 8;
const PRIORITY = 0x20;
const CANCEL = 8;

const MAX_WINDOW = 2 ** 31 - 1;
/** Windows are topped up by this much once that much has arrived. */
const REFILL = 256 * 1024 * 1024;
const READ_BUFFER_BYTES = 256 * 1024;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

interface Call {
  onMessage: (buf: Buffer, start: number, end: number) => void;
  /** The 5-byte gRPC prefix as it arrives (prefixFilled bytes of it), then the message's bytes to come. */
  prefix: Buffer;
  prefixFilled: number;
  messageLeft: number;
  status200: boolean;
  unrefilled: number;
  settle: (err?: Error) => void;
}

export function openStreamingConnection(opts: StreamingConnectionOptions): StreamingConnection {
  const authority = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const calls = new Map<number, Call>();
  let socket: Socket | undefined;
  let failure: Error | undefined;
  let nextId = 1;
  let connUnrefilled = 0;

  // Frame parsing state: the 9-byte header, then the payload (DATA payloads are passed through,
  // other frames' payloads are collected: they are small).
  const header = Buffer.alloc(9);
  let headerFilled = 0;
  let payloadLeft = 0;
  let type = 0;
  let flags = 0;
  let streamId = 0;
  let control: Buffer[] = [];

  const fail = (err: Error): void => {
    failure ??= err;
    for (const call of calls.values()) call.settle(failure);
    calls.clear();
    socket?.destroy();
  };

  const open = (): Socket => {
    if (socket) return socket;
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const s = opts.tls
      ? tlsConnect({ ...opts.tls, host: opts.host, port: opts.port, ALPNProtocols: ['h2'] })
      : netConnect({
          host: opts.host,
          port: opts.port,
          onread: { buffer: readBuffer, callback: (n: number) => (receive(readBuffer, n), true) },
        });
    if (opts.tls) s.on('data', (chunk: Buffer) => receive(chunk, chunk.length));
    s.on('error', (err) => fail(new Error(`14 UNAVAILABLE: ${err.message}`)));
    s.on('close', () => fail(new Error('14 UNAVAILABLE: connection closed')));
    s.unref();
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH 0
    settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE 0: a stream's window opens on its turn
    s.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, settings), windowUpdate(0, MAX_WINDOW - 65535)]));
    socket = s;
    return s;
  };

  const receive = (buf: Buffer, n: number): void => {
    let i = 0;
    while (i < n && !failure) {
      if (headerFilled < 9) {
        const k = Math.min(9 - headerFilled, n - i);
        buf.copy(header, headerFilled, i, i + k);
        headerFilled += k;
        i += k;
        if (headerFilled < 9) return;
        payloadLeft = header.readUIntBE(0, 3);
        type = header[3]!;
        flags = header[4]!;
        streamId = header.readUInt32BE(5) & 0x7fffffff;
        control = [];
      }
      const k = Math.min(payloadLeft, n - i);
      if (type === DATA) data(buf, i, i + k);
      else if (k > 0) control.push(Buffer.from(buf.subarray(i, i + k)));
      i += k;
      payloadLeft -= k;
      if (payloadLeft === 0) {
        headerFilled = 0;
        endOfFrame();
      }
    }
  };

  const data = (buf: Buffer, start: number, end: number): void => {
    const call = calls.get(streamId);
    connUnrefilled = refill(0, connUnrefilled + end - start);
    if (!call) return;
    if (flags & PADDED || !call.status200) return void finish(streamId, new Error('unexpected DATA frame'));
    call.unrefilled = refill(streamId, call.unrefilled + end - start);
    let i = start;
    if (call.prefixFilled < 5) {
      const k = Math.min(5 - call.prefixFilled, end - i);
      buf.copy(call.prefix, call.prefixFilled, i, i + k);
      call.prefixFilled += k;
      i += k;
      if (call.prefixFilled < 5) return;
      if (call.prefix[0] !== 0) return void finish(streamId, new Error('compressed gRPC message'));
      call.messageLeft = call.prefix.readUInt32BE(1);
    }
    const k = Math.min(call.messageLeft, end - i);
    call.messageLeft -= k;
    if (i + k < end) return void finish(streamId, new Error('more than one gRPC message'));
    if (k > 0) call.onMessage(buf, i, i + k);
  };

  /** Tops up the window of stream id (0: the connection) once REFILL has arrived; what is still owed. */
  const refill = (id: number, owed: number): number => {
    if (owed < REFILL) return owed;
    socket?.write(windowUpdate(id, owed));
    return 0;
  };

  const endOfFrame = (): void => {
    const payload = control.length === 1 ? control[0]! : Buffer.concat(control);
    if (type === SETTINGS && !(flags & ACK)) socket?.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
    else if (type === PING && !(flags & ACK)) socket?.write(frame(PING, ACK, 0, payload));
    else if (type === GOAWAY) fail(new Error('14 UNAVAILABLE: the server closed the connection (GOAWAY)'));
    else if (type === RST_STREAM) finish(streamId, new Error('stream reset by the server'));
    else if (type === HEADERS) {
      const call = calls.get(streamId);
      if (call && call.prefixFilled === 0) {
        // The response's first header, expected as the static table's `:status 200` (0x88), after
        // any dynamic table size update (001xxxxx); padding or priority fields are not expected.
        let p = 0;
        while (p < payload.length && (payload[p]! & 0xe0) === 0x20) p++;
        call.status200 = !(flags & (PADDED | PRIORITY)) && (flags & END_HEADERS) !== 0 && payload[p] === 0x88;
      }
    }
    if ((type === DATA || type === HEADERS) && flags & END_STREAM) {
      const call = calls.get(streamId);
      const complete = call && call.status200 && call.prefixFilled === 5 && call.messageLeft === 0;
      finish(streamId, complete ? undefined : new Error('response without a complete message'));
    }
  };

  const finish = (id: number, err?: Error): void => {
    const call = calls.get(id);
    if (!call) return;
    calls.delete(id);
    if (err) socket?.write(frame(RST_STREAM, 0, id, u32(CANCEL)));
    call.settle(err);
  };

  return {
    call(path, message, metadata, onMessage, deadline, turn) {
      if (failure) return Promise.reject(failure);
      const s = open();
      const id = nextId;
      nextId += 2;
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const openWindow = (): void => {
          if (!calls.has(id)) return;
          timer = setTimeout(() => finish(id, deadline.error()), deadline.ms);
          s.write(windowUpdate(id, MAX_WINDOW));
        };
        calls.set(id, {
          onMessage,
          prefix: Buffer.alloc(5),
          prefixFilled: 0,
          messageLeft: 0,
          status200: false,
          unrefilled: 0,
          settle: (err) => {
            clearTimeout(timer);
            if (err) reject(err);
            else resolve();
          },
        });
        const headers = requestHeaders(path, authority, opts.tls !== undefined, metadata);
        const body = Buffer.alloc(5 + message.length);
        body.writeUInt32BE(message.length, 1);
        message.copy(body, 5);
        s.write(Buffer.concat([frame(HEADERS, END_HEADERS, id, headers), frame(DATA, END_STREAM, id, body)]));
        if (turn) turn.then(openWindow, (err: Error) => finish(id, err));
        else openWindow();
      });
    },
    close() {
      fail(new Error('14 UNAVAILABLE: connection closed'));
    },
  };
}

function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(id, 5);
  payload.copy(out, 9);
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function windowUpdate(id: number, increment: number): Buffer {
  return frame(WINDOW_UPDATE, 0, id, u32(increment));
}

/**
 * The request's header block: `:method POST` and `:scheme` from the static table, everything else
 * as literals without indexing (RFC 7541 6.2.2), so no compression state is kept on either side.
 */
function requestHeaders(
  path: string,
  authority: string,
  secure: boolean,
  metadata: Record<string, string>,
): Buffer {
  const parts: Buffer[] = [Buffer.from([0x83, secure ? 0x87 : 0x86])];
  const literal = (nameIndex: number, name: string, value: string): void => {
    parts.push(hpackInt(nameIndex, 4, 0x00));
    if (nameIndex === 0) parts.push(hpackString(name));
    parts.push(hpackString(value));
  };
  literal(4, '', path); // :path
  literal(1, '', authority); // :authority
  literal(31, '', 'application/grpc'); // content-type
  literal(0, 'te', 'trailers');
  for (const [name, value] of Object.entries(metadata)) literal(0, name, value);
  return Buffer.concat(parts);
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1), the prefix's other bits set to `high`. */
function hpackInt(value: number, bits: number, high: number): Buffer {
  const max = (1 << bits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 0x80) {
    out.push(rest % 0x80 | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A string literal without Huffman coding. */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([hpackInt(bytes.length, 7, 0x00), bytes]);
}
