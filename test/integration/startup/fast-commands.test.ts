/**
 * version, validate and node status through the fast start-up path: the path is taken, oclif is
 * never loaded, and stdout, stderr and exit code are those of the same command run through oclif,
 * for successes and failures. node status is asked of a real BIRD 1.6 in a network namespace.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIRD1, BirdLab, baseConfig, bgpProtocol, type Daemon } from '../../helpers/bird-lab.js';
import { runCli, tempDir, type CliOptions } from '../../helpers/cli.js';
import { bothPaths, observable } from './parity.js';

const dir = tempDir('calicoctl-ts-startup-');
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pool = (name: string, cidr: string): string =>
  `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;
const goodPool = file('good.yaml', pool('pool1', '10.1.0.0/16'));
const badPool = file('bad.yaml', pool('pool2', '10.1.0.0/33'));
const twoDocs = file('two.yaml', `${pool('a', '10.2.0.0/16')}---\n${pool('b', '10.3.0.0/16')}`);
const notYaml = file('broken.yaml', 'kind: [unclosed\n');
const emptyDir = join(dir, 'empty');
mkdirSync(emptyDir);
const embedded = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'datastore.db') };

/** The same stdout, stderr and exit code on both paths, and the fast one taken. */
async function expectParity(id: string, args: string[], options: CliOptions = {}): Promise<void> {
  const { fast, oclif } = await bothPaths(args, options);
  expect(fast.path, JSON.stringify(args)).toBe(`fast (${id})`);
  expect(oclif.path).toBe('oclif');
  expect(observable(fast), JSON.stringify(args)).toEqual(observable(oclif));
}

describe('version on the fast path', () => {
  it.each([
    [['version', '--client']],
    [['version', '--client', '-o', 'json']],
    [['version']],
    [['version', '-ojson']],
  ])('%j', async (args) => {
    await expectParity('version', args, { env: embedded });
  });

  it('reports an unreachable etcd as oclif does', async () => {
    const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: 'http://127.0.0.1:1' };
    await expectParity('version', ['version', '--timeout', '1s'], { env });
    await expectParity('version', ['version', '--timeout', '1s', '-o', 'json'], { env });
  });
});

describe('validate on the fast path', () => {
  it.each([
    [['validate', '-f', goodPool]],
    [['validate', '-f', goodPool, '-o', 'json']],
    [['validate', `-f${twoDocs}`]],
    [['validate', '-f', badPool]],
    [['validate', '-f', badPool, '-o', 'json']],
    [['validate', '-f', notYaml]],
    [['validate', '-f', join(dir, 'missing.yaml')]],
    [['validate', '-f', join(dir, 'missing.yaml'), '-o', 'json']],
    [['validate', '-R', '-f', dir]],
    [['validate', '-f', emptyDir]],
    [['validate', '-f', emptyDir, '--skip-empty']],
    [['validate']],
  ])('%j', async (args) => {
    await expectParity('validate', args);
  });

  it('reads stdin for -f -', async () => {
    await expectParity('validate', ['validate', '-f', '-'], { input: readFileSync(twoDocs, 'utf8') });
    await expectParity('validate', ['validate', '-f', '-'], { input: '' });
  });
});

describe('node status on the fast path', () => {
  let lab: BirdLab;
  let bird: Daemon;

  beforeAll(async () => {
    lab = new BirdLab();
    const me = lab.addNode(1);
    // Peers whose state does not change while the test runs: one disabled, one waiting passively.
    bird = await lab.startBird(
      me,
      BIRD1,
      'local',
      baseConfig(me.v4, 1) +
        bgpProtocol(
          { name: 'Mesh_10_213_0_15', neighbor: '10.213.0.15', as: 64512, localAs: 64512, disabled: true },
          1,
        ) +
        bgpProtocol(
          { name: 'Node_10_213_0_16', neighbor: '10.213.0.16', as: 64513, localAs: 64512, passive: true },
          1,
        ),
    );
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  // Whether a calico-felix process runs belongs to the machine, which other tests change.
  const machineFree = (run: { stdout: string }): string =>
    run.stdout
      .replace(/Calico process is (not )?running\./, 'Calico process is ...')
      .replace(/"calicoProcessRunning": (true|false)/, '"calicoProcessRunning": ...');

  async function expectStatusParity(args: string[], options: CliOptions = {}): Promise<void> {
    const { fast, oclif } = await bothPaths(args, options);
    expect(fast.path, JSON.stringify(args)).toBe('fast (node:status)');
    expect(oclif.path).toBe('oclif');
    expect({ ...observable(fast), stdout: machineFree(fast) }).toEqual({
      ...observable(oclif),
      stdout: machineFree(oclif),
    });
  }

  it('prints the peer table of a real BIRD', async () => {
    const { fast } = await bothPaths(['node', 'status', '--socket', bird.socket]);
    expect(fast.code).toBe(0);
    expect(fast.stdout).toMatch(/10\.213\.0\.16 +\| node specific +\| start/);
    await expectStatusParity(['node', 'status', '--socket', bird.socket]);
    await expectStatusParity(['node', 'status', '--socket', bird.socket, '-o', 'json']);
    await expectStatusParity(['node', 'status', '--socket', bird.socket, '--detail']);
    await expectStatusParity(['node', 'status', '10.213.0.16', `--socket=${bird.socket}`]);
    await expectStatusParity(['node', 'status'], { env: { CALICO_BIRD_SOCKET: bird.socket } });
  });

  it('fails as oclif does', async () => {
    const missing = join(dir, 'missing.ctl');
    await expectStatusParity(['node', 'status', '--socket', missing]);
    await expectStatusParity(['node', 'status', '--socket', missing, '-o', 'json']);
    await expectStatusParity(['node', 'status', '10.9.9.9', '--socket', bird.socket]);
    await expectStatusParity(['node', 'status', '--socket', bird.socket, '--watch']);
    await expectStatusParity(['node', 'status', '--socket', bird.socket, '--timeout', 'soon']);
  });
});

describe('what the fast path leaves to oclif', () => {
  it.each([
    [['version', '--bogus']],
    [['validate', '-f', goodPool, '-o', 'yaml']],
    [['validate', 'extra']],
    [['node', 'status', 'a', 'b']],
    [['node', 'status', '--socket']],
    [['version', '--client', '--debug']],
    [['validate', '-f', goodPool, '--help']],
  ])('%j', async (args) => {
    const { fast, oclif } = await bothPaths(args);
    expect(fast.path).toBe('oclif');
    expect(observable(fast)).toEqual(observable(oclif));
  });
});

describe('modules the fast path loads', () => {
  const loaded = async (args: string[], env: Record<string, string> = {}): Promise<string[]> => {
    const trace = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(trace, '');
    const hook = fileURLToPath(new URL('load-trace.js', import.meta.url));
    await runCli(args, { env: { ...env, NODE_OPTIONS: `--import=${hook}`, LOAD_TRACE_FILE: trace } });
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  };

  it('never loads oclif, etcd3 or the table renderer for help, version --client and validate', async () => {
    for (const args of [
      ['--help'],
      ['version', '--client'],
      ['validate', '-f', goodPool],
      ['ipam', '--help'],
    ]) {
      const urls = await loaded(args);
      expect(urls.length, JSON.stringify(args)).toBeGreaterThan(0);
      expect(
        urls.filter((u) => /node_modules\/|\/render-/.test(u)),
        JSON.stringify(args),
      ).toEqual([]);
    }
  });

  it('loads oclif when the fast path is turned off (the trace sees it)', async () => {
    const urls = await loaded(['version', '--client'], { CALICOCTL_TS_NO_FAST_PATH: '1' });
    expect(urls.some((u) => u.includes('/node_modules/@oclif/core/'))).toBe(true);
  });
});
