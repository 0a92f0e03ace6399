/**
 * Configuration and connection failures through the built CLI: one line naming the setting and
 * its source (then a hint), the documented exit code, nothing on stdout, and a bounded run time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { startSilentServer, type SilentServer } from '../../helpers/silent-server.js';
import { tempDir } from '../../helpers/temp.js';
import { freePort, startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

/** Runs `version` (it reads the datastore) and splits stderr into its message and hint lines. */
async function fails(env: Record<string, string>, args: string[] = []) {
  const res = await runCli(['version', ...args], { env });
  const [message, hint] = res.stderr.split('\n');
  return { ...res, message, hint };
}

describe('bad configuration: exit 2, one line, nothing written', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['kubernetes without a kubeconfig', { DATASTORE_TYPE: 'kubernetes' }, 'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable'],
    ['kubernetes with a missing kubeconfig', { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: '/nonexistent/kubeconfig' }, 'stat /nonexistent/kubeconfig: no such file or directory'],
    ['unknown type', { DATASTORE_TYPE: 'consul' }, 'unknown datastore type: consul (DATASTORE_TYPE from environment)'],
    ['endpoint without scheme', { ETCD_ENDPOINTS: '127.0.0.1:2379' }, "invalid etcd endpoint '127.0.0.1:2379' (ETCD_ENDPOINTS from environment): expected http://HOST:PORT or https://HOST:PORT"],
    ['missing cert file', { ETCD_ENDPOINTS: 'https://127.0.0.1:2379', ETCD_CA_CERT_FILE: '/nonexistent/ca.pem' }, 'cannot read etcd CA certificate file /nonexistent/ca.pem (ETCD_CA_CERT_FILE from environment): no such file or directory'],
    ['endpoints and discovery', { CALICO_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', ETCD_DISCOVERY_SRV: 'example.com' }, 'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv" (CALICO_ETCD_ENDPOINTS from environment, ETCD_DISCOVERY_SRV from environment)'],
    ['etcdv3 without endpoints', { DATASTORE_TYPE: 'etcdv3' }, 'no etcd endpoints specified (ETCD_ENDPOINTS from environment)'],
  ]; // prettier-ignore

  it.each(cases)('%s', async (_name, env, message) => {
    const res = await fails(env);
    expect(res.code).toBe(2);
    expect(res.message).toBe(message);
    expect(res.hint).toMatch(/^hint: /);
    // Like calicoctl, version prints the client lines before it reads the configuration.
    expect(res.stdout).toMatch(/^Client Version: .*\nGit commit: .*\n$/);
  });

  it('a missing -c file', async () => {
    const res = await fails({}, ['-c', '/nonexistent/calicoctl.cfg']);
    expect(res.code).toBe(2);
    expect(res.message).toBe('Error reading config file: /nonexistent/calicoctl.cfg');
  });

  it('an invalid config file, also as a JSON error object', async () => {
    const file = join(tempDir(), 'bad.cfg');
    writeFileSync(
      file,
      'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpionts: http://a:2379\n',
    );
    const res = await fails({}, ['-c', file]);
    expect(res.code).toBe(2);
    expect(res.message).toBe(
      `syntax error in ${file}: failed to parse config as YAML/JSON: error unmarshaling JSON: json: unknown field "etcdEndpionts"`,
    );
    const json = await runCli(['version', '-c', file, '-o', 'json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'InvalidConfig', message: res.message },
    });
  });

  it('an unparsable --timeout', async () => {
    const res = await fails({}, ['--timeout', 'soon']);
    expect(res.code).toBe(2);
    expect(res.message).toBe("invalid duration for --timeout: 'soon'");
  });
});

describe('unreachable etcd: exit 3 within the timeout, naming the endpoint', () => {
  let silent: SilentServer;
  beforeAll(async () => void (silent = await startSilentServer()));
  afterAll(() => silent.close());

  it('a closed port: connection refused, at once', async () => {
    const port = await freePort();
    const started = Date.now();
    // A refusal never waits for the deadline: a --timeout far beyond what starting the CLI can
    // take on a loaded machine, and a bound of half of it, which only waiting for it can cross.
    const res = await fails({ ETCD_ENDPOINTS: `http://127.0.0.1:${port}` }, ['--timeout', '40s']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(res.code).toBe(3);
    expect(res.message).toBe(
      `cannot reach etcd at http://127.0.0.1:${port} (from environment): connection refused`,
    );
    expect(res.stdout).toMatch(/^Client Version: .*\nGit commit: .*\n$/);
  });

  it.each(['http', 'https'])('a silent %s endpoint: no answer within --timeout', async (scheme) => {
    const endpoint = `${scheme}://127.0.0.1:${silent.port}`;
    const started = Date.now();
    const res = await fails({ ETCD_ENDPOINTS: endpoint }, ['--timeout', '1500ms']);
    const elapsed = Date.now() - started;
    expect(res.code).toBe(3);
    // The deadline the product applied, in its own words; it cannot have ended before it.
    expect(res.message).toBe(`cannot reach etcd at ${endpoint} (from environment): no answer within 1500ms`);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    // Ten times the deadline: a deadline not applied crosses it (the silent server never
    // answers); starting node on a loaded machine does not.
    expect(elapsed).toBeLessThan(10 * 1500);
  });

  it('several unreachable endpoints: all named', async () => {
    const port = await freePort();
    const res = await fails({ ETCD_ENDPOINTS: `http://127.0.0.1:${port},http://127.0.0.1:${silent.port}` }, [
      '--timeout',
      '1s',
    ]);
    expect(res.code).toBe(3);
    expect(res.message).toMatch(
      new RegExp(
        `^cannot reach etcd at http://127.0.0.1:${port},http://127.0.0.1:${silent.port} \\(from environment\\): `,
      ),
    );
  });
});

describe('TLS and authentication failures name their cause', () => {
  let tls: EtcdServer;
  let auth: EtcdServer;

  beforeAll(async () => {
    [tls, auth] = await Promise.all([
      startEtcd({ tls: true, clientCertAuth: true }),
      startEtcd({ auth: { user: 'calico', password: 'right-pw' } }),
    ]);
    await auth.etcdctl(['user', 'add', 'outsider:outsider-pw']);
  });
  afterAll(async () => {
    await Promise.all([tls?.stop(), auth?.stop()]);
  });

  it('wrong CA', async () => {
    const res = await fails({ ...tls.env, ETCD_CA_CERT_FILE: tls.certs!.untrustedCaFile });
    expect(res.code).toBe(3);
    expect(res.message).toMatch(
      new RegExp(
        `^TLS handshake with etcd at ${tls.endpoint} \\(from environment\\) failed: the server certificate is not trusted by ETCD_CA_CERT_FILE`,
      ),
    );
  });

  it('missing client certificate', async () => {
    const res = await fails({
      DATASTORE_TYPE: 'etcdv3',
      ETCD_ENDPOINTS: tls.endpoint,
      ETCD_CA_CERT_FILE: tls.certs!.caFile,
    });
    expect(res.code).toBe(3);
    expect(res.message).toMatch(/failed: the server requires a client certificate$/);
    expect(res.hint).toBe('hint: set ETCD_CERT_FILE and ETCD_KEY_FILE');
  });

  it('untrusted client certificate', async () => {
    const certs = tls.certs!;
    const res = await fails({
      ...tls.env,
      ETCD_CERT_FILE: certs.untrustedCertFile,
      ETCD_KEY_FILE: certs.untrustedKeyFile,
    });
    expect(res.code).toBe(3);
    expect(res.message).toMatch(/failed: the server rejected the client certificate in ETCD_CERT_FILE$/);
  });

  it('plain client against the TLS server, and TLS client against a plain server', async () => {
    const plainToTls = await fails({ ETCD_ENDPOINTS: tls.endpoint.replace('https:', 'http:') });
    expect(plainToTls.code).toBe(3);
    expect(plainToTls.message).toMatch(/failed: the server speaks TLS but the endpoint is http:\/\/$/);
    const tlsToPlain = await fails({
      ETCD_ENDPOINTS: auth.endpoint.replace('http:', 'https:'),
      ETCD_CA_CERT_FILE: tls.certs!.caFile,
    });
    expect(tlsToPlain.code).toBe(3);
    expect(tlsToPlain.message).toMatch(/failed: the server does not speak TLS$/);
  });

  it('wrong password: names the user and the settings, never the password', async () => {
    const res = await fails({ ...auth.env, ETCD_PASSWORD: 'wrong-pw' });
    expect(res.code).toBe(3);
    expect(res.message).toBe(
      `etcd at ${auth.endpoint} (from environment) rejected the credentials of user 'calico': invalid user name or password`,
    );
    expect(res.hint).toBe('hint: check ETCD_USERNAME and ETCD_PASSWORD');
    expect(res.stderr + res.stdout).not.toContain('wrong-pw');
  });

  it('no credentials, and a user whose role cannot read /calico/', async () => {
    const none = await fails({ ETCD_ENDPOINTS: auth.endpoint });
    expect(none.code).toBe(3);
    expect(none.message).toMatch(/requires authentication and no credentials were given$/);
    const outsider = await fails({ ...auth.env, ETCD_USERNAME: 'outsider', ETCD_PASSWORD: 'outsider-pw' });
    expect(outsider.code).toBe(3);
    expect(outsider.message).toBe(
      `etcd at ${auth.endpoint} (from environment) denied user 'outsider' access: permission denied`,
    );
  });
});
