/**
 * Starts a real etcd (Debian etcd-server, `etcd` on PATH) for one test file: 127.0.0.1 only,
 * free client and peer ports, a temporary data dir, optional TLS (certificates made here with
 * openssl) and optional user/password auth. stop() kills it and removes every temporary file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EtcdCerts {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caFile: string;
  /** A client certificate and key signed by caFile (CN "calicoctl-ts-client"). */
  certFile: string;
  keyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A second CA the server does not trust, and a client certificate signed by it. */
  untrustedCaFile: string;
  untrustedCertFile: string;
  untrustedKeyFile: string;
}

export interface EtcdServerOptions {
  /** Serve clients over https (server certificate with IP SAN 127.0.0.1). */
  tls?: boolean;
  /** Require a client certificate signed by certs.caFile (implies tls). */
  clientCertAuth?: boolean;
  /** Enable auth with root and this user; the user's role may read and write the /calico/ prefix. */
  auth?: { user: string; password: string };
}

export interface EtcdServer {
  /** The client URL, e.g. http://127.0.0.1:40123 */
  endpoint: string;
  endpoints: string[];
  /** What the CLI needs to talk to this server: DATASTORE_TYPE, ETCD_ENDPOINTS, TLS and auth settings. */
  env: Record<string, string>;
  certs?: EtcdCerts;
  dataDir: string;
  /** Password of the etcd root user when auth is enabled. */
  rootPassword?: string;
  /** Runs etcdctl against this server (as root when auth is on) and returns its stdout. */
  etcdctl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const ROOT_PASSWORD = 'root-secret-pw';
const START_TIMEOUT_MS = 20_000;

/** A port nobody listens on right now (the kernel picks it; etcd binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Generates a CA, a server certificate for 127.0.0.1, a client certificate, and an untrusted CA + client. */
export async function generateCerts(): Promise<EtcdCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'calicoctl-ts-certs-'));
  const p = (name: string): string => join(dir, name);
  const openssl = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });

  const makeCa = async (name: string, cn: string): Promise<void> => {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(`${name}.key`)]);
    await openssl([
      'req', '-x509', '-new', '-key', p(`${name}.key`), '-sha256', '-days', '2',
      '-subj', `/CN=${cn}`, '-out', p(`${name}.pem`),
    ]); // prettier-ignore
  };
  const makeLeaf = async (name: string, ca: string, cn: string, ext: string): Promise<void> => {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(`${name}.key`)]);
    await openssl(['req', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-out', p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), ext);
    await openssl([
      'x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.pem`), '-CAkey', p(`${ca}.key`),
      '-CAcreateserial', '-days', '2', '-sha256', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`),
    ]); // prettier-ignore
  };

  await makeCa('ca', 'calicoctl-ts test CA');
  await makeCa('untrusted-ca', 'calicoctl-ts untrusted CA');
  await makeLeaf(
    'server',
    'ca',
    'etcd-server',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await makeLeaf('client', 'ca', 'calicoctl-ts-client', 'extendedKeyUsage=clientAuth\n');
  await makeLeaf('untrusted-client', 'untrusted-ca', 'calicoctl-ts-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: p('ca.pem'),
    certFile: p('client.pem'),
    keyFile: p('client.key'),
    serverCertFile: p('server.pem'),
    serverKeyFile: p('server.key'),
    untrustedCaFile: p('untrusted-ca.pem'),
    untrustedCertFile: p('untrusted-client.pem'),
    untrustedKeyFile: p('untrusted-client.key'),
  };
}

export async function startEtcd(opts: EtcdServerOptions = {}): Promise<EtcdServer> {
  const tls = opts.tls === true || opts.clientCertAuth === true;
  const certs = tls ? await generateCerts() : undefined;
  let lastError: unknown;
  // The free port can be taken between our probe and etcd's bind: try a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts, certs);
    } catch (err) {
      lastError = err;
    }
  }
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
  throw lastError;
}

async function startOnce(opts: EtcdServerOptions, certs: EtcdCerts | undefined): Promise<EtcdServer> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'calicoctl-ts-etcd-'));
  const scheme = certs ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'test',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `test=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    // Room for the >4 MiB range tests; etcd's default request cap is 1.5 MiB.
    '--max-request-bytes', String(8 * 1024 * 1024),
  ]; // prettier-ignore
  if (certs) {
    args.push('--cert-file', certs.serverCertFile, '--key-file', certs.serverKeyFile);
    if (opts.clientCertAuth) args.push('--client-cert-auth', '--trusted-ca-file', certs.caFile);
  }

  const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    log = (log + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const tlsArgs = certs ? ['--cacert', certs.caFile, '--cert', certs.certFile, '--key', certs.keyFile] : [];
  let authOn = false;
  const etcdctl = async (extra: string[]): Promise<string> => {
    const user = authOn ? ['--user', `root:${ROOT_PASSWORD}`] : [];
    const { stdout } = await run('etcdctl', ['--endpoints', endpoint, ...tlsArgs, ...user, ...extra], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    return stdout;
  };

  const stop = async (): Promise<void> => {
    await killChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  };

  try {
    await waitHealthy(endpoint, certs, child, () => log);
    if (opts.auth) {
      await etcdctl(['user', 'add', `root:${ROOT_PASSWORD}`]);
      await etcdctl(['user', 'add', `${opts.auth.user}:${opts.auth.password}`]);
      await etcdctl(['role', 'add', 'calico']);
      await etcdctl(['role', 'grant-permission', 'calico', '--prefix=true', 'readwrite', '/calico/']);
      await etcdctl(['user', 'grant-role', opts.auth.user, 'calico']);
      await etcdctl(['auth', 'enable']);
      authOn = true;
    }
  } catch (err) {
    await killChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const env: Record<string, string> = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: endpoint };
  if (certs) {
    env.ETCD_CA_CERT_FILE = certs.caFile;
    env.ETCD_CERT_FILE = certs.certFile;
    env.ETCD_KEY_FILE = certs.keyFile;
  }
  if (opts.auth) {
    env.ETCD_USERNAME = opts.auth.user;
    env.ETCD_PASSWORD = opts.auth.password;
  }
  return {
    endpoint,
    endpoints: [endpoint],
    env,
    ...(certs ? { certs } : {}),
    dataDir,
    ...(opts.auth ? { rootPassword: ROOT_PASSWORD } : {}),
    etcdctl,
    stop,
  };
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export async function killChild(child: ChildProcess, exited: Promise<void>, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls GET /health until etcd reports healthy, or fails with etcd's log if it exits or takes too long. */
async function waitHealthy(
  endpoint: string,
  certs: EtcdCerts | undefined,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited during start-up:\n${log()}`);
    }
    if (await etcdHealthy(endpoint, certs)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${endpoint} did not become healthy within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

/** Whether etcd at endpoint answers GET /health with "health": "true" (within a second). */
export function etcdHealthy(endpoint: string, certs?: EtcdCerts): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL('/health', endpoint);
    const options = certs
      ? {
          ca: readFileSync(certs.caFile),
          cert: readFileSync(certs.certFile),
          key: readFileSync(certs.keyFile),
          timeout: 1000,
        }
      : { timeout: 1000 };
    const req = (certs ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface EtcdMember {
  name: string;
  endpoint: string;
  /** The member's client port. */
  port: number;
  /** The running etcd's pid (changes on restart). */
  readonly pid: number;
  /** SIGSTOP: the kernel still accepts connections, nothing answers (a hung process, a disk stall). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  resume(): void;
  /** SIGKILL, and waits for the process to be gone. */
  kill(): Promise<void>;
  /** Starts the member again on its ports and data dir (after kill()) and waits until it answers. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, in member order. */
  endpoints: string[];
  /** DATASTORE_TYPE and ETCD_ENDPOINTS for the CLI (in member order unless endpoints are given). */
  env(endpoints?: string[]): Record<string, string>;
  /** The index of the member that is the leader now, as the live members see it. */
  leader(): Promise<number>;
  /** Makes member `to` the leader (etcdctl move-leader) and waits until it is. */
  moveLeader(to: number): Promise<void>;
  /** Runs etcdctl against the given endpoints (all members by default) and returns its stdout. */
  etcdctl(args: string[], endpoints?: string[]): Promise<string>;
  /** Resumes frozen members, kills every member and removes every data dir. */
  stop(): Promise<void>;
}

interface MemberProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * A real etcd cluster of `size` members (3 or 5) on 127.0.0.1: free client and peer ports, one
 * temporary data dir each, etcd's default heartbeat and election timeouts (as in production).
 */
export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startClusterOnce(size);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startClusterOnce(size: number): Promise<EtcdCluster> {
  const specs: { name: string; clientPort: number; peerUrl: string; dataDir: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({
      name: `m${i}`,
      clientPort: await freePort(),
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: mkdtempSync(join(tmpdir(), 'calicoctl-ts-etcd-cluster-')),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const logs = specs.map(() => '');
  const spawnMember = (i: number, state: 'new' | 'existing'): MemberProcess => {
    const s = specs[i]!;
    const endpoint = `http://127.0.0.1:${s.clientPort}`;
    const child = spawn(
      'etcd',
      [
        '--name', s.name,
        '--data-dir', s.dataDir,
        '--listen-client-urls', endpoint,
        '--advertise-client-urls', endpoint,
        '--listen-peer-urls', s.peerUrl,
        '--initial-advertise-peer-urls', s.peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', state,
        '--initial-cluster-token', `calicoctl-ts-${process.pid}-${specs[0]!.clientPort}`,
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        '--max-request-bytes', String(8 * 1024 * 1024),
      ], // prettier-ignore
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      logs[i] = (logs[i]! + d).slice(-20_000);
    });
    return { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  };
  const procs = specs.map((_, i) => spawnMember(i, 'new'));
  const frozen = new Set<number>();
  const endpoints = specs.map((s) => `http://127.0.0.1:${s.clientPort}`);

  const stop = async (): Promise<void> => {
    for (const i of frozen) procs[i]!.child.kill('SIGCONT');
    frozen.clear();
    await Promise.all(procs.map((p) => killChild(p.child, p.exited)));
    for (const s of specs) rmSync(s.dataDir, { recursive: true, force: true });
  };

  const etcdctl = async (args: string[], at = endpoints): Promise<string> => {
    const { stdout } = await run('etcdctl', ['--endpoints', at.join(','), ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    return stdout;
  };

  // Member ids are 64-bit: read as text (JSON.parse would round them to doubles).
  const memberIds = async (): Promise<{ leader: number; ids: string[] }> => {
    const live = endpoints.filter((_, i) => !frozen.has(i) && procs[i]!.child.exitCode === null);
    const text = await etcdctl(['endpoint', 'status', '-w', 'json', '--command-timeout', '2s'], live).catch(
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    const ids = endpoints.map(() => '');
    const leaders: string[] = [];
    for (const m of text.matchAll(
      /"Endpoint":"([^"]+)","Status":\{"header":\{[^}]*"member_id":(\d+)[^}]*\}([^\]]*?)\}\}/g,
    )) {
      const i = endpoints.indexOf(m[1]!);
      if (i >= 0) ids[i] = BigInt(m[2]!).toString(16);
      const leaderId = /"leader":(\d+)/.exec(m[3]!)?.[1];
      if (leaderId && leaderId !== '0') leaders.push(BigInt(leaderId).toString(16));
    }
    return { leader: leaders[0] ? ids.indexOf(leaders[0]) : -1, ids };
  };

  const leader = async (): Promise<number> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const { leader: index } = await memberIds();
      if (index >= 0) return index;
      if (Date.now() > deadline) throw new Error('the etcd cluster elected no leader');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const members = specs.map(
    (s, i): EtcdMember => ({
      name: s.name,
      endpoint: endpoints[i]!,
      port: s.clientPort,
      get pid() {
        return procs[i]!.child.pid!;
      },
      freeze() {
        procs[i]!.child.kill('SIGSTOP');
        frozen.add(i);
      },
      resume() {
        procs[i]!.child.kill('SIGCONT');
        frozen.delete(i);
      },
      async kill() {
        if (frozen.delete(i)) procs[i]!.child.kill('SIGCONT');
        procs[i]!.child.kill('SIGKILL');
        await procs[i]!.exited;
      },
      async restart() {
        procs[i] = spawnMember(i, 'existing');
        await waitHealthy(endpoints[i]!, undefined, procs[i]!.child, () => logs[i]!);
      },
    }),
  );

  try {
    await Promise.all(endpoints.map((e, i) => waitHealthy(e, undefined, procs[i]!.child, () => logs[i]!)));
    await leader();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    members,
    endpoints,
    env: (at = endpoints) => ({ DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: at.join(',') }),
    leader,
    async moveLeader(to) {
      // A member just resumed or restarted may be missing from the status for a moment: ask again.
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        const { leader: from, ids } = await memberIds();
        if (from === to) return;
        if (from >= 0 && ids[to]) {
          await etcdctl(['move-leader', ids[to]], [endpoints[from]!]).catch((err: unknown) => {
            if (Date.now() > deadline) throw err;
          });
        }
        if (Date.now() > deadline) throw new Error(`member ${to} did not become the leader`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    etcdctl,
    stop,
  };
}
