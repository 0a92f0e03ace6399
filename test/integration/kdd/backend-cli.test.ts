/**
 * The CLI on the Kubernetes datastore as a new user runs it: DATASTORE_TYPE=kubernetes and a
 * kubeconfig (test/helpers/kube-apiserver.ts), against a real kube-apiserver. Resource commands,
 * conflicts, `ipam show`/`ipam check` on IPAM objects written as Calico writes them, `version`, and the
 * failures: an unreachable server and a wrong token (exit 3 in bounded time, naming the server).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { startSilentServer, type SilentServer } from '../../helpers/silent-server.js';
import { startCli } from '../watch/running-cli.js';
import { freePort } from '../../helpers/etcd-server.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';

const CRD_API = '/apis/crd.projectcalico.org/v1';

let cluster: KubeCluster;
const dir = tempDir('calicoctl-ts-kdd-cli-');

function manifest(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const kdd = (args: string[]) => runCli(args, { env: cluster.env });

beforeAll(async () => {
  cluster = await startKubeCluster();
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
});

const POOL = manifest(
  'pool.yaml',
  'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool1\nspec:\n  cidr: 10.1.0.0/16\n  ipipMode: Always\n  natOutgoing: true\n',
);

describe('resource commands', () => {
  it('create, get, apply, replace and delete an IPPool', async () => {
    const before = await kdd(['version']);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/\nCluster Version: {3}unknown\nCluster Type: {6}unknown\n/);
    expect(before.stdout).toContain(`Datastore:         kubernetes (${cluster.server})\n`);

    const created = await kdd(['create', '-f', POOL]);
    expect(created).toMatchObject({ code: 0, stdout: "Successfully created 1 'IPPool' resource(s)\n" });
    // create initialised the datastore as calicoctl's EnsureInitialized does on Kubernetes.
    const after = await kdd(['version']);
    expect(after.stdout).toMatch(/\nCluster Type: {6}kdd\n/);

    const table = await kdd(['get', 'ippools']);
    expect(table.stdout).toBe('NAME    CIDR          SELECTOR   \npool1   10.1.0.0/16   all()      \n\n');
    const yaml = await kdd(['get', 'ippool', 'pool1', '-o', 'yaml']);
    const cr = (await cluster.request('GET', `${CRD_API}/ippools/pool1`)).body as {
      metadata: { resourceVersion: string };
    };
    expect(yaml.stdout).toContain(`  resourceVersion: "${cr.metadata.resourceVersion}"\n`);
    expect(yaml.stdout).toContain('  assignmentMode: Automatic\n');

    expect(await kdd(['apply', '-f', POOL])).toMatchObject({ code: 0 });
    const stale = manifest('stale.yaml', yaml.stdout);
    const changed = manifest('changed.yaml', POOL_TEXT_WITH('natOutgoing: false'));
    expect(await kdd(['replace', '-f', changed])).toMatchObject({
      code: 0,
      stdout: "Successfully replaced 1 'IPPool' resource(s)\n",
    });
    // The resourceVersion read before: a conflict, exit 4.
    const conflict = await kdd(['replace', '-f', stale]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toContain('update conflict: IPPool(pool1)');

    const exists = await kdd(['create', '-f', POOL]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('resource already exists: IPPool(pool1)');

    expect(await kdd(['delete', 'ippool', 'pool1'])).toMatchObject({
      code: 0,
      stdout: "Successfully deleted 1 'IPPool' resource(s)\n",
    });
    expect((await cluster.request('GET', `${CRD_API}/ippools/pool1`)).status).toBe(404);
    const missing = await kdd(['delete', 'ippool', 'pool1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('resource does not exist: IPPool(pool1)');
  });
});

function POOL_TEXT_WITH(line: string): string {
  return `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool1\nspec:\n  cidr: 10.1.0.0/16\n  ipipMode: Always\n  ${line}\n`;
}

describe('IPAM on objects as Calico writes them', () => {
  beforeAll(async () => {
    expect(
      (
        await kdd([
          'create',
          '-f',
          manifest(
            'ipam-pool.yaml',
            POOL_TEXT_WITH('natOutgoing: true')
              .replaceAll('pool1', 'ipam-pool')
              .replace('10.1.0.0/16', '10.2.0.0/16'),
          ),
        ])
      ).code,
    ).toBe(0);
    const nulls = Array.from({ length: 64 }, (_, i) => (i < 2 ? i : null));
    const created = await cluster.request('POST', `${CRD_API}/ipamblocks`, {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPAMBlock',
      metadata: {
        name: '10-2-0-0-26',
        annotations: { 'projectcalico.org/metadata': '{"creationTimestamp":null}' },
      },
      spec: {
        cidr: '10.2.0.0/26',
        affinity: 'host:node1',
        allocations: nulls,
        unallocated: Array.from({ length: 62 }, (_, i) => i + 2),
        attributes: [
          { handle_id: 'ipip-tunnel-addr-node1', secondary: { node: 'node1', type: 'ipipTunnelAddress' } },
          {
            handle_id: 'k8s-pod-network.0123abcd',
            secondary: { namespace: 'default', node: 'node1', pod: 'nginx-1' },
          },
        ],
        sequenceNumber: 2,
        sequenceNumberForAllocation: { '0': 0, '1': 1 },
        deleted: false,
        strictAffinity: false,
      },
    });
    expect(created.status).toBe(201);
    for (const [name, id] of [
      ['ipip-tunnel-addr-node1', 'ipip-tunnel-addr-node1'],
      ['k8s-pod-network.0123abcd', 'k8s-pod-network.0123abcd'],
    ]) {
      const res = await cluster.request('POST', `${CRD_API}/ipamhandles`, {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPAMHandle',
        metadata: { name, annotations: { 'projectcalico.org/metadata': '{"creationTimestamp":null}' } },
        spec: { handleID: id, block: { '10.2.0.0/26': 1 }, deleted: false },
      });
      expect(res.status).toBe(201);
    }
  });

  it('ipam show, with blocks', async () => {
    const res = await kdd(['ipam', 'show', '--show-blocks']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        '+----------+-------------+-----------+------------+--------------+',
        '| GROUPING |    CIDR     | IPS TOTAL | IPS IN USE |   IPS FREE   |',
        '+----------+-------------+-----------+------------+--------------+',
        '| IP Pool  | 10.2.0.0/16 |     65536 | 2 (0%)     | 65534 (100%) |',
        '| Block    | 10.2.0.0/26 |        64 | 2 (3%)     | 62 (97%)     |',
        '+----------+-------------+-----------+------------+--------------+',
        '',
      ].join('\n'),
    );
  });

  it('ipam check reads blocks and handles', async () => {
    const res = await kdd(['ipam', 'check']);
    expect(res.stdout).toContain('Found 1 IPAM blocks.\n');
    expect(res.stdout).toContain('IPAM blocks record 2 allocations.\n');
    expect(res.stdout).toContain('Found 0 handles with no matching IPs (and 2 handles with matches).\n');
  });
});

describe('watching', () => {
  it('ipam show --watch follows a block written in Kubernetes', async () => {
    const running = startCli(['ipam', 'show', '--watch', '-o', 'json'], cluster.env);
    try {
      const inUse = (text: string): number[] =>
        text
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { pools: { inUse: number }[] }).pools[0]?.inUse ?? -1);
      await running.waitFor((text) => inUse(text).length >= 1, { timeoutMs: 30_000 });
      const before = inUse(running.stdout())[0]!;
      const res = await cluster.request('POST', `${CRD_API}/ipamblocks`, {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPAMBlock',
        metadata: { name: '10-2-0-64-26' },
        spec: {
          cidr: '10.2.0.64/26',
          affinity: 'host:node2',
          allocations: Array.from({ length: 64 }, (_, i) => (i < 3 ? 0 : null)),
          unallocated: Array.from({ length: 61 }, (_, i) => i + 3),
          attributes: [{ handle_id: 'h-watch', secondary: { node: 'node2' } }],
          sequenceNumber: 1,
          sequenceNumberForAllocation: { '0': 0, '1': 0, '2': 0 },
          deleted: false,
          strictAffinity: false,
        },
      });
      expect(res.status).toBe(201);
      await running.waitFor((text) => inUse(text).at(-1) === before + 3, { timeoutMs: 30_000 });
      running.interrupt();
      expect((await running.exited).code).toBe(0);
    } finally {
      running.kill();
    }
  });
});

describe('kubeconfig contexts', () => {
  it('--context picks a context of the kubeconfig, as calicoctl does (K8S_CURRENT_CONTEXT)', async () => {
    const port = await freePort();
    const kubeconfig = manifest(
      'two-contexts.yaml',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- {name: real, cluster: {server: "${cluster.server}", certificate-authority: "${cluster.caFile}"}}`,
        `- {name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}`,
        'users:',
        '- {name: admin, user: {token: tok123}}',
        'contexts:',
        '- {name: good, context: {cluster: real, user: admin}}',
        '- {name: bad, context: {cluster: gone, user: admin}}',
        'current-context: bad',
        '',
      ].join('\n'),
    );
    const env = { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig };
    expect((await runCli(['get', 'ippools'], { env })).code).toBe(3);
    expect(await runCli(['get', 'ippools', '--context', 'good'], { env })).toMatchObject({ code: 0 });
    const unknown = await runCli(['get', 'ippools', '--context', 'nope'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `context "nope" does not exist\nhint: set K8S_CURRENT_CONTEXT (or --context) to a context of ${kubeconfig}: good, bad\n`,
    );
  });
});

describe('credential plugins', () => {
  it('a kubeconfig user with an exec plugin gets its token from it (through @kubernetes/client-node)', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'tok123' },
    });
    const kubeconfig = manifest(
      'exec.yaml',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- {name: c, cluster: {server: "${cluster.server}", certificate-authority: "${cluster.caFile}"}}`,
        'users:',
        '- name: plugin',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        '      command: /bin/sh',
        `      args: ["-c", ${JSON.stringify(`echo '${credential}'`)}]`,
        '      interactiveMode: Never',
        'contexts:',
        '- {name: x, context: {cluster: c, user: plugin}}',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const res = await runCli(['get', 'ippools'], {
      env: { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig },
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});

describe('failures: exit 3 in bounded time, naming the server', () => {
  let silent: SilentServer;
  beforeAll(async () => void (silent = await startSilentServer()));
  afterAll(() => silent.close());

  it('a wrong token: unauthorized', async () => {
    const res = await runCli(['get', 'ippools'], {
      env: {
        DATASTORE_TYPE: 'kubernetes',
        K8S_API_ENDPOINT: cluster.server,
        K8S_INSECURE_SKIP_TLS_VERIFY: 'true',
        CALICO_K8SAPITOKEN: 'wrong',
      },
    });
    expect(res.code).toBe(3);
    expect(res.stderr.split('\n')[0]).toBe(
      `connection is unauthorized: Unauthorized (Kubernetes API server ${cluster.server}, K8S_API_ENDPOINT)`,
    );
    expect(res.stdout).toBe('');
  });

  it('a closed port: refused at once', async () => {
    const port = await freePort();
    const started = Date.now();
    // A refusal never waits for the deadline: a --timeout far beyond what starting the CLI can
    // take on a loaded machine, and a bound of half of it, which only waiting for it can cross.
    const res = await runCli(['get', 'ippools', '--timeout', '40s'], {
      env: { ...cluster.env, K8S_API_ENDPOINT: `https://127.0.0.1:${port}` },
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(res.code).toBe(3);
    expect(res.stderr.split('\n')[0]).toMatch(
      new RegExp(
        `^cannot reach the Kubernetes API server https://127\\.0\\.0\\.1:${port} \\(context test in .*kubeconfig\\): GET /apis/crd\\.projectcalico\\.org/v1/clusterinformations: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
      ),
    );
  });

  it('a silent server: no answer within --timeout', async () => {
    const server = `https://127.0.0.1:${silent.port}`;
    const started = Date.now();
    const res = await runCli(['ipam', 'show', '--timeout', '1500ms'], {
      env: { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: server, K8S_INSECURE_SKIP_TLS_VERIFY: 'true' },
    });
    const elapsed = Date.now() - started;
    expect(res.code).toBe(3);
    expect(res.stderr.split('\n')[0]).toBe(
      `cannot reach the Kubernetes API server ${server} (K8S_API_ENDPOINT): GET /apis/crd.projectcalico.org/v1/clusterinformations: no answer within 1500ms`,
    );
    expect(res.stderr).toContain('hint: ');
    // The message names the deadline applied; the run cannot have ended before it, and only a
    // deadline not applied (the silent server never answers) crosses ten times it.
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(10 * 1500);
  });
});
