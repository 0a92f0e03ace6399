/**
 * etcd outages through the built CLI: etcd killed or frozen before a command, and killed or frozen
 * in the middle of a long read (`ipam show` over 4096 blocks) and of a long write (`apply` of 300
 * pools) and of `ipam assign`, and an address whose packets are dropped (a network namespace made
 * here). Every command ends (the process exits) within its --timeout plus start-up slack, exits 3
 * (or 1 for a write that got part-way, which then says exactly what it wrote), names the endpoint,
 * and leaves no half-written resource.
 */
import { writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../src/config/load.js';
import type { Datastore } from '../../src/datastore/contract.js';
import { openDatastore } from '../../src/datastore/open.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { blockHoldings } from '../helpers/ipam-blocks.js';
import { addNamespace, deleteNamespace, ip, namespaceName } from '../helpers/netns.js';
import { alive } from '../helpers/process.js';
import { connectedTo, findEtcd, restartEtcd, startCli, startNode, waitFor } from './outage-tools.js';
import { bundleWorker } from './workers/bundle.js';

/**
 * How long a command given --timeout may take, from spawn to exit: ten times the timeout. Starting
 * Node and oclif on a loaded two-core machine stays far below that; a call that ignores its
 * deadline, or a connect left pending (the kernel retries it for about two minutes), does not. What
 * deadline was applied is read from the command's own message ("no answer within 1s").
 */
const boundFor = (timeoutMs: number): number => 10 * timeoutMs;
const POOL_PREFIX = '/calico/resources/v3/projectcalico.org/ippools/';
const BLOCK_PREFIX = '/calico/ipam/v2/assignment/ipv4/block/';
const dir = tempDir('calicoctl-ts-outage-');
const figures: Record<string, number | string> = {};

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const poolYaml = (name: string, cidr: string): string =>
  `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;

async function openEtcd(etcd: EtcdServer): Promise<Datastore> {
  return openDatastore(loadClientConfig({ env: etcd.env, defaultConfigFile: join(dir, 'none.cfg') }), {
    timeoutMs: 5000,
  });
}

/** A block value as Calico writes it: 64 addresses, the first two in use. */
function blockValue(cidr: string, node: string): string {
  const allocations = Array<number | null>(64).fill(null);
  allocations[0] = 0;
  allocations[1] = 0;
  return JSON.stringify({
    cidr,
    affinity: `host:${node}`,
    allocations,
    unallocated: Array.from({ length: 62 }, (_, i) => i + 2),
    attributes: [{ handle_id: `h-${node}`, secondary: { node } }],
    sequenceNumber: 2,
    sequenceNumberForAllocation: { '0': 0, '1': 1 },
    deleted: false,
  });
}

function expectUnreachable(
  res: { code: number | null; stderr: string; stdout: string; elapsedMs: number },
  endpoint: string,
  timeoutMs: number,
): void {
  expect(res.code, res.stderr).toBe(3);
  expect(res.stderr.split('\n')[0]).toMatch(
    new RegExp(`^cannot reach etcd at ${endpoint.replaceAll('.', '\\.')} \\(from environment\\): `),
  );
  expect(res.elapsedMs).toBeLessThan(boundFor(timeoutMs));
}

function revisionOf(statusJson: string): number {
  return Number(
    (JSON.parse(statusJson) as Array<{ Status: { header: { revision: number } } }>)[0]!.Status.header
      .revision,
  );
}

async function etcdRevision(etcd: EtcdServer): Promise<number> {
  return revisionOf(await etcd.etcdctl(['endpoint', 'status', '-w', 'json']));
}

/** A fresh etcd with one pool (and ClusterInformation, tiers) written by the CLI. */
async function seededEtcd(): Promise<EtcdServer> {
  const etcd = await startEtcd();
  const seeded = await runCli(['create', '-f', file('seed.yaml', poolYaml('seed', '10.50.0.0/16'))], {
    env: etcd.env,
  });
  expect(seeded.code, seeded.stderr).toBe(0);
  return etcd;
}

/** Reads, writes and the pool switch: the commands that must fail cleanly when etcd is down. */
function outageCommands(): Array<[string, string[]]> {
  return [
    ['ipam show', ['ipam', 'show']],
    ['get', ['get', 'ippools']],
    ['apply', ['apply', '-f', file('new.yaml', poolYaml('new', '10.51.0.0/16'))]],
    ['delete', ['delete', 'ippool', 'seed']],
    ['ipam assign', ['ipam', 'assign', '--node', 'n1', '--num', '1']],
    ['ippool mode', ['ippool', 'mode', 'seed', '--vxlan', 'Always']],
    ['datastore export', ['datastore', 'export', '-o', join(dir, 'export.jsonl')]],
  ];
}

/**
 * One after the other: started together, seven Node processes on a busy two-core machine measure
 * the scheduler rather than the command's deadline.
 */
async function runEach(
  commands: Array<[string, string[]]>,
  timeout: string,
  env: Record<string, string>,
  ns?: string,
): Promise<Array<Awaited<ReturnType<typeof startCli>['result']>>> {
  const results = [];
  for (const [, args] of commands)
    results.push(await startCli([...args, '--timeout', timeout], env, ns).result);
  return results;
}

describe('etcd down before the command', () => {
  it('killed: every command fails at once (connection refused, exit 3) and nothing is written', async () => {
    const etcd = await seededEtcd();
    try {
      const before = await etcdRevision(etcd);
      const proc = findEtcd(etcd.dataDir);
      process.kill(proc.pid, 'SIGKILL');
      await waitFor(() => !alive(proc.pid), 5000, 'etcd to die');
      const commands = outageCommands();
      const results = await runEach(commands, '2s', etcd.env);
      for (const [i, res] of results.entries()) {
        expectUnreachable(res, etcd.endpoint, 2000);
        expect(res.stderr.split('\n')[0], commands[i]![0]).toMatch(/: connection refused$/);
      }
      figures['refused: slowest of 7 commands (ms)'] = Math.max(...results.map((r) => r.elapsedMs));
      const stop = await restartEtcd(proc, etcd.endpoint);
      try {
        expect(await etcdRevision(etcd)).toBe(before);
      } finally {
        stop();
      }
    } finally {
      await etcd.stop();
    }
  });

  it('frozen (SIGSTOP, a silent peer): every command gives up after --timeout (exit 3) and nothing is written', async () => {
    const etcd = await seededEtcd();
    const proc = findEtcd(etcd.dataDir);
    try {
      const before = await etcdRevision(etcd);
      process.kill(proc.pid, 'SIGSTOP');
      const commands = outageCommands();
      const results = await runEach(commands, '1s', etcd.env);
      for (const [i, res] of results.entries()) {
        expectUnreachable(res, etcd.endpoint, 1000);
        expect(res.stderr.split('\n')[0], commands[i]![0]).toMatch(/: no answer within 1s$/);
        expect(res.elapsedMs).toBeGreaterThanOrEqual(1000);
      }
      figures['silent peer, --timeout 1s: slowest of 7 commands (ms)'] = Math.max(
        ...results.map((r) => r.elapsedMs),
      );
      process.kill(proc.pid, 'SIGCONT');
      // Whatever the commands had sent is processed now: none of it may be a write.
      await new Promise((r) => setTimeout(r, 500));
      expect(await etcdRevision(etcd)).toBe(before);
    } finally {
      if (alive(proc.pid)) process.kill(proc.pid, 'SIGCONT');
      await etcd.stop();
    }
  });
});

describe('etcd lost in the middle of a long read', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await seededEtcd();
    const pool = await runCli(['create', '-f', file('big.yaml', poolYaml('big', '10.0.0.0/14'))], {
      env: etcd.env,
    });
    expect(pool.code, pool.stderr).toBe(0);
    const ds = await openEtcd(etcd);
    try {
      for (let batch = 0; batch < 32; batch++) {
        const success = Array.from({ length: 128 }, (_, j) => {
          const i = batch * 128 + j;
          const cidr = `10.${i >> 10}.${(i >> 2) & 255}.${(i & 3) * 64}/26`;
          return {
            type: 'put' as const,
            key: `${BLOCK_PREFIX}${cidr.replace('/', '-')}`,
            value: blockValue(cidr, `node-${i % 50}`),
          };
        });
        expect((await ds.txn({ compare: [], success })).succeeded).toBe(true);
      }
      expect(await ds.count(BLOCK_PREFIX)).toBe(4096);
    } finally {
      await ds.close();
    }
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('ipam show over 4096 blocks, etcd frozen mid-read: exit 3 after --timeout, no half table', async () => {
    const full = await startCli(['ipam', 'show', '--show-blocks'], etcd.env).result;
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout.split('\n').length).toBeGreaterThan(4096);
    figures['ipam show --show-blocks over 4096 blocks (ms)'] = full.elapsedMs;

    // The CLI talks to etcd through a proxy that freezes etcd (SIGSTOP) once 256 KiB of answers
    // have passed, and passes nothing more: far into the blocks' ~3 MB and after the small reads
    // before them, whatever the scheduling, so the read is certainly cut in its middle.
    const proc = findEtcd(etcd.dataDir);
    const proxy = await freezingProxy(etcd.endpoint, 256 * 1024, () => process.kill(proc.pid, 'SIGSTOP'));
    try {
      const env = { ...etcd.env, ETCD_ENDPOINTS: proxy.endpoint };
      const res = await startCli(['ipam', 'show', '--show-blocks', '--timeout', '2s'], env).result;
      expect(proxy.froze()).toBe(true);
      expectUnreachable(res, proxy.endpoint, 2000);
      expect(res.stderr.split('\n')[0]).toMatch(/: no answer within 2s$/);
      expect(res.stdout).toBe('');
      figures['ipam show, etcd frozen mid-read, --timeout 2s (ms)'] = res.elapsedMs;
    } finally {
      proxy.close();
      process.kill(proc.pid, 'SIGCONT');
    }
  });
});

/**
 * A TCP proxy to endpoint that passes everything until etcd has answered limit bytes in all, then
 * calls freeze and passes nothing more in either direction (a silent peer, as a frozen etcd is).
 */
async function freezingProxy(
  endpoint: string,
  limit: number,
  freeze: () => void,
): Promise<{ endpoint: string; froze: () => boolean; close: () => void }> {
  const target = new URL(endpoint);
  const sockets = new Set<Socket>();
  let answered = 0;
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => void (frozen || upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => {
      if (frozen) return;
      answered += chunk.length;
      if (answered > limit) {
        frozen = true;
        freeze();
        return;
      }
      client.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    froze: () => frozen,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('etcd lost in the middle of a long write', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await seededEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  /** The pools (by name) the CLI reported as applied: all of them, or the first N of a partial success. */
  function reportedApplied(stdout: string, names: string[]): string[] {
    const m = /^Partial success: applied the first (\d+) out of (\d+) 'IPPool' resources:/m.exec(stdout);
    if (m) return names.slice(0, Number(m[1]));
    return /^Successfully applied/m.test(stdout) ? names : [];
  }

  async function storedPools(prefix: string): Promise<string[]> {
    const ds = await openEtcd(etcd);
    try {
      const names: string[] = [];
      for await (const kv of await ds.list(`${POOL_PREFIX}${prefix}`)) {
        const pool = JSON.parse(kv.value) as { metadata: { name: string }; spec: { cidr: string } };
        expect(kv.key).toBe(`${POOL_PREFIX}${pool.metadata.name}`);
        expect(pool.spec.cidr).toMatch(/^10\.6\d\.\d+\.0\/24$/);
        names.push(pool.metadata.name);
      }
      return names;
    } finally {
      await ds.close();
    }
  }

  it.each([
    ['SIGSTOP', 'late-'],
    ['SIGKILL', 'many-'],
  ] as const)(
    'apply of 300 pools, etcd %s after 20 are written: says exactly which were written',
    async (signal, prefix) => {
      const names = Array.from({ length: 300 }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
      const manifest = file(
        `${prefix}pools.yaml`,
        names
          .map((n, i) => poolYaml(n, `10.${60 + (prefix === 'late-' ? 2 : 0) + (i >> 8)}.${i & 255}.0/24`))
          .join('---\n'),
      );
      const proc = findEtcd(etcd.dataDir);
      const probe = await openEtcd(etcd);
      const run = startCli(['apply', '-f', manifest, '--timeout', '2s'], etcd.env);
      try {
        await waitFor(
          async () => (await probe.count(`${POOL_PREFIX}${prefix}`)) >= 20,
          30_000,
          '20 pools written',
        );
      } finally {
        await probe.close();
      }
      process.kill(proc.pid, signal);
      const res = await run.result;
      let stop: (() => void) | undefined;
      try {
        expect(res.elapsedMs).toBeLessThan(30_000);
        expect([1, 3], res.stderr).toContain(res.code);
        expect(res.stderr).toContain(etcd.endpoint);
        const reported = reportedApplied(res.stdout, names);
        if (signal === 'SIGKILL') stop = await restartEtcd(proc, etcd.endpoint);
        else process.kill(proc.pid, 'SIGCONT');
        await new Promise((r) => setTimeout(r, 300));
        const stored = await storedPools(prefix);
        // The first N reported, plus at most the one whose answer was lost with etcd.
        expect(stored.slice(0, reported.length)).toEqual(reported);
        expect(stored.length - reported.length).toBeLessThanOrEqual(1);
        expect(stored).toEqual(names.slice(0, stored.length));
        figures[`apply of 300 pools, etcd ${signal} mid-write: reported / stored`] =
          `${reported.length} / ${stored.length}`;
      } finally {
        if (signal === 'SIGSTOP' && alive(proc.pid)) process.kill(proc.pid, 'SIGCONT');
        stop?.();
      }
    },
  );
});

describe('etcd lost in the middle of an IPAM assignment and a pool switch', () => {
  let etcd: EtcdServer;
  /** Stops the etcd a test restarted on the same data dir. */
  let restarted: (() => void) | undefined;

  beforeAll(async () => {
    etcd = await seededEtcd();
    const pools = Array.from({ length: 40 }, (_, i) => poolYaml(`switch-${i}`, `10.90.${i}.0/24`));
    pools.push(
      poolYaml('assign', '10.80.0.0/20').replace(
        'spec:\n',
        'spec:\n  blockSize: 29\n  nodeSelector: all()\n',
      ),
    );
    const res = await runCli(['apply', '-f', file('pools.yaml', pools.join('---\n'))], { env: etcd.env });
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    restarted?.();
    await etcd?.stop();
  });

  /** The allocations of one handle as stored, and its handle document. */
  async function storedFor(
    handle: string,
  ): Promise<{ addresses: Set<string>; counts: Record<string, number>; doc: unknown }> {
    const ds = await openEtcd(etcd);
    try {
      const blocks: string[] = [];
      for await (const kv of await ds.list(BLOCK_PREFIX)) blocks.push(kv.value);
      const { addresses, counts } = blockHoldings(blocks).get(handle) ?? { addresses: new Set(), counts: {} };
      const kv = await ds.get(`/calico/ipam/v2/handle/${handle}`);
      return { addresses, counts, doc: kv ? JSON.parse(kv.value) : undefined };
    } finally {
      await ds.close();
    }
  }

  /**
   * ipam assign --num 150 (blockSize 29: 8 addresses a block) with etcd killed or frozen once 3
   * blocks are written: exit 1, and the message names exactly what the handle holds.
   */
  async function assignCutOff(signal: 'SIGKILL' | 'SIGSTOP', handle: string, node: string, json: boolean) {
    const proc = findEtcd(etcd.dataDir);
    const before = await storedFor(handle);
    expect(before.addresses.size).toBe(0);
    const probe = await openEtcd(etcd);
    const blocksBefore = await probe.count(BLOCK_PREFIX);
    const args = ['ipam', 'assign', '--node', node, '--num', '150', '--handle', handle, '--pool', 'assign'];
    const run = startCli([...args, '--timeout', '2s', ...(json ? ['-o', 'json'] : [])], etcd.env);
    try {
      await waitFor(
        async () => (await probe.count(BLOCK_PREFIX)) >= blocksBefore + 3,
        30_000,
        '3 blocks written',
      );
    } finally {
      await probe.close();
    }
    process.kill(proc.pid, signal);
    const res = await run.result;
    try {
      expect(res.elapsedMs).toBeLessThan(boundFor(2000));
      expect(res.code, res.stderr).toBe(1);
      expect(res.stdout).toBe('');
      let message: string;
      let hint: string | undefined;
      if (json) {
        const { error } = JSON.parse(res.stderr) as {
          error: { code: string; message: string; hint?: string };
        };
        expect(error.code).toBe('PartiallyAssigned');
        ({ message, hint } = error);
      } else {
        const lines = res.stderr.split('\n');
        expect(lines).toHaveLength(3);
        message = lines[0]!;
        hint = lines[1]!.replace(/^hint: /, '');
      }
      const m = new RegExp(
        `^ipam assign stopped part-way: cannot reach etcd at ${etcd.endpoint.replaceAll('.', '\\.')} \\(from environment\\): [^;]+; ` +
          `(\\d+) address\\(es\\) were assigned to handle ${handle} before that: ([0-9., ]+?)(?: and (\\d+) more)?` +
          `(; the write in flight when the datastore was lost may have assigned more)?$`,
      ).exec(message);
      expect(m, message).not.toBeNull();
      const reported = Number(m![1]);
      const listed = m![2]!.split(', ');
      expect(listed).toHaveLength(Math.min(reported, 5));
      expect(Number(m![3] ?? 0)).toBe(reported - listed.length);
      expect(hint).toBe(
        `run 'calicoctl-ts ipam release --handle ${handle}' to undo, or re-run with --num ${150 - reported} to assign the rest`,
      );

      if (signal === 'SIGKILL') restarted = await restartEtcd(proc, etcd.endpoint);
      else process.kill(proc.pid, 'SIGCONT');
      // A write etcd had received before it stopped is applied now (or was, before the kill).
      await new Promise((r) => setTimeout(r, 500));
      const after = await storedFor(handle);
      for (const a of listed) expect(after.addresses.has(a), a).toBe(true);
      const stored = after.addresses.size;
      // Exactly the reported addresses, plus at most one block's worth when the message says that
      // the write in flight may have assigned more.
      if (m![4]) expect(stored - reported).toBeGreaterThanOrEqual(0);
      expect(stored - reported).toBeLessThanOrEqual(m![4] ? 8 : 0);
      // The handle counts exactly the stored allocations, block by block.
      expect(after.doc).toEqual({ block: after.counts, deleted: false });
      figures[`ipam assign 150, etcd ${signal} mid-way: addresses reported / stored`] =
        `${reported} / ${stored}`;
    } finally {
      if (signal === 'SIGSTOP' && alive(proc.pid)) process.kill(proc.pid, 'SIGCONT');
    }
  }

  it('ipam assign of 150 addresses, etcd SIGKILL after 3 blocks: exit 1 naming the addresses it assigned (-o json)', async () => {
    await assignCutOff('SIGKILL', 'h-outage', 'n1', true);
  });

  it('ipam assign of 150 addresses, etcd SIGSTOP after 3 blocks: exit 1 naming the addresses it assigned', async () => {
    await assignCutOff('SIGSTOP', 'h-frozen', 'n2', false);
  });

  it('ippool mode over 40 pools, etcd SIGKILL once the CLI is connected: all switched or none', async () => {
    // The etcd restarted by the test before (same data dir, same ports).
    const proc = findEtcd(etcd.dataDir);
    const run = startCli(['ippool', 'mode', '--all', '--vxlan', 'Always', '--timeout', '2s'], etcd.env);
    // A CLI that has done its work (or failed) before a poll saw its connection has closed it: the
    // kill then lands after it, and what is stored must still be all or none.
    let exited = false;
    void run.result.then(() => (exited = true));
    await waitFor(
      () => exited || connectedTo(run.pid, Number(new URL(etcd.endpoint).port)),
      10_000,
      'the CLI to connect',
    );
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    process.kill(proc.pid, 'SIGKILL');
    const res = await run.result;
    expect(res.elapsedMs).toBeLessThan(boundFor(2000));
    if (res.code !== 0) {
      expect(res.code, res.stderr).toBe(3);
      expect(res.stderr).toContain(etcd.endpoint);
    }
    restarted = await restartEtcd(proc, etcd.endpoint);
    const ds = await openEtcd(etcd);
    try {
      const modes = new Set<string>();
      for await (const kv of await ds.list(`${POOL_PREFIX}switch-`))
        modes.add((JSON.parse(kv.value) as { spec: { vxlanMode: string } }).spec.vxlanMode);
      expect(modes.size, [...modes].join(',')).toBe(1);
      if (res.code === 0) expect([...modes]).toEqual(['Always']);
      figures['ippool mode over 40 pools, etcd SIGKILL: exit / pools switched'] =
        `${res.code} / ${modes.has('Always') ? 40 : 0}`;
    } finally {
      await ds.close();
    }
  });
});

describe('an address that drops every packet (network namespaces made here; skipped unless root)', () => {
  const isRoot = process.getuid?.() === 0;
  const client = namespaceName('client');
  const server = namespaceName('server');

  beforeAll(() => {
    if (!isRoot) return;
    addNamespace(client);
    addNamespace(server);
    // The cable is made inside the namespaces: nothing touches the host's network, even briefly.
    ip('-n', client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server);
    ip('-n', client, 'addr', 'add', '10.231.0.1/30', 'dev', 'eth0');
    ip('-n', server, 'addr', 'add', '10.231.0.2/30', 'dev', 'eth0');
    for (const ns of [client, server]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
    ip('netns', 'exec', server, 'iptables', '-A', 'INPUT', '-j', 'DROP');
  });
  afterAll(() => {
    if (isRoot) [client, server].forEach(deleteNamespace);
  });

  it.skipIf(!isRoot)(
    'reads and writes give up after --timeout with exit 3, naming the endpoint',
    async () => {
      const endpoint = 'http://10.231.0.2:2379';
      const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: endpoint };
      const commands = outageCommands();
      const results = await runEach(commands, '1s', env, client);
      for (const [i, res] of results.entries()) {
        // elapsedMs ends when the process has exited: a connect left pending would keep it alive
        // for about two minutes after the error line.
        expectUnreachable(res, endpoint, 1000);
        expect(res.stderr.split('\n')[0], commands[i]![0]).toMatch(/: no answer within 1s$/);
        expect(res.elapsedMs).toBeGreaterThanOrEqual(1000);
      }
      figures['dropping address, --timeout 1s: slowest of 7 commands (ms)'] = Math.max(
        ...results.map((r) => r.elapsedMs),
      );
    },
  );

  it.skipIf(!isRoot)(
    'over TLS too, and a write before any read (a Txn as the first call): the process ends as soon as it has failed',
    async () => {
      const worker = await bundleWorker('test/reliability/workers/write-first-worker.ts');
      const runs: Array<[string, string, string[]]> = [
        ['https read (Range)', 'https://10.231.0.2:2379', [CLI, 'ipam', 'show', '--timeout', '1s']],
        ['http write (Txn)', 'http://10.231.0.2:2379', [worker]],
        ['https write (Txn)', 'https://10.231.0.2:2379', [worker]],
      ];
      for (const [what, endpoint, [script, ...args]] of runs) {
        const run = startNode(script!, args, { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: endpoint }, client);
        // A process still alive well past its deadline is the regression: end it rather than wait.
        const stop = setTimeout(() => process.kill(run.pid, 'SIGKILL'), boundFor(1000));
        const res = await run.result.finally(() => clearTimeout(stop));
        expect(res.signal, `${what}: the process outlived its failure`).toBeNull();
        expectUnreachable(res, endpoint, 1000);
        expect(res.stderr.split('\n')[0], what).toMatch(/: no answer within 1s$/);
        figures[`dropping address, ${what}, timeout 1s: process end (ms)`] = res.elapsedMs;
      }
    },
  );
});

afterAll(() => {
  console.log(`outage figures: ${JSON.stringify(figures, null, 1)}`);
});
