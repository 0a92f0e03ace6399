/**
 * Turns etcd3/gRPC failures into one line that says which thing went wrong (refused, no answer,
 * untrusted server certificate, missing or rejected client certificate, TLS on one side only, bad
 * credentials, a role without access), naming the endpoints, where the configuration came from and
 * the setting to fix. Never prints a password or a key: it names the setting instead.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

import type { EtcdSetting } from '../../config/types.js';
import { isCalicoError, OperationError, UnreachableError, WriteOutcomeUnknownError } from '../../errors.js';
import { WRITE_OUTCOME_UNKNOWN } from '../contract.js';
import { MembersFailedError, messageOf, WriteLostError, type AttemptFailure } from './call-budget.js';

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

export const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';

export function isAuthNotEnabled(err: unknown): boolean {
  return err instanceof Error && err.message.includes(AUTH_NOT_ENABLED);
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
 * What a call that got no answer says, from the failover loop's record of its attempts
 * (call-budget.ts): per member, what happened; "no leader" when members answered but cannot commit;
 * and for a write whose answer was lost, the hint that it may or may not have been applied. Any
 * other error (etcd's own answer, or one already described) is described as it is.
 */
export async function describeCallFailure(err: unknown, ctx: FailureContext): Promise<Error> {
  if (!(err instanceof MembersFailedError) && !(err instanceof WriteLostError)) {
    return describeEtcdFailure(err, ctx);
  }
  // The last attempt on each member says what that member does now.
  // What each member said last, "no leader" before a later attempt that merely ran out of time.
  const last = new Map<string, AttemptFailure>();
  for (const f of err.failures) if (last.get(f.member)?.outcome !== 'noLeader') last.set(f.member, f);
  const perMember = await Promise.all(
    [...last.values()].map(async (f) => ({
      failure: f,
      described:
        f.outcome === 'noLeader'
          ? undefined
          : await describeEtcdFailure(f.error, { ...ctx, endpoints: [f.member], timeoutMs: f.budgetMs }),
    })),
  );
  const from = `(from ${ctx.source})`;
  const all = ctx.endpoints.join(',');
  const reasonOf = (p: (typeof perMember)[number]): string =>
    p.described ? memberReason(p.described.message, p.failure.member) : 'no leader';
  // Members the call had no time left for.
  const untried = ctx.endpoints
    .filter((e) => !last.has(e))
    .map((e) => `${hostOf(e)} not tried (no time left)`);
  let described: Error;
  if (perMember.some((p) => p.failure.outcome === 'noLeader')) {
    // Members answered, but cannot commit: without a quorum of members no leader can be elected.
    const n = ctx.endpoints.length;
    const reachable = perMember.filter((p) => p.failure.outcome !== 'unsent').length;
    const why =
      reachable < Math.floor(n / 2) + 1
        ? `no leader, no quorum (${reachable} of ${n} members reachable)`
        : 'no leader elected within the time';
    described = new UnreachableError(
      `etcd at ${all} ${from} cannot commit: ${why}; ${[...perMember.map((p) => `${hostOf(p.failure.member)} ${reasonOf(p)}`), ...untried].join('; ')}`,
      {
        code: 'EtcdNoLeader',
        cause: err,
        hint: 'a majority of the etcd members must be running and reach each other (etcdctl endpoint status --cluster)',
      },
    );
  } else {
    const first = perMember[0]!.described!;
    const same = perMember.every(
      (p) =>
        p.described &&
        p.described.message.replace(p.failure.member, all) ===
          first.message.replace(perMember[0]!.failure.member, all),
    );
    if (same) {
      // One story for every member: told once, naming them all (a single endpoint: its own message).
      described = new UnreachableError(first.message.replace(perMember[0]!.failure.member, all), {
        code: (first as UnreachableError).code,
        cause: err,
        ...(first instanceof UnreachableError && first.hint ? { hint: first.hint } : {}),
      });
      if (!(first instanceof UnreachableError)) described = first;
    } else {
      const timeouts = perMember.every((p) => (p.described as UnreachableError).code === 'EtcdTimeout');
      described = new UnreachableError(
        `cannot reach etcd at ${all} ${from}: ${[...perMember.map((p) => `${hostOf(p.failure.member)} ${reasonOf(p)}`), ...untried].join('; ')}`,
        {
          code: timeouts ? 'EtcdTimeout' : 'EtcdUnreachable',
          cause: err,
          hint: 'check that the etcd members run and answer, or raise --timeout',
        },
      );
    }
  }
  if (!(err instanceof WriteLostError) || !(described instanceof UnreachableError)) return described;
  // A read may settle it unless the one member there is did not answer in time.
  const lost = err.failures[err.failures.length - 1]!;
  const worthReading = ctx.endpoints.length > 1 || !/deadline|timed out/i.test(messageOf(lost.error));
  return new WriteOutcomeUnknownError(described.message, worthReading, {
    code: described.code,
    cause: err,
    hint: described.hint ? `${WRITE_OUTCOME_UNKNOWN}; ${described.hint}` : WRITE_OUTCOME_UNKNOWN,
  });
}

/** "cannot reach etcd at M (from x): connection refused" -> "connection refused". */
function memberReason(message: string, member: string): string {
  const at = message.indexOf(member);
  const rest = at >= 0 ? message.slice(at + member.length) : message;
  const m = /^ \(from [^)]*\)(?: failed)?: (.*)$/.exec(rest);
  if (!m) return message;
  return message.startsWith('TLS handshake') ? `TLS handshake failed: ${m[1]}` : m[1]!;
}

function hostOf(member: string): string {
  return member.replace(/^https?:\/\//, '');
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
