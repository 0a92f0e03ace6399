/**
 * `ipam check` through the built CLI, on a real etcd and on the embedded store: one Calico-format
 * dataset per problem kind and per malformed value, written key for key, and the text calicoctl
 * v3.32.1 prints for it (worked out from `calicoctl/calicoctl/commands/ipam/check.go`), asserted
 * byte for byte up to `Check complete; found N problems.`, then our sections after it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadClientConfig } from '../../../src/config/load.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { openEtcdBackend } from '../../../src/datastore/etcd/backend.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

const R = '/calico/resources/v3/projectcalico.org/';
const CI =
  '{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"c1",' +
  '"creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"clusterGUID":"0123456789abcdef0123456789abcdef",' +
  '"clusterType":"k8s,bgp","calicoVersion":"v3.32.1","datastoreReady":true}}';
const pool = (name: string, cidr: string, blockSize: number, disabled = false): [string, string] => [
  `${R}ippools/${name}`,
  `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","uid":"p-${name}",` +
    `"creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"${cidr}","ipipMode":"Always","natOutgoing":true,` +
    `"blockSize":${blockSize},"nodeSelector":"all()"${disabled ? ',"disabled":true' : ''}}}`,
];
const node = (name: string, spec: Record<string, unknown>): [string, string] => [
  `${R}nodes/${name}`,
  JSON.stringify({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, uid: `n-${name}`, creationTimestamp: '2026-06-01T10:00:00Z' },
    spec: { bgp: { ipv4Address: '192.168.0.1/24' }, ...spec },
  }),
];
const wep = (ns: string, name: string, ipNetworks: string[]): [string, string] => [
  `${R}workloadendpoints/${ns}/${name}`,
  JSON.stringify({
    kind: 'WorkloadEndpoint',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, namespace: ns, uid: `w-${name}`, creationTimestamp: '2026-06-01T10:00:00Z' },
    spec: {
      orchestrator: 'k8s',
      node: 'node1',
      pod: name,
      endpoint: 'eth0',
      ipNetworks,
      profiles: ['kns.ns'],
    },
  }),
];
const handle = (id: string, block: string, count = 1): [string, string] => [
  `/calico/ipam/v2/handle/${id}`,
  `{"block":{"${block}":${count}},"deleted":false}`,
];
const podAttr = (pod: string, extra = '') =>
  `{"handle_id":"k8s-pod-network.${pod}","secondary":{"namespace":"ns","node":"node1","pod":"${pod}"}${extra}}`;
const TUNNEL_ATTR =
  '{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}}';

/**
 * A block value as ipam_block.go writes it: allocations index attributes in the order given,
 * unallocated holds the free ordinals, each allocation has a sequence number.
 */
function block(
  cidr: string,
  affinity: string | null,
  size: number,
  allocs: [ordinal: number, attribute: string, sequence: string][],
): string {
  const allocations = Array<string>(size).fill('null');
  allocs.forEach(([ord], i) => (allocations[ord] = String(i)));
  const free = Array.from({ length: size }, (_, i) => i).filter((i) => allocations[i] === 'null');
  const seqs = allocs.map(([ord, , seq]) => `"${ord}":${seq}`).join(',');
  return (
    `{"cidr":"${cidr}","affinity":${affinity === null ? 'null' : `"${affinity}"`},` +
    `"allocations":[${allocations.join(',')}],"unallocated":[${free.join(',')}],` +
    `"attributes":[${allocs.map(([, a]) => a).join(',')}],"sequenceNumber":${allocs.length + 1},` +
    `"sequenceNumberForAllocation":{${seqs}},"deleted":false}`
  );
}

const BLOCK_A = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-29';
const blockA = (...more: [number, string, string][]) =>
  block('10.0.1.0/29', 'host:node1', 8, [[1, TUNNEL_ATTR, '1'], [2, podAttr('a'), '2'], ...more]);

/** A clean cluster: node1's tunnel address and pod a, both allocated, handled and in use. */
const BASE: Record<string, string> = Object.fromEntries([
  [`${R}clusterinformations/default`, CI],
  pool('pool-a', '10.0.1.0/24', 29),
  node('node1', { bgp: { ipv4Address: '192.168.0.1/24', ipv4IPIPTunnelAddr: '10.0.1.1' } }),
  [BLOCK_A, blockA()],
  ['/calico/ipam/v2/host/node1/ipv4/block/10.0.1.0-29', '{"state":"confirmed","deleted":false}'],
  handle('ipip-tunnel-addr-node1', '10.0.1.0/29'),
  handle('k8s-pod-network.a', '10.0.1.0/29'),
  wep('ns', 'node1-k8s-a-eth0', ['10.0.1.2/32']),
]);

interface Expected {
  blocks?: string[];
  allocations?: number;
  pools?: string[];
  nodeLines?: string[];
  nodeIPs?: number;
  wepLines?: string[];
  wepIPs?: number;
  inUse?: number;
  top?: string[];
  median?: string;
  leaked?: string[];
  leakedCount?: number;
  inUseLines?: string[];
  notInPools?: number;
  notAllocated?: number;
  handleLines?: string[];
  leakedHandles?: number;
  goodHandles?: number;
  missing?: string[];
  missingCount?: number;
  problems?: number;
}

/** calicoctl's text (check.go checkIPAM's Printf calls in order), with the base cluster's numbers. */
function calicoctl(e: Expected): string {
  const lines = [
    'Checking IPAM for inconsistencies...',
    '',
    'Loading all IPAM blocks...',
    `Found ${e.blocks?.filter((l) => l.startsWith(' IPAM block')).length ?? 1} IPAM blocks.`,
    ...(e.blocks ?? [' IPAM block 10.0.1.0/29 affinity=host:node1:']),
    `IPAM blocks record ${e.allocations ?? 2} allocations.`,
    '',
    'Loading all IPAM pools...',
    ...(e.pools ?? ['  10.0.1.0/24']),
    `Found ${(e.pools ?? ['  10.0.1.0/24']).length} active IP pools.`,
    '',
    'Loading all nodes.',
    ...(e.nodeLines ?? []),
    `Found ${e.nodeIPs ?? 1} node tunnel IPs.`,
    '',
    'Loading all service load balancer IPs.',
    'No configuration for LoadBalancer kubecontroller found, skipping service check',
    '',
    'Loading all workload endpoints.',
    ...(e.wepLines ?? []),
    `Found ${e.wepIPs ?? 1} workload IPs.`,
    `Workloads and nodes are using ${e.inUse ?? 2} IPs.`,
    '',
    'Loading all handles',
    'Looking for top (up to 20) nodes by allocations...',
    ...(e.top ?? ['  node1 has 2 allocations']),
    e.median ?? 'Node with most allocations has 2; median is 2',
    '',
    'Scanning for IPs that are allocated but not actually in use...',
    ...(e.leaked ?? []),
    `Found ${e.leakedCount ?? 0} IPs that are allocated in IPAM but not actually in use.`,
    'Scanning for IPs that are in use by a workload or node but not allocated in IPAM...',
    ...(e.inUseLines ?? []),
    `Found ${e.notInPools ?? 0} in-use IPs that are not in active IP pools.`,
    `Found ${e.notAllocated ?? 0} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.`,
    '',
    'Scanning for IPAM handles with no matching IPs...',
    ...(e.handleLines ?? []),
    `Found ${e.leakedHandles ?? 0} handles with no matching IPs (and ${e.goodHandles ?? 2} handles with matches).`,
    'Scanning for IPs with missing handle...',
    ...(e.missing ?? []),
    `Found ${e.missingCount ?? 0} handles mentioned in blocks with no matching handle resource.`,
    `Check complete; found ${e.problems ?? 0} problems.`,
  ];
  return lines.map((l) => l + '\n').join('');
}

const lines = (...l: string[]) => l.map((x) => x + '\n').join('');
const cannotDecode = (n: number) =>
  `Found ${n} values that cannot be decoded (skipped above, and never released).`;

interface Case {
  name: string;
  keys: Record<string, string | null>;
  args?: string[];
  stdout: string;
}

const pod = (p: string) => `Main:k8s-pod-network.${p} Extra:namespace=ns,node=node1,pod=${p}`;

/** Pod b's address allocated (with extra attributes) and nothing using it. */
function leakedB(name: string, attributes: string, attrsText: string): Case {
  return {
    name,
    keys: {
      [BLOCK_A]: blockA([3, podAttr('b', attributes), '3']),
      ...Object.fromEntries([handle('k8s-pod-network.b', '10.0.1.0/29')]),
    },
    args: ['--show-problem-ips'],
    stdout: calicoctl({
      allocations: 3,
      top: ['  node1 has 3 allocations'],
      median: 'Node with most allocations has 3; median is 3',
      leaked: [`  10.0.1.3 leaked; attrs ${pod('b')}${attrsText}`],
      leakedCount: 1,
      goodHandles: 3,
      problems: 1,
    }),
  };
}

/** The base block under --show-all-ips. */
const BLOCK_A_ALL_IPS = [
  ' IPAM block 10.0.1.0/29 affinity=host:node1:',
  '  10.0.1.1 allocated; attrs Main:ipip-tunnel-addr-node1 Extra:node=node1,type=ipipTunnelAddress',
  `  10.0.1.2 allocated; attrs ${pod('a')}`,
];

const CASES: Case[] = [
  { name: 'a clean cluster: nothing after calicoctl’s final line', keys: {}, stdout: calicoctl({}) },
  leakedB('an allocation nothing uses (leaked address)', '', ''),
  leakedB(
    'a leaked address with an alternate owner',
    ',"alternateOwnerAttrs":{"pod":"b-old","namespace":"ns"}',
    ' Alternate:namespace=ns,pod=b-old',
  ),
  {
    name: 'workload and node addresses without allocations',
    keys: Object.fromEntries([
      wep('ns', 'node1-k8s-c-eth0', ['10.0.1.5/32']),
      node('node2', { ipv4VXLANTunnelAddr: '10.0.1.7/32', wireguard: { interfaceIPv4Address: '10.0.1.6' } }),
    ]),
    args: ['--show-problem-ips'],
    stdout: calicoctl({
      nodeIPs: 3,
      wepIPs: 2,
      inUse: 5,
      inUseLines: [
        '  10.0.1.7 in use by Node(node2) and in active IPAM pool but has no IPAM allocation.',
        '  10.0.1.6 in use by Node(node2) and in active IPAM pool but has no IPAM allocation.',
        '  10.0.1.5 in use by Workload(ns/node1-k8s-c-eth0) and in active IPAM pool but has no IPAM allocation.',
      ],
      notAllocated: 3,
      problems: 3,
    }),
  },
  {
    name: 'addresses in use outside every active pool (a disabled pool, no pool) and with two owners',
    keys: Object.fromEntries([
      pool('pool-old', '10.0.2.0/24', 29, true),
      wep('ns', 'node1-k8s-x-eth0', ['10.0.2.9/32', '192.168.50.5']),
      wep('ns', 'node1-k8s-y-eth0', ['10.0.1.2/32']),
    ]),
    args: ['--show-problem-ips'],
    stdout: calicoctl({
      wepIPs: 4,
      inUse: 4,
      inUseLines: [
        '  10.0.1.2 has multiple owners.',
        '  10.0.2.9 in use by Workload(ns/node1-k8s-x-eth0) is not in any active IP pool.',
        '  192.168.50.5 in use by Workload(ns/node1-k8s-x-eth0) is not in any active IP pool.',
      ],
      notInPools: 2,
      problems: 2,
    }),
  },
  {
    name: 'a handle without addresses and one whose addresses have no handle',
    keys: {
      ...Object.fromEntries([handle('k8s-pod-network.zzzz', '10.0.1.0/29')]),
      '/calico/ipam/v2/handle/k8s-pod-network.a': null,
    },
    args: ['--show-problem-ips'],
    stdout: calicoctl({
      leakedHandles: 1,
      goodHandles: 1,
      missing: ["  k8s-pod-network.a is in use in a block but doesn't exist."],
      missingCount: 1,
      problems: 2,
    }),
  },
  {
    name: 'every address listed with --show-all-ips',
    keys: {
      [BLOCK_A]: blockA([3, podAttr('b'), '3']),
      ...Object.fromEntries([
        handle('k8s-pod-network.zzzz', '10.0.1.0/29'),
        handle('k8s-pod-network.b', '10.0.1.0/29'),
      ]),
    },
    args: ['--show-all-ips'],
    stdout: calicoctl({
      blocks: [...BLOCK_A_ALL_IPS, `  10.0.1.3 allocated; attrs ${pod('b')}`],
      allocations: 3,
      top: ['  node1 has 3 allocations'],
      median: 'Node with most allocations has 3; median is 3',
      leaked: [`  10.0.1.3 leaked; attrs ${pod('b')}`],
      leakedCount: 1,
      goodHandles: 3,
      nodeLines: ['  10.0.1.1 belongs to Node(node1)'],
      wepLines: ['  10.0.1.2 belongs to Workload(ns/node1-k8s-a-eth0)'],
      handleLines: ["  k8s-pod-network.zzzz doesn't have any active IPs."],
      leakedHandles: 1,
      problems: 2,
    }),
  },
  {
    name: 'Windows-reserved addresses are in use; nodes tied on allocations keep their first appearance',
    keys: Object.fromEntries([
      node('win1', {}),
      [
        '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29',
        '{"cidr":"10.0.1.8/29","affinity":"host:win1","allocations":[0,null,null,null,null,null,null,0],' +
          '"unallocated":[1,2,3,4,5,6],"attributes":[{"handle_id":"windows-reserved-ipam-handle",' +
          '"secondary":{"note":"reserved for Windows"}}],"sequenceNumber":3,' +
          '"sequenceNumberForAllocation":{"0":1,"7":2},"deleted":false}',
      ],
    ]),
    args: ['--show-all-ips'],
    stdout: calicoctl({
      blocks: [
        ...BLOCK_A_ALL_IPS,
        ' IPAM block 10.0.1.8/29 affinity=host:win1:',
        '  10.0.1.8 belongs to Reserved for Windows',
        '  10.0.1.8 allocated; attrs Main:windows-reserved-ipam-handle Extra:note=reserved for Windows',
        '  10.0.1.15 belongs to Reserved for Windows',
        '  10.0.1.15 allocated; attrs Main:windows-reserved-ipam-handle Extra:note=reserved for Windows',
      ],
      allocations: 4,
      nodeLines: ['  10.0.1.1 belongs to Node(node1)'],
      wepLines: ['  10.0.1.2 belongs to Workload(ns/node1-k8s-a-eth0)'],
      inUse: 4,
      top: ['  node1 has 2 allocations', '  win1 has 2 allocations'],
    }),
  },
  {
    name: 'an IPv6 block stored with a non-canonical CIDR is printed as Go prints it',
    keys: Object.fromEntries([
      pool('pool-v6', 'fd00:40::/120', 122),
      [
        '/calico/ipam/v2/assignment/ipv6/block/fd00:40::-122',
        block('FD00:40:0:0::/122', 'host:node1', 64, [[1, podAttr('v6'), '18446744073709551615']]),
      ],
      handle('k8s-pod-network.v6', 'fd00:40::/122'),
      wep('ns', 'node1-k8s-v6-eth0', ['fd00:40::1/128']),
    ]),
    stdout: calicoctl({
      blocks: [
        ' IPAM block 10.0.1.0/29 affinity=host:node1:',
        ' IPAM block fd00:40::/122 affinity=host:node1:',
      ],
      allocations: 3,
      pools: ['  10.0.1.0/24', '  fd00:40::/120'],
      wepIPs: 2,
      inUse: 3,
      top: ['  node1 has 3 allocations'],
      median: 'Node with most allocations has 3; median is 3',
      goodHandles: 3,
    }),
  },
  {
    name: 'an IPv4-mapped workload address is read as IPv4',
    keys: Object.fromEntries([wep('ns', 'node1-k8s-a-eth0', ['::ffff:10.0.1.2/128'])]),
    stdout: calicoctl({}),
  },
  {
    name: 'a block and an affinity of a deleted node: our section after the final line',
    keys: Object.fromEntries([
      pool('pool-b', '10.0.2.0/24', 29),
      [
        '/calico/ipam/v2/assignment/ipv4/block/10.0.2.0-29',
        block('10.0.2.0/29', 'host:gone', 8, [[1, podAttr('d').replace('"node1"', '"gone"'), '1']]),
      ],
      ['/calico/ipam/v2/host/gone/ipv4/block/10.0.2.0-29', '{"state":"confirmed","deleted":false}'],
      handle('k8s-pod-network.d', '10.0.2.0/29'),
      wep('ns', 'gone-k8s-d-eth0', ['10.0.2.1/32']),
    ]),
    args: ['--show-problem-ips'],
    stdout:
      calicoctl({
        blocks: [
          ' IPAM block 10.0.1.0/29 affinity=host:node1:',
          ' IPAM block 10.0.2.0/29 affinity=host:gone:',
        ],
        allocations: 3,
        pools: ['  10.0.1.0/24', '  10.0.2.0/24'],
        wepIPs: 2,
        inUse: 3,
        top: ['  node1 has 2 allocations', '  gone has 1 allocations'],
        median: 'Node with most allocations has 2; median is 1',
        goodHandles: 3,
      }) +
      lines(
        'Scanning for IPAM blocks and affinities of nodes that no longer exist...',
        '  IPAM block 10.0.2.0/29 is affine to node gone, which does not exist.',
        '  Affinity /calico/ipam/v2/host/gone/ipv4/block/10.0.2.0-29 belongs to node gone, which does not exist.',
        'Found 1 IPAM blocks and 1 block affinities of nodes that no longer exist.',
        'Additional checks complete; found 2 problems.',
      ),
  },
  {
    name: 'a handle count that differs from its allocations and a pending affinity without a block: our sections',
    keys: Object.fromEntries([
      handle('k8s-pod-network.a', '10.0.1.0/29', 2),
      ['/calico/ipam/v2/host/node1/ipv4/block/10.0.1.64-29', '{"state":"pending","deleted":false}'],
    ]),
    args: ['--show-problem-ips'],
    stdout:
      calicoctl({}) +
      lines(
        'Scanning for handles whose counts differ from their allocations...',
        '  Handle k8s-pod-network.a counts 2 address(es) in block 10.0.1.0/29, which holds 1 for it.',
        'Found 1 handle counts that differ from their allocations.',
        'Scanning for pending block affinities without a block...',
        '  Affinity /calico/ipam/v2/host/node1/ipv4/block/10.0.1.64-29 is pending and its block does not exist.',
        'Found 1 pending block affinities without a block.',
        'Additional checks complete; found 2 problems.',
      ),
  },
  {
    name: 'an undecodable handle is skipped and listed; one a block names counts as missing, as in calicoctl',
    keys: {
      '/calico/ipam/v2/handle/k8s-pod-network.zzzz': '{"block":{"10.0.1.0/29":"one"},"deleted":false}',
      '/calico/ipam/v2/handle/k8s-pod-network.a': '{"block":',
    },
    stdout:
      calicoctl({
        goodHandles: 1,
        missing: ["  k8s-pod-network.a is in use in a block but doesn't exist."],
        missingCount: 1,
        problems: 1,
      }) +
      lines(
        'Scanning for values that cannot be decoded...',
        '  /calico/ipam/v2/handle/k8s-pod-network.a cannot be decoded: invalid JSON: unexpected end of input at position 9',
        '  /calico/ipam/v2/handle/k8s-pod-network.zzzz cannot be decoded: block is not a map of integers',
        cannotDecode(2),
        'Additional checks complete; found 2 problems.',
      ),
    args: ['--show-problem-ips'],
  },
  {
    name: 'undecodable WorkloadEndpoint, Node, IPPool and block values are skipped, not fatal',
    keys: {
      [`${R}workloadendpoints/ns/node1-k8s-a-eth0`]:
        '{"kind":"WorkloadEndpoint","metadata":{"name":"w","namespace":"ns"},"spec":{"ipNetworks":"10.0.1.2/32"}}',
      [`${R}nodes/node2`]: 'not json',
      [`${R}ippools/pool-b`]: '{"kind":"IPPool","metadata":{"name":"pool-b"},"spec":{"cidr":5}}',
      '/calico/ipam/v2/assignment/ipv4/block/10.0.1.16-29': '{"cidr":"10.0.1.16/29","allocations":[',
    },
    args: ['--show-problem-ips'],
    stdout:
      calicoctl({
        wepIPs: 0,
        inUse: 1,
        leaked: [`  10.0.1.2 leaked; attrs ${pod('a')}`],
        leakedCount: 1,
        problems: 1,
      }) +
      lines(
        'Scanning for values that cannot be decoded...',
        '  /calico/ipam/v2/assignment/ipv4/block/10.0.1.16-29 cannot be decoded: invalid JSON: unexpected end of input at position 38',
        '  /calico/resources/v3/projectcalico.org/ippools/pool-b cannot be decoded: spec.cidr is not a string',
        '  /calico/resources/v3/projectcalico.org/nodes/node2 cannot be decoded: invalid JSON: expected null ("n") at position 0',
        '  /calico/resources/v3/projectcalico.org/workloadendpoints/ns/node1-k8s-a-eth0 cannot be decoded: spec.ipNetworks is not a list of strings',
        cannotDecode(4),
        'Additional checks complete; found 4 problems.',
      ),
  },
  {
    name: 'a block whose cidr has host bits set is reported as invalid, never numbered',
    keys: {
      '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29': block('10.0.1.9/29', null, 8, [
        [0, podAttr('h'), '1'],
      ]),
    },
    stdout:
      calicoctl({}) +
      lines(
        'Validating IPAMBlock structures...',
        '  IPAMBlock BlockKey(cidr=10.0.1.8/29) is invalid: cidr 10.0.1.9/29 has host bits set: not checked, and never released',
        'Found 1 invalid IPAMBlocks.',
        'Additional checks complete; found 1 problems.',
      ),
  },
];

interface Store {
  name: string;
  env: Record<string, string>;
  ds: Datastore;
  close(): Promise<void>;
}

async function replaceKeys(ds: Datastore, keys: Record<string, string | null>): Promise<void> {
  await ds.txn({ compare: [], success: [{ type: 'delete', key: '/calico/', rangeEnd: '/calico0' }] });
  const all = { ...BASE, ...keys };
  const success = Object.entries(all)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([key, value]) => ({ type: 'put' as const, key, value }));
  await ds.txn({ compare: [], success });
}

const STORES: [string, () => Promise<Store>][] = [
  [
    'etcd',
    async () => {
      const etcd: EtcdServer = await startEtcd();
      const ds = createDatastore(
        await openEtcdBackend(loadClientConfig({ env: etcd.env }).etcd!, { timeoutMs: 5000, source: 'test' }),
      );
      return {
        name: 'etcd',
        env: etcd.env,
        ds,
        close: async () => {
          await ds.close();
          await etcd.stop();
        },
      };
    },
  ],
  [
    'embedded',
    async () => {
      const dir = tempDir('calicoctl-ts-check-');
      const path = join(dir, 'datastore.db');
      const ds = createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
      return {
        name: 'embedded',
        env: { DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: path },
        ds,
        close: async () => {
          await ds.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(STORES)('ipam check on %s', (_name, open) => {
  let store: Store;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, { env: store.env });
  beforeAll(async () => {
    store = await open();
    dir = tempDir('calicoctl-ts-check-report-');
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)('$name', async ({ keys, args, stdout }) => {
    await replaceKeys(store.ds, keys);
    const r = await cli('ipam', 'check', ...(args ?? []));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(stdout);
    expect(r.code).toBe(0);
  });

  it('a bad tunnel address fails after the sections it follows, as calicoctl', async () => {
    await replaceKeys(
      store.ds,
      Object.fromEntries([
        node('node2', { ipv4VXLANTunnelAddr: '10.0.1.7', wireguard: { interfaceIPv4Address: '10.0.1.300' } }),
      ]),
    );
    const r = await cli('ipam', 'check', '--show-all-ips');
    // Up to the nodes section; node2's good address is not recorded either (getNodeIPs fails first).
    const upToNodes = calicoctl({
      blocks: [...BLOCK_A_ALL_IPS],
      nodeLines: ['  10.0.1.1 belongs to Node(node1)'],
    });
    expect(r.stdout).toBe(upToNodes.slice(0, upToNodes.indexOf('Found 1 node tunnel IPs.')));
    expect(r.stderr.split('\n')[0]).toBe(
      'failed to parse Wireguard.InterfaceIPv4Address (10.0.1.300) of node node2: invalid CIDR address: 10.0.1.300',
    );
    expect(r.code).toBe(1);
  });

  it('a missing ClusterInformation fails after the first line, as calicoctl', async () => {
    await replaceKeys(store.ds, { [`${R}clusterinformations/default`]: null });
    const r = await cli('ipam', 'check');
    expect(r.stdout).toBe('Checking IPAM for inconsistencies...\n\n');
    expect(r.stderr.split('\n')[0]).toBe(
      'resource does not exist: ClusterInformation(default) with error: <nil>',
    );
    expect(r.code).toBe(1);
  });

  it('an unwritable report path: the whole text, then one error line, exit 1', async () => {
    await replaceKeys(store.ds, {});
    const r = await cli('ipam', 'check', '-o', join(dir, 'missing-dir', 'report.json'));
    expect(r.stdout).toBe(calicoctl({}));
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(`^cannot write the report ${join(dir, 'missing-dir', 'report.json')}: ENOENT`),
    );
    expect(r.code).toBe(1);
  });

  it('the report leaves out unreadable handles and host-bits blocks; Windows addresses are in use; sequence numbers exact', async () => {
    await replaceKeys(store.ds, {
      [BLOCK_A]: blockA([3, podAttr('b'), '18446744073709551615']),
      '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29': block('10.0.1.9/29', null, 8, [
        [0, podAttr('h'), '1'],
      ]),
      '/calico/ipam/v2/handle/k8s-pod-network.zzzz': '{"block":{"10.0.1.0/29":"one"},"deleted":false}',
    });
    const file = join(dir, `report-${store.name}.json`);
    expect((await cli('ipam', 'check', '-o', file)).code).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8').replace(/: (\d{16,})/g, ': "$1"')) as {
      allocations: Record<string, { sequenceNumber: string | number; inUse: boolean }[]>;
      leakedHandles?: unknown;
    };
    expect(Object.keys(report.allocations)).toEqual(['10.0.1.1', '10.0.1.2', '10.0.1.3']);
    expect(report.allocations['10.0.1.3']![0]).toMatchObject({
      sequenceNumber: '18446744073709551615',
      inUse: false,
    });
    expect(report.leakedHandles).toBeUndefined();
  });

  it('release --from-report deletes no handle it cannot read', async () => {
    await replaceKeys(store.ds, {
      ...Object.fromEntries([handle('k8s-pod-network.yyyy', '10.0.1.0/29')]),
      '/calico/ipam/v2/handle/k8s-pod-network.zzzz': '{"block":{"10.0.1.0/29":"one"},"deleted":false}',
    });
    const file = join(dir, `release-${store.name}.json`);
    expect((await cli('ipam', 'check', '-o', file)).code).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as { leakedHandles: { ID: string }[] };
    expect(report.leakedHandles.map((h) => h.ID)).toEqual(['k8s-pod-network.yyyy']);

    // A report that names the unreadable handle at its current revision (hand-made, or older).
    const zzzz = (await store.ds.get('/calico/ipam/v2/handle/k8s-pod-network.zzzz'))!;
    writeFileSync(
      file,
      JSON.stringify({
        ...report,
        leakedHandles: [
          ...report.leakedHandles,
          { ID: 'k8s-pod-network.zzzz', UID: null, Revision: String(zzzz.modRevision) },
        ],
      }),
    );
    const r = await cli('ipam', 'release', `--from-report=${file}`, '--force');
    expect(r.stdout).toContain(
      'Deleting handle k8s-pod-network.zzzz failed: refusing to delete it: its stored value cannot be decoded (block is not a map of integers).\n',
    );
    expect(r.stdout).toContain('Released 1 handles; 0 skipped; 1 errors.\n');
    expect(r.code).toBe(1);
    expect(await store.ds.get('/calico/ipam/v2/handle/k8s-pod-network.yyyy')).toBeUndefined();
    expect((await store.ds.get('/calico/ipam/v2/handle/k8s-pod-network.zzzz'))?.value).toBe(zzzz.value);
  });
});
