/** The etcd test harness itself: every variant starts, answers etcdctl, and cleans up. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { startEtcd } from '../../helpers/etcd-server.js';

describe('startEtcd', () => {
  it('plain: serves on 127.0.0.1 and removes its data dir on stop', async () => {
    const etcd = await startEtcd();
    try {
      expect(etcd.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(etcd.env).toEqual({ DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoint });
      await etcd.etcdctl(['put', '/calico/x', 'y']);
      expect(await etcd.etcdctl(['get', '/calico/x', '--print-value-only'])).toBe('y\n');
    } finally {
      await etcd.stop();
    }
    expect(existsSync(etcd.dataDir)).toBe(false);
  });

  it('TLS with client-cert auth and a password user', async () => {
    const etcd = await startEtcd({
      tls: true,
      clientCertAuth: true,
      auth: { user: 'calico', password: 'pw-123' },
    });
    try {
      expect(etcd.endpoint).toMatch(/^https:\/\//);
      expect(etcd.env.ETCD_CA_CERT_FILE).toBe(etcd.certs?.caFile);
      expect(etcd.env.ETCD_USERNAME).toBe('calico');
      expect(await etcd.etcdctl(['user', 'get', 'calico'])).toMatch(/Roles: calico/);
      await etcd.etcdctl(['put', '/calico/x', 'y']);
    } finally {
      await etcd.stop();
    }
    expect(existsSync(etcd.certs?.dir ?? '')).toBe(false);
  });
});
