/** `calicoctl-ts version` through the built CLI: embedded default, and etcd plain, TLS and password. */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { freePort, startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

const CLUSTER_INFO = '/calico/resources/v3/projectcalico.org/clusterinformations/default';
const clusterInfo = JSON.stringify({
  kind: 'ClusterInformation',
  apiVersion: 'projectcalico.org/v3',
  metadata: { name: 'default', uid: 'u1', creationTimestamp: '2026-06-01T10:00:00Z' },
  spec: {
    clusterGUID: 'a'.repeat(32),
    clusterType: 'typha,kdd,k8s,bgp',
    calicoVersion: 'v3.32.1',
    datastoreReady: true,
  },
});

const CLIENT_LINES = /^Client Version: {4}v3\.32\.1-calicoctl-ts\.\S+\nGit commit: {8}\S+\n/;

describe('version on the embedded datastore', () => {
  it('uses the default path and does not create it', async () => {
    const home = tempDir('calicoctl-ts-home-');
    const state = join(home, 'state');
    const res = await runCli(['version'], { env: { HOME: home, XDG_STATE_HOME: state } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const expected =
      process.getuid?.() === 0
        ? '/var/lib/calico/calicoctl-ts/datastore.db'
        : join(state, 'calicoctl-ts', 'datastore.db');
    expect(res.stdout).toMatch(CLIENT_LINES);
    expect(res.stdout.split('\n').slice(2).join('\n')).toBe(
      `Cluster Version:   unknown\nCluster Type:      unknown\nDatastore:         embedded (${expected})\n`,
    );
    expect(existsSync(join(state, 'calicoctl-ts'))).toBe(false);
  });

  it('with an explicit path: reports it in JSON, creates nothing', async () => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'store.db');
    const res = await runCli(['version', '-o', 'json'], {
      env: { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path },
    });
    expect(res.code).toBe(0);
    const json = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      clusterVersion: 'unknown',
      clusterType: 'unknown',
      datastore: { type: 'embedded', path, source: 'environment' },
    });
    expect(Object.keys(json)).toEqual([
      'clientVersion',
      'gitCommit',
      'clusterVersion',
      'clusterType',
      'datastore',
    ]);
    expect(res.stdout.endsWith('}\n')).toBe(true);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  });

  it('never loads etcd3 or gRPC', async () => {
    const probe = join(tempDir(), 'probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => { const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(etcd3|@grpc)\\//.test(k)); process.stderr.write('loaded:' + loaded.length + '\\n'); });\n",
    );
    const res = await runCli(['version'], { env: { NODE_OPTIONS: `--require ${probe}` } });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('loaded:0\n');
    // The probe sees etcd3 when it is loaded (the etcd backend loads it for a watch only).
    const control = spawnSync(process.execPath, ['--require', probe, '-e', "require('etcd3')"], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(control.stderr).toMatch(/loaded:[1-9]/);
  });

  it('--client prints two lines and never reads the configuration', async () => {
    const res = await runCli(['version', '--client'], { env: { DATASTORE_TYPE: 'kubernetes' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`${CLIENT_LINES.source}$`));
  });
});

describe('version on etcd', () => {
  let plain: EtcdServer;
  let tls: EtcdServer;
  let auth: EtcdServer;

  beforeAll(async () => {
    [plain, tls, auth] = await Promise.all([
      startEtcd(),
      startEtcd({ tls: true, clientCertAuth: true }),
      startEtcd({ auth: { user: 'calico', password: 's3cret-pw' } }),
    ]);
    for (const server of [plain, tls, auth]) await server.etcdctl(['put', CLUSTER_INFO, clusterInfo]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop(), auth?.stop()]);
  });

  const expectCluster = (stdout: string, endpoint: string): void => {
    expect(stdout).toMatch(CLIENT_LINES);
    expect(stdout.split('\n').slice(2).join('\n')).toBe(
      `Cluster Version:   v3.32.1\nCluster Type:      typha,kdd,k8s,bgp\nDatastore:         etcdv3 (${endpoint})\n`,
    );
  };

  it('plain http from the environment', async () => {
    const res = await runCli(['version'], { env: plain.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expectCluster(res.stdout, plain.endpoint);
  });

  it('fails over from a refused endpoint to a working one', async () => {
    const res = await runCli(['version'], {
      env: { ETCD_ENDPOINTS: `http://127.0.0.1:${await freePort()},${plain.endpoint}` },
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('carries on without a token when the server has authentication disabled, as calicoctl does', async () => {
    const res = await runCli(['version'], { env: { ...plain.env, ETCD_USERNAME: 'u', ETCD_PASSWORD: 'p' } });
    expect(res.stderr).toBe('');
    expectCluster(res.stdout, plain.endpoint);
  });

  it('TLS with a client certificate, CALICO_-prefixed variables winning', async () => {
    const env = Object.fromEntries(Object.entries(tls.env).map(([k, v]) => [`CALICO_${k}`, v]));
    const res = await runCli(['version'], { env: { ...env, ETCD_ENDPOINTS: 'http://127.0.0.1:1' } });
    expect(res.stderr).toBe('');
    expectCluster(res.stdout, tls.endpoint);
  });

  it('TLS from a config file given with -c, with the environment ignored', async () => {
    const certs = tls.certs!;
    const file = join(tempDir(), 'calicoctl.cfg');
    writeFileSync(
      file,
      [
        'apiVersion: projectcalico.org/v3',
        'kind: CalicoAPIConfig',
        'metadata:',
        'spec:',
        '  datastoreType: etcdv3',
        `  etcdEndpoints: ${tls.endpoint}`,
        `  etcdCACertFile: ${certs.caFile}`,
        `  etcdCertFile: ${certs.certFile}`,
        `  etcdKeyFile: ${certs.keyFile}`,
        '',
      ].join('\n'),
    );
    const res = await runCli(['version', '-c', file, '-o', 'json'], {
      env: { DATASTORE_TYPE: 'kubernetes' },
    });
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toMatchObject({
      clusterVersion: 'v3.32.1',
      datastore: { type: 'etcdv3', endpoints: [tls.endpoint], source: `config file ${file}` },
    });
  });

  it('user and password', async () => {
    const res = await runCli(['version'], { env: auth.env });
    expect(res.stderr).toBe('');
    expectCluster(res.stdout, auth.endpoint);
  });
});
