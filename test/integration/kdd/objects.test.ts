/**
 * The kinds stored as core Kubernetes objects, end to end with the built CLI on a real kube-apiserver
 * (test/helpers/kube-apiserver.ts): Nodes, WorkloadEndpoints from Pods and Profiles from Namespaces and
 * ServiceAccounts print on the Kubernetes datastore what the same Calico data prints on etcd; a Node
 * update writes the Node's annotations; the refusals and `delete node` are calicoctl's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/load.js';
import { openDatastore } from '../../../src/datastore/open.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let kube: KubeCluster;
let etcd: EtcdServer;

const kdd = (...args: string[]): Promise<CliResult> => runCli(args, { env: kube.env });
const onEtcd = (...args: string[]): Promise<CliResult> => runCli(args, { env: etcd.env });

async function k8s(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
  const res = await kube.request(method, path, body, contentType ? { contentType } : {});
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** A kind worker: labels, calico-node's annotations, an InternalIP and a pod CIDR. */
const WORKER = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'kind-worker',
    labels: { 'kubernetes.io/hostname': 'kind-worker', 'kubernetes.io/os': 'linux' },
    annotations: {
      'node.alpha.kubernetes.io/ttl': '0',
      'projectcalico.org/IPv4Address': '172.18.0.3/16',
      'projectcalico.org/IPv4IPIPTunnelAddr': '192.168.162.128',
    },
  },
  spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
};

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'nginx-7c5ddbdf54-x2v9k',
    generateName: 'nginx-7c5ddbdf54-',
    namespace: 'web',
    labels: { app: 'nginx' },
    annotations: {
      'cni.projectcalico.org/containerID': '5c1b2f0e9d8a',
      'cni.projectcalico.org/podIP': '192.168.162.131/32',
      'cni.projectcalico.org/podIPs': '192.168.162.131/32',
    },
  },
  spec: {
    nodeName: 'kind-worker',
    serviceAccountName: 'frontend',
    containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }],
  },
};

/** The output with every resourceVersion blanked (each store has its own revisions). */
const withoutRevisions = (text: string) =>
  text
    .replace(/resourceVersion: "?[0-9/]+"?/g, 'resourceVersion: RV')
    .replace(/"resourceVersion": "[0-9/]+"/g, '"resourceVersion": "RV"');

beforeAll(async () => {
  [kube, etcd] = await Promise.all([startKubeCluster(), startEtcd()]);
  await k8s('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'web', labels: { team: 'shop' } },
  });
  await k8s('POST', '/api/v1/namespaces/web/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'frontend', namespace: 'web', labels: { tier: 'front' } },
  });
  await k8s('POST', '/api/v1/nodes', WORKER);
  const node = (await k8s('GET', '/api/v1/nodes/kind-worker')) as { status?: Record<string, unknown> };
  await k8s('PUT', '/api/v1/nodes/kind-worker/status', {
    ...WORKER,
    ...(node as object),
    status: { ...(node.status ?? {}), addresses: [{ type: 'InternalIP', address: '172.18.0.3' }] },
  });
  await k8s('POST', '/api/v1/namespaces/web/pods', POD);

  // The same Calico data on etcd: what the Kubernetes datastore presents, key for key, value for value.
  const ds = await openDatastore(loadClientConfig({ env: kube.env }), { timeoutMs: 10_000 });
  try {
    for (const plural of ['nodes', 'workloadendpoints', 'profiles'])
      for await (const kv of await ds.list(`/calico/resources/v3/projectcalico.org/${plural}/`))
        await etcd.etcdctl(['put', kv.key, kv.value]);
  } finally {
    await ds.close();
  }
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([kube?.stop(), etcd?.stop()]);
});

describe('core objects on the Kubernetes datastore', () => {
  it.each([
    [['get', 'nodes']],
    [['get', 'nodes', '-o', 'wide']],
    [['get', 'nodes', '-o', 'yaml']],
    [['get', 'node', 'kind-worker', '-o', 'json']],
    [['get', 'workloadendpoints', '-A']],
    [['get', 'workloadendpoints', '-n', 'web', '-o', 'wide']],
    [['get', 'workloadendpoints', '-A', '-o', 'yaml']],
    [['get', 'profiles']],
    [['get', 'profiles', '-o', 'yaml']],
    [['get', 'profile', 'kns.web', '-o', 'json']],
  ])('%j prints what the same data prints on etcd', async (args) => {
    const [onKdd, reference] = await Promise.all([kdd(...args), onEtcd(...args)]);
    expect(onKdd.stderr).toBe('');
    expect(onKdd.code).toBe(0);
    expect(withoutRevisions(onKdd.stdout)).toBe(withoutRevisions(reference.stdout));
  });

  it('presents the Node, the pod and the profiles as Calico does', async () => {
    const node = JSON.parse((await kdd('get', 'node', 'kind-worker', '-o', 'json')).stdout);
    expect(node.metadata.labels).toEqual({
      'kubernetes.io/hostname': 'kind-worker',
      'kubernetes.io/os': 'linux',
    });
    expect(node.spec).toEqual({
      bgp: { ipv4Address: '172.18.0.3/16', ipv4IPIPTunnelAddr: '192.168.162.128' },
      orchRefs: [{ nodeName: 'kind-worker', orchestrator: 'k8s' }],
      addresses: [
        { address: '172.18.0.3/16', type: 'CalicoNodeIP' },
        { address: '172.18.0.3', type: 'InternalIP' },
      ],
    });
    expect(node.status).toEqual({ podCIDRs: ['10.244.1.0/24'] });
    const weps = await kdd('get', 'workloadendpoints', '-n', 'web');
    expect(weps.stdout).toBe(
      'NAMESPACE   WORKLOAD                 NODE          NETWORKS             INTERFACE         \n' +
        'web         nginx-7c5ddbdf54-x2v9k   kind-worker   192.168.162.131/32   cali575d96c9d06   \n\n',
    );
    // The apiserver's own namespaces, then service accounts, then the virtual profile, as on etcd.
    expect((await kdd('get', 'profiles')).stdout.split('\n').map((l) => l.trimEnd())).toEqual([
      'NAME',
      'kns.default',
      'kns.kube-node-lease',
      'kns.kube-public',
      'kns.kube-system',
      'kns.web',
      'ksa.web.frontend',
      'projectcalico-default-allow',
      '',
      '',
    ]);
  });

  it('label node writes the Calico labels into the Node annotation, not its Kubernetes labels', async () => {
    const r = await kdd('label', 'node', 'kind-worker', 'rack=r1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const node = (await k8s('GET', '/api/v1/nodes/kind-worker')) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    expect(node.metadata.annotations['projectcalico.org/labels']).toBe('{"rack":"r1"}');
    expect(node.metadata.labels).toEqual(WORKER.metadata.labels);
    const got = JSON.parse((await kdd('get', 'node', 'kind-worker', '-o', 'json')).stdout);
    expect(got.metadata.labels.rack).toBe('r1');
  });

  it('apply of a Node writes its spec into the annotations', async () => {
    const current = JSON.parse((await kdd('get', 'node', 'kind-worker', '-o', 'json')).stdout);
    current.spec.bgp.asNumber = 64512;
    current.spec.ipv4VXLANTunnelAddr = '192.168.162.129';
    const file = join(tempDir('calicoctl-ts-kdd-node-'), 'node.json');
    writeFileSync(file, JSON.stringify(current));
    const r = await kdd('apply', '-f', file);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("Successfully applied 1 'Node' resource(s)\n");
    const node = (await k8s('GET', '/api/v1/nodes/kind-worker')) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(node.metadata.annotations['projectcalico.org/ASNumber']).toBe('64512');
    expect(node.metadata.annotations['projectcalico.org/IPv4VXLANTunnelAddr']).toBe('192.168.162.129');
    // A stale resourceVersion is a conflict, not an overwrite.
    const stale = await kdd('apply', '-f', file);
    expect(stale.code).toBe(4);
  });

  it('refuses what calicoctl refuses: creating a Node or a WorkloadEndpoint, changing a Profile', async () => {
    const dir = tempDir('calicoctl-ts-kdd-refuse-');
    const nodeFile = join(dir, 'node.yaml');
    writeFileSync(nodeFile, 'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: new-node}\n');
    const node = await kdd('create', '-f', nodeFile);
    expect(node.code).toBe(1);
    expect(node.stderr).toContain('operation Create is not supported on Node(new-node)');
    const wepFile = join(dir, 'wep.yaml');
    writeFileSync(
      wepFile,
      'apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: kind--worker-k8s-other-eth0, namespace: web}\n' +
        'spec: {orchestrator: k8s, node: kind-worker, pod: other, endpoint: eth0, interfaceName: cali0, ipNetworks: [10.0.0.1/32]}\n',
    );
    const wep = await kdd('create', '-f', wepFile);
    expect(wep.code).toBe(1);
    expect(wep.stderr).toContain(
      'operation Create is not supported on WorkloadEndpoint(web/kind--worker-k8s-other-eth0): unsupported PatchMode: patchModeUnspecified',
    );
    const profile = await kdd('delete', 'profile', 'kns.web');
    expect(profile.code).toBe(1);
    expect(profile.stderr).toContain('operation Delete is not supported on Profile(kns.web)');
  });

  it('delete node cleans up as calicoctl does, then fails: the Node is a Kubernetes Node', async () => {
    const r = await kdd('delete', 'node', 'kind-worker');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('operation Delete is not supported on Node(kind-worker)');
    // Its workload endpoint was "deleted": the pod's podIP annotations are emptied.
    const pod = (await k8s('GET', '/api/v1/namespaces/web/pods/nginx-7c5ddbdf54-x2v9k')) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(pod.metadata.annotations['cni.projectcalico.org/podIP']).toBe('');
    expect(pod.metadata.annotations['cni.projectcalico.org/podIPs']).toBe('');
    expect((await kdd('get', 'node', 'kind-worker')).code).toBe(0);
  });
});
