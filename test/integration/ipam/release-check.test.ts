/**
 * `ipam release` and `ipam check` through the built CLI against a real etcd (keys written byte for
 * byte with etcdctl) and the embedded store: stored bytes after a release are Calico's, and the
 * report flow of calicoctl's fv TestIPAMCleanup (calico.md §8 row 41) gives calicoctl's lines.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

const CI_KEY = '/calico/resources/v3/projectcalico.org/clusterinformations/default';
const CI =
  '{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"c1",' +
  '"creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"clusterGUID":"0123456789abcdef0123456789abcdef",' +
  '"calicoVersion":"v3.32.1","datastoreReady":true}}';
const NODE_KEY = '/calico/resources/v3/projectcalico.org/nodes/node1';
const NODE =
  '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1","uid":"n1",' +
  '"creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"bgp":{"ipv4Address":"192.168.0.1/24"}}}';
const pool = (name: string, cidr: string, blockSize: number) =>
  `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","uid":"p1",` +
  `"creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"${cidr}","ipipMode":"Always",` +
  `"natOutgoing":true,"blockSize":${blockSize},"nodeSelector":"all()","allowedUses":["Workload","Tunnel"]}}`;

// A churned /29 (v3.32 attribute style): 0 tunnel, 2 and 5 pod A, 3 pod B; sequence numbers > 2^53.
const BLOCK_KEY = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-29';
const ATTR_TUNNEL =
  '{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}}';
const ATTR_A = '{"handle_id":"k8s-pod-network.aaaa","secondary":{"namespace":"ns","node":"node1","pod":"a"}}';
const ATTR_B = '{"handle_id":"k8s-pod-network.bbbb","secondary":{"namespace":"ns","node":"node1","pod":"b"}}';
const CHURNED =
  '{"cidr":"10.0.1.0/29","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
  '"allocations":[0,null,1,2,null,1,null,null],"unallocated":[6,7,1,4],' +
  `"attributes":[${ATTR_TUNNEL},${ATTR_A},${ATTR_B}],"sequenceNumber":1780308000000000017,` +
  '"sequenceNumberForAllocation":{"0":1780308000000000001,"2":1780308000000000011,"3":1780308000000000012,' +
  '"5":1780308000000000016},"deleted":false}';
const RELEASE_KEYS: Record<string, string> = {
  [CI_KEY]: CI,
  '/calico/resources/v3/projectcalico.org/ippools/pool-a': pool('pool-a', '10.0.1.0/24', 29),
  [NODE_KEY]: NODE,
  [BLOCK_KEY]: CHURNED,
  '/calico/ipam/v2/host/node1/ipv4/block/10.0.1.0-29': '{"state":"confirmed","deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.aaaa': '{"block":{"10.0.1.0/29":2},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.bbbb': '{"block":{"10.0.1.0/29":1},"deleted":false}',
};

// calicoctl fv TestIPAMCleanup: one address allocated with handle TestIPAMCleanup and nothing using
// it, a raw leaked handle, and a KubeControllersConfiguration with a LoadBalancer section.
const CLEANUP_BLOCK = '/calico/ipam/v2/assignment/ipv4/block/10.66.181.64-26';
const LEAKED_HANDLE = '/calico/ipam/v2/handle/leaked-handle';
const LEAKED_VALUE = '{"block":{"10.65.79.0/26":1},"deleted":false}';
const cleanupKeys = (): Record<string, string> => {
  const allocations = Array<string>(64).fill('null');
  allocations[5] = '0';
  const free = Array.from({ length: 64 }, (_, i) => i).filter((i) => i !== 5);
  return {
    [CI_KEY]: CI,
    '/calico/resources/v3/projectcalico.org/kubecontrollersconfigurations/default':
      '{"kind":"KubeControllersConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default",' +
      '"uid":"k1","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"controllers":{"loadBalancer":' +
      '{"assignIPs":"AllServices"}}}}',
    '/calico/resources/v3/projectcalico.org/ippools/ipam-test-v4-handle-clean': pool(
      'ipam-test-v4-handle-clean',
      '10.66.0.0/16',
      26,
    ),
    [NODE_KEY]: NODE,
    [CLEANUP_BLOCK]:
      '{"cidr":"10.66.181.64/26","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
      `"allocations":[${allocations.join(',')}],"unallocated":[${free.join(',')}],` +
      '"attributes":[{"handle_id":"TestIPAMCleanup","secondary":{"note":"reserved by ipam_test.go"}}],' +
      '"sequenceNumber":1780308000000000001,"sequenceNumberForAllocation":{"5":1780308000000000000},"deleted":false}',
    '/calico/ipam/v2/host/node1/ipv4/block/10.66.181.64-26': '{"state":"confirmed","deleted":false}',
    '/calico/ipam/v2/handle/TestIPAMCleanup': '{"block":{"10.66.181.64/26":1},"deleted":false}',
    [LEAKED_HANDLE]: LEAKED_VALUE,
  };
};

describe('ipam release on etcd', () => {
  let etcd: EtcdServer;
  const cli = (...args: string[]) => runCli(args, { env: etcd.env });
  const value = async (key: string) =>
    (await etcd.etcdctl(['get', key, '--print-value-only'])).replace(/\n$/, '');

  beforeAll(async () => {
    etcd = await startEtcd();
    for (const [key, v] of Object.entries(RELEASE_KEYS)) await etcd.etcdctl(['put', key, v]);
  });
  afterAll(async () => etcd?.stop());

  it('--ip frees one address as Calico writes it, and deletes the emptied handle', async () => {
    const r = await cli('ipam', 'release', '--ip=10.0.1.3');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Successfully released IP address 10.0.1.3\n');
    expect(r.code).toBe(0);
    expect(await value(BLOCK_KEY)).toBe(
      '{"cidr":"10.0.1.0/29","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
        '"allocations":[0,null,1,null,null,1,null,null],"unallocated":[6,7,1,4,3],' +
        `"attributes":[${ATTR_TUNNEL},${ATTR_A}],"sequenceNumber":1780308000000000018,` +
        '"sequenceNumberForAllocation":{"0":1780308000000000001,"2":1780308000000000011,"5":1780308000000000016},' +
        '"deleted":false}',
    );
    expect(await value('/calico/ipam/v2/handle/k8s-pod-network.bbbb')).toBe('');
  });

  it('--dry-run writes nothing', async () => {
    const before = await value(BLOCK_KEY);
    const r = await cli('ipam', 'release', '--handle=k8s-pod-network.aaaa', '--dry-run');
    expect(r.stdout).toBe(
      'Would release IP address 10.0.1.2 (handle k8s-pod-network.aaaa, block 10.0.1.0/29)\n' +
        'Would release IP address 10.0.1.5 (handle k8s-pod-network.aaaa, block 10.0.1.0/29)\n' +
        'Would update block 10.0.1.0/29\nWould delete handle k8s-pod-network.aaaa\nDry run: nothing was written.\n',
    );
    expect(await value(BLOCK_KEY)).toBe(before);
  });

  it('--handle frees every address of the handle', async () => {
    const r = await cli('ipam', 'release', '--handle=k8s-pod-network.aaaa');
    expect(r.stdout).toBe(
      'Successfully released IP address 10.0.1.2\nSuccessfully released IP address 10.0.1.5\n',
    );
    expect(r.code).toBe(0);
    expect(await value(BLOCK_KEY)).toBe(
      '{"cidr":"10.0.1.0/29","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
        '"allocations":[0,null,null,null,null,null,null,null],"unallocated":[6,7,1,4,3,2,5],' +
        `"attributes":[${ATTR_TUNNEL}],"sequenceNumber":1780308000000000019,` +
        '"sequenceNumberForAllocation":{"0":1780308000000000001,"2":1780308000000000011,"5":1780308000000000016},' +
        '"deleted":false}',
    );
    expect(await value('/calico/ipam/v2/handle/k8s-pod-network.aaaa')).toBe('');
  });

  it('refuses bad input with clear errors and exit codes, writing nothing', async () => {
    const before = await etcd.etcdctl(['get', '', '--prefix', '--write-out=json']);
    const revision = (s: string) => (JSON.parse(s) as { header: { revision: number } }).header.revision;

    const bad = await cli('ipam', 'release', '--ip=10.0.1.300');
    expect([bad.code, bad.stdout, bad.stderr.split('\n')[0]]).toEqual([
      2,
      '',
      'invalid IP address specified: 10.0.1.300',
    ]);
    const free = await cli('ipam', 'release', '--ip=10.0.1.4');
    expect([free.code, free.stderr.split('\n')[0]]).toEqual([1, 'IP address 10.0.1.4 is not assigned']);
    const outside = await cli('ipam', 'release', '--ip=192.0.2.1');
    expect([outside.code, outside.stderr.split('\n')[0]]).toEqual([
      1,
      'IP address 192.0.2.1 is not assigned',
    ]);
    const none = await cli('ipam', 'release');
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([
      2,
      'one of --ip, --handle or --from-report is required',
    ]);

    expect(revision(await etcd.etcdctl(['get', '', '--prefix', '--write-out=json']))).toBe(revision(before));
  });

  it('names a corrupt block by key (release exits 1, check lists it) and leaves it alone', async () => {
    const key = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29';
    await etcd.etcdctl(['put', key, '{"cidr":"10.0.1.8/29","allocations":[0,']);
    const r = await cli('ipam', 'release', '--ip=10.0.1.9');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: IPAM block ${key} has a corrupt value: invalid JSON: unexpected end of input at position 39`,
    );
    expect(await value(key)).toBe('{"cidr":"10.0.1.8/29","allocations":[0,');

    const check = await cli('ipam', 'check');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(
      `  ${key} cannot be decoded: invalid JSON: unexpected end of input at position 39\n` +
        'Found 1 values that cannot be decoded (skipped above, and never released).\n',
    );
  });
});

describe('ipam check and release --from-report (calicoctl TestIPAMCleanup) on etcd', () => {
  let etcd: EtcdServer;
  const dir = tempDir('calicoctl-ts-report-');
  const report = join(dir, 'report.json');
  const cli = (...args: string[]) => runCli(args, { env: etcd.env });

  beforeAll(async () => {
    etcd = await startEtcd();
    for (const [key, v] of Object.entries(cleanupKeys())) await etcd.etcdctl(['put', key, v]);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('finds the leaked handle and writes the report', async () => {
    const r = await cli('ipam', 'check', '--show-all-ips', '-o', report, '--kubeconfig', '/nonexistent');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Found 1 handles with no matching IPs (and 1 handles with matches).\n');
    expect(r.stdout).toContain('\nFound 0 service load balancer(s).\n');
    expect(r.stdout).toContain(
      '  10.66.181.69 allocated; attrs Main:TestIPAMCleanup Extra:note=reserved by ipam_test.go\n',
    );
    const data = JSON.parse(readFileSync(report, 'utf8')) as {
      leakedHandles: { ID: string; UID: null; Revision: string }[];
      allocations: Record<string, { inUse: boolean }[]>;
    };
    expect(data.leakedHandles).toHaveLength(1);
    expect(data.leakedHandles[0]?.ID).toBe('leaked-handle');
    expect(data.leakedHandles[0]?.Revision).not.toBe('');
    expect(data.allocations['10.66.181.69']?.[0]?.inUse).toBe(false);
  });

  it('refuses while the datastore is not locked', async () => {
    const r = await cli('ipam', 'release', `--from-report=${report}`);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(
      'data store is not locked. Either lock the data store, or re-run with --force',
    );
    expect(await etcd.etcdctl(['get', LEAKED_HANDLE, '--print-value-only'])).toBe(LEAKED_VALUE + '\n');
  });

  it('with --force releases the leaked address and handle', async () => {
    const r = await cli('ipam', 'release', `--from-report=${report}`, '--force');
    expect(r.stdout).toBe(
      'WARNING: Data store is not locked. Ignoring due to --force option\n' +
        'Releasing 1 old IPs...\nReleased 1 IPs successfully\nDeleting 1 handles...\n' +
        "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.\n.\n" +
        'Released 1 handles; 0 skipped; 0 errors.\nYou may now unlock the data store.\n',
    );
    expect(r.code).toBe(0);
    expect(await etcd.etcdctl(['get', '/calico/ipam/v2/handle/', '--prefix', '--keys-only'])).toBe('');
  });

  it('skips a handle recreated since the report, and one that is gone', async () => {
    await etcd.etcdctl(['put', LEAKED_HANDLE, LEAKED_VALUE]);
    const again = await cli('ipam', 'release', `--from-report=${report}`, '--force');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/Released \d+ IPs/);
    expect(again.stdout).toContain('Released 0 handles; 1 skipped; 0 errors.\n');
    expect(await etcd.etcdctl(['get', LEAKED_HANDLE, '--print-value-only'])).toBe(LEAKED_VALUE + '\n');

    await etcd.etcdctl(['del', LEAKED_HANDLE]);
    const gone = await cli('ipam', 'release', `--from-report=${report}`, '--force');
    expect(gone.stdout).toContain('Released 0 handles; 1 skipped; 0 errors.\n');
  });
});

describe('ipam check and release --from-report on the embedded store, locked', () => {
  const dir = tempDir('calicoctl-ts-report-embedded-');
  const path = join(dir, 'datastore.db');
  const env = { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path };
  const report = join(dir, 'report.json');
  const cli = (...args: string[]) => runCli(args, { env });
  const withStore = async <T>(fn: (ds: ReturnType<typeof createDatastore>) => Promise<T>): Promise<T> => {
    const ds = createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
    try {
      return await fn(ds);
    } finally {
      await ds.close();
    }
  };

  beforeAll(async () => {
    await withStore(async (ds) => {
      for (const [key, v] of Object.entries(cleanupKeys())) await ds.create(key, v);
    });
  });

  it('refuses a stale report, then releases from a fresh one while locked', async () => {
    expect((await cli('ipam', 'check', '-o', report)).code).toBe(0);
    expect((await cli('datastore', 'migrate', 'lock')).stdout).toBe('Datastore locked.\n');
    const stale = await cli('ipam', 'release', `--from-report=${report}`);
    expect(stale.code).toBe(5);
    expect(stale.stderr.split('\n')[0]).toBe(
      'the provided reports are all stale - at least one should be up-to-date. Please generate a new report while the data store is locked and try again',
    );

    const check = await cli('ipam', 'check', '-o', report);
    expect(check.stdout).toContain('Found 1 IPs that are allocated in IPAM but not actually in use.\n');
    const r = await cli('ipam', 'release', `--from-report=${report}`, '-o', 'json');
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as { lines: string[]; handles: { deleted: string[] } };
    expect(data.lines).toEqual([
      'Releasing 1 old IPs...',
      'Released 1 IPs successfully',
      'Deleting 1 handles...',
      "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.",
      '.',
      'Released 1 handles; 0 skipped; 0 errors.',
      'You may now unlock the data store.',
    ]);
    expect(data.handles.deleted).toEqual(['leaked-handle']);
    await withStore(async (ds) => {
      expect(await ds.get(LEAKED_HANDLE)).toBeUndefined();
      expect(await ds.get('/calico/ipam/v2/handle/TestIPAMCleanup')).toBeUndefined();
      const block = JSON.parse((await ds.get(CLEANUP_BLOCK))!.value) as { unallocated: number[] };
      expect(block.unallocated.at(-1)).toBe(5);
    });
    const after = await cli('ipam', 'check', '--json');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({
      datastoreLocked: true,
      problemCount: 0,
      reportFile: null,
    });
  });

  it('refuses a report from another cluster even with --force', async () => {
    const other = join(dir, 'other.json');
    const text = readFileSync(report, 'utf8').replace(
      '0123456789abcdef0123456789abcdef',
      'ffffffffffffffffffffffffffffffff',
    );
    writeFileSync(other, text);
    const r = await cli('ipam', 'release', `--from-report=${other}`, '--force');
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(
      `cluster does not match the provided report (${other}): mismatched cluster GUID. Refusing to release`,
    );
  });
});
