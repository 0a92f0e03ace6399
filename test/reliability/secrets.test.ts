/**
 * Secrets stay secret: the etcd password, the client private key (as a file or inline in the config
 * file) and etcd auth tokens never appear in stdout, stderr (also with --debug and -o json, also
 * when the command fails) or in files the tool writes; those files are not readable by others; and
 * a config file holding a secret that others can read gets a one-line warning.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { freePort, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';

const PASSWORD = 'pw-Secr3t-7f3a9c41d2';
const WRONG_PASSWORD = 'pw-Wr0ng-55e2b1a0c9';
/** etcd's simple tokens look like `ZnKHLsQwBqLfDeUb.23`. */
const TOKEN = /\b[A-Za-z]{16}\.\d+\b/;

let etcd: EtcdServer;
const dir = tempDir('calicoctl-ts-secrets-');
let keyLines: string[];
let inlineConfig: string;

function file(name: string, text: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

/** The base64 lines of the PEM private key: none of them may show up anywhere. */
function pemBody(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
}

function expectNoSecret(text: string, where: string): void {
  expect(text, where).not.toContain(PASSWORD);
  expect(text, where).not.toContain(WRONG_PASSWORD);
  for (const line of keyLines) expect(text, where).not.toContain(line);
  expect(text, where).not.toMatch(TOKEN);
}

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: secret-test
spec:
  cidr: 10.70.0.0/16
`;

beforeAll(async () => {
  etcd = await startEtcd({ tls: true, clientCertAuth: true, auth: { user: 'calico', password: PASSWORD } });
  const certs = etcd.certs!;
  keyLines = [
    ...pemBody(readFileSync(certs.keyFile, 'utf8')),
    ...pemBody(readFileSync(certs.untrustedKeyFile, 'utf8')),
  ];
  expect(keyLines.length).toBeGreaterThan(1);
  const indent = (pem: string): string =>
    pem
      .trimEnd()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
  inlineConfig = `apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata:
spec:
  etcdEndpoints: ${etcd.endpoint}
  etcdUsername: calico
  etcdPassword: ${PASSWORD}
  etcdCACert: |
${indent(readFileSync(certs.caFile, 'utf8'))}
  etcdCert: |
${indent(readFileSync(certs.certFile, 'utf8'))}
  etcdKey: |
${indent(readFileSync(certs.keyFile, 'utf8'))}
`;
});
afterAll(async () => {
  await etcd?.stop();
});

describe('no secret in any output', () => {
  it('successful commands, with the password and key from the environment and from an inline config', async () => {
    const pool = file('pool.yaml', POOL);
    const config = file('inline.cfg', inlineConfig);
    const exportFile = join(dir, 'export.jsonl');
    // One after the other: the export must see the pool the apply wrote.
    const runs: Array<[string, () => Promise<CliResult>]> = [
      ['apply (env)', () => runCli(['apply', '-f', pool, '--debug'], { env: etcd.env })],
      [
        'get -o yaml (inline config)',
        () => runCli(['get', 'ippools', '-o', 'yaml', '-c', config, '--debug']),
      ],
      ['version -o json (env)', () => runCli(['version', '-o', 'json', '--debug'], { env: etcd.env })],
      ['ipam show (inline config)', () => runCli(['ipam', 'show', '-c', config])],
      [
        'datastore export (env)',
        () => runCli(['datastore', 'export', '-o', exportFile, '--debug'], { env: etcd.env }),
      ],
    ];
    for (const [name, run] of runs) {
      const res = await run();
      expect(res.code, `${name}: ${res.stderr}`).toBe(0);
      expectNoSecret(res.stdout + res.stderr, name);
    }
    expectNoSecret(readFileSync(exportFile, 'utf8'), 'the export file');
    expect(readFileSync(exportFile, 'utf8')).toContain('secret-test');
  });

  it('failing commands, also with --debug (stack traces) and -o json', async () => {
    const certs = etcd.certs!;
    const config = file('inline.cfg', inlineConfig);
    const wrongPwConfig = file('wrong-pw.cfg', inlineConfig.replace(PASSWORD, WRONG_PASSWORD));
    const wrongCaConfig = file(
      'wrong-ca.cfg',
      inlineConfig.replace(
        /etcdCACert: \|\n(?: {4}.*\n)+/,
        `etcdCACert: |\n${readFileSync(certs.untrustedCaFile, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}\n`,
      ),
    );
    const closed = `https://127.0.0.1:${await freePort()}`;
    const bad = file('bad.yaml', POOL.replace('10.70.0.0/16', '10.70.0.1/16'));
    const cases: Array<[string, string[], Record<string, string> | undefined, number]> = [
      [
        'wrong password (env)',
        ['get', 'ippools', '--debug'],
        { ...etcd.env, ETCD_PASSWORD: WRONG_PASSWORD },
        3,
      ],
      [
        'wrong password (env, json)',
        ['get', 'ippools', '-o', 'json', '--debug'],
        { ...etcd.env, ETCD_PASSWORD: WRONG_PASSWORD },
        3,
      ],
      ['wrong password (inline config)', ['apply', '-f', bad, '-c', wrongPwConfig, '--debug'], undefined, 3],
      [
        'untrusted client key (env)',
        ['get', 'ippools', '--debug'],
        { ...etcd.env, ETCD_CERT_FILE: certs.untrustedCertFile, ETCD_KEY_FILE: certs.untrustedKeyFile },
        3,
      ],
      ['wrong CA (inline config)', ['version', '--debug', '-c', wrongCaConfig], undefined, 3],
      ['closed port (env)', ['get', 'ippools', '--debug'], { ...etcd.env, ETCD_ENDPOINTS: closed }, 3],
      ['invalid manifest (inline config)', ['apply', '-f', bad, '-c', config, '--debug'], undefined, 2],
      ['unknown flag', ['get', 'ippools', '--password', PASSWORD], etcd.env, 2],
    ];
    for (const [name, args, env, code] of cases) {
      const res = await runCli(args, env ? { env } : {});
      expect(res.code, `${name}: ${res.stderr}`).toBe(code);
      if (name !== 'unknown flag') expectNoSecret(res.stdout + res.stderr, name);
      else expect(res.stderr).not.toContain(PASSWORD);
    }
  });
});

describe('files the tool writes are private', () => {
  it('the embedded store, an export and an ipam check report are 0600 in 0700 directories (umask 022)', async () => {
    const previous = process.umask(0o022);
    try {
      const store = join(dir, 'state', 'datastore.db');
      const env = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: store };
      expect((await runCli(['apply', '-f', file('pool.yaml', POOL)], { env })).code).toBe(0);
      const exportFile = join(dir, 'embedded-export.jsonl');
      expect((await runCli(['datastore', 'export', '-o', exportFile], { env })).code).toBe(0);
      const report = join(dir, 'check-report.json');
      const check = await runCli(['ipam', 'check', '-o', report], { env });
      expect(check.code, check.stderr).toBe(0);
      const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
      expect(mode(join(dir, 'state'))).toBe('700');
      expect(mode(store)).toBe('600');
      expect(mode(exportFile)).toBe('600');
      expect(mode(report)).toBe('600');
    } finally {
      process.umask(previous);
    }
  });
});

describe('a readable config file that holds a secret', () => {
  it('warns once on stderr, naming the file, its mode and the fix; not when it is 0600', async () => {
    const loose = file('loose.cfg', inlineConfig, 0o644);
    const res = await runCli(['get', 'ippools', '-c', loose]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe(
      `warning: ${loose} holds a password and a private key and is readable by other users (mode 0644); run chmod 600 ${loose}\n`,
    );
    expectNoSecret(res.stdout + res.stderr, 'warning');
    const tight = file('tight.cfg', inlineConfig, 0o600);
    const quiet = await runCli(['get', 'ippools', '-c', tight]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
