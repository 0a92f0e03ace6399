/**
 * version, validate, node status, node check, ipam check and datastore export and import through the fast
 * start-up path: the path is taken,
 * oclif is never loaded, and stdout, stderr and exit code are those of the same command run through
 * oclif, for successes and failures. node status is asked of a real BIRD 1.6 in a network
 * namespace; node check checks saved kernel states (test/fixtures/dataplane) against an embedded store.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIRD1, BirdLab, baseConfig, bgpProtocol, type Daemon } from '../../helpers/bird-lab.js';
import { REPO_ROOT, runCli, type CliOptions } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
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

/**
 * The same stdout, stderr and exit code on both paths, and the fast one taken. unstable masks what
 * may rightly differ between two runs (the clock) in both stdouts before they are compared.
 */
async function expectParity(
  id: string,
  args: string[],
  options: CliOptions = {},
  unstable: (stdout: string) => string = (stdout) => stdout,
): Promise<void> {
  const { fast, oclif } = await bothPaths(args, options);
  expect(fast.path, JSON.stringify(args)).toBe(`fast (${id})`);
  expect(oclif.path).toBe('oclif');
  const seen = (run: typeof fast): ReturnType<typeof observable> => {
    const o = observable(run);
    return { ...o, stdout: unstable(o.stdout) };
  };
  expect(seen(fast), JSON.stringify(args)).toEqual(seen(oclif));
}

/**
 * An export's time, which two runs straddling a second tell apart: replaced by a mark, after
 * checking that it is a Go timestamp where one is printed.
 */
function maskExportedAt(stdout: string): string {
  return stdout.replace(/"exportedAt":( ?)"([^"]*)"/g, (_, space: string, time: string) => {
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    return `"exportedAt":${space}"<time>"`;
  });
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
  // What the machine, not the code path, decides: whether a Calico process runs, and when BIRD's
  // passive peer last re-entered its state (it does so on every connect retry, between two runs).
  const machineFree = (run: { stdout: string }): string =>
    run.stdout
      .replace(/Calico process is (not )?running\./, 'Calico process is ...')
      .replace(/"calicoProcessRunning": (true|false)/, '"calicoProcessRunning": ...')
      .replace(/\b\d\d:\d\d:\d\d\b/g, 'hh:mm:ss');

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

describe('node check on the fast path (repeatable --load)', () => {
  const saved = ['n1', 'n2', 'n3'].map((n) =>
    join(REPO_ROOT, 'test', 'fixtures', 'dataplane', `vxlan-${n}.json`),
  );
  const store = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'node-check.db') };

  beforeAll(async () => {
    // The saved nodes' pool, so that the check has routes to expect and findings to report.
    const vxlanPool = file(
      'vxlan-pool.yaml',
      `${pool('pool4', '10.65.0.0/16')}  vxlanMode: Always\n  ipipMode: Never\n  natOutgoing: true\n`,
    );
    const applied = await runCli(['apply', '-f', vxlanPool], { env: store });
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('checks one saved state, and several (--load repeated) against each other, as oclif does', async () => {
    await expectParity('node:check', ['node', 'check', '--load', saved[0]!], { env: store });
    const args = [
      'node',
      'check',
      '--load',
      saved[0]!,
      '--load',
      saved[1]!,
      `--load=${saved[2]!}`,
      '-o',
      'json',
    ];
    const { fast, oclif } = await bothPaths(args, { env: store });
    expect(fast.path).toBe('fast (node:check)');
    expect(observable(fast)).toEqual(observable(oclif));
    const report = JSON.parse(fast.stdout) as { nodes: { node: string }[] };
    expect(report.nodes.map((n) => n.node)).toEqual(['n1', 'n2', 'n3']);
  });

  it("takes the node's name from NODENAME, as oclif does", async () => {
    // The live kernel of this machine is read: only what does not depend on it is compared.
    const { fast, oclif } = await bothPaths(['node', 'check', '-o', 'json'], {
      env: { ...store, NODENAME: 'n9' },
    });
    expect(fast.path).toBe('fast (node:check)');
    const named = (run: { stdout: string }) => JSON.parse(run.stdout) as { node: string; nodeSource: string };
    expect({ node: named(fast).node, source: named(fast).nodeSource, code: fast.code }).toEqual({
      node: 'n9',
      source: 'NODENAME',
      code: oclif.code,
    });
    expect(named(oclif).node).toBe('n9');
  });

  it('fails as oclif does', async () => {
    await expectParity('node:check', ['node', 'check', '--load', goodPool], { env: store });
    await expectParity('node:check', ['node', 'check', '--load', saved[0]!, '--save', join(dir, 's.json')], {
      env: store,
    });
  });

  it('leaves a word after a --load value to oclif, which takes it as one more file', async () => {
    const { fast, oclif } = await bothPaths(['node', 'check', '--load', saved[0]!, saved[1]!, '-o', 'json'], {
      env: store,
    });
    expect(fast.path).toBe('oclif');
    expect(observable(fast)).toEqual(observable(oclif));
    expect((JSON.parse(fast.stdout) as { nodes: unknown[] }).nodes).toHaveLength(2);
  });
});

describe('datastore export and import on the fast path', () => {
  const store = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'transfer.db') };
  const exported = join(dir, 'transfer.jsonl');
  const badLine = join(dir, 'transfer-bad.jsonl');

  beforeAll(async () => {
    expect((await runCli(['create', '-f', goodPool], { env: store })).code).toBe(0);
    expect((await runCli(['datastore', 'export', '-o', exported], { env: store })).code).toBe(0);
    writeFileSync(badLine, readFileSync(exported, 'utf8').split('\n')[0] + '\n{"key":"/calico/x","value":\n');
  });

  it.each([
    [['datastore', 'export', '-o', exported]],
    [['datastore', 'export', '-o', exported, '--json']],
    [['datastore', 'export', '--json']],
  ])('%j', async (args) => {
    await expectParity('datastore:export', args, { env: store }, maskExportedAt);
  });

  it.each([
    [['datastore', 'import', '-f', exported, '--dry-run', '--allow-non-empty']],
    [['datastore', 'import', '-f', exported, '--dry-run', '--allow-non-empty', '-o', 'json']],
    [['datastore', 'import', '-f', exported]],
    [['datastore', 'import', '-f', badLine, '-o', 'json']],
  ])('%j', async (args) => {
    await expectParity('datastore:import', args, { env: store });
  });

  it('import reads stdin for -f -', async () => {
    const args = ['datastore', 'import', '-f', '-', '--dry-run', '--allow-non-empty'];
    await expectParity('datastore:import', args, { env: store, input: readFileSync(exported, 'utf8') });
  });
});

describe('ipam check on the fast path', () => {
  const store = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(dir, 'ipam-check.db') };
  const report = join(dir, 'ipam-check-report.json');

  it('fails as oclif does without a ClusterInformation, then checks as oclif does', async () => {
    expect((await runCli(['create', '-f', goodPool], { env: store })).code).toBe(0);
    await expectParity('ipam:check', ['ipam', 'check'], { env: store });
    expect((await runCli(['datastore', 'migrate', 'lock'], { env: store })).code).toBe(0);
    for (const args of [
      ['ipam', 'check'],
      ['ipam', 'check', '--json'],
      ['ipam', 'check', '--show-all-ips'],
      ['ipam', 'check', '-o', report],
    ]) {
      await expectParity('ipam:check', args, { env: store });
    }
    expect(readFileSync(report, 'utf8')).toContain('"clusterGUID"');
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
  const bundle = join(REPO_ROOT, 'dist', 'fast', 'bundle');
  const loaded = async (args: string[], env: Record<string, string> = {}): Promise<string[]> => {
    const trace = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(trace, '');
    const hook = fileURLToPath(new URL('load-trace.js', import.meta.url));
    await runCli(args, { env: { ...env, NODE_OPTIONS: `--import=${hook}`, LOAD_TRACE_FILE: trace } });
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  };
  /** The bundle's files a run read, without their content hashes (bird-AB12CD34.cjs: bird.cjs). */
  const bundleFiles = (urls: string[]): string[] =>
    [...new Set(urls.filter((u) => u.startsWith(`${bundle}/`) && u.endsWith('.cjs')))]
      .map((u) => basename(u).replace(/-[A-Z0-9]{8}\.cjs$/, '.cjs'))
      .sort();
  // The chunk that holds chalk, whatever esbuild named it.
  const chalkChunks = readdirSync(bundle).filter(
    (f) => f.endsWith('.cjs') && readFileSync(join(bundle, f), 'utf8').includes('chalkStderr'),
  );

  it('loads nothing from node_modules, and only what each command needs from the bundle', async () => {
    expect(chalkChunks).toHaveLength(1);
    const expected: [string[], string[]][] = [
      [['--help'], ['main.cjs']],
      [['ipam', '--help'], ['main.cjs']],
      [
        ['validate', '-f', goodPool],
        ['main.cjs', 'validate.cjs'],
      ],
    ];
    for (const [args, files] of expected) {
      const urls = await loaded(args);
      expect(
        urls.filter((u) => u.includes('node_modules/')),
        JSON.stringify(args),
      ).toEqual([]);
      expect(bundleFiles(urls), JSON.stringify(args)).toEqual(files);
    }
    const version = bundleFiles(await loaded(['version', '--client']));
    expect(version).toContain('version.cjs');
    expect(version.filter((f) => /^(validate|node-status|render|backend|datastore-session)/.test(f))).toEqual(
      [],
    );
    // ipam show reads pools without the kind registry (src/resources/kinds/ippool-read.ts). The
    // registry's own text is in validate's bundle, so the check looks for something that exists.
    const registryText = 'valid resource types: ';
    expect(readFileSync(join(bundle, 'validate.cjs'), 'utf8')).toContain(registryText);
    const ipamShow = (await loaded(['ipam', 'show'])).filter((u) => u.startsWith(`${bundle}/`));
    expect(ipamShow.map((u) => basename(u))).toContain('ipam-show.cjs');
    for (const file of ipamShow) expect(readFileSync(file, 'utf8'), file).not.toContain(registryText);
  });

  it('node status loads its renderer only for text, and chalk never when stdout is not a terminal', async () => {
    const socket = ['--socket', join(dir, 'no-bird.ctl')];
    const text = await loaded(['node', 'status', ...socket]);
    const json = await loaded(['node', 'status', ...socket, '-o', 'json']);
    expect(bundleFiles(text)).toContain('bird.cjs');
    expect(bundleFiles(json)).not.toContain('bird.cjs');
    for (const urls of [text, json]) {
      expect(urls.filter((u) => chalkChunks.includes(basename(u)) || u.includes('node_modules/'))).toEqual(
        [],
      );
    }
  });

  it('loads oclif when the fast path is turned off (the trace sees it)', async () => {
    const urls = await loaded(['version', '--client'], { CALICOCTL_TS_NO_FAST_PATH: '1' });
    expect(urls.some((u) => u.includes('/node_modules/@oclif/core/'))).toBe(true);
  });
});

describe('code cache of the fast path', () => {
  /** A copy of what bin/run.js needs, with node_modules linked: its caches can be broken freely. */
  function copyOfTheCli(): string {
    const root = tempDir('calicoctl-ts-cache-');
    cpSync(join(REPO_ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    for (const part of ['fast', 'fast-path.json', 'build-info.json'])
      cpSync(join(REPO_ROOT, 'dist', part), join(root, 'dist', part), { recursive: true });
    cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    return root;
  }
  const run = (root: string, args: string[]) => {
    const out = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {
      env: { PATH: process.env.PATH, HOME: dir, CALICOCTL_TS_TRACE_CODE_CACHE: '1' },
      encoding: 'utf8',
    });
    const trace = out.stderr.split('\n').filter((l) => l.startsWith('code cache: '));
    return {
      observable: {
        stdout: out.stdout,
        code: out.status,
        stderr: out.stderr.replace(/^code cache: .*\n/gm, ''),
      },
      states: new Set(trace.map((l) => l.split(' ').pop())),
      count: trace.length,
    };
  };
  const commands = [
    ['--help'],
    ['version', '--client', '-o', 'json'],
    ['validate', '-f', goodPool],
    ['validate', '-f', badPool],
    ['node', 'status', '--socket', join(dir, 'no-bird.ctl')],
  ];
  let normal: ReturnType<typeof run>[] = [];
  beforeAll(() => {
    const root = copyOfTheCli();
    normal = commands.map((args) => run(root, args));
  });

  it('is used for every file the build ran', () => {
    for (const [i, r] of normal.entries()) {
      expect(r.count, JSON.stringify(commands[i])).toBeGreaterThan(0);
      expect([...r.states], JSON.stringify(commands[i])).toEqual(['used']);
    }
    expect(normal[0]!.observable.stdout).toContain('USAGE');
  });

  it('never takes the cache of an earlier build of a file (another content key)', () => {
    const rebuilt = copyOfTheCli();
    const main = join(rebuilt, 'dist', 'fast', 'bundle', 'main.cjs');
    writeFileSync(
      main,
      readFileSync(main, 'utf8').replace(/^\/\/ code-cache-key: \w+/, '// code-cache-key: 0123456789abcdef'),
    );
    const r = run(rebuilt, ['--help']);
    expect(r.observable).toEqual(normal[0]!.observable);
    expect([...r.states]).toEqual(['none']);
  });

  it.each([
    ['missing', 'none', (f: string) => rmSync(f)],
    ['truncated', 'rejected', (f: string) => truncateSync(f, 100)],
    [
      'garbage of the same length',
      'rejected',
      (f: string) => writeFileSync(f, randomBytes(statSync(f).size)),
    ],
    // Made for another file: V8 compares the length of the source it was made for.
    ["another file's", 'rejected', (f: string, other: Buffer) => writeFileSync(f, other)],
  ])('falls back silently to compiling when a cache is %s', (_what, state, breakCache) => {
    const broken = copyOfTheCli();
    const bundle = join(broken, 'dist', 'fast', 'bundle');
    const caches = readdirSync(bundle)
      .filter((f) => f.endsWith('.cache'))
      .map((f) => join(bundle, f));
    const originals = caches.map((f) => readFileSync(f));
    caches.forEach((f, i) => breakCache(f, originals[(i + 1) % originals.length]!));
    for (const [i, args] of commands.entries()) {
      const r = run(broken, args);
      expect(r.observable, JSON.stringify(args)).toEqual(normal[i]!.observable);
      expect([...r.states], JSON.stringify(args)).toEqual([state]);
    }
  });
});
