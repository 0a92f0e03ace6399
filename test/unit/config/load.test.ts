/** loadClientConfig: calicoctl's rules (reference §7) plus the embedded default. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadClientConfig, type LoadClientConfigOptions } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/temp.js';
import { inputErrorOf } from './input-error.js';

const dir = tempDir('calicoctl-ts-config-');
const MISSING_DEFAULT = join(dir, 'no-such-calicoctl.cfg');
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
for (const f of [ca, cert, key]) writeFileSync(f, 'PEM');

function load(env: Record<string, string>, extra: Partial<LoadClientConfigOptions> = {}) {
  return loadClientConfig({ env, uid: 1000, defaultConfigFile: MISSING_DEFAULT, ...extra });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const errorOf = inputErrorOf;

const header = 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n';

describe('datastore selection', () => {
  it('defaults to the embedded store under XDG_STATE_HOME for a normal user', () => {
    expect(load({ HOME: '/home/u', XDG_STATE_HOME: '/state' })).toEqual({
      datastoreType: 'embedded',
      source: 'default',
      embedded: { path: '/state/calicoctl-ts/datastore.db' },
    });
  });

  it('falls back to ~/.local/state without (or with a relative) XDG_STATE_HOME', () => {
    expect(load({ HOME: '/home/u' }).embedded?.path).toBe('/home/u/.local/state/calicoctl-ts/datastore.db');
    expect(load({ HOME: '/home/u', XDG_STATE_HOME: 'rel' }).embedded?.path).toBe(
      '/home/u/.local/state/calicoctl-ts/datastore.db',
    );
  });

  it('uses /var/lib/calico for root', () => {
    expect(load({ HOME: '/root', XDG_STATE_HOME: '/state' }, { uid: 0 }).embedded?.path).toBe(
      '/var/lib/calico/calicoctl-ts/datastore.db',
    );
  });

  it('selects embedded explicitly, with a path from the environment (CALICO_ first)', () => {
    expect(load({ DATASTORE_TYPE: 'embedded', HOME: '/h' })).toEqual({
      datastoreType: 'embedded',
      source: 'environment',
      embedded: { path: '/h/.local/state/calicoctl-ts/datastore.db' },
    });
    expect(
      load({ EMBEDDED_DATASTORE_PATH: '/a/x.db', CALICO_EMBEDDED_DATASTORE_PATH: '/b/y.db' }).embedded,
    ).toEqual({ path: '/b/y.db' });
  });

  it('selects etcdv3 when endpoints are set, even without DATASTORE_TYPE', () => {
    const config = load({ ETCD_ENDPOINTS: 'http://127.0.0.1:2379' });
    expect(config.datastoreType).toBe('etcdv3');
    expect(config.source).toBe('environment');
    expect(config.etcd?.endpoints).toEqual(['http://127.0.0.1:2379']);
  });

  it("selects kubernetes only when asked, with calicoctl's settings", () => {
    const config = load({
      DATASTORE_TYPE: 'kubernetes',
      KUBECONFIG: `${ca}:relative/kc`,
      K8S_API_ENDPOINT: 'https://10.0.0.1:6443',
      CALICO_K8S_CURRENT_CONTEXT: 'admin',
      K8S_INSECURE_SKIP_TLS_VERIFY: 'true',
      CALICO_K8SAPITOKEN: 'tok',
      K8S_CA_FILE: ca,
    });
    expect(config.datastoreType).toBe('kubernetes');
    expect(config.kubernetes).toMatchObject({
      kubeconfig: [ca, join(process.cwd(), 'relative/kc')],
      overrides: {
        server: 'https://10.0.0.1:6443',
        context: 'admin',
        insecureSkipTLSVerify: true,
        token: 'tok',
        caFile: ca,
      },
      usePodCIDR: false,
    });
    expect(config.kubernetes?.settingNames.k8sCurrentContext).toBe('CALICO_K8S_CURRENT_CONTEXT');
    // KUBECONFIG alone (kubectl's variable) does not select Kubernetes: the embedded store stays the default.
    expect(load({ KUBECONFIG: ca }).datastoreType).toBe('embedded');
  });

  it('defaults kubeconfig to $HOME/.kube/config when it exists and nothing else is configured', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\n');
    expect(load({ DATASTORE_TYPE: 'kubernetes', HOME: home }).kubernetes?.kubeconfig).toEqual([
      join(home, '.kube', 'config'),
    ]);
    // An API endpoint, or no such file, leaves it empty (client-go then uses what is set, or in-cluster).
    expect(
      load({ DATASTORE_TYPE: 'kubernetes', HOME: home, K8S_API_ENDPOINT: 'https://x:6443' }).kubernetes
        ?.kubeconfig,
    ).toEqual([]);
    expect(load({ DATASTORE_TYPE: 'kubernetes', HOME: dir }).kubernetes?.kubeconfig).toEqual([]);
  });

  it('reads the Kubernetes settings of a config file, kubeconfigInline included', () => {
    const path = file(
      'kdd.cfg',
      `${header}  datastoreType: kubernetes\n  kubeconfig: /k/a:/k/b\n  k8sInsecureSkipTLSVerify: true\n  kubeconfigInline: "apiVersion: v1"\n`,
    );
    const config = load({ DATASTORE_TYPE: 'etcdv3' }, { configFile: path });
    expect(config.kubernetes).toMatchObject({
      kubeconfig: ['/k/a', '/k/b'],
      inline: 'apiVersion: v1',
      overrides: { insecureSkipTLSVerify: true },
    });
    expect(config.kubernetes?.settingNames.kubeconfig).toBe('kubeconfig');
  });

  it('refuses the projectcalico.org/v3 storage mode with exit code 2 and a hint', () => {
    const err = errorOf(() =>
      load({ DATASTORE_TYPE: 'kubernetes', CALICO_API_GROUP: 'projectcalico.org/v3' }),
    );
    expect(err.message).toBe(
      'the projectcalico.org/v3 storage mode is not supported (CALICO_API_GROUP from environment)',
    );
    expect(err.exitCode).toBe(2);
    expect(err.hint).toMatch(/crd.projectcalico.org\/v1/);
  });

  it('rejects an unknown type with calicoctl text', () => {
    expect(errorOf(() => load({ CALICO_DATASTORE_TYPE: 'etcd' })).message).toBe(
      'unknown datastore type: etcd (CALICO_DATASTORE_TYPE from environment)',
    );
  });
});

describe('environment', () => {
  it('prefers CALICO_-prefixed variables, and "set but empty" counts as set', () => {
    const config = load({
      DATASTORE_TYPE: 'etcdv3',
      ETCD_ENDPOINTS: 'http://10.0.0.1:2379',
      CALICO_ETCD_ENDPOINTS: 'https://10.0.0.2:2379,https://10.0.0.3:2379',
    });
    expect(config.etcd?.endpoints).toEqual(['https://10.0.0.2:2379', 'https://10.0.0.3:2379']);
    expect(config.etcd?.settingNames.etcdEndpoints).toBe('CALICO_ETCD_ENDPOINTS');

    const err = errorOf(() =>
      load({ DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: 'http://10.0.0.1:2379', CALICO_ETCD_ENDPOINTS: '' }),
    );
    expect(err.message).toBe('no etcd endpoints specified (CALICO_ETCD_ENDPOINTS from environment)');
  });

  it('uses username and password only when both are set', () => {
    const base = { ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };
    const both = load({ ...base, ETCD_USERNAME: 'calico', ETCD_PASSWORD: 'pw' }).etcd;
    expect([both?.username, both?.password]).toEqual(['calico', 'pw']);
    const one = load({ ...base, ETCD_USERNAME: 'calico' }).etcd;
    expect(one?.username).toBeUndefined();
    expect(one?.password).toBeUndefined();
  });

  it('takes TLS file settings and checks that the files are readable', () => {
    const etcd = load({
      ETCD_ENDPOINTS: 'https://127.0.0.1:2379',
      ETCD_CA_CERT_FILE: ca,
      ETCD_CERT_FILE: cert,
      ETCD_KEY_FILE: key,
    }).etcd;
    expect([etcd?.caCertFile, etcd?.certFile, etcd?.keyFile]).toEqual([ca, cert, key]);

    const err = errorOf(() =>
      load({ ETCD_ENDPOINTS: 'https://127.0.0.1:2379', ETCD_CA_CERT_FILE: join(dir, 'missing.pem') }),
    );
    expect(err.message).toBe(
      `cannot read etcd CA certificate file ${join(dir, 'missing.pem')} (ETCD_CA_CERT_FILE from environment): no such file or directory`,
    );
    expect(err.exitCode).toBe(2);
  });

  it('needs both a client certificate and its key', () => {
    expect(
      errorOf(() => load({ ETCD_ENDPOINTS: 'https://127.0.0.1:2379', ETCD_CERT_FILE: cert })).message,
    ).toBe('ETCD_CERT_FILE is set but ETCD_KEY_FILE is not (from environment)');
  });

  it('rejects endpoints without a scheme, naming the setting and the source', () => {
    const err = errorOf(() => load({ ETCD_ENDPOINTS: 'http://10.0.0.1:2379,10.0.0.2:2379' }));
    expect(err.message).toBe(
      "invalid etcd endpoint '10.0.0.2:2379' (ETCD_ENDPOINTS from environment): expected http://HOST:PORT or https://HOST:PORT",
    );
    expect(errorOf(() => load({ ETCD_ENDPOINTS: 'localhost:2379' })).message).toMatch(
      /^invalid etcd endpoint 'localhost:2379'/,
    );
    expect(errorOf(() => load({ ETCD_ENDPOINTS: 'unix:///run/etcd.sock' })).message).toMatch(
      /^invalid etcd endpoint/,
    );
  });

  it('keeps the port as written, default ports included; refuses an endpoint without one', () => {
    expect(
      load({ ETCD_ENDPOINTS: 'http://10.0.0.1:80, http://[fd00::1]:2379,http://h:2379/' }).etcd?.endpoints,
    ).toEqual(['http://10.0.0.1:80', 'http://[fd00::1]:2379', 'http://h:2379']);
    expect(load({ ETCD_ENDPOINTS: 'https://10.0.0.1:443' }).etcd?.endpoints).toEqual([
      'https://10.0.0.1:443',
    ]);
    const noPort = errorOf(() => load({ ETCD_ENDPOINTS: 'http://10.0.0.1:2379,http://10.0.0.2' }));
    expect(noPort.message).toBe(
      "invalid etcd endpoint 'http://10.0.0.2' (ETCD_ENDPOINTS from environment): expected http://HOST:PORT or https://HOST:PORT",
    );
    expect(noPort.hint).toBe('add the port, e.g. http://10.0.0.2:2379');
    expect(noPort.exitCode).toBe(2);
    // A scheme that is there but not http(s) is not told it needs one.
    expect(errorOf(() => load({ ETCD_ENDPOINTS: 'unix:///run/etcd.sock' })).hint).toBe(
      'use http:// or https:// (not unix://), e.g. https://10.0.0.1:2379',
    );
    expect(errorOf(() => load({ ETCD_ENDPOINTS: '10.0.0.2:2379' })).hint).toBe(
      'each endpoint needs a scheme, e.g. https://10.0.0.1:2379',
    );
  });

  it('rejects mixing http and https endpoints', () => {
    expect(errorOf(() => load({ ETCD_ENDPOINTS: 'http://a:2379,https://b:2379' })).message).toBe(
      'etcd endpoints mix http:// and https:// (ETCD_ENDPOINTS from environment)',
    );
  });

  it('rejects endpoints together with discovery (calicoctl text)', () => {
    expect(
      errorOf(() => load({ ETCD_ENDPOINTS: 'http://a:2379', ETCD_DISCOVERY_SRV: 'example.com' })).message,
    ).toBe(
      'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"' +
        ' (ETCD_ENDPOINTS from environment, ETCD_DISCOVERY_SRV from environment)',
    );
  });

  it('reports malformed typed variables as envconfig does', () => {
    expect(errorOf(() => load({ K8S_CLIENT_BURST: 'lots' })).message).toBe(
      'failed to load config from env vars: envconfig.Process: assigning CALICO_K8S_CLIENT_BURST to K8sClientBurst: converting \'lots\' to type int. details: strconv.ParseInt: parsing "lots": invalid syntax',
    );
  });
});

describe('config file', () => {
  it('is used alone: the environment is ignored', () => {
    const path = file(
      'etcd.cfg',
      `${header}  datastoreType: etcdv3\n  etcdEndpoints: https://10.0.0.1:2379\n  etcdUsername: u\n  etcdPassword: p\n`,
    );
    const config = load({ ETCD_ENDPOINTS: 'http://other:2379', ETCD_USERNAME: 'x' }, { configFile: path });
    expect(config.source).toBe(`config file ${path}`);
    expect(config.etcd?.endpoints).toEqual(['https://10.0.0.1:2379']);
    expect(config.etcd?.username).toBe('u');
    expect(config.etcd?.settingNames.etcdEndpoints).toBe('etcdEndpoints');
  });

  it('reads JSON too, and the default file when it exists', () => {
    const path = file(
      'default.cfg',
      JSON.stringify({
        apiVersion: 'projectcalico.org/v3',
        kind: 'CalicoAPIConfig',
        spec: { etcdEndpoints: 'http://127.0.0.1:2379' },
      }),
    );
    const config = load({}, { defaultConfigFile: path });
    expect(config.source).toBe(`config file ${path}`);
    expect(config.etcd?.endpoints).toEqual(['http://127.0.0.1:2379']);
  });

  it('selects embedded with embeddedDatastorePath, relative to the file', () => {
    const path = file(
      'embedded.cfg',
      `${header}  datastoreType: embedded\n  embeddedDatastorePath: stores/x.db\n`,
    );
    expect(load({}, { configFile: path })).toEqual({
      datastoreType: 'embedded',
      source: `config file ${path}`,
      embedded: { path: join(dir, 'stores/x.db') },
    });
  });

  it('missing -c file: calicoctl text', () => {
    const missing = join(dir, 'nope.cfg');
    expect(errorOf(() => load({}, { configFile: missing })).message).toBe(
      `Error reading config file: ${missing}`,
    );
  });

  it('an unreadable file reports the read error', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const path = file('secret.cfg', header);
    chmodSync(path, 0o000);
    expect(errorOf(() => load({}, { configFile: path })).message).toBe(`open ${path}: permission denied`);
  });

  it('rejects a wrong apiVersion or kind with calicoctl text', () => {
    const v = file('v.cfg', 'apiVersion: v1\nkind: CalicoAPIConfig\n');
    expect(errorOf(() => load({}, { configFile: v })).message).toBe(
      "invalid config file: unknown APIVersion 'v1'",
    );
    const k = file('k.cfg', 'apiVersion: projectcalico.org/v3\nkind: Config\n');
    expect(errorOf(() => load({}, { configFile: k })).message).toBe(
      "invalid config file: expected kind 'CalicoAPIConfig', got 'Config'",
    );
    const empty = file('empty.cfg', '');
    expect(errorOf(() => load({}, { configFile: empty })).message).toBe(
      "invalid config file: unknown APIVersion ''",
    );
  });

  it('decodes strictly: unknown fields and wrong types are syntax errors', () => {
    const unknown = file('u.cfg', `${header}  etcdEndpoint: http://127.0.0.1:2379\n`);
    expect(errorOf(() => load({}, { configFile: unknown })).message).toBe(
      `syntax error in ${unknown}: failed to parse config as YAML/JSON: error unmarshaling JSON: json: unknown field "etcdEndpoint"`,
    );
    const typed = file('t.cfg', `${header}  etcdEndpoints: [http://a:2379]\n`);
    expect(errorOf(() => load({}, { configFile: typed })).message).toBe(
      `syntax error in ${typed}: failed to parse config as YAML/JSON: error unmarshaling JSON: json: cannot unmarshal array into Go struct field CalicoAPIConfigSpec.spec.etcdEndpoints of type string`,
    );
    const bad = file('b.cfg', 'apiVersion: projectcalico.org/v3\nkind: [\n');
    expect(errorOf(() => load({}, { configFile: bad })).message).toMatch(
      new RegExp(
        `^syntax error in ${bad}: failed to parse config as YAML/JSON: error converting YAML to JSON: yaml: line \\d+: `,
      ),
    );
  });

  it('matches field names case-insensitively and turns numbers into strings, as Go does', () => {
    const path = file(
      'case.cfg',
      `${header}  EtcdEndpoints: http://127.0.0.1:2379\n  etcdUsername: 1234\n  etcdPassword: true\n`,
    );
    const etcd = load({}, { configFile: path }).etcd;
    expect(etcd?.endpoints).toEqual(['http://127.0.0.1:2379']);
    expect([etcd?.username, etcd?.password]).toEqual(['1234', 'true']);
  });

  it('accepts inline certificates but never mixed with files', () => {
    const inline = file(
      'inline.cfg',
      `${header}  etcdEndpoints: https://127.0.0.1:2379\n  etcdCACert: |\n    PEM\n`,
    );
    expect(load({}, { configFile: inline }).etcd?.caCert).toBe('PEM\n');
    const mixed = file(
      'mixed.cfg',
      `${header}  etcdEndpoints: https://127.0.0.1:2379\n  etcdCACert: PEM\n  etcdCertFile: ${cert}\n  etcdKeyFile: ${key}\n`,
    );
    expect(errorOf(() => load({}, { configFile: mixed })).message).toBe(
      `Cannot mix inline certificate-key and certificate / key files (etcdCACert, etcdCertFile, etcdKeyFile from config file ${mixed})`,
    );
  });

  it('datastoreType etcdv3 without endpoints', () => {
    const path = file('noep.cfg', `${header}  datastoreType: etcdv3\n`);
    expect(errorOf(() => load({}, { configFile: path })).message).toBe(
      `no etcd endpoints specified (etcdEndpoints from config file ${path})`,
    );
  });
});
