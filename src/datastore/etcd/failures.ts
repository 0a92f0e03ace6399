/**
 * Turns etcd3/gRPC failures into one line that says which thing went wrong (refused, no answer,
 * untrusted server certificate, missing or rejected client certificate, TLS on one side only, bad
 * credentials, a role without access), naming the endpoints, where the configuration came from and
 * the setting to fix. Never prints a password or a key: it names the setting instead.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

import type { EtcdSetting } from '../../config/types.js';
import { isCalicoError, OperationError, UnreachableError } from '../../errors.js';
import { WRITE_OUTCOME_UNKNOWN } from '../contract.js';

export interface FailureContext {
  endpoints: string[];
  source: string;
  timeoutMs: number;
  tls: boolean;
  /** A client certificate was configured. */
  clientCert: boolean;
  /** A CA certificate was configured (file or inline). */
  caCert: boolean;
  username?: string;
  settingNames: Record<EtcdSetting, string>;
}

export function isAuthNotEnabled(err: unknown): boolean {
  return err instanceof Error && err.message.includes('etcdserver: authentication is not enabled');
}

/**
 * Probes what an endpoint speaks, for the two mismatches gRPC reports only as a failed connect or a
 * reset: a plain client at a TLS server ("Failed to connect"), and a TLS client at a plain server
 * (etcd's port multiplexer closes the connection on a ClientHello, which arrives as ECONNRESET or as
 * "wrong version number" depending on timing).
 */
export type TlsProbe = (endpoint: string, timeoutMs: number) => Promise<boolean>;

export interface ProtocolProbes {
  speaksTls: TlsProbe;
  speaksPlainHttp2: TlsProbe;
}

const REAL_PROBES: ProtocolProbes = { speaksTls, speaksPlainHttp2 };

export async function describeEtcdFailure(
  err: unknown,
  ctx: FailureContext,
  probes: Partial<ProtocolProbes> = {},
): Promise<Error> {
  const probe = probes.speaksTls ?? REAL_PROBES.speaksTls;
  const plainProbe = probes.speaksPlainHttp2 ?? REAL_PROBES.speaksPlainHttp2;
  if (isCalicoError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const names = ctx.settingNames;
  const endpoints = ctx.endpoints.join(',');
  const from = `(from ${ctx.source})`;
  const fail = (code: string, text: string, hint?: string): UnreachableError =>
    new UnreachableError(text, { code, cause: err, ...(hint ? { hint } : {}) });
  const unreachable = (why: string, hint?: string): UnreachableError =>
    fail('EtcdUnreachable', `cannot reach etcd at ${endpoints} ${from}: ${why}`, hint);
  const handshake = (why: string, hint?: string): UnreachableError =>
    fail('EtcdTlsFailed', `TLS handshake with etcd at ${endpoints} ${from} failed: ${why}`, hint);
  const user = ctx.username !== undefined ? `user '${ctx.username}'` : 'the client';

  // --- etcd answered: authentication and authorization ----------------------------------------
  if (message.includes('etcdserver: authentication failed')) {
    return fail(
      'EtcdAuthFailed',
      `etcd at ${endpoints} ${from} rejected the credentials of ${user}: invalid user name or password`,
      `check ${names.etcdUsername} and ${names.etcdPassword}`,
    );
  }
  if (
    message.includes('etcdserver: user name is empty') ||
    message.includes('etcdserver: invalid auth token')
  ) {
    return fail(
      'EtcdAuthFailed',
      `etcd at ${endpoints} ${from} requires authentication and no credentials were given`,
      `set both ${names.etcdUsername} and ${names.etcdPassword} (one without the other is ignored)`,
    );
  }
  if (message.includes('etcdserver: permission denied') || /\bPERMISSION_DENIED\b/.test(message)) {
    return fail(
      'EtcdPermissionDenied',
      `etcd at ${endpoints} ${from} denied ${user} access: permission denied`,
      "grant the user's role readwrite on the /calico/ prefix (etcdctl role grant-permission --prefix)",
    );
  }

  // --- etcd answered: the request itself ------------------------------------------------------
  const mvcc = message.match(/etcdserver: mvcc: required revision (has been compacted|is a future revision)/);
  if (mvcc) {
    return new OperationError(`etcd at ${endpoints} ${from}: the requested revision ${mvcc[1]}`, {
      code: mvcc[1] === 'has been compacted' ? 'RevisionCompacted' : 'FutureRevision',
      cause: err,
      hint: 'read at the current revision (omit the resource version)',
    });
  }

  // --- no answer in time --------------------------------------------------------------------------
  if (/DEADLINE_EXCEEDED|Deadline exceeded/.test(message)) {
    return fail(
      'EtcdTimeout',
      `cannot reach etcd at ${endpoints} ${from}: no answer within ${formatMs(ctx.timeoutMs)}`,
      'check that etcd runs there and answers, or raise --timeout',
    );
  }

  // --- TLS ----------------------------------------------------------------------------------------
  if (
    /certificate required|alert bad certificate|alert unknown ca|alert handshake failure|alert certificate unknown/i.test(
      message,
    )
  ) {
    return ctx.clientCert
      ? handshake(
          `the server rejected the client certificate in ${names.etcdCertFile}`,
          `use a client certificate signed by a CA the etcd server trusts (${names.etcdCertFile}, ${names.etcdKeyFile})`,
        )
      : handshake(
          'the server requires a client certificate',
          `set ${names.etcdCertFile} and ${names.etcdKeyFile}`,
        );
  }
  const serverCert = message.match(
    /(unable to verify the first certificate|self[- ]signed certificate(?: in certificate chain)?|unable to get local issuer certificate|certificate has expired|certificate is not yet valid|Hostname\/IP does not match certificate's altnames[^.]*|unable to get issuer certificate)/i,
  );
  if (serverCert) {
    const trust = ctx.caCert ? names.etcdCACertFile : 'the system CA store';
    return /altnames/i.test(serverCert[1] ?? '')
      ? handshake(`the server certificate does not name this host (${serverCert[1]})`)
      : handshake(
          `the server certificate is not trusted by ${trust} (${serverCert[1]})`,
          `set ${names.etcdCACertFile} to the CA that signed the etcd server's certificate`,
        );
  }
  if (
    /wrong version number|disconnected before secure TLS connection|packet length too long|unknown protocol/i.test(
      message,
    )
  ) {
    return handshake('the server does not speak TLS', `use http:// endpoints in ${names.etcdEndpoints}`);
  }

  // --- connection-level failures ----------------------------------------------------------------
  if (/ECONNREFUSED/.test(message)) return unreachable('connection refused');
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return unreachable('host name not found');
  if (/EHOSTUNREACH/.test(message)) return unreachable('host unreachable');
  if (/ENETUNREACH/.test(message)) return unreachable('network unreachable');
  if (/ECONNRESET/.test(message)) {
    if (ctx.tls) {
      const plainSeen = await Promise.all(
        ctx.endpoints.map((e) => plainProbe(e, Math.min(ctx.timeoutMs, 2000))),
      );
      if (plainSeen.some(Boolean)) {
        return handshake('the server does not speak TLS', `use http:// endpoints in ${names.etcdEndpoints}`);
      }
    }
    return unreachable('connection reset by the server');
  }
  if (/Failed to connect|UNAVAILABLE/.test(message)) {
    if (!ctx.tls) {
      const tlsSeen = await Promise.all(ctx.endpoints.map((e) => probe(e, Math.min(ctx.timeoutMs, 2000))));
      if (tlsSeen.some(Boolean)) {
        return handshake(
          'the server speaks TLS but the endpoint is http://',
          `use https:// endpoints in ${names.etcdEndpoints} and set ${names.etcdCACertFile}`,
        );
      }
    }
    return unreachable(cleanGrpcMessage(message));
  }
  return fail('EtcdFailed', `etcd at ${endpoints} ${from} failed: ${cleanGrpcMessage(message)}`);
}

/**
 * For a write that failed with an UnreachableError (from describeEtcdFailure): when the request may
 * have reached etcd before the answer was lost, etcd may have applied it, and the hint says so.
 * It cannot have when no connection was ever established, when the call was still waiting for one
 * at its deadline, or when etcd answered with an error of its own; with several endpoints an
 * earlier attempt may have reached one, so the hint is always given there.
 */
export function describeWriteFailure(err: Error, ctx: FailureContext): Error {
  if (
    !(err instanceof UnreachableError) ||
    !['EtcdUnreachable', 'EtcdTimeout', 'EtcdFailed'].includes(err.code)
  )
    return err;
  if (ctx.endpoints.length === 1 && !mayHaveReachedEtcd(causeMessage(err))) return err;
  return new UnreachableError(err.message, {
    code: err.code,
    cause: err.cause,
    hint: err.hint ? `${WRITE_OUTCOME_UNKNOWN}; ${err.hint}` : WRITE_OUTCOME_UNKNOWN,
  });
}

function causeMessage(err: Error): string {
  return err.cause instanceof Error ? err.cause.message : String(err.cause ?? '');
}

/** Whether the gRPC failure of a call says that its request may have been sent (and applied). */
export function mayHaveReachedEtcd(message: string): boolean {
  if (/No connection established|Waiting for LB pick/.test(message)) return false;
  // etcd's own timeouts: the proposal may still be committed.
  if (/etcdserver: request timed out/.test(message)) return true;
  // grpc-js names the peer of a call that was sent on a connection.
  if (/DEADLINE_EXCEEDED|Deadline exceeded/.test(message)) return /remote_addr=/.test(message);
  // Any other answer from etcd refused the request.
  if (/etcdserver: /.test(message)) return false;
  // The connection broke (reset, dropped, closed) while the call was on it.
  return true;
}

/** "14 UNAVAILABLE: No connection established. Last error: X (time). Resolution note: " -> "X". */
export function cleanGrpcMessage(message: string): string {
  let text = message.split('\n')[0] ?? message;
  text = text.replace(/^\d+ [A-Z_]+: /, '');
  text = text.replace(/^No connection established\. Last error: /, '');
  text = text.replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '');
  text = text.replace(/\.?\s*Resolution note:.*$/, '');
  text = text.replace(/^Error: /, '');
  return text.trim() || message;
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** True when a TLS handshake (certificate not checked) succeeds at the endpoint's host and port. */
export async function speaksTls(endpoint: string, timeoutMs: number): Promise<boolean> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 2379),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const done = (result: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** HTTP/2's client connection preface; a plain gRPC server answers it with a SETTINGS frame. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HTTP2_SETTINGS_FRAME = 0x04;

/** True when the endpoint answers a plain (non-TLS) HTTP/2 preface with a SETTINGS frame. */
export async function speaksPlainHttp2(endpoint: string, timeoutMs: number): Promise<boolean> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = netConnect({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 2379),
    });
    const done = (result: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write(HTTP2_PREFACE));
    // A frame header is 9 bytes: 24-bit length, then the type byte.
    socket.once('data', (chunk: Buffer) => done(chunk.length >= 4 && chunk[3] === HTTP2_SETTINGS_FRAME));
    socket.once('error', () => done(false));
  });
}
