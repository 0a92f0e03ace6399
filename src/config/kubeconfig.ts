/**
 * Resolves calicoctl's Kubernetes settings to one API server and one identity, as calicoctl does
 * (libcalico-go k8s/client.go CreateKubernetesClientset over client-go's clientcmd v0.34):
 *
 * 1. `kubeconfigInline` is parsed alone; none of the overrides apply.
 * 2. Otherwise the kubeconfig files: one path must exist (ExplicitPath); several (KUBECONFIG joined
 *    by ':') are merged with client-go's precedence: missing files are skipped, the first file to
 *    name a cluster, user or context wins it whole, and the first file to set current-context wins.
 * 3. The context is k8sCurrentContext or current-context; its cluster and user, with calicoctl's
 *    overrides on top (server, CA file, client certificate and key, token, insecure-skip-tls-verify;
 *    a CA or insecure override replaces the CA and insecure settings together).
 * 4. Nothing configured: in-cluster configuration when running in a pod, else client-go's
 *    `invalid configuration: no configuration has been provided, ...`.
 *
 * @kubernetes/client-node's KubeConfig is not used for this: its mergeConfig refuses a name two
 * files share and lets the last file's current-context win, unlike client-go (docs/kdd.md).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

import yaml from 'js-yaml';

import { InputError } from '../errors.js';
import { pathExists } from './load.js';
import type { KubernetesConfig } from './types.js';

/** One API server and the credentials to use with it. */
export interface KubeClientSettings {
  /** https://HOST:PORT (or http://) without a trailing slash. */
  server: string;
  tlsServerName?: string;
  insecureSkipTLSVerify: boolean;
  caFile?: string;
  /** base64 PEM, as in a kubeconfig. */
  caData?: string;
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  token?: string;
  username?: string;
  password?: string;
  /** A kubeconfig user's `exec` or `auth-provider` section, passed to the client unchanged. */
  exec?: unknown;
  authProvider?: unknown;
  /** Where the settings came from, for messages: `context admin in /root/.kube/config`. */
  origin: string;
  /** Problems that do not stop the command (client-go's warnings). */
  warnings: string[];
}

/** Where a pod finds its service account (client-go rest.InClusterConfig). */
export const IN_CLUSTER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const IN_CLUSTER_CA_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

const EMPTY_CONFIG =
  'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable';

interface NamedEntries {
  clusters: Map<string, Record<string, unknown>>;
  users: Map<string, Record<string, unknown>>;
  contexts: Map<string, Record<string, unknown>>;
  currentContext: string;
  /** The files the settings were read from. */
  files: string[];
}

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** In-cluster service account files (tests point them elsewhere). */
  inClusterTokenFile?: string;
  inClusterCAFile?: string;
}

export function resolveKubeClient(config: KubernetesConfig, opts: ResolveOptions): KubeClientSettings {
  const warnings: string[] = [];
  if (config.inline !== undefined) {
    const entries = emptyEntries();
    mergeFile(entries, parseKubeconfig(config.inline, config.settingNames.kubeconfigInline), undefined);
    return select(entries, config, warnings, {
      overrides: false,
      where: config.settingNames.kubeconfigInline,
    });
  }
  const entries = loadFiles(config, warnings);
  try {
    return select(entries, config, warnings, { overrides: true, where: describeFiles(entries, config) });
  } catch (err) {
    // client-go's DeferredLoadingClientConfig: an empty configuration falls back to in-cluster.
    const settings = err instanceof InputError && err.message === EMPTY_CONFIG ? inCluster(opts) : undefined;
    if (!settings) throw err;
    return settings;
  }
}

function emptyEntries(): NamedEntries {
  return { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '', files: [] };
}

/** client-go ClientConfigLoadingRules.Load with ExplicitPath (one entry) or Precedence (several). */
function loadFiles(config: KubernetesConfig, warnings: string[]): NamedEntries {
  const entries = emptyEntries();
  const paths = config.kubeconfig;
  if (paths.length === 1) {
    const [path] = paths as [string];
    if (!pathExists(path)) {
      throw new InputError(`stat ${path}: no such file or directory`, {
        code: 'InvalidConfig',
        hint: `fix ${config.settingNames.kubeconfig}, or point it at several files joined by ':' to merge them`,
      });
    }
    mergeFile(entries, readKubeconfig(path), path);
    return entries;
  }
  const missing: string[] = [];
  for (const path of new Set(paths)) {
    if (path === '') continue;
    if (!pathExists(path)) {
      missing.push(path);
      continue;
    }
    mergeFile(entries, readKubeconfig(path), path);
  }
  if (missing.length > 0 && entries.files.length === 0)
    warnings.push(`warning: Config not found: ${missing.join(', ')}`);
  return entries;
}

interface KubeconfigDocument {
  clusters: Array<{ name: string; value: Record<string, unknown> }>;
  users: Array<{ name: string; value: Record<string, unknown> }>;
  contexts: Array<{ name: string; value: Record<string, unknown> }>;
  currentContext: string;
}

function readKubeconfig(path: string): KubeconfigDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`error loading config file "${path}": ${(err as Error).message}`, {
      code: 'InvalidConfig',
    });
  }
  const doc = parseKubeconfig(text, `config file "${path}"`);
  // client-go ResolveLocalPaths: file references are relative to the kubeconfig that holds them.
  const base = dirname(path);
  const absolute = (section: Record<string, unknown>, fields: string[]): void => {
    for (const f of fields) {
      const v = section[f];
      if (typeof v === 'string' && v !== '' && !isAbsolute(v)) section[f] = join(base, v);
    }
  };
  for (const c of doc.clusters) absolute(c.value, ['certificate-authority']);
  for (const u of doc.users) absolute(u.value, ['client-certificate', 'client-key', 'tokenFile']);
  return doc;
}

function parseKubeconfig(text: string, where: string): KubeconfigDocument {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new InputError(`error loading ${where}: ${(err as Error).message.split('\n')[0]}`, {
      code: 'InvalidConfig',
      hint: 'a kubeconfig is YAML with clusters, users, contexts and current-context',
    });
  }
  const root = isObject(doc) ? doc : {};
  const named = (list: unknown, field: string): KubeconfigDocument['clusters'] =>
    (Array.isArray(list) ? list : []).flatMap((item) =>
      isObject(item) && typeof item.name === 'string'
        ? [{ name: item.name, value: isObject(item[field]) ? { ...item[field] } : {} }]
        : [],
    );
  return {
    clusters: named(root.clusters, 'cluster'),
    users: named(root.users, 'user'),
    contexts: named(root.contexts, 'context'),
    currentContext: typeof root['current-context'] === 'string' ? root['current-context'] : '',
  };
}

/** The first file to set a name or current-context wins it (client-go's precedence). */
function mergeFile(entries: NamedEntries, doc: KubeconfigDocument, path: string | undefined): void {
  const first = (into: Map<string, Record<string, unknown>>, items: KubeconfigDocument['clusters']): void => {
    for (const { name, value } of items) if (!into.has(name)) into.set(name, value);
  };
  first(entries.clusters, doc.clusters);
  first(entries.users, doc.users);
  first(entries.contexts, doc.contexts);
  if (entries.currentContext === '') entries.currentContext = doc.currentContext;
  if (path !== undefined) entries.files.push(path);
}

function describeFiles(entries: NamedEntries, config: KubernetesConfig): string {
  if (entries.files.length === 0) return config.settingNames.k8sAPIEndpoint;
  return entries.files.join(':');
}

/** client-go DirectClientConfig.ClientConfig with calicoctl's overrides. */
function select(
  entries: NamedEntries,
  config: KubernetesConfig,
  warnings: string[],
  { overrides: apply, where }: { overrides: boolean; where: string },
): KubeClientSettings {
  const o = apply ? config.overrides : { insecureSkipTLSVerify: false };
  const contextName = o.context ?? entries.currentContext;
  const context = entries.contexts.get(contextName);
  if (o.context !== undefined && !context) {
    throw new InputError(`context "${o.context}" does not exist`, {
      code: 'InvalidConfig',
      hint: `set ${config.settingNames.k8sCurrentContext} (or --context) to a context of ${where}: ${[...entries.contexts.keys()].join(', ') || 'it has none'}`,
    });
  }
  const problems: string[] = [];
  if (contextName !== '' && !context)
    problems.push(`context was not found for specified context: ${contextName}`);
  const clusterName = str(context?.cluster);
  const userName = str(context?.user);
  const cluster = { ...(entries.clusters.get(clusterName) ?? {}) };
  const user = { ...(entries.users.get(userName) ?? {}) };
  if (o.server !== undefined) {
    cluster.server = o.server;
    delete cluster['tls-server-name'];
  }
  if (o.caFile !== undefined || o.insecureSkipTLSVerify) {
    cluster['certificate-authority'] = o.caFile;
    delete cluster['certificate-authority-data'];
    cluster['insecure-skip-tls-verify'] = o.insecureSkipTLSVerify;
  }
  if (o.certFile !== undefined) user['client-certificate'] = o.certFile;
  if (o.keyFile !== undefined) user['client-key'] = o.keyFile;
  if (o.token !== undefined) user.token = o.token;

  const server = str(cluster.server).replace(/\/$/, '');
  if (Object.keys(cluster).length === 0) {
    if (problems.length === 0) fail(EMPTY_CONFIG, config);
    problems.push('cluster has no server defined');
  } else if (server === '') {
    problems.push(
      clusterName === ''
        ? 'default cluster has no server defined'
        : `no server found for cluster "${clusterName}"`,
    );
  }
  const caFile = str(cluster['certificate-authority']);
  if (caFile !== '' && !readable(caFile))
    problems.push(
      `unable to read certificate-authority ${caFile} for ${clusterName} due to open ${caFile}: no such file or directory`,
    );
  if (problems.length > 0) fail(`invalid configuration: ${aggregate(problems)}`, config);

  const settings: KubeClientSettings = {
    server,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    origin: contextName === '' ? where : `context ${contextName} in ${where}`,
    warnings,
  };
  const set = <K extends keyof KubeClientSettings>(key: K, value: unknown): void => {
    if (typeof value === 'string' && value !== '') settings[key] = value as KubeClientSettings[K];
  };
  set('tlsServerName', cluster['tls-server-name']);
  set('caFile', cluster['certificate-authority']);
  set('caData', cluster['certificate-authority-data']);
  set('certFile', user['client-certificate']);
  set('certData', user['client-certificate-data']);
  set('keyFile', user['client-key']);
  set('keyData', user['client-key-data']);
  set('username', user.username);
  set('password', user.password);
  if (str(user.token) !== '') settings.token = str(user.token);
  else if (str(user.tokenFile) !== '') settings.token = readToken(str(user.tokenFile)).trim();
  if (user.exec !== undefined) settings.exec = user.exec;
  if (user['auth-provider'] !== undefined) settings.authProvider = user['auth-provider'];
  return settings;
}

/** client-go rest.InClusterConfig, when KUBERNETES_SERVICE_HOST/PORT are set and the token exists. */
function inCluster(opts: ResolveOptions): KubeClientSettings | undefined {
  const host = opts.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = opts.env.KUBERNETES_SERVICE_PORT ?? '';
  const tokenFile = opts.inClusterTokenFile ?? IN_CLUSTER_TOKEN_FILE;
  if (host === '' || port === '' || !readable(tokenFile)) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    insecureSkipTLSVerify: false,
    caFile: opts.inClusterCAFile ?? IN_CLUSTER_CA_FILE,
    token: readToken(tokenFile).trim(),
    origin: 'in-cluster configuration (KUBERNETES_SERVICE_HOST)',
    warnings: [],
  };
}

function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      {
        code: 'InvalidConfig',
        hint: 'the kubeconfig user names a tokenFile that cannot be read',
      },
    );
  }
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several as [a, b]. */
function aggregate(messages: string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}

function fail(message: string, config: KubernetesConfig): never {
  const names = config.settingNames;
  throw new InputError(message, {
    code: 'InvalidConfig',
    hint: `set ${names.kubeconfig} to a kubeconfig file, or ${names.k8sAPIEndpoint} (see docs/configuration.md)`,
  });
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
