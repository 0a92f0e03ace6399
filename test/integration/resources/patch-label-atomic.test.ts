/**
 * patch, label, --atomic, policy storage and the bad-input list, end to end: the built CLI against
 * the embedded store and a real etcd (calico.md §8 rows 27 and 28, §1.2 policies). The datastore
 * revision is read with the Datastore API (embedded) or etcdctl (etcd), never through the CLI.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { tempDir } from '../../helpers/temp.js';
import { cliSession, useEtcd } from './session.js';

const doc = (kind: string, meta: string, spec: string) =>
  `apiVersion: projectcalico.org/v3\nkind: ${kind}\nmetadata:\n${meta}\nspec:\n${spec}\n`;
const POOL = doc(
  'IPPool',
  '  name: ippool-name1\n  labels:\n    keep: me\n  annotations:\n    note: x',
  '  cidr: 10.0.1.0/24\n  ipipMode: Always\n  blockSize: 27',
);
const NODE = doc('Node', '  name: node1', '  bgp:\n    ipv4Address: 10.0.0.1/24');
const WEP = doc(
  'WorkloadEndpoint',
  '  name: node1-k8s-pod1-eth0\n  namespace: namespace1\n  labels:\n    existing: label',
  '  node: node1\n  orchestrator: k8s\n  workload: pod1\n  endpoint: eth0\n  interfaceName: cali1234\n  ipNetworks:\n  - 10.0.1.5/32',
);
const POLICY = doc(
  'NetworkPolicy',
  '  name: allow-dns\n  namespace: prod',
  "  selector: app == 'web'\n  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n      ports: [53]",
);

interface Backend {
  name: string;
  env: () => Record<string, string>;
  revision: () => Promise<number>;
  raw: (key: string) => Promise<string | undefined>;
}

const etcd = useEtcd();
const embeddedPath = join(tempDir(), 'datastore.db');
async function withEmbedded<T>(fn: (ds: Awaited<ReturnType<typeof createDatastore>>) => Promise<T>) {
  const ds = createDatastore(
    await openEmbeddedBackend({ path: embeddedPath, source: 'test', timeoutMs: 5000 }),
  );
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}
const backends: Backend[] = [
  {
    name: 'embedded',
    env: () => ({ DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: embeddedPath }),
    revision: () => withEmbedded((ds) => ds.currentRevision()),
    raw: (key) => withEmbedded(async (ds) => (await ds.get(key))?.value),
  },
  {
    name: 'etcd',
    env: () => etcd().env,
    revision: async () =>
      Number(JSON.parse(await etcd().etcdctl(['get', '/calico', '-w', 'json'])).header.revision),
    raw: async (key) => (await etcd().etcdctl(['get', key, '--print-value-only'])).trim() || undefined,
  },
];

describe.each(backends)('patch, label, --atomic and bad input against $name', (backend) => {
  const { dir, file, cli } = cliSession(backend.env);

  it('rejects every kind of bad input with exit 2, naming where, and writes nothing', async () => {
    const before = await backend.revision();
    const big = 'x'.repeat(50 * 1024 * 1024);
    const cases: [string, string, RegExp][] = [
      [
        'yaml.yaml',
        'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: x\n spec: [\n',
        /^failed to execute command: error converting YAML to JSON: yaml: line 5: .*\nhint: .*yaml\.yaml, document 1:/,
      ],
      [
        'kind.yaml',
        doc('IPPoolz', '  name: x', '  cidr: 10.1.0.0/16'),
        /^failed to execute command: unknown resource type \(IPPoolz\) and\/or version \(projectcalico.org\/v3\)\nhint: .*kind\.yaml, document 1:/,
      ],
      [
        'version.yaml',
        `${doc('IPPool', '  name: y', '  cidr: 10.2.0.0/16')}---\n${doc('IPPool', '  name: x', '  cidr: 10.1.0.0/16').replace('projectcalico.org/v3', 'v7')}`,
        /^failed to execute command: unknown resource type \(IPPool\) and\/or version \(v7\)\nhint: .*version\.yaml, document 2:/,
      ],
      [
        'field.yaml',
        doc('IPPool', '  name: x', '  cidr: 10.1.0.0/16\n  natOutgong: true'),
        /^field in document is not recognized or is in the wrong location: natOutgong\nhint: .*field\.yaml, document 1, IPPool 'x': remove "natOutgong"/,
      ],
      [
        'type.yaml',
        doc('IPPool', '  name: x', '  cidr: 10.1.0.0/16\n  blockSize: big'),
        /^failed to execute command: .*cannot unmarshal string into Go struct field IPPoolSpec.spec.blockSize of type int\nhint: .*type\.yaml, document 1, IPPool 'x':/,
      ],
      [
        'name.yaml',
        doc('IPPool', '  name: Bad_Name', '  cidr: 10.1.0.0/16'),
        /^failed to create 'IPPool' resource: \[error with field Metadata.Name = 'Bad_Name' \(name must consist of lower case .*\)\]\nhint: .*name\.yaml, document 1, IPPool 'Bad_Name': /,
      ],
      [
        'cidr.yaml',
        doc('IPPool', '  name: x', '  cidr: 10.0.1.0/33'),
        /^failed to create 'IPPool' resource: \[error with field IPPool.Spec.CIDR = '10.0.1.0\/33' \(IPPool CIDR must be a valid subnet\)\]\nhint: .*cidr\.yaml, document 1, IPPool 'x': /,
      ],
      ['empty.yaml', '', /^no resources specified in file .*empty\.yaml\nhint: /],
      [
        'big.yaml',
        doc('IPPool', `  name: big\n  annotations:\n    a: "${big}"`, '  cidr: 10.1.0.0/16'),
        /^failed to execute command: bufio.Scanner: token too long\nhint: .*big\.yaml, document 1: a single document may be at most 10 MiB/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const r = await cli(['create', '-f', file(name, text)]);
      expect(r.stderr, name).toMatch(expected);
      expect(r.code, name).toBe(2);
      expect(r.stdout, name).toBe('');
    }
    const missing = await cli(['apply', '-f', join(dir, 'nope.yaml')]);
    expect(missing.stderr).toMatch(
      /^failed to execute command: open .*nope\.yaml: no such file or directory\n/,
    );
    expect(missing.code).toBe(2);
    expect(await backend.revision()).toBe(before);
  }, 60_000);

  it('patches with merge semantics, keeping labels and annotations (row 28)', async () => {
    expect((await cli(['create', '-f', file('setup.yaml', `${POOL}---\n${NODE}---\n${WEP}`)])).code).toBe(0);
    const node = await cli([
      'patch',
      'nodes',
      'node1',
      '-p',
      '{"spec":{"bgp": {"routeReflectorClusterID": "192.168.0.1"}}}',
    ]);
    expect(node.stdout).toBe("Successfully patched 1 'Node' resource\n");
    const pool = await cli([
      'patch',
      'ippool',
      'ippool-name1',
      '-p',
      '{"spec":{"natOutgoing": true},"metadata":{"labels":{"added":"yes"}}}',
    ]);
    expect(pool.stdout).toBe("Successfully patched 1 'IPPool' resource\n");
    const stored = JSON.parse(
      (await backend.raw('/calico/resources/v3/projectcalico.org/ippools/ippool-name1'))!,
    ) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    expect(stored.metadata.labels).toEqual({ added: 'yes', keep: 'me' });
    expect(stored.metadata.annotations).toEqual({ note: 'x' });
    expect(stored.spec).toMatchObject({ natOutgoing: true, ipipMode: 'Always', blockSize: 27 });
    const nodeStored = JSON.parse((await backend.raw('/calico/resources/v3/projectcalico.org/nodes/node1'))!);
    expect(nodeStored.spec.bgp).toEqual({
      ipv4Address: '10.0.0.1/24',
      routeReflectorClusterID: '192.168.0.1',
    });

    const missing = await cli(['patch', 'ippool', 'nope', '-p', '{"spec":{}}']);
    expect(missing.stderr).toBe('hit error: resource does not exist: IPPool(nope) with error: <nil>\n');
    expect(missing.code).toBe(1);
    const immutable = await cli(['patch', 'ippool', 'ippool-name1', '-p', '{"spec":{"blockSize":26}}']);
    expect(immutable.stderr.split('\n')[0]).toBe(
      "hit error: updating existing resource: error with field IPPool.Spec.BlockSize = '26' (IPPool BlockSize cannot be modified)",
    );
    expect(immutable.code).toBe(2);
    const unknown = await cli(['patch', 'ippool', 'ippool-name1', '-p', '{"spec":{"bogus":1}}']);
    expect(unknown.stderr).toBe('field in document is not recognized or is in the wrong location: bogus\n');
  }, 60_000);

  it('labels as calicoctl does (row 27)', async () => {
    const label = (...args: string[]) =>
      cli(['label', 'workloadendpoint', 'node1-k8s-pod1-eth0', ...args, '-n', 'namespace1']);
    expect((await label('app=web')).stdout).toBe(
      'Successfully set label app on workloadendpoint node1-k8s-pod1-eth0\n',
    );
    const again = await label('app=db');
    expect(again.stderr.split('\n')[0]).toBe(
      "failed to update label of workloadendpoint node1-k8s-pod1-eth0, key app is already present. please use '--overwrite' to set a new value",
    );
    expect(again.code).toBe(2);
    expect((await label('app=db', '--overwrite')).stdout).toBe(
      'Successfully updated label app on workloadendpoint node1-k8s-pod1-eth0\n',
    );
    expect((await label('app', '--remove')).stdout).toBe(
      'Successfully removed label app from workloadendpoint node1-k8s-pod1-eth0\n',
    );
    const absent = await label('app', '--remove');
    expect(absent.stderr).toBe(
      'cannot remove label of workloadendpoint node1-k8s-pod1-eth0, key app does not exist\n',
    );
    const stored = JSON.parse(
      (await backend.raw(
        '/calico/resources/v3/projectcalico.org/workloadendpoints/namespace1/node1-k8s-pod1-eth0',
      ))!,
    );
    expect(stored.metadata.labels).toEqual({ existing: 'label' });
    const missing = await cli(['label', 'nodes', 'node9', 'a=b']);
    expect(missing.stderr.split('\n')[0]).toBe('nodes node9 not found');
  }, 60_000);

  it('--atomic writes the whole file or nothing', async () => {
    const good = doc('IPPool', '  name: atomic1', '  cidr: 10.9.0.0/24');
    const clash = doc('IPPool', '  name: atomic2', '  cidr: 10.9.0.0/25');
    const before = await backend.revision();
    const failed = await cli(['apply', '--atomic', '-f', file('atomic-bad.yaml', `${good}---\n${clash}`)]);
    expect(failed.stderr.split('\n')[0]).toBe(
      "apply --atomic failed; nothing was written: [error with field IPPool.Spec.CIDR = '10.9.0.0/25' (IPPool(atomic2) CIDR overlaps with IPPool(atomic1) CIDR 10.9.0.0/24)]",
    );
    expect(failed.code).toBe(2);
    expect(await backend.revision()).toBe(before);

    const ok = doc('IPPool', '  name: atomic2', '  cidr: 10.9.1.0/24');
    const written = await cli([
      'apply',
      '--atomic',
      '-f',
      file('atomic-ok.yaml', `${good}---\n${ok}`),
      '-o',
      'json',
    ]);
    const summary = JSON.parse(written.stdout);
    expect(summary).toMatchObject({ atomic: true, succeeded: 2, failed: 0 });
    // One transaction: one new revision shared by both resources.
    expect(await backend.revision()).toBe(before + 1);
    expect(summary.results.map((r: { resourceVersion: string }) => r.resourceVersion)).toEqual([
      String(before + 1),
      String(before + 1),
    ]);
  }, 60_000);

  it('stores policies with the v3.30+ name annotation, tier and types, and hides them on read', async () => {
    expect((await cli(['apply', '-f', file('policy.yaml', POLICY)])).code).toBe(0);
    const raw = await backend.raw('/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-dns');
    expect(raw).toMatch(
      /"labels":\{"projectcalico.org\/tier":"default"\},"annotations":\{"projectcalico.org\/metadata":"\{\\"name\\":\\"allow-dns\\"\}"\}\},"spec":\{"tier":"default","egress":\[.*\],"selector":"app == 'web'","types":\["Egress"\]\}\}$/,
    );
    const yaml = (await cli(['get', 'networkpolicy', 'allow-dns', '-n', 'prod', '-o', 'yaml'])).stdout;
    expect(yaml).not.toContain('projectcalico.org/metadata');
    expect(yaml).toContain('    projectcalico.org/tier: default\n');
    const bad = await cli([
      'apply',
      '-f',
      file('badsel.yaml', POLICY.replace("app == 'web'", "app == 'web' &&")),
    ]);
    expect(bad.stderr.split('\n')[0]).toBe(
      "failed to apply 'NetworkPolicy' resource: [error with field Selector = 'app == 'web' &&' (Reason: failed to validate Field: Selector because of Tag: selector )]",
    );
  }, 60_000);
});
