/**
 * resolveKubeClient: calicoctl's CreateKubernetesClientset over client-go clientcmd (kdd.md §1), on
 * kubeconfig files as kubectl and kind write them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/index.js';
import { resolveKubeClient } from '../../../src/config/kubeconfig.js';
import { tempDir } from '../../helpers/temp.js';
import { inputErrorOf } from './input-error.js';

const dir = tempDir('calicoctl-ts-kubeconfig-');
const MISSING_DEFAULT = join(dir, 'no-such-calicoctl.cfg');
const NO_SERVICE_ACCOUNT = { inClusterTokenFile: join(dir, 'no-token') };

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig as kind writes one: one cluster, one user, one context. */
function kubeconfig(opts: {
  cluster: string;
  server: string;
  user: string;
  token?: string;
  current?: string;
}) {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    '    certificate-authority-data: LS0tLS1CRUdJTg==',
    `    server: ${opts.server}`,
    `  name: ${opts.cluster}`,
    'contexts:',
    '- context:',
    `    cluster: ${opts.cluster}`,
    `    user: ${opts.user}`,
    `  name: ${opts.cluster}-ctx`,
    ...(opts.current ? [`current-context: ${opts.current}`] : []),
    'preferences: {}',
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    ...(opts.token
      ? [`    token: ${opts.token}`]
      : ['    client-certificate: certs/client.crt', '    client-key: certs/client.key']),
    '',
  ].join('\n');
}

function resolve(env: Record<string, string>, extra = {}) {
  const config = loadClientConfig({
    env: { DATASTORE_TYPE: 'kubernetes', ...env },
    defaultConfigFile: MISSING_DEFAULT,
  });
  return resolveKubeClient(config.kubernetes!, { env, ...NO_SERVICE_ACCOUNT, ...extra });
}

const errorOf = inputErrorOf;

const a = write(
  'a/config',
  kubeconfig({
    cluster: 'alpha',
    server: 'https://10.0.0.1:6443/',
    user: 'alice',
    token: 'tok-a',
    current: 'alpha-ctx',
  }),
);
const b = write(
  'b/config',
  kubeconfig({ cluster: 'beta', server: 'https://10.0.0.2:6443', user: 'bob', current: 'beta-ctx' }),
);
/** Names alpha again with another server: the first file to name it wins it. */
const shadow = write(
  'shadow/config',
  kubeconfig({
    cluster: 'alpha',
    server: 'https://10.9.9.9:6443',
    user: 'alice',
    token: 'tok-shadow',
    current: 'alpha-ctx',
  }),
);

describe('one kubeconfig', () => {
  it('takes the current context, its cluster and its user', () => {
    const s = resolve({ KUBECONFIG: a });
    expect(s).toMatchObject({
      server: 'https://10.0.0.1:6443',
      caData: 'LS0tLS1CRUdJTg==',
      token: 'tok-a',
      insecureSkipTLSVerify: false,
      origin: `context alpha-ctx in ${a}`,
    });
  });

  it('resolves file references against the kubeconfig directory', () => {
    const s = resolve({ KUBECONFIG: b });
    expect(s.certFile).toBe(join(dir, 'b', 'certs', 'client.crt'));
    expect(s.keyFile).toBe(join(dir, 'b', 'certs', 'client.key'));
  });

  it('a single path must exist (client-go ExplicitPath)', () => {
    const missing = join(dir, 'missing');
    const err = errorOf(() => resolve({ KUBECONFIG: missing }));
    expect(err.message).toBe(`stat ${missing}: no such file or directory`);
    expect(err.exitCode).toBe(2);
  });

  it('reads a token from tokenFile', () => {
    const tokenFile = write('t/token', 'file-token\n');
    const kc = write(
      't/config',
      'clusters:\n- name: c\n  cluster:\n    server: https://h:1\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user:\n    tokenFile: token\n',
    );
    expect(resolve({ KUBECONFIG: kc }).token).toBe('file-token');
    expect(tokenFile).toBe(join(dir, 't', 'token'));
  });
});

describe('several kubeconfigs joined by ":" (client-go precedence)', () => {
  it('the first file to set current-context wins, and every file contributes contexts', () => {
    expect(resolve({ KUBECONFIG: `${a}:${b}` }).server).toBe('https://10.0.0.1:6443');
    expect(resolve({ KUBECONFIG: `${b}:${a}` }).server).toBe('https://10.0.0.2:6443');
    const s = resolve({ KUBECONFIG: `${b}:${a}`, K8S_CURRENT_CONTEXT: 'alpha-ctx' });
    expect(s).toMatchObject({ server: 'https://10.0.0.1:6443', token: 'tok-a' });
  });

  it('the first file to name a cluster or user wins it whole', () => {
    expect(resolve({ KUBECONFIG: `${a}:${shadow}` })).toMatchObject({
      server: 'https://10.0.0.1:6443',
      token: 'tok-a',
    });
    expect(resolve({ KUBECONFIG: `${shadow}:${a}` })).toMatchObject({
      server: 'https://10.9.9.9:6443',
      token: 'tok-shadow',
    });
  });

  it('skips missing files, and warns only when all are missing', () => {
    const missing = join(dir, 'missing');
    expect(resolve({ KUBECONFIG: `${missing}:${a}` }).warnings).toEqual([]);
    const err = errorOf(() => resolve({ KUBECONFIG: `${missing}:${missing}2` }));
    expect(err.message).toBe(
      'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable',
    );
    const s = resolve({ KUBECONFIG: `${missing}:${missing}2`, K8S_API_ENDPOINT: 'https://h:6443' });
    expect(s.warnings).toEqual([`warning: Config not found: ${missing}, ${missing}2`]);
  });

  it('an unknown context fails, naming it', () => {
    const err = errorOf(() => resolve({ KUBECONFIG: `${a}:${b}`, K8S_CURRENT_CONTEXT: 'gamma' }));
    expect(err.message).toBe('context "gamma" does not exist');
    expect(err.hint).toMatch(
      /^set K8S_CURRENT_CONTEXT \(or --context\) to a context of .*: alpha-ctx, beta-ctx$/,
    );
  });
});

describe('calicoctl overrides', () => {
  it('replace the server, credentials and CA of the kubeconfig', () => {
    const ca = write('o/ca.crt', 'PEM');
    const s = resolve({
      KUBECONFIG: a,
      K8S_API_ENDPOINT: 'https://127.0.0.1:7443',
      K8S_CA_FILE: ca,
      K8S_CERT_FILE: '/c.crt',
      K8S_KEY_FILE: '/c.key',
      CALICO_K8SAPITOKEN: 'tok-override',
    });
    // A CA override replaces the kubeconfig's inline CA.
    expect(s).toMatchObject({
      server: 'https://127.0.0.1:7443',
      caFile: ca,
      certFile: '/c.crt',
      token: 'tok-override',
    });
    expect(s.caData).toBeUndefined();
  });

  it('insecure-skip-tls-verify applies only when true, and drops the CA', () => {
    expect(resolve({ KUBECONFIG: a, K8S_INSECURE_SKIP_TLS_VERIFY: 'false' }).caData).toBe('LS0tLS1CRUdJTg==');
    const s = resolve({ KUBECONFIG: a, K8S_INSECURE_SKIP_TLS_VERIFY: 'true' });
    expect(s).toMatchObject({ insecureSkipTLSVerify: true });
    expect(s.caData).toBeUndefined();
  });

  it('an API endpoint alone is a configuration (no kubeconfig needed)', () => {
    const s = resolve({ K8S_API_ENDPOINT: 'https://127.0.0.1:6443', K8S_INSECURE_SKIP_TLS_VERIFY: 'true' });
    expect(s).toMatchObject({ server: 'https://127.0.0.1:6443', insecureSkipTLSVerify: true });
  });

  it('kubeconfigInline is used alone: the overrides are not applied', () => {
    const cfg = write(
      'inline.cfg',
      [
        'apiVersion: projectcalico.org/v3',
        'kind: CalicoAPIConfig',
        'spec:',
        '  datastoreType: kubernetes',
        '  k8sAPIEndpoint: https://ignored:1',
        '  kubeconfigInline: |',
        ...kubeconfig({
          cluster: 'inl',
          server: 'https://10.0.0.3:6443',
          user: 'u',
          token: 't',
          current: 'inl-ctx',
        })
          .split('\n')
          .map((l) => `    ${l}`),
      ].join('\n'),
    );
    const config = loadClientConfig({ env: {}, configFile: cfg, defaultConfigFile: MISSING_DEFAULT });
    const s = resolveKubeClient(config.kubernetes!, { env: {}, ...NO_SERVICE_ACCOUNT });
    expect(s).toMatchObject({
      server: 'https://10.0.0.3:6443',
      token: 't',
      origin: 'context inl-ctx in kubeconfigInline',
    });
  });
});

describe('nothing configured', () => {
  it("fails with client-go's empty-config error and a hint", () => {
    const err = errorOf(() => resolve({ HOME: dir }));
    expect(err.message).toBe(
      'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable',
    );
    expect(err.hint).toBe(
      'hint: set KUBECONFIG to a kubeconfig file, or K8S_API_ENDPOINT (see docs/configuration.md)'.slice(6),
    );
  });

  it('uses the in-cluster service account inside a pod', () => {
    const token = write('sa/token', 'sa-token');
    const s = resolve(
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      { inClusterTokenFile: token, inClusterCAFile: '/sa/ca.crt' },
    );
    expect(s).toMatchObject({ server: 'https://10.96.0.1:443', token: 'sa-token', caFile: '/sa/ca.crt' });
  });

  it('a kubeconfig whose current context is missing is invalid', () => {
    const kc = write('nocontext/config', 'clusters: []\ncurrent-context: gone\n');
    expect(errorOf(() => resolve({ KUBECONFIG: kc })).message).toBe(
      'invalid configuration: [context was not found for specified context: gone, cluster has no server defined]',
    );
  });
});
