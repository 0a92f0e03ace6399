/**
 * Loads the client configuration the way calicoctl does (libcalico-go/lib/apiconfig/load.go,
 * calicoctl/commands/clientmgr/client.go), with one deviation: when no datastore type is set and
 * nothing selects etcd, the datastore is the embedded one (calicoctl falls back to Kubernetes; here
 * DATASTORE_TYPE=kubernetes selects it, docs/configuration.md).
 *
 * - `-c FILE` (default /etc/calico/calicoctl.cfg, used only if it exists) is used alone, no merging.
 * - Otherwise the environment: CALICO_<VAR> first, then <VAR>; a variable set to "" counts as set.
 */
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { parseGoBool } from '../codec/go-strconv.js';
import { InputError } from '../errors.js';
import { ConfigDecodeError, decodeConfigFile } from './config-file.js';
import type { ClientConfig, EtcdConfig, EtcdSetting, KubernetesConfig, KubernetesSetting } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/calico/calicoctl.cfg';

export interface LoadClientConfigOptions {
  /** The -c/--config flag; undefined means the default path. */
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /** Effective uid, for the default embedded path; defaults to process.getuid(). */
  uid?: number;
  /** The default config file (tests point it elsewhere); /etc/calico/calicoctl.cfg. */
  defaultConfigFile?: string;
}

/** Env var names (without the CALICO_ prefix) of the settings we read; calicoctl's envconfig tags. */
const ENV_NAMES: Readonly<Record<string, string>> = {
  datastoreType: 'DATASTORE_TYPE',
  etcdEndpoints: 'ETCD_ENDPOINTS',
  etcdDiscoverySrv: 'ETCD_DISCOVERY_SRV',
  etcdUsername: 'ETCD_USERNAME',
  etcdPassword: 'ETCD_PASSWORD',
  etcdKeyFile: 'ETCD_KEY_FILE',
  etcdCertFile: 'ETCD_CERT_FILE',
  etcdCACertFile: 'ETCD_CA_CERT_FILE',
  embeddedDatastorePath: 'EMBEDDED_DATASTORE_PATH',
  kubeconfig: 'KUBECONFIG',
  k8sAPIEndpoint: 'K8S_API_ENDPOINT',
  k8sCertFile: 'K8S_CERT_FILE',
  k8sKeyFile: 'K8S_KEY_FILE',
  k8sCAFile: 'K8S_CA_FILE',
  k8sInsecureSkipTLSVerify: 'K8S_INSECURE_SKIP_TLS_VERIFY',
  k8sCurrentContext: 'K8S_CURRENT_CONTEXT',
  calicoAPIGroup: 'CALICO_API_GROUP',
  usePodCIDR: 'USE_POD_CIDR',
};

/**
 * Settings envconfig reads only under the prefixed name: the field has no envconfig tag, so its key
 * is CALICO_ plus the upper-cased field name (k8sAPIToken's tag is misspelt `ignore:` for `ignored:`).
 */
const PREFIXED_ONLY_ENV_NAMES: Readonly<Record<string, string>> = {
  k8sAPIToken: 'CALICO_K8SAPITOKEN',
};

/** envconfig parses these Kubernetes settings too, so a malformed value fails as in calicoctl. */
const ENV_TYPED: ReadonlyArray<{ env: string; field: string; type: 'bool' | 'float32' | 'int' }> = [
  { env: 'K8S_INSECURE_SKIP_TLS_VERIFY', field: 'K8sInsecureSkipTLSVerify', type: 'bool' },
  { env: 'K8S_DISABLE_NODE_POLL', field: 'K8sDisableNodePoll', type: 'bool' },
  { env: 'USE_POD_CIDR', field: 'K8sUsePodCIDR', type: 'bool' },
  { env: 'K8S_CLIENT_QPS', field: 'K8sClientQPS', type: 'float32' },
  { env: 'K8S_CLIENT_BURST', field: 'K8sClientBurst', type: 'int' },
];

const ETCD_SETTINGS: readonly EtcdSetting[] = [
  'etcdEndpoints',
  'etcdDiscoverySrv',
  'etcdUsername',
  'etcdPassword',
  'etcdKeyFile',
  'etcdCertFile',
  'etcdCACertFile',
  'etcdKey',
  'etcdCert',
  'etcdCACert',
];

/** Raw settings from one source, with the name each was found under. */
interface RawSettings {
  source: string;
  /** Directory relative paths in this source are resolved against. */
  baseDir: string;
  values: Partial<Record<string, string>>;
  names: Partial<Record<string, string>>;
  warnings: string[];
}

export function loadClientConfig(opts: LoadClientConfigOptions): ClientConfig {
  const raw = readRawSettings(opts);
  const config = selectDatastore(raw, opts);
  return raw.warnings.length > 0 ? { ...config, warnings: raw.warnings } : config;
}

function selectDatastore(raw: RawSettings, opts: LoadClientConfigOptions): ClientConfig {
  const type = raw.values.datastoreType ?? '';
  const typeName = raw.names.datastoreType ?? 'DATASTORE_TYPE';
  const selectsEtcd = (raw.values.etcdEndpoints ?? '') !== '' || (raw.values.etcdDiscoverySrv ?? '') !== '';

  switch (type) {
    case 'etcdv3':
      return { datastoreType: 'etcdv3', source: raw.source, etcd: buildEtcdConfig(raw) };
    case 'embedded':
      return embeddedConfig(raw, opts);
    case '':
      return selectsEtcd
        ? { datastoreType: 'etcdv3', source: raw.source, etcd: buildEtcdConfig(raw) }
        : embeddedConfig(raw, opts);
    case 'kubernetes':
      return {
        datastoreType: 'kubernetes',
        source: raw.source,
        kubernetes: buildKubernetesConfig(raw, opts),
      };
    default:
      throw new InputError(`unknown datastore type: ${type} (${typeName} from ${raw.source})`, {
        code: 'InvalidConfig',
        hint: 'valid datastore types are etcdv3, kubernetes and embedded',
      });
  }
}

function readRawSettings(opts: LoadClientConfigOptions): RawSettings {
  const defaultFile = opts.defaultConfigFile ?? DEFAULT_CONFIG_PATH;
  const file = opts.configFile ?? defaultFile;
  if (!pathExists(file)) {
    if (file !== defaultFile) {
      throw new InputError(`Error reading config file: ${file}`, {
        code: 'InvalidConfig',
        hint: 'check the path given with -c/--config',
      });
    }
    return readEnvironment(opts.env);
  }
  return readConfigFile(file);
}

/** os.Stat semantics: a path we cannot stat (missing, or a parent we may not search) "does not exist". */
export function pathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readConfigFile(file: string): RawSettings {
  const source = `config file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Go prints the os.ReadFile error as is: "open <file>: permission denied".
    throw new InputError(`open ${file}: ${describeFsError(err)}`, {
      code: 'InvalidConfig',
      hint: 'make the config file readable, or point -c/--config at another file',
    });
  }
  let decoded;
  try {
    decoded = decodeConfigFile(text);
  } catch (err) {
    if (!(err instanceof ConfigDecodeError)) throw err;
    throw new InputError(`syntax error in ${file}: failed to parse config as YAML/JSON: ${err.message}`, {
      code: 'InvalidConfig',
    });
  }
  if (decoded.apiVersion !== 'projectcalico.org/v3') {
    throw new InputError(`invalid config file: unknown APIVersion '${decoded.apiVersion}'`, {
      code: 'InvalidConfig',
      hint: `set apiVersion: projectcalico.org/v3 in ${file}`,
    });
  }
  if (decoded.kind !== 'CalicoAPIConfig') {
    throw new InputError(`invalid config file: expected kind 'CalicoAPIConfig', got '${decoded.kind}'`, {
      code: 'InvalidConfig',
      hint: `set kind: CalicoAPIConfig in ${file}`,
    });
  }
  const values: RawSettings['values'] = {};
  const names: RawSettings['names'] = {};
  for (const [field, value] of Object.entries(decoded.spec)) {
    if (typeof value === 'string' || typeof value === 'boolean') {
      values[field] = String(value);
      names[field] = field;
    }
  }
  return { source, baseDir: resolve(file, '..'), values, names, warnings: secretFileWarnings(file, values) };
}

/** A config file holding a password or an inline private key should be readable by its owner only. */
function secretFileWarnings(file: string, values: RawSettings['values']): string[] {
  const secrets = [
    (values.etcdPassword ?? '') !== '' ? 'a password' : undefined,
    (values.etcdKey ?? '') !== '' ? 'a private key' : undefined,
  ].filter((s) => s !== undefined);
  if (secrets.length === 0) return [];
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return [];
  }
  if ((mode & 0o044) === 0) return [];
  const octal = mode.toString(8).padStart(4, '0');
  return [
    `warning: ${file} holds ${secrets.join(' and ')} and is readable by other users (mode ${octal}); run chmod 600 ${file}`,
  ];
}

function readEnvironment(env: NodeJS.ProcessEnv): RawSettings {
  const lookup = (name: string): { name: string; value: string } | undefined => {
    for (const candidate of [`CALICO_${name}`, name]) {
      const value = env[candidate];
      if (value !== undefined) return { name: candidate, value };
    }
    return undefined;
  };
  for (const { env: name, field, type } of ENV_TYPED) {
    const found = lookup(name);
    if (found && !parsesAs(found.value, type)) {
      // envconfig names the prefixed key even when the bare variable was the one set.
      throw new InputError(
        `failed to load config from env vars: envconfig.Process: assigning CALICO_${name} to ${field}: ` +
          `converting '${found.value}' to type ${type}. details: ${strconvDetail(found.value, type)}`,
        { code: 'InvalidConfig' },
      );
    }
  }
  const values: RawSettings['values'] = {};
  const names: RawSettings['names'] = {};
  for (const [field, name] of Object.entries(ENV_NAMES)) {
    const found = lookup(name);
    if (found) {
      values[field] = found.value;
      names[field] = found.name;
    }
  }
  for (const [field, name] of Object.entries(PREFIXED_ONLY_ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined) {
      values[field] = value;
      names[field] = name;
    }
  }
  return { source: 'environment', baseDir: process.cwd(), values, names, warnings: [] };
}

function parsesAs(value: string, type: 'bool' | 'float32' | 'int'): boolean {
  // envconfig skips empty values for these types.
  if (value === '') return true;
  switch (type) {
    case 'bool':
      return parseGoBool(value) !== undefined;
    case 'float32':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(value);
    case 'int':
      return /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.test(value);
  }
}

function strconvDetail(value: string, type: 'bool' | 'float32' | 'int'): string {
  const fn = type === 'bool' ? 'ParseBool' : type === 'int' ? 'ParseInt' : 'ParseFloat';
  return `strconv.${fn}: parsing "${value}": invalid syntax`;
}

function embeddedConfig(raw: RawSettings, opts: LoadClientConfigOptions): ClientConfig {
  const configured = raw.values.embeddedDatastorePath ?? '';
  if (configured !== '') {
    return {
      datastoreType: 'embedded',
      source: raw.source,
      embedded: { path: resolve(raw.baseDir, configured) },
    };
  }
  // An explicit DATASTORE_TYPE=embedded without a path still comes from that source.
  const source = raw.values.datastoreType === 'embedded' ? raw.source : 'default';
  return { datastoreType: 'embedded', source, embedded: { path: defaultEmbeddedPath(opts.env, opts.uid) } };
}

const KUBERNETES_SETTINGS: readonly KubernetesSetting[] = [
  'kubeconfig',
  'k8sAPIEndpoint',
  'k8sCertFile',
  'k8sKeyFile',
  'k8sCAFile',
  'k8sAPIToken',
  'k8sInsecureSkipTLSVerify',
  'k8sCurrentContext',
  'kubeconfigInline',
  'calicoAPIGroup',
];

/** The storage API group calicoctl uses when calicoAPIGroup is anything but this (kdd.md §2). */
const V3_API_GROUP = 'projectcalico.org/v3';

/**
 * calicoctl's Kubernetes settings (apiconfig.KubeConfig) and its defaulting (load.go
 * applyConfigDefaults): without a kubeconfig or an API endpoint, $HOME/.kube/config if it exists.
 * The kubeconfig files themselves are read when the datastore is opened (kubeconfig.ts).
 */
function buildKubernetesConfig(raw: RawSettings, opts: LoadClientConfigOptions): KubernetesConfig {
  const settingNames = Object.fromEntries(
    KUBERNETES_SETTINGS.map((s) => [
      s,
      raw.names[s] ?? (raw.source === 'environment' ? (ENV_NAMES[s] ?? PREFIXED_ONLY_ENV_NAMES[s]) : s) ?? s,
    ]),
  ) as Record<KubernetesSetting, string>;
  const get = (s: KubernetesSetting): string => raw.values[s] ?? '';
  if (get('calicoAPIGroup').toLowerCase() === V3_API_GROUP) {
    throw new InputError(
      `the ${V3_API_GROUP} storage mode is not supported (${settingNames.calicoAPIGroup} from ${raw.source})`,
      {
        code: 'UnsupportedDatastore',
        hint: `calicoctl-ts reads and writes Calico's crd.projectcalico.org/v1 resources; unset ${settingNames.calicoAPIGroup}`,
      },
    );
  }
  const path = (s: KubernetesSetting): string | undefined =>
    get(s) === '' ? undefined : resolve(raw.baseDir, get(s));
  // filepath.SplitList: "" is no path; empty entries are kept (they count towards "several").
  let kubeconfig =
    get('kubeconfig') === ''
      ? []
      : get('kubeconfig')
          .split(':')
          .map((p) => (p === '' ? '' : resolve(raw.baseDir, p)));
  const home = opts.env.HOME ?? '';
  if (kubeconfig.length === 0 && get('k8sAPIEndpoint') === '' && home !== '') {
    const fallback = join(home, '.kube', 'config');
    if (pathExists(fallback)) kubeconfig = [fallback];
  }
  const overrides: KubernetesConfig['overrides'] = {
    insecureSkipTLSVerify: parseGoBool(get('k8sInsecureSkipTLSVerify')) === true,
  };
  const context = get('k8sCurrentContext');
  if (context !== '') overrides.context = context;
  if (get('k8sAPIEndpoint') !== '') overrides.server = get('k8sAPIEndpoint');
  const files: Array<[KubernetesSetting, 'certFile' | 'keyFile' | 'caFile']> = [
    ['k8sCertFile', 'certFile'],
    ['k8sKeyFile', 'keyFile'],
    ['k8sCAFile', 'caFile'],
  ];
  for (const [setting, prop] of files) {
    const value = path(setting);
    if (value !== undefined) overrides[prop] = value;
  }
  if (get('k8sAPIToken') !== '') overrides.token = get('k8sAPIToken');
  const config: KubernetesConfig = {
    kubeconfig,
    overrides,
    usePodCIDR: parseGoBool(raw.values.usePodCIDR ?? '') === true,
    settingNames,
  };
  if (get('kubeconfigInline') !== '') config.inline = get('kubeconfigInline');
  return config;
}

/** root: /var/lib/calico/calicoctl-ts/datastore.db; others: $XDG_STATE_HOME or ~/.local/state. */
export function defaultEmbeddedPath(env: NodeJS.ProcessEnv, uid = process.getuid?.() ?? -1): string {
  if (uid === 0) return '/var/lib/calico/calicoctl-ts/datastore.db';
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME;
  const stateHome =
    xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'calicoctl-ts', 'datastore.db');
}

function buildEtcdConfig(raw: RawSettings): EtcdConfig {
  const settingNames = Object.fromEntries(
    ETCD_SETTINGS.map((s) => [s, raw.names[s] ?? (raw.source === 'environment' ? ENV_NAMES[s] : s) ?? s]),
  ) as Record<EtcdSetting, string>;
  const where = (s: EtcdSetting): string => `${settingNames[s]} from ${raw.source}`;
  const get = (s: EtcdSetting): string => raw.values[s] ?? '';

  const endpointsText = get('etcdEndpoints');
  const discoverySrv = get('etcdDiscoverySrv');
  if (endpointsText !== '' && discoverySrv !== '') {
    throw new InputError(
      'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"' +
        ` (${where('etcdEndpoints')}, ${where('etcdDiscoverySrv')})`,
      {
        code: 'InvalidConfig',
        hint: `remove one of ${settingNames.etcdEndpoints} and ${settingNames.etcdDiscoverySrv}`,
      },
    );
  }
  if (endpointsText === '' && discoverySrv === '') {
    throw new InputError(`no etcd endpoints specified (${where('etcdEndpoints')})`, {
      code: 'InvalidConfig',
      hint: `set ${settingNames.etcdEndpoints}, e.g. https://127.0.0.1:2379`,
    });
  }
  const endpoints = endpointsText === '' ? [] : parseEndpoints(endpointsText, where('etcdEndpoints'));

  const fileSettings: EtcdSetting[] = ['etcdCACertFile', 'etcdCertFile', 'etcdKeyFile'];
  const inlineSettings: EtcdSetting[] = ['etcdCACert', 'etcdCert', 'etcdKey'];
  const usedFiles = fileSettings.filter((s) => get(s) !== '');
  const usedInline = inlineSettings.filter((s) => get(s) !== '');
  if (usedFiles.length > 0 && usedInline.length > 0) {
    throw new InputError(
      `Cannot mix inline certificate-key and certificate / key files (${[...usedInline, ...usedFiles]
        .map((s) => settingNames[s])
        .join(', ')} from ${raw.source})`,
      {
        code: 'InvalidConfig',
        hint: 'use either the inline etcdCACert/etcdCert/etcdKey or the *File settings',
      },
    );
  }
  const pairs: Array<[EtcdSetting, EtcdSetting]> = [
    ['etcdCertFile', 'etcdKeyFile'],
    ['etcdCert', 'etcdKey'],
  ];
  for (const [cert, key] of pairs) {
    if ((get(cert) === '') !== (get(key) === '')) {
      const [set, unset] = get(cert) === '' ? [key, cert] : [cert, key];
      throw new InputError(
        `${settingNames[set]} is set but ${settingNames[unset]} is not (from ${raw.source})`,
        { code: 'InvalidConfig', hint: 'a client certificate needs both the certificate and its key' },
      );
    }
  }

  const config: EtcdConfig = { endpoints, settingNames };
  if (discoverySrv !== '') config.discoverySrv = discoverySrv;
  const files: Array<[EtcdSetting, 'caCertFile' | 'certFile' | 'keyFile', string]> = [
    ['etcdCACertFile', 'caCertFile', 'CA certificate'],
    ['etcdCertFile', 'certFile', 'client certificate'],
    ['etcdKeyFile', 'keyFile', 'client key'],
  ];
  for (const [setting, prop, what] of files) {
    const value = get(setting);
    if (value === '') continue;
    const path = resolve(raw.baseDir, value);
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (err) {
      throw new InputError(
        `cannot read etcd ${what} file ${path} (${where(setting)}): ${describeFsError(err)}`,
        {
          code: 'InvalidConfig',
          hint: `fix ${settingNames[setting]} or the file's permissions`,
        },
      );
    }
    config[prop] = path;
  }
  if (get('etcdCACert') !== '') config.caCert = get('etcdCACert');
  if (get('etcdCert') !== '') config.cert = get('etcdCert');
  if (get('etcdKey') !== '') config.key = get('etcdKey');
  // calicoctl uses username and password only when both are non-empty.
  if (get('etcdUsername') !== '' && get('etcdPassword') !== '') {
    config.username = get('etcdUsername');
    config.password = get('etcdPassword');
  }
  return config;
}

/**
 * ETCD_ENDPOINTS: comma-separated http(s)://HOST:PORT. The port is kept exactly as written (the URL
 * parser drops a scheme's default port, :80 or :443, and gRPC would then dial :443 for either); an
 * endpoint without one is refused, as etcdctl does not connect to one either.
 */
function parseEndpoints(text: string, where: string): string[] {
  const endpoints: string[] = [];
  for (const entry of text.split(',')) {
    const endpoint = entry.trim();
    if (endpoint === '') continue;
    const invalid = (hint: string): InputError =>
      new InputError(
        `invalid etcd endpoint '${shorten(endpoint)}' (${where}): expected http://HOST:PORT or https://HOST:PORT`,
        { code: 'InvalidConfig', hint },
      );
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint)?.[1]?.toLowerCase();
    if (!url || scheme === undefined)
      throw invalid('each endpoint needs a scheme, e.g. https://10.0.0.1:2379');
    if ((scheme !== 'http' && scheme !== 'https') || url.hostname === '') {
      throw invalid(`use http:// or https:// (not ${scheme}://), e.g. https://10.0.0.1:2379`);
    }
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw invalid('remove any path, query or credentials from the endpoint URL');
    }
    // The port as written: after the host (a bracketed IPv6 address may hold colons itself).
    const port = /^[^/]*\/\/(?:\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(endpoint)?.[1];
    if (port === undefined) throw invalid(`add the port, e.g. ${scheme}://${url.host}:2379`);
    endpoints.push(`${url.protocol}//${url.hostname}:${Number(port)}`);
  }
  if (endpoints.length === 0) {
    throw new InputError(`no etcd endpoints specified (${where})`, { code: 'InvalidConfig' });
  }
  const schemes = new Set(endpoints.map((e) => e.slice(0, e.indexOf(':'))));
  if (schemes.size > 1) {
    throw new InputError(`etcd endpoints mix http:// and https:// (${where})`, {
      code: 'InvalidConfig',
      hint: 'use https:// for every endpoint of a TLS cluster, http:// for every endpoint otherwise',
    });
  }
  return endpoints;
}

/** Keeps an error one readable line even when a setting holds megabytes of garbage. */
function shorten(value: string): string {
  return value.length <= 200 ? value : `${value.slice(0, 100)}...(${value.length} characters)`;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
