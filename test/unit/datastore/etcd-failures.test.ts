/**
 * The etcd failure mapping, fed with the error messages etcd3 1.1.2 / grpc-js 1.14 / etcd 3.4
 * really produced for each situation (captured against the test harness's etcd).
 */
import { describe, expect, it } from 'vitest';

import type { EtcdSetting } from '../../../src/config/types.js';
import { resolveEndpoints } from '../../../src/datastore/etcd/discovery.js';
import { WRITE_OUTCOME_UNKNOWN } from '../../../src/datastore/contract.js';
import {
  cleanGrpcMessage,
  describeEtcdFailure,
  describeWriteFailure,
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

describe('describeWriteFailure: a write whose answer was lost may have been applied', () => {
  const plain = ctx({ endpoints: ['http://127.0.0.1:23791'], tls: false, clientCert: false, caCert: false });
  const forWrite = async (message: string, c = plain) =>
    describeWriteFailure(
      await describeEtcdFailure(new Error(message), c, { speaksTls: noTls, speaksPlainHttp2: noTls }),
      c,
    );

  // Captured from etcd3 1.1.2 / grpc-js 1.14 against etcd 3.4, each for a txn that puts one key.
  it.each([
    [
      'etcd frozen (SIGSTOP) after the connection was made: the call was sent',
      '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.500s,LB pick: 0.001s,remote_addr=127.0.0.1:23791',
      'no answer within 5s',
    ],
    [
      'etcd killed (SIGKILL) while the call was on the connection',
      '14 UNAVAILABLE: read ECONNRESET',
      'connection reset by the server',
    ],
    [
      "etcd's own timeout: the proposal may still commit",
      '14 UNAVAILABLE: etcdserver: request timed out',
      'etcdserver: request timed out',
    ],
  ])('%s: the hint says so', async (_what, message, why) => {
    const err = await forWrite(message);
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toBe(`cannot reach etcd at http://127.0.0.1:23791 (from environment): ${why}`);
    expect((err as UnreachableError).hint).toMatch(new RegExp(`^${WRITE_OUTCOME_UNKNOWN}(; |$)`));
    expect((err as UnreachableError).exitCode).toBe(3);
  });

  it.each([
    [
      'etcd frozen before the connection was made: the call never left',
      '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.498s,name resolution: 0.008s,metadata filters: 0.001s,time to current attempt start: 0.001s,Waiting for LB pick',
    ],
    [
      'connection refused',
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:23791. Resolution note: ',
    ],
    ['etcd answered with an error', '3 INVALID_ARGUMENT: etcdserver: request is too large'],
    [
      'authentication failed',
      '3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password',
    ],
  ])('%s: the hint does not claim it', async (_what, message) => {
    const asRead = await describeEtcdFailure(new Error(message), plain, {
      speaksTls: noTls,
      speaksPlainHttp2: noTls,
    });
    const asWrite = await forWrite(message);
    expect(asWrite.message).toBe(asRead.message);
    expect((asWrite as UnreachableError).hint).toBe((asRead as UnreachableError).hint);
    expect((asWrite as UnreachableError).hint ?? '').not.toContain(WRITE_OUTCOME_UNKNOWN);
  });

  it('with several endpoints an earlier attempt may have reached one: always said', async () => {
    const two = { ...plain, endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] };
    const err = await forWrite(
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2. Resolution note: ',
      two,
    );
    expect((err as UnreachableError).hint).toBe(WRITE_OUTCOME_UNKNOWN);
  });

  it('leaves errors that are not about reaching etcd alone', () => {
    const err = new OperationError('etcd at x: the requested revision has been compacted');
    expect(describeWriteFailure(err, plain)).toBe(err);
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
