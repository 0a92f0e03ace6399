/**
 * The etcd failure mapping, fed with the error messages etcd3 1.1.2 / grpc-js 1.14 / etcd 3.4
 * really produced for each situation (captured against the test harness's etcd).
 */
import { describe, expect, it } from 'vitest';

import type { EtcdSetting } from '../../../src/config/types.js';
import { resolveEndpoints } from '../../../src/datastore/etcd/discovery.js';
import { WRITE_OUTCOME_UNKNOWN } from '../../../src/datastore/contract.js';
import {
  classifyAttempt,
  MembersFailedError,
  WriteLostError,
  type AttemptFailure,
} from '../../../src/datastore/etcd/call-budget.js';
import {
  cleanGrpcMessage,
  describeCallFailure,
  describeEtcdFailure,
  type FailureContext,
} from '../../../src/datastore/etcd/failures.js';
import { OperationError, UnreachableError } from '../../../src/errors.js';

const settingNames: Record<EtcdSetting, string> = {
  etcdEndpoints: 'ETCD_ENDPOINTS',
  etcdDiscoverySrv: 'ETCD_DISCOVERY_SRV',
  etcdUsername: 'ETCD_USERNAME',
  etcdPassword: 'ETCD_PASSWORD',
  etcdKeyFile: 'ETCD_KEY_FILE',
  etcdCertFile: 'ETCD_CERT_FILE',
  etcdCACertFile: 'ETCD_CA_CERT_FILE',
  etcdKey: 'etcdKey',
  etcdCert: 'etcdCert',
  etcdCACert: 'etcdCACert',
};

const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({
  endpoints: ['https://127.0.0.1:2379'],
  source: 'environment',
  timeoutMs: 5000,
  tls: true,
  clientCert: true,
  caCert: true,
  settingNames,
  ...over,
});

const noTls = async () => false;

async function describe1(message: string, c: FailureContext, probe = noTls, plainProbe = noTls) {
  const err = await describeEtcdFailure(new Error(message), c, {
    speaksTls: probe,
    speaksPlainHttp2: plainProbe,
  });
  expect(err).toBeInstanceOf(UnreachableError);
  expect(err.message).not.toContain('\n');
  return err as UnreachableError;
}

const UNAVAILABLE = '14 UNAVAILABLE: No connection established. Last error: ';

describe('describeEtcdFailure', () => {
  it('connection refused', async () => {
    const err = await describe1(
      `${UNAVAILABLE}Error: connect ECONNREFUSED 127.0.0.1:42591. Resolution note: `,
      ctx({ endpoints: ['http://127.0.0.1:42591'], tls: false }),
    );
    expect(err.message).toBe(
      'cannot reach etcd at http://127.0.0.1:42591 (from environment): connection refused',
    );
    expect(err.exitCode).toBe(3);
  });

  it('a silent endpoint', async () => {
    const err = await describe1(
      '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.998s,Waiting for LB pick',
      ctx({ timeoutMs: 2000, endpoints: ['http://a:2379', 'http://b:2379'] }),
    );
    expect(err.message).toBe(
      'cannot reach etcd at http://a:2379,http://b:2379 (from environment): no answer within 2s',
    );
    expect(err.code).toBe('EtcdTimeout');
  });

  it('server certificate not trusted by the configured CA, or by the system store', async () => {
    const msg = `${UNAVAILABLE}Error: unable to verify the first certificate. Resolution note: `;
    expect((await describe1(msg, ctx())).message).toBe(
      'TLS handshake with etcd at https://127.0.0.1:2379 (from environment) failed: the server certificate is not trusted by ETCD_CA_CERT_FILE (unable to verify the first certificate)',
    );
    expect((await describe1(msg, ctx({ caCert: false }))).message).toMatch(
      /not trusted by the system CA store/,
    );
  });

  const badCert =
    `${UNAVAILABLE}80ACB0BCE07F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:` +
    '../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n (2026-11-22T22:19:15.851Z). Resolution note: ';

  it('client certificate missing or rejected', async () => {
    const missing = await describe1(badCert, ctx({ clientCert: false }));
    expect(missing.message).toBe(
      'TLS handshake with etcd at https://127.0.0.1:2379 (from environment) failed: the server requires a client certificate',
    );
    expect(missing.hint).toBe('set ETCD_CERT_FILE and ETCD_KEY_FILE');
    const rejected = await describe1(badCert, ctx());
    expect(rejected.message).toMatch(/failed: the server rejected the client certificate in ETCD_CERT_FILE$/);
  });

  it('TLS client against a plain server', async () => {
    const err = await describe1(
      `${UNAVAILABLE}Error: Client network socket disconnected before secure TLS connection was established. Resolution note: `,
      ctx(),
    );
    expect(err.message).toMatch(/failed: the server does not speak TLS$/);
  });

  it('TLS client reset by a plain server: probed with a plain HTTP/2 preface, then named', async () => {
    const plainServer = async () => true;
    const reset = '14 UNAVAILABLE: read ECONNRESET';
    expect((await describe1(reset, ctx(), noTls, plainServer)).message).toMatch(
      /failed: the server does not speak TLS$/,
    );
    expect((await describe1(reset, ctx(), noTls, noTls)).message).toMatch(
      /: connection reset by the server$/,
    );
    // A plain client is never probed for a plain server: the reset is just a reset.
    const plainClient = ctx({ endpoints: ['http://127.0.0.1:2379'], tls: false });
    expect((await describe1(reset, plainClient, noTls, plainServer)).message).toMatch(
      /: connection reset by the server$/,
    );
  });

  it('plain client against a TLS server: probed, then named', async () => {
    const msg =
      '14 UNAVAILABLE: No connection established. Last error: Failed to connect (2026-11-22T22:19:15.862Z). Resolution note: ';
    const plain = ctx({ endpoints: ['http://127.0.0.1:2379'], tls: false, caCert: false, clientCert: false });
    expect((await describe1(msg, plain, async () => true)).message).toBe(
      'TLS handshake with etcd at http://127.0.0.1:2379 (from environment) failed: the server speaks TLS but the endpoint is http://',
    );
    expect((await describe1(msg, plain)).message).toBe(
      'cannot reach etcd at http://127.0.0.1:2379 (from environment): Failed to connect',
    );
  });

  it('wrong password, no credentials, no permission: names the user, never the password', async () => {
    const auth = ctx({ username: 'calico' });
    const wrong = await describe1(
      '3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password',
      auth,
    );
    expect(wrong.message).toBe(
      "etcd at https://127.0.0.1:2379 (from environment) rejected the credentials of user 'calico': invalid user name or password",
    );
    expect(wrong.hint).toBe('check ETCD_USERNAME and ETCD_PASSWORD');
    expect(wrong.code).toBe('EtcdAuthFailed');
    const none = await describe1('3 INVALID_ARGUMENT: etcdserver: user name is empty', ctx());
    expect(none.message).toMatch(/requires authentication and no credentials were given$/);
    const denied = await describe1('7 PERMISSION_DENIED: etcdserver: permission denied', auth);
    expect(denied.message).toBe(
      "etcd at https://127.0.0.1:2379 (from environment) denied user 'calico' access: permission denied",
    );
    expect(denied.code).toBe('EtcdPermissionDenied');
  });
});

describe('a failed attempt: where the call may go next, and what the user is told', () => {
  const plain = ctx({ endpoints: ['http://127.0.0.1:23791'], tls: false, clientCert: false, caCert: false });
  const member = 'http://127.0.0.1:23791';
  const attempt = (message: string, outcome: AttemptFailure['outcome'], at = member): AttemptFailure => ({
    member: at,
    error: new Error(message),
    outcome,
    budgetMs: 5000,
  });
  const describe_ = (err: Error, c = plain) => describeCallFailure(err, c).then((e) => e as UnreachableError);

  // Captured from etcd3 1.1.2 / grpc-js 1.14 / the lean reader against etcd 3.4.
  const FROZEN_SENT =
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.500s,LB pick: 0.001s,remote_addr=127.0.0.1:23791';
  const FROZEN_UNSENT =
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.498s,name resolution: 0.008s,metadata filters: 0.001s,time to current attempt start: 0.001s,Waiting for LB pick';
  const REFUSED =
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:23791. Resolution note: ';

  it.each([
    // The kernel of a frozen member accepts the connection: whether grpc-js had put the request on
    // it is not something the tool can prove either way, so any deadline of a write is "lost".
    [FROZEN_SENT, 'lost'],
    [FROZEN_UNSENT, 'lost'],
    ['4 DEADLINE_EXCEEDED: Deadline exceeded after 2500 ms', 'lost'],
    ['14 UNAVAILABLE: read ECONNRESET', 'lost'],
    ['14 UNAVAILABLE: etcdserver: request timed out', 'lost'],
    ['2 UNKNOWN: etcdserver: request timed out, possibly due to previous leader failure', 'lost'],
    [REFUSED, 'unsent'],
    ['14 UNAVAILABLE: etcdserver: no leader', 'noLeader'],
    ['2 UNKNOWN: raft proposal dropped', 'noLeader'],
    ['3 INVALID_ARGUMENT: etcdserver: request is too large', 'final'],
    ['3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password', 'final'],
  ])('%s: %s', (message, outcome) => {
    expect(classifyAttempt(new Error(message), { write: true })).toBe(outcome);
  });

  it('a write whose answer was lost: the hint says it may or may not have been applied', async () => {
    const err = await describe_(new WriteLostError([attempt(FROZEN_SENT, 'lost')]));
    expect(err.message).toBe(`cannot reach etcd at ${member} (from environment): no answer within 5s`);
    expect(err.hint).toBe(
      `${WRITE_OUTCOME_UNKNOWN}; check that etcd runs there and answers, or raise --timeout`,
    );
    expect(err.exitCode).toBe(3);
  });

  it('a write that reached no member: the hint does not claim it may have been applied', async () => {
    const err = await describe_(new MembersFailedError([attempt(REFUSED, 'unsent')]));
    expect(err.message).toBe(`cannot reach etcd at ${member} (from environment): connection refused`);
    expect(err.hint ?? '').not.toContain(WRITE_OUTCOME_UNKNOWN);
  });

  it('several members: what happened at each, or one story told once', async () => {
    const two = { ...plain, endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] };
    const mixed = await describe_(
      new MembersFailedError([
        attempt('4 DEADLINE_EXCEEDED: Deadline exceeded after 2500 ms', 'lost', 'http://127.0.0.1:1'),
        attempt(REFUSED, 'unsent', 'http://127.0.0.1:2'),
      ]),
      two,
    );
    expect(mixed.message).toBe(
      'cannot reach etcd at http://127.0.0.1:1,http://127.0.0.1:2 (from environment): ' +
        '127.0.0.1:1 no answer within 5s; 127.0.0.1:2 connection refused',
    );
    const same = await describe_(
      new MembersFailedError([
        attempt(REFUSED, 'unsent', 'http://127.0.0.1:1'),
        attempt(REFUSED, 'unsent', 'http://127.0.0.1:2'),
      ]),
      two,
    );
    expect(same.message).toBe(
      'cannot reach etcd at http://127.0.0.1:1,http://127.0.0.1:2 (from environment): connection refused',
    );
  });

  it('members that answer but have no leader: "no leader", and "no quorum" when too few are reachable', async () => {
    const three = { ...plain, endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'] };
    const err = await describe_(
      new MembersFailedError([
        attempt(REFUSED, 'unsent', 'http://127.0.0.1:1'),
        attempt('14 UNAVAILABLE: etcdserver: no leader', 'noLeader', 'http://127.0.0.1:2'),
        attempt(REFUSED, 'unsent', 'http://127.0.0.1:3'),
      ]),
      three,
    );
    expect(err.code).toBe('EtcdNoLeader');
    expect(err.message).toBe(
      'etcd at http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3 (from environment) cannot commit: ' +
        'no leader, no quorum (1 of 3 members reachable); 127.0.0.1:1 connection refused; ' +
        '127.0.0.1:2 no leader; 127.0.0.1:3 connection refused',
    );
    expect(err.exitCode).toBe(3);
  });

  it('leaves errors that are not about reaching etcd alone', async () => {
    const err = new OperationError('etcd at x: the requested revision has been compacted');
    expect(await describeCallFailure(err, plain)).toBe(err);
  });
});

describe('cleanGrpcMessage', () => {
  it('keeps only the cause', () => {
    expect(cleanGrpcMessage(`${UNAVAILABLE}Error: boom. Resolution note: `)).toBe('boom');
    expect(cleanGrpcMessage('13 INTERNAL: Received RST_STREAM with code 2')).toBe(
      'Received RST_STREAM with code 2',
    );
  });
});

describe('SRV discovery', () => {
  const cfg = { endpoints: [], discoverySrv: 'example.com', settingNames };
  const opts = { timeoutMs: 1000, source: 'environment' };

  it('prefers _etcd-client-ssl records (https) over _etcd-client (http)', async () => {
    const lookup = async (name: string) =>
      name.startsWith('_etcd-client-ssl.')
        ? [
            { name: 'etcd1.example.com.', port: 2379 },
            { name: 'etcd2.example.com', port: 2380 },
          ]
        : [{ name: 'plain.example.com', port: 2379 }];
    expect(await resolveEndpoints(cfg, opts, lookup)).toEqual([
      'https://etcd1.example.com:2379',
      'https://etcd2.example.com:2380',
    ]);
  });

  it('falls back to http records, and fails with the setting named when none exist', async () => {
    const notFound = Object.assign(new Error('queryS ENOTFOUND'), { code: 'ENOTFOUND' });
    const httpOnly = async (name: string) => {
      if (name.startsWith('_etcd-client-ssl.')) throw notFound;
      return [{ name: 'plain.example.com', port: 2379 }];
    };
    expect(await resolveEndpoints(cfg, opts, httpOnly)).toEqual(['http://plain.example.com:2379']);
    await expect(
      resolveEndpoints(cfg, opts, async () => {
        throw notFound;
      }),
    ).rejects.toThrow(
      "no etcd endpoints found by SRV discovery for 'example.com' (ETCD_DISCOVERY_SRV from environment)",
    );
  });
});
