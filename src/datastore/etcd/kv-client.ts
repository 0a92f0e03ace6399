/**
 * The lean etcd client: KV/Range and KV/Txn on one member over node:http2 with a hand-written
 * protobuf codec (protobuf.ts), the read path and the one write path of the etcd backend (etcd3 is
 * left with Watch). `ipam show` on 10,000 blocks reads 90 MB of values; through etcd3 that cost
 * loading gRPC and protobufjs (~190 ms) and decoding every page into JS objects twice. Here a page
 * is one Buffer, and keys and values are sliced out of it as they are decoded; a transaction is
 * encoded into the one buffer sent (an import's carry 142 MB of values at 10,000 blocks).
 *
 * It speaks only what it needs: one unary call per request (unary-call.ts), or a streamed Range
 * (h2-stream.ts), plain or TLS (CA, client certificate), and a token from Auth/Authenticate when a
 * user is configured (tokens are the member's own: one client per member). Each call gets its
 * deadline from the caller (call-budget.ts), which also moves the call to another member.
 */
import { connect, type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

import type { KeyValue, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from '../contract.js';
import { openStreamingConnection, type StreamingConnection } from './h2-stream.js';
import {
  decodeAuthenticateToken,
  decodeRangeResponse,
  decodeTxnResponse,
  encodeAuthenticate,
  encodeRangeRequest,
  encodeTxnFrame,
  grpcFrame,
  StreamingRangeDecoder,
} from './protobuf.js';
import { isAuthNotEnabled } from './failures.js';
import { CallDeadlineError, REQUIRE_LEADER, unary } from './unary-call.js';

export { CallDeadlineError } from './unary-call.js';
export { StreamingRangeDecoder } from './protobuf.js';

export interface KvClientOptions {
  /** The member's client URL. */
  endpoint: string;
  /** PEM buffers for TLS (https:// endpoints); no ca means the system's trust store. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { username: string; password: string };
}

export interface KvClient {
  range(
    req: RangeRequest,
    key: Buffer,
    rangeEnd: Buffer | undefined,
    timeoutMs: number,
  ): Promise<RangeResponse>;
  /**
   * The same call with each KeyValue handed to onKeyValue as soon as its bytes have arrived (see
   * h2-stream.ts), valid only until onKeyValue returns; the response without its kvs. The
   * revision is set in `progress` as soon as it is known (before the first KeyValue), so that a
   * caller can go on at the same revision if the call fails halfway. With `turn`, the request is
   * sent at once and its response received only once turn resolves (h2-stream.ts).
   */
  streamRange(
    req: RangeRequest,
    key: Buffer,
    rangeEnd: Buffer | undefined,
    onKeyValue: (kv: KeyValue) => void,
    progress: { revision: number },
    timeoutMs: number,
    turn?: Promise<void>,
  ): Promise<RangeResponse>;
  /** One transaction (KV/Txn): every write of the etcd backend. */
  txn(req: TxnRequest, timeoutMs: number): Promise<TxnResponse>;
  close(): void;
}

// Flow-control windows: etcd may send a whole page without waiting for window updates.
const WINDOW = 2 ** 31 - 1;
/**
 * node:http2 refuses a new stream (NGHTTP2_ENHANCE_YOUR_CALM, before anything is sent) while the
 * session's queued outgoing data is over maxSessionMemory, 10 MB by default. An import keeps 16
 * transactions of up to 1 MiB in flight, and a loaded etcd that has opened its windows wide but
 * reads slowly leaves more than 10 MB of them queued: one import failed so under load, and with a
 * limit of 1 MB every import does. The data is this process's own writes, held anyway; the limit
 * only has to be above what the writers keep in flight (MB).
 */
const MAX_SESSION_MEMORY_MB = 256;

export function openKvClient(opts: KvClientOptions): KvClient {
  const url = new URL(opts.endpoint);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: SecureClientSessionOptions = {
    settings: { initialWindowSize: WINDOW },
    maxSessionMemory: MAX_SESSION_MEMORY_MB,
  };
  if (opts.tls) {
    // No SNI for an IP address (Node warns, DEP0123); the certificate is still checked against it.
    options.servername = isIP(host) ? '' : host;
    if (opts.tls.ca) options.ca = opts.tls.ca;
    if (opts.tls.cert && opts.tls.key) {
      options.cert = opts.tls.cert;
      options.key = opts.tls.key;
    }
  }
  // The socket is made here, not by http2, so that close() can destroy it: destroying a session whose
  // socket is still connecting only ends the socket, which waits for the connect (to an address
  // that drops packets, about two minutes, and the process stays alive that long).
  let socket: Socket | undefined;
  const port = Number(url.port) || (opts.tls ? 443 : 80);
  const { servername, ca, cert, key } = options;
  options.createConnection = () =>
    (socket = opts.tls
      ? tlsConnect({ host, port, servername, ca, cert, key, ALPNProtocols: ['h2'] })
      : netConnect({ host, port }));
  // Streamed calls have a connection of their own (h2-stream.ts), opened on the first one.
  let streaming: StreamingConnection | undefined;
  const streamingConnection = (): StreamingConnection =>
    (streaming ??= openStreamingConnection({
      host,
      port,
      ...(opts.tls
        ? { tls: { servername, ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) } }
        : {}),
    }));
  let session: ClientHttp2Session | undefined;
  const open = (): ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = connect(url.origin, options);
    s.on('connect', () => s.setLocalWindowSize(WINDOW));
    // Failures reach the pending streams; the session's own error event must not go unhandled.
    s.on('error', () => undefined);
    s.unref();
    session = s;
    return s;
  };

  // The member's token; undefined once the member said authentication is not enabled (calicoctl's
  // Go client then carries on without one, and so do we).
  let token: Promise<string | undefined> | undefined;
  const authToken = (timeoutMs: number): Promise<string | undefined> | undefined => {
    if (!opts.auth) return undefined;
    token ??= unary(
      open(),
      '/etcdserverpb.Auth/Authenticate',
      grpcFrame(encodeAuthenticate(opts.auth)),
      REQUIRE_LEADER,
      timeoutMs,
    )
      .then(decodeAuthenticateToken)
      .catch((err: unknown) => {
        if (isAuthNotEnabled(err)) return undefined;
        token = undefined;
        throw err;
      });
    return token;
  };

  /** The token is fetched within the time of the call that needs it first. */
  const callMetadata = async (timeoutMs: number): Promise<Record<string, string>> => {
    const t = await authToken(timeoutMs);
    return t !== undefined ? { ...REQUIRE_LEADER, token: t } : REQUIRE_LEADER;
  };

  return {
    async range(req, key, rangeEnd, timeoutMs) {
      const metadata = await callMetadata(timeoutMs);
      const frame = grpcFrame(encodeRangeRequest(req, key, rangeEnd));
      return decodeRangeResponse(await unary(open(), '/etcdserverpb.KV/Range', frame, metadata, timeoutMs));
    },
    async txn(req, timeoutMs) {
      const metadata = await callMetadata(timeoutMs);
      const frame = encodeTxnFrame(req);
      return decodeTxnResponse(await unary(open(), '/etcdserverpb.KV/Txn', frame, metadata, timeoutMs), req);
    },
    async streamRange(req, key, rangeEnd, onKeyValue, progress, timeoutMs, turn) {
      const metadata = await callMetadata(timeoutMs);
      const decoder = new StreamingRangeDecoder(onKeyValue, progress);
      const connection = streamingConnection();
      try {
        await connection.call(
          '/etcdserverpb.KV/Range',
          encodeRangeRequest(req, key, rangeEnd),
          metadata,
          (buf, start, end) => decoder.feed(buf, start, end),
          { ms: timeoutMs, error: () => new CallDeadlineError(timeoutMs) },
          turn,
        );
      } catch (err) {
        // A failed connection stays failed: the next streamed call opens a new one.
        if (streaming === connection) streaming = undefined;
        connection.close();
        throw err;
      }
      return decoder.finish();
    },
    close() {
      session?.destroy();
      session = undefined;
      socket?.destroy();
      streaming?.close();
    },
  };
}
