/**
 * A real Kubernetes API server for one test file: a real etcd (./etcd-server.ts) and kube-apiserver
 * v1.34.2 (built from Go modules by scripts/build-kube-apiserver.sh, cached outside the clone) on
 * 127.0.0.1 with free ports, token authentication (`tok123`, in group system:masters) and AlwaysAllow
 * authorization, its self-signed serving certificate and service-account key in a temporary directory
 * of the test's, and Calico's CRDs (test/fixtures/kdd/crds.yaml) installed and Established.
 * stop() stops both servers and removes every file they used.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { loadAll as loadAllYaml } from 'js-yaml';

import { REPO_ROOT } from './cli.js';
import { freePort, killChild, startEtcd, type EtcdServer } from './etcd-server.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);

/** The token the API server accepts, for user `admin` in group `system:masters`. */
export const KUBE_TOKEN = 'tok123';

/**
 * How long a test file's beforeAll may take to start a cluster: mostly waiting for the first build of
 * kube-apiserver on a new machine (scripts/install-test-deps.sh starts it in the background, and
 * several minutes may be left of it when the first Kubernetes test starts), then ~10 s of start-up.
 */
export const KUBE_CLUSTER_START_TIMEOUT_MS = 20 * 60_000;

const BUILD_TIMEOUT_MS = 18 * 60_000;
const READY_TIMEOUT_MS = 90_000;
/** kube-apiserver drains its requests on SIGTERM before it exits. */
const SHUTDOWN_GRACE_MS = 5000;

export interface KubeResponse {
  status: number;
  /** The response body parsed as JSON (undefined when it is not JSON). */
  body: unknown;
  text: string;
}

export interface KubeRequestOptions {
  /** The Content-Type of the body (application/json by default; e.g. application/merge-patch+json). */
  contentType?: string;
}

export interface KubeCluster {
  /** The API server's URL, https://127.0.0.1:<port> */
  server: string;
  /** A kubeconfig file (context `test`, user `admin` with the token, the server's CA). */
  kubeconfig: string;
  /** The serving certificate and the CA that signed it, as kube-apiserver made them (PEM). */
  caFile: string;
  /** What the CLI needs to use this cluster: DATASTORE_TYPE=kubernetes and KUBECONFIG. */
  env: Record<string, string>;
  /** The etcd the API server stores into. */
  etcd: EtcdServer;
  /** An authenticated request to the API server (path from the root, e.g. /api/v1/nodes). */
  request(method: string, path: string, body?: unknown, options?: KubeRequestOptions): Promise<KubeResponse>;
  stop(): Promise<void>;
}

export interface KubeClusterOptions {
  /** Install test/fixtures/kdd/crds.yaml (default true). */
  crds?: boolean;
  /** The checkout whose scripts and fixtures to use (the benchmark runs bundled, elsewhere). */
  repoRoot?: string;
}

/** The path of the kube-apiserver binary: built, or found in the cache, by the project's script. */
export async function kubeApiserverBinary(repoRoot = REPO_ROOT): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(repoRoot, 'scripts', 'build-kube-apiserver.sh')], {
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim().split('\n').at(-1)!;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/build-kube-apiserver.sh failed:\n${stderr.slice(-4000)}`, { cause: err });
  }
}

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const binary = await kubeApiserverBinary(repoRoot);
  const etcd = await startEtcd();
  let cluster: KubeCluster | undefined;
  try {
    // The free port can be taken between our probe and the server's bind: try a few times.
    for (let attempt = 1; !cluster; attempt++) {
      try {
        cluster = await startApiserver(binary, etcd);
      } catch (err) {
        if (!(err instanceof PortTakenError) || attempt === 3) throw err;
      }
    }
    if (options.crds !== false)
      await installCrds(cluster, join(repoRoot, 'test', 'fixtures', 'kdd', 'crds.yaml'));
    return cluster;
  } catch (err) {
    await (cluster ? cluster.stop() : etcd.stop());
    throw err;
  }
}

class PortTakenError extends Error {}

async function startApiserver(binary: string, etcd: EtcdServer): Promise<KubeCluster> {
  const dir = tempDir('calicoctl-ts-kube-');
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const certDir = join(dir, 'certs');
  const saKey = join(dir, 'sa.key');
  const tokens = join(dir, 'tokens.csv');
  await run('openssl', ['genrsa', '-out', saKey, '2048']);
  writeFileSync(tokens, `${KUBE_TOKEN},admin,admin,system:masters\n`);
  const args = [
    `--etcd-servers=${etcd.endpoint}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    // The range the `kubernetes` Service's address is taken from: only ever data here.
    '--service-cluster-ip-range=10.0.0.0/24',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${saKey}`,
    `--service-account-signing-key-file=${saKey}`,
    // Nothing here creates the `default` ServiceAccounts this admission plugin waits for.
    '--disable-admission-plugins=ServiceAccount',
    '--authorization-mode=AlwaysAllow',
    `--token-auth-file=${tokens}`,
    '--enable-priority-and-fairness=false',
    '--profiling=false',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    log = (log + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      await killChild(child, exited, SHUTDOWN_GRACE_MS);
      await etcd.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const caFile = join(certDir, 'apiserver.crt');
  const request = (method: string, path: string, body?: unknown, opts: KubeRequestOptions = {}) =>
    kubeRequest(server, readFileSync(caFile), method, path, body, opts);
  try {
    await waitReady(server, certDir, child, () => log);
  } catch (err) {
    await killChild(child, exited, SHUTDOWN_GRACE_MS);
    rmSync(dir, { recursive: true, force: true });
    if (/address already in use/.test(log)) throw new PortTakenError(`port ${port} was taken`);
    throw err;
  }

  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigText(server, caFile));
  return {
    server,
    kubeconfig,
    caFile,
    env: { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig },
    etcd,
    request,
    stop,
  };
}

/** A kubeconfig as kubectl writes one: one cluster, one user with the bearer token, one context. */
export function kubeconfigText(server: string, caFile: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${KUBE_TOKEN}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: admin',
    'current-context: test',
    '',
  ].join('\n');
}

/** Polls /readyz until the server is ready, or fails with its log if it exits or takes too long. */
async function waitReady(
  server: string,
  certDir: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`kube-apiserver exited during start-up:\n${log()}`);
    }
    let ca: Buffer | undefined;
    try {
      ca = readFileSync(join(certDir, 'apiserver.crt'));
    } catch {
      // not written yet
    }
    if (ca) {
      const answer = await kubeRequest(server, ca, 'GET', '/readyz', undefined, {}, 2000).catch(
        (err: Error) => ({ status: 0, text: err.message }),
      );
      if (answer.status === 200) return;
      last = `${answer.status} ${answer.text}`;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `kube-apiserver at ${server} was not ready within ${READY_TIMEOUT_MS} ms (last /readyz: ${last}):\n${log()}`,
  );
}

function kubeRequest(
  server: string,
  ca: Buffer,
  method: string,
  path: string,
  body: unknown,
  opts: KubeRequestOptions,
  timeoutMs = 30_000,
): Promise<KubeResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server),
      {
        method,
        ca,
        timeout: timeoutMs,
        headers: {
          Authorization: `Bearer ${KUBE_TOKEN}`,
          Accept: 'application/json',
          ...(payload === undefined
            ? {}
            : {
                'Content-Type': opts.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(payload),
              }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.end(payload);
  });
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Creates every CRD of test/fixtures/kdd/crds.yaml and waits until each is Established. */
export async function installCrds(cluster: Pick<KubeCluster, 'request'>, file: string): Promise<void> {
  const crds = loadAllYaml(readFileSync(file, 'utf8')).filter(Boolean) as { metadata: { name: string } }[];
  for (const crd of crds) {
    const answer = await cluster.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd,
    );
    if (answer.status !== 201)
      throw new Error(`creating CRD ${crd.metadata.name}: ${answer.status} ${answer.text}`);
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const crd of crds) {
    for (;;) {
      const answer = await cluster.request(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      const conditions = (answer.body as CrdStatus | undefined)?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} was not Established: ${answer.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
