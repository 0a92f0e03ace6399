/**
 * `datastore migrate export` from a real etcd and `datastore migrate import` into a real
 * kube-apiserver, with the built CLI, as calicoctl's etcd-to-Kubernetes migration (kdd.md §8): the
 * file's three parts, Nodes renamed to their Kubernetes names everywhere, the refusals, and the
 * imported datastore printing what etcd printed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliResult } from '../../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';

let kube: KubeCluster;
let etcd: EtcdServer;
const dir = tempDir('calicoctl-ts-kdd-migrate-');
const exported = join(dir, 'etcd-data');

const kdd = (...args: string[]): Promise<CliResult> => runCli(args, { env: kube.env });
const onEtcd = (...args: string[]): Promise<CliResult> => runCli(args, { env: etcd.env });

const RESOURCES = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: p1}
spec: {cidr: 10.70.0.0/16, ipipMode: Always, blockSize: 26, nodeSelector: all()}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node1.example.com}
spec:
  bgp: {ipv4Address: 172.18.0.3/16}
  orchRefs: [{nodeName: kind-worker, orchestrator: k8s}]
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: node.node1.example.com}
spec: {iptablesFilterAllowAction: ACCEPT}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-dns}
spec: {selector: all(), types: [Egress], egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]}
`;

beforeAll(async () => {
  [kube, etcd] = await Promise.all([startKubeCluster(), startEtcd()]);
  const file = join(dir, 'resources.yaml');
  writeFileSync(file, RESOURCES);
  for (const args of [
    ['apply', '-f', file],
    ['ipam', 'assign', '--node', 'node1.example.com', '--num', '2', '--handle', 'k8s-pod-network.c1'],
    [
      'ipam',
      'assign',
      '--node',
      'node1.example.com',
      '--num',
      '1',
      '--handle',
      'ipip-tunnel-addr-node1.example.com',
    ],
  ]) {
    const r = await onEtcd(...args);
    expect(r.stderr, args.join(' ')).toBe('');
  }
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([kube?.stop(), etcd?.stop()]);
});

describe('datastore migrate, etcd to Kubernetes', () => {
  it('export refuses an unlocked datastore, and the Kubernetes datastore', async () => {
    const unlocked = await onEtcd('datastore', 'migrate', 'export');
    expect(unlocked.code).toBe(5);
    expect(unlocked.stderr.split('\n')[0]).toBe(
      'datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration',
    );
    expect((await kdd('datastore', 'migrate', 'lock')).code).toBe(0);
    const fromKdd = await kdd('datastore', 'migrate', 'export');
    expect(fromKdd.code).toBe(2);
    expect(fromKdd.stderr.split('\n')[0]).toBe(
      'invalid datastore type: kubernetes to export from for datastore migration. Datastore type must be etcdv3',
    );
    // Locking made ClusterInformation, which an import target must not have yet.
    const removed = await kube.request(
      'DELETE',
      '/apis/crd.projectcalico.org/v1/clusterinformations/default',
    );
    expect(removed.status).toBe(200);
  });

  it('export writes the resources, ClusterInformation and IPAM with the Kubernetes node name', async () => {
    expect((await onEtcd('datastore', 'migrate', 'lock')).code).toBe(0);
    const r = await onEtcd('datastore', 'migrate', 'export');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    writeFileSync(exported, r.stdout);
    const [resources, info, ipam] = r.stdout.split('===\n');
    expect(resources!.split('---\n')).toHaveLength(18);
    expect(resources).toMatch(
      /^apiVersion: projectcalico.org\/v3\nitems:\n- apiVersion: projectcalico.org\/v3\n {2}kind: IPPool\n/,
    );
    expect(resources).toContain('  name: kind-worker\n');
    expect(resources).toContain('  name: node.kind-worker\n');
    expect(resources).toContain('iptablesFilterAllowAction: Accept');
    expect(resources).not.toMatch(/uid:|creationTimestamp:/);
    expect(JSON.parse(info!)).toMatchObject({ kind: 'ClusterInformation', spec: { datastoreReady: false } });
    const parsed = JSON.parse(ipam!) as Record<string, { Key: string; Value: Record<string, unknown> }[]>;
    // No IPAM config in this etcd (nothing wrote one): the section is left out, as Go's omitempty does.
    expect(Object.keys(parsed)).toEqual(['block_affinities', 'blocks', 'handles']);
    expect(parsed['block_affinities']![0]!.Key).toMatch(
      /^\/calico\/ipam\/v2\/host\/kind-worker\/ipv4\/block\//,
    );
    expect(parsed['blocks']![0]!.Value['affinity']).toBe('host:kind-worker');
    expect(parsed['handles']!.map((h) => h.Key)).toEqual([
      '/calico/ipam/v2/handle/ipip-tunnel-addr-kind-worker',
      '/calico/ipam/v2/handle/k8s-pod-network.c1',
    ]);
    expect(ipam).toMatch(/^\{\n {2}"block_affinities": \[\n {4}\{\n {6}"Key": /);
  });

  it('import loads it into Kubernetes; the datastore prints what etcd printed, and stays locked', async () => {
    const node = await kube.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'kind-worker' },
    });
    expect(node.status).toBe(201);
    const r = await kdd('datastore', 'migrate', 'import', '-f', exported);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'Successfully applied 7 resource(s)\n' +
        'Importing IPAM resources\n' +
        'Successfully applied 4 IPAM resource(s)\n' +
        'Datastore information successfully imported. Please refer to the datastore migration documentation for next steps.\n',
    );
    for (const args of [
      ['ipam', 'show', '--show-blocks'],
      ['get', 'ippools', '-o', 'wide'],
      ['get', 'globalnetworkpolicies'],
    ]) {
      const [a, b] = await Promise.all([kdd(...args), onEtcd(...args)]);
      expect(a.stdout, args.join(' ')).toBe(b.stdout);
    }
    const worker = JSON.parse((await kdd('get', 'node', 'kind-worker', '-o', 'json')).stdout);
    expect(worker.spec.bgp).toEqual({ ipv4Address: '172.18.0.3/16' });
    expect((await kdd('get', 'felixconfiguration', 'node.kind-worker')).code).toBe(0);
    const info = JSON.parse((await kdd('get', 'clusterinformation', 'default', '-o', 'json')).stdout);
    const source = JSON.parse((await onEtcd('get', 'clusterinformation', 'default', '-o', 'json')).stdout);
    expect(info.spec).toMatchObject({ clusterGUID: source.spec.clusterGUID, datastoreReady: false });

    const again = await kdd('datastore', 'migrate', 'import', '-f', exported);
    expect(again.code).toBe(5);
    expect(again.stderr.split('\n')[0]).toMatch(
      /^datastore already has Calico resources: found existing Calico /,
    );
  });
});
