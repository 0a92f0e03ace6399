/** A config file that holds a secret and is readable by other users gets one warning line. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir('calicoctl-ts-secret-warning-');
const header = 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n';

function configFile(name: string, spec: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, header + spec);
  chmodSync(path, mode);
  return path;
}

const load = (configFile: string) => loadClientConfig({ configFile, env: {}, uid: 1000 });

describe('world-readable config file with a secret', () => {
  it('warns about a password in a 0644 file, naming the file and the fix', () => {
    const path = configFile(
      'pw.cfg',
      '  etcdEndpoints: http://127.0.0.1:2379\n  etcdUsername: u\n  etcdPassword: s3cret\n',
      0o644,
    );
    const config = load(path);
    expect(config.warnings).toEqual([
      `warning: ${path} holds a password and is readable by other users (mode 0644); run chmod 600 ${path}`,
    ]);
    expect(config.warnings?.join('')).not.toContain('s3cret');
    expect(config.etcd?.password).toBe('s3cret');
  });

  it('warns about an inline private key in a group-readable file', () => {
    const path = configFile(
      'key.cfg',
      '  etcdEndpoints: https://127.0.0.1:2379\n  etcdCert: CERT-PEM\n  etcdKey: KEY-PEM\n',
      0o640,
    );
    expect(load(path).warnings).toEqual([
      `warning: ${path} holds a private key and is readable by other users (mode 0640); run chmod 600 ${path}`,
    ]);
  });

  it('names both secrets when the file holds both', () => {
    const path = configFile(
      'both.cfg',
      '  etcdEndpoints: https://127.0.0.1:2379\n  etcdUsername: u\n  etcdPassword: p\n  etcdCert: C\n  etcdKey: K\n',
      0o604,
    );
    expect(load(path).warnings?.[0]).toMatch(
      / holds a password and a private key and is readable .*\(mode 0604\)/,
    );
  });

  it('is silent for a 0600 file, a file without secrets, and the environment', () => {
    const secret = '  etcdEndpoints: http://127.0.0.1:2379\n  etcdUsername: u\n  etcdPassword: p\n';
    expect(load(configFile('private.cfg', secret, 0o600)).warnings).toBeUndefined();
    expect(load(configFile('owner-rw-x.cfg', secret, 0o711)).warnings).toBeUndefined();
    expect(
      load(configFile('public.cfg', '  etcdEndpoints: http://127.0.0.1:2379\n', 0o644)).warnings,
    ).toBeUndefined();
    const fromEnv = loadClientConfig({
      env: { ETCD_ENDPOINTS: 'http://127.0.0.1:2379', ETCD_USERNAME: 'u', ETCD_PASSWORD: 'p' },
      uid: 1000,
      defaultConfigFile: join(dir, 'missing.cfg'),
    });
    expect(fromEnv.warnings).toBeUndefined();
  });
});
