/**
 * The built CLI against a real etcd (and the embedded store) holding Calico-format IPAM keys,
 * written byte for byte with etcdctl: output must equal calicoctl v3.32.1's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  ALL_KEYS,
  EXPECTED_BORROWED,
  EXPECTED_SHOW,
  EXPECTED_SHOW_BLOCKS,
} from '../../unit/ipam/fixtures.js';

const CONFIG_KEY = '/calico/ipam/v2/config';
const CLUSTER_INFO = '/calico/resources/v3/projectcalico.org/clusterinformations/default';

describe('ipam show on etcd', () => {
  let etcd: EtcdServer;
  const cli = (...args: string[]) => runCli(args, { env: etcd.env });
  const value = async (key: string) => etcd.etcdctl(['get', key, '--print-value-only']);

  beforeAll(async () => {
    etcd = await startEtcd();
    for (const [key, v] of Object.entries(ALL_KEYS)) await etcd.etcdctl(['put', key, v]);
  });
  afterAll(async () => etcd?.stop());

  it('prints the pool table byte for byte', async () => {
    const r = await cli('ipam', 'show');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(EXPECTED_SHOW);
    expect(r.code).toBe(0);
  });

  it('prints blocks in key order (--show-blocks)', async () => {
    const r = await cli('ipam', 'show', '--show-blocks');
    expect(r.stdout).toBe(EXPECTED_SHOW_BLOCKS);
    expect(r.code).toBe(0);
  });

  it('prints borrowed addresses and the note (--show-borrowed)', async () => {
    const r = await cli('ipam', 'show', '--show-borrowed');
    expect(r.stdout).toBe(EXPECTED_BORROWED);
    expect(r.code).toBe(0);
  });

  it('describes one address (--ip)', async () => {
    const r = await cli('ipam', 'show', '--ip=10.66.137.227');
    expect(r.stdout).toBe(
      'IP 10.66.137.227 is in use\nHandle ID: k8s-pod-network.vm\nActive Owner Attributes:\n' +
        '  namespace: vms\n  node: node3\n  pod: virt-launcher-vm-a\n  vmi-name: vm-a\n',
    );
    expect((await cli('ipam', 'show', '--ip=10.66.137.239')).stdout).toBe('10.66.137.239 is not assigned\n');
    const bad = await cli('ipam', 'show', '--ip=10.66.137');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')[0]).toBe('invalid IP address specified: 10.66.137');
  });

  it('gives exact sizes as decimal strings under -o json', async () => {
    const r = await cli('ipam', 'show', '--show-blocks', '-o', 'json');
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as {
      pools: {
        name: string;
        total: string;
        inUse: number;
        free: string;
        blocks: { cidr: string; owner: string }[];
      }[];
      orphaned: { blockCount: number; blocks: { cidr: string }[] };
    };
    expect(data.pools[2]).toMatchObject({
      name: 'c-v6',
      total: '1208925819614629174706176',
      inUse: 7,
      free: '1208925819614629174706169',
    });
    expect(data.pools[0]!.blocks).toEqual([
      { cidr: '10.65.79.0/26', affinity: 'host:node1', owner: 'node1', total: '64', inUse: 5, free: '59' },
    ]);
    expect(data.orphaned.blocks.map((b) => b.cidr)).toEqual(['10.0.0.128/26', '10.0.0.64/26']);
  });

  it('summarises per node (--by-node)', async () => {
    const r = await cli('ipam', 'show', '--by-node', '-o', 'json');
    const data = JSON.parse(r.stdout) as { nodes: unknown[]; maxBlocksPerHost: number };
    expect(data.maxBlocksPerHost).toBe(0);
    expect(data.nodes[1]).toEqual({ node: 'node2', blocks: 1, ipsInUse: 11, ipsBorrowed: 4, ipsLent: 1 });
  });

  it('reads the configuration without writing it, then configures it as Calico stores it', async () => {
    const show = await cli('ipam', 'show', '--show-configuration');
    expect(show.stdout).toBe(
      '+------------------------------+-----------+\n' +
        '|           PROPERTY           |   VALUE   |\n' +
        '+------------------------------+-----------+\n' +
        '| StrictAffinity               | false     |\n' +
        '| AutoAllocateBlocks           | true      |\n' +
        '| MaxBlocksPerHost             |         0 |\n' +
        '| KubeVirtVMAddressPersistence | "Enabled" |\n' +
        '+------------------------------+-----------+\n',
    );
    expect(await value(CONFIG_KEY)).toBe('');

    const refused = await cli('ipam', 'configure', '--max-blocks-per-host=4');
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'error: MaxBlocksPerHost requires StrictAffinity to be enabled',
    );
    expect(await value(CONFIG_KEY)).toBe('');

    const set = await cli('ipam', 'configure', '--strictaffinity=True');
    expect(set.stdout).toBe('Successfully set StrictAffinity to: true\n');
    expect(await value(CONFIG_KEY)).toBe(
      '{"strict_affinity":true,"auto_allocate_blocks":true,"kubeVirtVMAddressPersistence":"Enabled"}\n',
    );
    const max = await cli('ipam', 'configure', '--max-blocks-per-host=4');
    expect(max.stdout).toBe('Successfully set MaxBlocksPerHost to: 4\n');
    expect(await value(CONFIG_KEY)).toBe(
      '{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4,"kubeVirtVMAddressPersistence":"Enabled"}\n',
    );
    const off = await cli('ipam', 'configure', '--strictaffinity=false', '--max-blocks-per-host=0');
    expect(off.code).toBe(0);
    expect(await value(CONFIG_KEY)).toBe(
      '{"auto_allocate_blocks":true,"kubeVirtVMAddressPersistence":"Enabled"}\n',
    );

    expect((await cli('ipam', 'configure', '--strictaffinity=yes')).stderr.split('\n')[0]).toBe(
      'invalid value. Use true or false to set strictaffinity',
    );
    expect((await cli('ipam', 'configure')).stderr.split('\n')[0]).toBe(
      'at least one configuration option must be specified',
    );
  });

  it('locks and unlocks the datastore through ClusterInformation', async () => {
    const unlockMissing = await cli('datastore', 'migrate', 'unlock');
    expect(unlockMissing.code).toBe(1);
    expect(unlockMissing.stderr.split('\n')[0]).toBe(
      'error retrieving ClusterInformation for unlocking: resource does not exist: ClusterInformation(default) with error: <nil>',
    );
    const lock = await cli('datastore', 'migrate', 'lock');
    expect(lock.stdout).toBe('Datastore locked.\n');
    const created = JSON.parse(await value(CLUSTER_INFO)) as { spec: Record<string, unknown> };
    expect(created.spec['datastoreReady']).toBe(false);
    expect(created.spec['clusterGUID']).toMatch(/^[0-9a-f]{32}$/);

    // An existing object keeps its metadata, other fields and order; only datastoreReady changes.
    const existing =
      '{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"u-1","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"clusterGUID":"abc","clusterType":"k8s,bgp","calicoVersion":"v3.32.1","datastoreReady":false,"futureField":1}}';
    await etcd.etcdctl(['put', CLUSTER_INFO, existing]);
    const unlock = await runCli(['datastore', 'migrate', 'unlock', '--allow-version-mismatch'], {
      env: etcd.env,
    });
    expect(unlock.stdout).toBe('Datastore unlocked.\n');
    expect(await value(CLUSTER_INFO)).toBe(
      existing.replace('"datastoreReady":false', '"datastoreReady":true') + '\n',
    );
  });

  it('skips a corrupt block by key, exit 1, the table still printed', async () => {
    const bad = '/calico/ipam/v2/assignment/ipv4/block/10.65.200.0-26';
    await etcd.etcdctl(['put', bad, '{"cidr":"10.65.200.0/26","unallocated":[1,']);
    try {
      const r = await runCli(['ipam', 'show', '--allow-version-mismatch'], { env: etcd.env });
      expect(r.stdout).toBe(EXPECTED_SHOW);
      expect(r.stderr).toMatch(new RegExp(`^warning: skipped ${bad}: `));
      expect(r.code).toBe(1);
    } finally {
      await etcd.etcdctl(['del', bad]);
    }
  });
});

describe('ipam show on the embedded store', () => {
  const dir = tempDir('calicoctl-ts-ipam-embedded-');
  const path = join(dir, 'calico.db');
  const env = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path };

  beforeAll(async () => {
    const ds = createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
    for (const [key, v] of Object.entries(ALL_KEYS)) await ds.create(key, v);
    await ds.close();
  });

  it('prints the same bytes as on etcd', async () => {
    expect((await runCli(['ipam', 'show'], { env })).stdout).toBe(EXPECTED_SHOW);
    expect((await runCli(['ipam', 'show', '--show-blocks'], { env })).stdout).toBe(EXPECTED_SHOW_BLOCKS);
    expect((await runCli(['ipam', 'show', '--show-borrowed'], { env })).stdout).toBe(EXPECTED_BORROWED);
  });
});
