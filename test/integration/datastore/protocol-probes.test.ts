/** The probes that tell a TLS/plain mismatch apart from other failures, against real etcd servers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { speaksPlainHttp2, speaksTls } from '../../../src/datastore/etcd/failures.js';
import { freePort, startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

describe('protocol probes', () => {
  let plain: EtcdServer;
  let tls: EtcdServer;
  beforeAll(async () => {
    [plain, tls] = await Promise.all([startEtcd(), startEtcd({ tls: true, clientCertAuth: true })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop()]);
  });

  it('a plain etcd answers the HTTP/2 preface and not a TLS ClientHello', async () => {
    expect(await speaksPlainHttp2(plain.endpoint, 2000)).toBe(true);
    expect(await speaksTls(plain.endpoint, 2000)).toBe(false);
  });

  it('a TLS etcd completes a TLS handshake and does not answer a plain preface', async () => {
    expect(await speaksTls(tls.endpoint, 2000)).toBe(true);
    expect(await speaksPlainHttp2(tls.endpoint, 2000)).toBe(false);
  });

  it('a closed port speaks neither', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await speaksPlainHttp2(closed, 2000)).toBe(false);
    expect(await speaksTls(closed, 2000)).toBe(false);
  });
});
