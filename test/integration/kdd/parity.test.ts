/**
 * The same Calico data in a real etcd and in a real Kubernetes cluster (test/helpers/kube-apiserver.ts):
 * every read command prints the same bytes on both (issue 18), and the custom resources in the API
 * server are the objects Calico's own Kubernetes backend stores (reference kdd.md §3.2, §6.1).
 *
 * The data: the benchmark's generated cluster (bench/dataset.ts: pools, IPv4 and IPv6 blocks with a
 * history, affinities, handles, nodes, ClusterInformation, IPAM config) written into etcd key for key,
 * plus one or more resources of every other kind (test/fixtures/kdd/resources.yaml) applied with the
 * CLI. It reaches Kubernetes the way a user moves it: `datastore export` from etcd, `datastore import`
 * into Kubernetes. Calico Nodes are core Nodes there, which only Kubernetes creates: the test creates
 * them (name and InternalIP address, as a kubelet would) before the import adds Calico's part.
 *
 * What must differ, and is masked before comparing: every uid (Kubernetes assigns its own) and
 * resourceVersion (each store's own revisions); the export header (source and revision); for Nodes,
 * what Kubernetes owns (creationTimestamp, and the `projectcalico.org/kube-labels` annotation Calico
 * derives from the core Node's labels); the `Datastore:` line of `version`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateDataset } from '../../../bench/dataset.js';
import { loadIntoEtcd } from '../../../bench/load.js';
import { hostnameHash } from '../../../src/datastore/kdd/names.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  KUBE_CLUSTER_START_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
} from '../../helpers/kube-apiserver.js';
import { tempDir } from '../../helpers/temp.js';

const RESOURCES = '/calico/resources/v3/projectcalico.org/';
const NODES = `${RESOURCES}nodes/`;
const CRD_API = '/apis/crd.projectcalico.org/v1';
/** Keys (under RESOURCES) of what Kubernetes has and etcd does not: see the export test. */
const KUBERNETES_ONLY = ['profiles/kns.', 'ipamconfigurations/default"'];
/** Enough blocks for IPv6 blocks (from 50), borrowed addresses and orphaned blocks; seeded. */
const DATASET = { blocks: 60, seed: 20261207 };

/** Kinds with their `get` arguments; namespaced kinds over every namespace. */
const KINDS: readonly (readonly string[])[] = [
  ['ippools'], ['ipreservations'], ['bgpconfigurations'], ['bgppeers'], ['bgpfilters'], ['felixconfigurations'],
  ['tiers'], ['globalnetworkpolicies'], ['stagedglobalnetworkpolicies'], ['networkpolicies', '-A'],
  ['stagednetworkpolicies', '-A'], ['stagedkubernetesnetworkpolicies', '-A'], ['globalnetworksets'],
  ['networksets', '-A'], ['hostendpoints'], ['kubecontrollersconfigurations'], ['clusterinformations'],
  ['caliconodestatuses'], ['nodes'],
]; // prettier-ignore
const FORMATS: readonly (readonly string[])[] = [
  [],
  ['-o', 'wide'],
  ['-o', 'yaml'],
  ['-o', 'json'],
  ['--export', '-o', 'yaml'],
];

/** uid, resourceVersion and revision values, in YAML and JSON, in text and in JSON-escaped text. */
function maskRevisionsAndUids(text: string): string {
  return text
    .replace(/("(?:revision|clusterInformationRevision)":\s*)"?\d+"?/g, '$1REV')
    .replace(/(resourceVersion\\?"?:\s*\\?")[^"\\]*/g, '$1RV')
    .replace(/(uid\\?"?:\s*\\?"?)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '$1UID');
}

/** A Node as JSON with what Kubernetes owns removed (see the file comment). */
function withoutKubernetesNodeFields(node: {
  metadata: { creationTimestamp?: string; annotations?: Record<string, string> };
}): unknown {
  const { creationTimestamp: _created, ...metadata } = node.metadata;
  const annotations = { ...metadata.annotations };
  delete annotations['projectcalico.org/kube-labels'];
  return {
    ...node,
    metadata: {
      ...metadata,
      ...(Object.keys(annotations).length > 0 ? { annotations } : { annotations: undefined }),
    },
  };
}

describe('the same data on etcd and on Kubernetes', () => {
  let etcd: EtcdServer;
  let kube: KubeCluster;
  let sampleAddress = '';
  const onEtcd = (...args: string[]): Promise<CliResult> => runCli(args, { env: etcd.env });
  const onKube = (...args: string[]): Promise<CliResult> => runCli(args, { env: kube.env });
  /** A node of the dataset, whose blocks and addresses node check compares a saved kernel state with. */
  let checkedNode = '';
  const both = async (...args: string[]): Promise<[CliResult, CliResult]> =>
    Promise.all([onEtcd(...args), onKube(...args)]);

  beforeAll(async () => {
    [etcd, kube] = await Promise.all([startEtcd(), startKubeCluster()]);
    const nodes: { name: string; internalIP: string }[] = [];
    const entries = [...generateDataset(DATASET)];
    await loadIntoEtcd(etcd.endpoint, entries);
    for (const [key, value] of entries) {
      if (key.startsWith(NODES)) {
        const node = JSON.parse(value) as { spec: { addresses: { address: string; type: string }[] } };
        const internal = node.spec.addresses.find((a) => a.type === 'InternalIP')!.address;
        nodes.push({ name: key.slice(NODES.length), internalIP: internal });
        checkedNode ||= key.slice(NODES.length);
      }
      if (key.startsWith('/calico/ipam/v2/assignment/ipv4/') && !sampleAddress) {
        sampleAddress = firstAssigned(JSON.parse(value) as BlockValue);
      }
    }
    const applied = await onEtcd('apply', '-f', 'test/fixtures/kdd/resources.yaml');
    expect(applied.stderr).toBe('');

    // What only Kubernetes creates: the namespace of the namespaced resources, and the core Nodes.
    const ns = await kube.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
    expect(ns.status).toBe(201);
    for (const node of nodes) {
      const created = await kube.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node.name },
        status: { addresses: [{ type: 'InternalIP', address: node.internalIP }] },
      });
      expect(created.status, created.text).toBe(201);
    }

    const file = join(tempDir('calicoctl-ts-parity-'), 'export.jsonl');
    const exported = await onEtcd('datastore', 'export', '-o', file);
    expect(exported.code, exported.stderr).toBe(0);
    const imported = await onKube('datastore', 'import', '-f', file, '--allow-non-empty');
    expect(imported.code, imported.stderr).toBe(0);
  }, KUBE_CLUSTER_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([etcd?.stop(), kube?.stop()]);
  });

  for (const args of KINDS.flatMap((kind) => FORMATS.map((format) => [...kind, ...format]))) {
    const title = `get ${args.join(' ')}`;
    it(`${title} prints the same`, async () => {
      const [a, b] = await both('get', ...args);
      expect(b.code, b.stderr).toBe(a.code);
      expect(b.stderr).toBe(a.stderr);
      if (args[0] === 'nodes' && args.includes('json')) {
        const items = (r: CliResult) =>
          (
            JSON.parse(maskRevisionsAndUids(r.stdout)) as {
              items: Parameters<typeof withoutKubernetesNodeFields>[0][];
            }
          ).items.map(withoutKubernetesNodeFields);
        expect(items(b)).toEqual(items(a));
      } else if (args[0] === 'nodes' && args.includes('yaml')) {
        // Covered by -o json, which holds the same objects; the YAML differs only in the masked fields.
        expect(b.stdout.length).toBeGreaterThan(0);
      } else {
        expect(maskRevisionsAndUids(b.stdout)).toBe(maskRevisionsAndUids(a.stdout));
      }
    });
  }

  const ipamShows = (): string[][] => [
    [],
    ['--show-blocks'],
    ['--show-blocks', '-o', 'wide'],
    ['--show-borrowed'],
    ['--by-node'],
    ['--show-configuration'],
    ['-o', 'json'],
    ['--show-blocks', '-o', 'json'],
    ['--by-node', '-o', 'json'],
    [`--ip=${sampleAddress}`],
    ['--ip=10.255.255.254'],
  ];
  it('ipam show prints the same with every flag', async () => {
    for (const flags of ipamShows()) {
      const [a, b] = await both('ipam', 'show', ...flags);
      expect(b.code, `ipam show ${flags.join(' ')}: ${b.stderr}`).toBe(a.code);
      expect(maskRevisionsAndUids(b.stdout), `ipam show ${flags.join(' ')}`).toBe(
        maskRevisionsAndUids(a.stdout),
      );
      expect(b.stderr).toBe(a.stderr);
    }
  });

  it('ipam check prints the same report', async () => {
    for (const flags of [[], ['--show-all-ips'], ['--show-problem-ips'], ['--json']]) {
      const [a, b] = await both('ipam', 'check', ...flags);
      expect(b.code, b.stderr).toBe(a.code);
      expect(maskRevisionsAndUids(b.stdout), `ipam check ${flags.join(' ')}`).toBe(
        maskRevisionsAndUids(a.stdout),
      );
    }
  });

  it('node check of a saved node state finds the same against either datastore', async () => {
    const saved = 'test/fixtures/dataplane/vxlan-n1.json';
    for (const flags of [[], ['-o', 'json']]) {
      const [a, b] = await both('node', 'check', '--node', checkedNode, '--load', saved, ...flags);
      expect(b.code, b.stderr).toBe(a.code);
      expect(b.stderr).toBe(a.stderr);
      expect(b.stdout, `node check ${flags.join(' ')}`).toBe(a.stdout);
    }
  });

  it('version prints the same cluster version and type', async () => {
    const [a, b] = await both('version');
    const withoutDatastore = (text: string) => text.replace(/^Datastore:.*\n/m, '');
    expect(withoutDatastore(b.stdout)).toBe(withoutDatastore(a.stdout));
    expect(b.stdout).toMatch(/^Datastore: +kubernetes/m);
  });

  it('datastore export writes the same keys and values', async () => {
    const dir = tempDir('calicoctl-ts-parity-export-');
    const [a, b] = await Promise.all([
      onEtcd('datastore', 'export', '-o', join(dir, 'etcd.jsonl')),
      onKube('datastore', 'export', '-o', join(dir, 'kube.jsonl')),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // Line 1 is the header (source and revision differ). What only Kubernetes has: a Profile for
    // every Namespace (kns.<namespace>), and the v3 IPAMConfiguration `default`, which is the same
    // custom resource (ipamconfigs/default) as the IPAM config (kdd.md §4); on etcd they are two keys.
    const lines = (file: string) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .slice(1)
        .filter(
          (line) =>
            line !== '' && !KUBERNETES_ONLY.some((key) => line.startsWith(`{"key":"${RESOURCES}${key}`)),
        )
        .map((line) => JSON.parse(line) as { key: string; value: string });
    const fromEtcd = lines('etcd.jsonl');
    const fromKube = lines('kube.jsonl');
    expect(fromKube.map((l) => l.key)).toEqual(fromEtcd.map((l) => l.key));
    for (const [i, { key, value }] of fromEtcd.entries()) {
      const kube = maskRevisionsAndUids(fromKube[i]!.value);
      if (key.startsWith(NODES)) {
        const node = (text: string) =>
          withoutKubernetesNodeFields(JSON.parse(text) as Parameters<typeof withoutKubernetesNodeFields>[0]);
        expect(node(kube), key).toEqual(node(maskRevisionsAndUids(value)));
      } else {
        expect(kube, key).toBe(maskRevisionsAndUids(value));
      }
    }
  });

  it('stores the custom resources Calico stores (metadata annotation, names, IPAM field names)', async () => {
    const get = async (path: string) => {
      const answer = await kube.request('GET', `${CRD_API}/${path}`);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
      return answer.body as {
        kind: string;
        metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
        spec: Record<string, unknown>;
      };
    };
    const etcdValue = async (key: string) =>
      JSON.parse(await etcd.etcdctl(['get', key, '--print-value-only'])) as {
        metadata: { creationTimestamp: string };
        spec: Record<string, unknown>;
      };

    // A generic kind: the v3 spec unchanged, metadata in the annotation without name, uid and revision.
    const pool = await get('ippools/parity-pool');
    const poolInEtcd = await etcdValue(`${RESOURCES}ippools/parity-pool`);
    expect(pool.kind).toBe('IPPool');
    expect(pool.spec).toEqual(poolInEtcd.spec);
    expect(pool.metadata.labels).toBeUndefined(); // `team` is not one of Calico's own labels
    expect(JSON.parse(pool.metadata.annotations!['projectcalico.org/metadata']!)).toEqual({
      creationTimestamp: poolInEtcd.metadata.creationTimestamp,
      labels: { team: 'net' },
    });
    // A policy keeps its name in the annotation (kdd.md §3.2).
    const policy = await get('globalnetworkpolicies/security.deny-smtp');
    expect(JSON.parse(policy.metadata.annotations!['projectcalico.org/metadata']!)).toMatchObject({
      name: 'security.deny-smtp',
    });

    // IPAM (kdd.md §6.1): a block named by CIDRToName, with the KDD field names.
    const blockKey = (
      await etcd.etcdctl(['get', '/calico/ipam/v2/assignment/ipv6/', '--prefix', '--keys-only'])
    ).split('\n')[0]!;
    const cidr = blockKey.slice(blockKey.lastIndexOf('/') + 1).replace(/-(\d+)$/, '/$1');
    const block = await get(`ipamblocks/${cidr.replace(/[.:/]/g, '-')}`);
    const blockInEtcd = JSON.parse(await etcd.etcdctl(['get', blockKey, '--print-value-only'])) as Record<
      string,
      unknown
    >;
    expect(block.kind).toBe('IPAMBlock');
    expect(block.spec).toMatchObject({
      cidr,
      allocations: blockInEtcd.allocations,
      unallocated: blockInEtcd.unallocated,
      sequenceNumber: blockInEtcd.sequenceNumber,
      strictAffinity: false,
    });
    expect(Object.keys(block.spec)).not.toContain('affinity_claim_time');

    // An affinity: named <host>-<CIDRToName>, deleted as a string, labelled with the hostname hash.
    const affinityKey = (
      await etcd.etcdctl(['get', '/calico/ipam/v2/host/', '--prefix', '--keys-only'])
    ).split('\n')[0]!;
    const [, host, family, , dashed] = /^\/calico\/ipam\/v2\/host\/([^/]+)\/(ipv[46])\/(block)\/(.+)$/.exec(
      affinityKey,
    )!;
    const affinityCidr = dashed!.replace(/-(\d+)$/, '/$1');
    const affinity = await get(`blockaffinities/${host}-${affinityCidr.replace(/[.:/]/g, '-')}`);
    expect(affinity.spec).toMatchObject({
      state: 'confirmed',
      node: host,
      cidr: affinityCidr,
      deleted: 'false',
    });
    expect(affinity.metadata.labels).toEqual({
      'projectcalico.org/hostname-hash': hostnameHash(host!),
      'projectcalico.org/affinity-type': 'host',
      'projectcalico.org/ip-version': family === 'ipv4' ? '4' : '6',
    });

    // A handle under its lower-cased ID, and the IPAM config.
    const handleKey = (
      await etcd.etcdctl(['get', '/calico/ipam/v2/handle/', '--prefix', '--keys-only'])
    ).split('\n')[0]!;
    const handleID = handleKey.slice('/calico/ipam/v2/handle/'.length);
    expect((await get(`ipamhandles/${handleID.toLowerCase()}`)).spec).toMatchObject({
      handleID,
      deleted: false,
    });
    expect((await get('ipamconfigs/default')).spec).toMatchObject({
      autoAllocateBlocks: true,
      strictAffinity: false,
    });
  });
});

interface BlockValue {
  cidr: string;
  allocations: (number | null)[];
}

/** The first allocated address of an IPv4 block, for `ipam show --ip`. */
function firstAssigned(block: BlockValue): string {
  const index = block.allocations.findIndex((a) => a !== null);
  if (index < 0) return '';
  const [base] = block.cidr.split('/');
  const n = base!.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0) + index;
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}
