/**
 * The Kubernetes test cluster itself (test/helpers/kube-apiserver.ts): a real kube-apiserver on a real
 * etcd, with Calico's CRDs as test/fixtures/kdd/crds.yaml declares them. What the Kubernetes-datastore
 * backend relies on is checked here against the server, not assumed: custom resources are stored as
 * sent (nulls in an IPAM block's allocations included), the real CRDs' server-side defaults are applied,
 * resourceVersions are etcd revisions, lists page, watches deliver, and two clusters are independent.
 */
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  KUBE_TOKEN,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';

const CRD_API = '/apis/crd.projectcalico.org/v1';

let a: KubeCluster;
let b: KubeCluster;

beforeAll(async () => {
  [a, b] = await Promise.all([startKubeCluster(), startKubeCluster()]);
}, KUBE_CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

interface Meta {
  metadata: { name: string; resourceVersion: string; uid: string };
  spec: Record<string, unknown>;
}

/** The value etcd holds for a key, and its mod revision, read with etcdctl. */
async function etcdGet(cluster: KubeCluster, key: string): Promise<{ value: string; modRevision: number }> {
  const out = JSON.parse(await cluster.etcd.etcdctl(['get', key, '-w', 'json'])) as {
    kvs?: { value: string; mod_revision: number }[];
  };
  const kv = out.kvs?.[0];
  if (!kv) throw new Error(`etcd has no ${key}`);
  return { value: Buffer.from(kv.value, 'base64').toString('utf8'), modRevision: kv.mod_revision };
}

/** The text of the "spec" member of a JSON document, as the server wrote it. */
function specText(json: string): string {
  const start = json.indexOf('"spec":') + '"spec":'.length;
  let depth = 0;
  for (let i = start; i < json.length; i++) {
    if (json[i] === '{') depth++;
    if (json[i] === '}' && --depth === 0) return json.slice(start, i + 1);
  }
  throw new Error(`no spec in ${json}`);
}

describe('the Kubernetes test cluster', () => {
  it('is kube-apiserver v1.34.2 with the token the kubeconfig names', async () => {
    const version = await a.request('GET', '/version');
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ major: '1', minor: '34', gitVersion: 'v1.34.2' });
    expect(readFileSync(a.kubeconfig, 'utf8')).toContain(`token: ${KUBE_TOKEN}`);
    expect(a.env).toEqual({ DATASTORE_TYPE: 'kubernetes', KUBECONFIG: a.kubeconfig });
  });

  it('refuses a request without the token (401: with AlwaysAllow the server turns anonymous access off)', async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        new URL('/api/v1/namespaces', a.server),
        { ca: readFileSync(a.caFile) },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
  });

  it('stores an IPAM block as sent, a null inside allocations included, and reads it back byte for byte', async () => {
    // Keys in Go's order for a map (sorted): the server re-encodes a custom resource from a map.
    const spec =
      '{"affinity":"host:node-1","allocations":[0,null,1,null,null,2],"attributes":[{"handle_id":"h1","secondary":{"node":"node-1"}},{"handle_id":null,"secondary":null},{"handle_id":"h2","secondary":null}],' +
      '"cidr":"10.0.0.0/26","deleted":false,"sequenceNumber":1765092000123456789,"strictAffinity":false,"unallocated":[4,5,3]}';
    const body = `{"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMBlock","metadata":{"name":"10-0-0-0-26","annotations":{"projectcalico.org/metadata":"{\\"creationTimestamp\\":null}"}},"spec":${spec}}`;
    const created = await a.request('POST', `${CRD_API}/ipamblocks`, body);
    expect(created.status).toBe(201);
    expect(specText(created.text)).toBe(spec);

    const read = await a.request('GET', `${CRD_API}/ipamblocks/10-0-0-0-26`);
    expect(specText(read.text)).toBe(spec);
    // What etcd holds is the same JSON, so nothing in between dropped or rounded anything.
    const stored = await etcdGet(a, '/registry/crd.projectcalico.org/ipamblocks/10-0-0-0-26');
    expect(specText(stored.value)).toBe(spec);
    expect(JSON.parse(stored.value)).toMatchObject({
      metadata: { annotations: { 'projectcalico.org/metadata': '{"creationTimestamp":null}' } },
    });
  });

  it("applies the server-side defaults of Calico v3.32.1's CRDs", async () => {
    const cases: {
      kind: string;
      plural: string;
      namespace?: string;
      spec: object;
      expected: object;
      status?: boolean;
    }[] = [
      {
        kind: 'BGPConfiguration',
        plural: 'bgpconfigurations',
        spec: { nodeMeshPassword: { secretKeyRef: { key: 'k' } } },
        expected: {
          logSeverityScreen: 'Info',
          serviceLoadBalancerAggregation: 'Enabled',
          nodeMeshPassword: { secretKeyRef: { key: 'k', name: '' } },
        },
      },
      {
        kind: 'BGPPeer',
        plural: 'bgppeers',
        spec: { password: { secretKeyRef: { key: 'k' } } },
        expected: { password: { secretKeyRef: { key: 'k', name: '' } } },
      },
      {
        kind: 'FelixConfiguration',
        plural: 'felixconfigurations',
        spec: {},
        expected: { nftablesMode: 'Auto' },
      },
      {
        kind: 'GlobalNetworkPolicy',
        plural: 'globalnetworkpolicies',
        spec: {},
        expected: { tier: 'default' },
      },
      {
        kind: 'NetworkPolicy',
        plural: 'networkpolicies',
        namespace: 'default',
        spec: {},
        expected: { tier: 'default' },
      },
      {
        kind: 'StagedGlobalNetworkPolicy',
        plural: 'stagedglobalnetworkpolicies',
        spec: {},
        expected: { tier: 'default', stagedAction: 'Set' },
      },
      {
        kind: 'StagedNetworkPolicy',
        plural: 'stagednetworkpolicies',
        namespace: 'default',
        spec: {},
        expected: { tier: 'default', stagedAction: 'Set' },
      },
      {
        kind: 'StagedKubernetesNetworkPolicy',
        plural: 'stagedkubernetesnetworkpolicies',
        namespace: 'default',
        spec: {},
        expected: { stagedAction: 'Set' },
      },
      {
        kind: 'IPPool',
        plural: 'ippools',
        spec: { cidr: '10.1.0.0/16' },
        expected: { cidr: '10.1.0.0/16', assignmentMode: 'Automatic' },
      },
      {
        kind: 'Tier',
        plural: 'tiers',
        spec: { order: 100 },
        expected: { order: 100, defaultAction: 'Deny' },
      },
      {
        kind: 'IPAMBlock',
        plural: 'ipamblocks',
        spec: { cidr: '10.0.1.0/26' },
        expected: { cidr: '10.0.1.0/26', sequenceNumber: 0 },
      },
      {
        kind: 'KubeControllersConfiguration',
        plural: 'kubecontrollersconfigurations',
        spec: { controllers: { loadBalancer: {}, policyMigration: {} } },
        expected: {
          healthChecks: 'Enabled',
          controllers: {
            loadBalancer: { assignIPs: 'AllServices' },
            policyMigration: { enabled: 'Enabled' },
          },
        },
      },
      // Kinds without defaults store exactly what was sent.
      {
        kind: 'IPAMConfig',
        plural: 'ipamconfigs',
        spec: { strictAffinity: false, autoAllocateBlocks: true },
        expected: { strictAffinity: false, autoAllocateBlocks: true },
      },
    ];
    for (const c of cases) {
      const path = `${CRD_API}/${c.namespace ? `namespaces/${c.namespace}/` : ''}${c.plural}`;
      const answer = await a.request('POST', path, {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: c.kind,
        metadata: { name: 'defaults' },
        spec: c.spec,
      });
      expect(answer.status, `${c.plural}: ${answer.text}`).toBe(201);
      expect((answer.body as Meta).spec, c.plural).toEqual(c.expected);
    }

    // KubeControllersConfiguration's status is a subresource, defaulted as its spec is.
    const path = `${CRD_API}/kubecontrollersconfigurations/defaults`;
    const current = (await a.request('GET', path)).body as Meta;
    const status = { runningConfig: { controllers: { loadBalancer: {}, policyMigration: {} } } };
    const updated = await a.request('PUT', `${path}/status`, { ...current, status });
    expect(updated.status, updated.text).toBe(200);
    expect((updated.body as { status: unknown }).status).toEqual({
      runningConfig: {
        healthChecks: 'Enabled',
        controllers: { loadBalancer: { assignIPs: 'AllServices' }, policyMigration: { enabled: 'Enabled' } },
      },
    });
  });

  it('keeps nulls in fields no schema declares (preserve-unknown-fields without nullable)', async () => {
    // A CRD with nothing but x-kubernetes-preserve-unknown-fields, to settle whether nulls survive
    // without the `nullable: true` the fixture declares for block allocations.
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'bareblocks.test.calicoctl-ts.local' },
      spec: {
        group: 'test.calicoctl-ts.local',
        scope: 'Cluster',
        names: { kind: 'BareBlock', listKind: 'BareBlockList', plural: 'bareblocks', singular: 'bareblock' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect(
      (await b.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status,
    ).toBe(201);
    const path = '/apis/test.calicoctl-ts.local/v1/bareblocks';
    const spec = '{"allocations":[0,null,1],"attributes":[{"handle_id":null}],"note":null}';
    let created = await b.request(
      'POST',
      path,
      `{"apiVersion":"test.calicoctl-ts.local/v1","kind":"BareBlock","metadata":{"name":"b"},"spec":${spec}}`,
    );
    for (let i = 0; created.status === 404 && i < 100; i++) {
      // 404 until the new CRD is Established and served.
      await new Promise((r) => setTimeout(r, 100));
      created = await b.request(
        'POST',
        path,
        `{"apiVersion":"test.calicoctl-ts.local/v1","kind":"BareBlock","metadata":{"name":"b"},"spec":${spec}}`,
      );
    }
    expect(created.status, created.text).toBe(201);
    expect(specText((await b.request('GET', `${path}/b`)).text)).toBe(spec);
  });

  it('gives resourceVersions that are etcd revisions: an object its mod revision, a list the revision it read at', async () => {
    const created = await a.request('POST', `${CRD_API}/ipamhandles`, {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPAMHandle',
      metadata: { name: 'k8s-pod-network.abc' },
      spec: { handleID: 'k8s-pod-network.abc', block: { '10.0.0.0/26': 1 }, deleted: false },
    });
    expect(created.status).toBe(201);
    const stored = await etcdGet(a, '/registry/crd.projectcalico.org/ipamhandles/k8s-pod-network.abc');
    expect((created.body as Meta).metadata.resourceVersion).toBe(String(stored.modRevision));

    const header = JSON.parse(await a.etcd.etcdctl(['endpoint', 'status', '-w', 'json'])) as {
      Status: { header: { revision: number } };
    }[];
    const list = await a.request('GET', `${CRD_API}/ipamhandles`);
    const listRevision = Number(
      (list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
    expect(listRevision).toBe(header[0]!.Status.header.revision);

    // A write with a stale resourceVersion is refused with 409 Conflict.
    const stale = {
      ...(created.body as Meta),
      spec: { handleID: 'k8s-pod-network.abc', block: {}, deleted: false },
    };
    const first = await a.request('PUT', `${CRD_API}/ipamhandles/k8s-pod-network.abc`, stale);
    expect(first.status).toBe(200);
    const second = await a.request('PUT', `${CRD_API}/ipamhandles/k8s-pod-network.abc`, stale);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
  });

  it('pages a list with limit and continue', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      const answer = await b.request('POST', `${CRD_API}/blockaffinities`, {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'BlockAffinity',
        metadata: { name },
        spec: { state: 'confirmed', node: name, cidr: '10.0.0.0/26', deleted: 'false' },
      });
      expect(answer.status).toBe(201);
    }
    const names: string[] = [];
    let revision: string | undefined;
    let next = '';
    let pages = 0;
    do {
      const page = await b.request(
        'GET',
        `${CRD_API}/blockaffinities?limit=2${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
      );
      const body = page.body as { items: Meta[]; metadata: { continue?: string; resourceVersion: string } };
      names.push(...body.items.map((item) => item.metadata.name));
      // Every page is read at the first page's revision.
      revision ??= body.metadata.resourceVersion;
      expect(body.metadata.resourceVersion).toBe(revision);
      next = body.metadata.continue ?? '';
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(names).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('delivers a watch event for a write made after the revision it watches from', async () => {
    const list = await a.request('GET', `${CRD_API}/ippools`);
    const from = (list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const event = firstWatchEvent(a, `${CRD_API}/ippools?watch=1&resourceVersion=${from}&timeoutSeconds=30`);
    const created = await a.request('POST', `${CRD_API}/ippools`, {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'watched' },
      spec: { cidr: '10.2.0.0/16' },
    });
    expect(created.status).toBe(201);
    expect(await event).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watched' } } });
  });

  it('runs two clusters at once that share nothing', async () => {
    expect(a.server).not.toBe(b.server);
    expect(a.etcd.endpoint).not.toBe(b.etcd.endpoint);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'only-in-a' } };
    expect((await a.request('POST', '/api/v1/namespaces', ns)).status).toBe(201);
    expect((await a.request('GET', '/api/v1/namespaces/only-in-a')).status).toBe(200);
    expect((await b.request('GET', '/api/v1/namespaces/only-in-a')).status).toBe(404);
    // Core objects the Kubernetes datastore reads: a Node, a Pod bound to it, a ServiceAccount.
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } };
    expect((await a.request('POST', '/api/v1/nodes', node)).status).toBe(201);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-1', namespace: 'only-in-a' },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'example' }] },
    };
    expect((await a.request('POST', '/api/v1/namespaces/only-in-a/pods', pod)).status).toBe(201);
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa-1' } };
    expect((await a.request('POST', '/api/v1/namespaces/only-in-a/serviceaccounts', sa)).status).toBe(201);
    expect((await b.request('GET', '/api/v1/nodes/node-1')).status).toBe(404);
  });
});

/** Opens a watch and resolves with its first event (the connection is closed then). */
function firstWatchEvent(cluster: KubeCluster, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, cluster.server),
      {
        ca: readFileSync(cluster.caFile),
        headers: { Authorization: `Bearer ${KUBE_TOKEN}` },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const line = text.indexOf('\n');
          if (line >= 0) {
            resolve(JSON.parse(text.slice(0, line)));
            req.destroy();
          }
        });
        res.on('end', () => reject(new Error(`the watch ended without an event: ${text}`)));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no watch event within 30 s')));
    req.end();
  });
}
