/**
 * Hand-built IPAM data shaped like real churned Calico blocks: out-of-order `unallocated` with
 * released ordinals at the tail, attributes shared by several ordinals, borrowed addresses, tunnel
 * addresses, v3.31-style attributes with null handle/secondary, IPv6, orphaned blocks, and the key
 * order trap 10.0.0.128-26 before 10.0.0.64-26. Values are encoded as Calico's Go code writes them.
 */
import { encodeGoJson } from '../../../src/codec/go-json.js';
import { allocationBlockSchema } from '../../../src/ipam/schemas.js';

/**
 * calico.md §2.1 worked example, exactly as Calico v3.32 stores it (handle_id/secondary omitempty):
 * ordinal 0 is the node's IPIP tunnel address, ordinal 1 a pod.
 */
export const WORKED_EXAMPLE_BLOCK =
  '{"cidr":"10.0.1.0/30","affinity":"host:node1","allocations":[0,1,null,null],"unallocated":[2,3],' +
  '"attributes":[{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}},' +
  '{"handle_id":"k8s-pod-network.0123abcd","secondary":{"namespace":"default","node":"node1","pod":"nginx-1",' +
  '"timestamp":"2026-06-01 10:00:00.123456789 +0000 UTC"}}],"sequenceNumber":1780308000000000002,' +
  '"sequenceNumberForAllocation":{"0":1780308000000000000,"1":1780308000000000001},"deleted":false}';

const SEQ = 1780308000000000000n;

interface Alloc {
  ord: number;
  attr: number;
}

function block(opts: {
  cidr: string;
  size: number;
  affinity: string | null;
  allocs: Alloc[];
  attributes: Record<string, unknown>[] | null;
  /** Free ordinals in stored order; default: every free ordinal ascending. */
  unallocated?: number[];
  claimTime?: string;
}): string {
  const allocations: (number | null)[] = new Array<number | null>(opts.size).fill(null);
  const seqs: Record<string, bigint> = {};
  opts.allocs.forEach((a, i) => {
    allocations[a.ord] = a.attr;
    seqs[String(a.ord)] = SEQ + BigInt(i);
  });
  const free = opts.unallocated ?? allocations.flatMap((a, i) => (a === null ? [i] : []));
  return encodeGoJson(
    {
      cidr: opts.cidr,
      affinity: opts.affinity,
      affinity_claim_time: opts.claimTime,
      allocations,
      unallocated: free,
      attributes: opts.attributes,
      sequenceNumber: SEQ + BigInt(opts.allocs.length) + 7n,
      sequenceNumberForAllocation: seqs,
      deleted: false,
    },
    allocationBlockSchema,
  );
}

const pod = (node: string, ns: string, name: string, handle: string): Record<string, unknown> => ({
  handle_id: `k8s-pod-network.${handle}`,
  secondary: { namespace: ns, node, pod: name, timestamp: '2026-06-01 10:00:00.123456789 +0000 UTC' },
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Pools in key order; stored as a v3.30+ client writes them. */
export const POOL_PREFIX = '/calico/resources/v3/projectcalico.org/ippools/';

/** An IPPool as a v3.30+ client stores it. */
export function poolValue(
  name: string,
  cidr: string,
  blockSize: number,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    kind: 'IPPool',
    apiVersion: 'projectcalico.org/v3',
    metadata: {
      name,
      uid: '3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21',
      creationTimestamp: '2026-06-01T10:00:00Z',
    },
    spec: {
      cidr,
      vxlanMode: 'Never',
      ipipMode: 'Never',
      natOutgoing: true,
      blockSize,
      nodeSelector: 'all()',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
      ...extra,
    },
  });
}

export const POOLS: Record<string, string> = {
  '/calico/resources/v3/projectcalico.org/ippools/a-pool':
    '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"a-pool","uid":"3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"10.65.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}',
  '/calico/resources/v3/projectcalico.org/ippools/b-pool':
    '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"b-pool","uid":"0c1d2e3f-2c1b-4c55-9d1e-0b8c2a6f4e22","creationTimestamp":"2026-06-01T10:00:01Z"},"spec":{"cidr":"10.66.0.0/16","vxlanMode":"Always","ipipMode":"Never","natOutgoing":true,"blockSize":29,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}',
  // Written by an old client: no blockSize (read default 122).
  '/calico/resources/v3/projectcalico.org/ippools/c-v6':
    '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"c-v6","uid":"7a8b9c0d-2c1b-4c55-9d1e-0b8c2a6f4e23","creationTimestamp":"2026-06-01T10:00:02Z"},"spec":{"cidr":"fd5f:abcd:64::/48","vxlanMode":"Never","ipipMode":"Never","natOutgoing":false,"nodeSelector":"all()"}}',
};

/** Stored by a v3.31 client: attributes without an owner keep `"handle_id":null,"secondary":null`. */
function v331Style(json: string): string {
  return json.replace(',{}]', ',{"handle_id":null,"secondary":null}]');
}

export const V6_BLOCK_KEY = '/calico/ipam/v2/assignment/ipv6/block/fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0-122';

/** Blocks, keyed as Calico keys them (inserted here out of key order on purpose). */
export const BLOCKS: Record<string, string> = {
  // node1's block: tunnel address, own pod, two addresses of one handle lent to node2, and an
  // allocation from an old client without node attribute. Released ordinals 2-4, 7-9 at the tail.
  '/calico/ipam/v2/assignment/ipv4/block/10.65.79.0-26': v331Style(
    block({
      cidr: '10.65.79.0/26',
      size: 64,
      affinity: 'host:node1',
      allocs: [
        { ord: 0, attr: 0 },
        { ord: 1, attr: 1 },
        { ord: 5, attr: 2 },
        { ord: 6, attr: 2 },
        { ord: 10, attr: 3 },
      ],
      attributes: [
        { handle_id: 'ipip-tunnel-addr-node1', secondary: { node: 'node1', type: 'ipipTunnelAddress' } },
        pod('node1', 'default', 'nginx-1', '0123abcd'),
        pod('node2', 'default', 'web-2', '4567ef01'),
        { handle_id: null, secondary: null },
      ],
      unallocated: [...range(11, 64), 2, 3, 4, 7, 8, 9],
    }),
  ),
  // Full /29 of node2, one address borrowed by a KubeVirt VM on node3.
  '/calico/ipam/v2/assignment/ipv4/block/10.66.137.224-29': block({
    cidr: '10.66.137.224/29',
    size: 8,
    affinity: 'host:node2',
    allocs: range(0, 8).map((ord) => ({ ord, attr: ord === 3 ? 1 : 0 })),
    attributes: [
      { handle_id: 'vxlan-tunnel-addr-node2', secondary: { node: 'node2', type: 'vxlanTunnelAddress' } },
      {
        handle_id: 'k8s-pod-network.vm',
        secondary: { namespace: 'vms', node: 'node3', 'vmi-name': 'vm-a', pod: 'virt-launcher-vm-a' },
      },
    ],
  }),
  // No affinity (released by its node): everything in it counts as borrowed.
  '/calico/ipam/v2/assignment/ipv4/block/10.66.137.232-29': block({
    cidr: '10.66.137.232/29',
    size: 8,
    affinity: null,
    allocs: [
      { ord: 0, attr: 0 },
      { ord: 1, attr: 1 },
      { ord: 2, attr: 2 },
    ],
    attributes: [
      { handle_id: 'vxlan-tunnel-addr-node2', secondary: { node: 'node2', type: 'vxlanTunnelAddress' } },
      pod('node2', 'kube-system', 'coredns-1', 'aa'),
      pod('node3', 'default', 'x', 'bb'),
    ],
    unallocated: [7, 3, 4, 5, 6],
  }),
  [V6_BLOCK_KEY]: block({
    cidr: 'fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122',
    size: 64,
    affinity: 'host:node1',
    claimTime: '2026-06-01T10:00:00Z',
    allocs: range(0, 7).map((ord) => ({ ord, attr: ord === 6 ? 1 : 0 })),
    attributes: [
      { handle_id: 'k8s-pod-network.v6', secondary: { namespace: 'default', node: 'node1', pod: 'nginx-1' } },
      {
        handle_id: 'k8s-pod-network.mig',
        secondary: { namespace: 'vms', node: 'node1', pod: 'virt-launcher-b' },
        alternateOwnerAttrs: { namespace: 'vms', node: 'node4', pod: 'virt-launcher-b-target' },
      },
    ],
  }),
  // Orphans: no pool covers them. Key order puts 10.0.0.128-26 before 10.0.0.64-26.
  '/calico/ipam/v2/assignment/ipv4/block/10.0.0.64-26': block({
    cidr: '10.0.0.64/26',
    size: 64,
    affinity: 'host:node9',
    allocs: [],
    attributes: null,
  }),
  '/calico/ipam/v2/assignment/ipv4/block/10.0.0.128-26': block({
    cidr: '10.0.0.128/26',
    size: 64,
    affinity: 'host:node9',
    allocs: [
      { ord: 0, attr: 0 },
      { ord: 1, attr: 1 },
    ],
    attributes: [
      {
        handle_id: 'wireguard-tunnel-addr-node9',
        secondary: { node: 'node9', type: 'wireguardTunnelAddress' },
      },
      pod('node9', 'default', 'old', 'cc'),
    ],
  }),
  '/calico/ipam/v2/assignment/ipv6/block/fd00::-122': block({
    cidr: 'fd00::/122',
    size: 64,
    affinity: 'host:node1',
    allocs: [{ ord: 0, attr: 0 }],
    attributes: [pod('node1', 'default', 'v6-orphan', 'dd')],
  }),
};

export const AFFINITIES: Record<string, string> = {
  '/calico/ipam/v2/host/node1/ipv4/block/10.65.79.0-26': '{"state":"confirmed","deleted":false}',
  '/calico/ipam/v2/host/node2/ipv4/block/10.66.137.224-29': '{"state":"confirmed","deleted":false}',
};

export const ALL_KEYS: Record<string, string> = { ...POOLS, ...BLOCKS, ...AFFINITIES };

/** calicoctl v3.32.1's `ipam show` for ALL_KEYS (derived by the rules of calico.md §3.1). */
export const EXPECTED_SHOW = `+----------+-------------------+------------+------------+-------------------+
| GROUPING |       CIDR        | IPS TOTAL  | IPS IN USE |     IPS FREE      |
+----------+-------------------+------------+------------+-------------------+
| IP Pool  | 10.65.0.0/16      |      65536 | 5 (0%)     | 65531 (100%)      |
| IP Pool  | 10.66.0.0/16      |      65536 | 11 (0%)    | 65525 (100%)      |
| IP Pool  | fd5f:abcd:64::/48 | 1.2089e+24 | 7 (0%)     | 1.2089e+24 (100%) |
+----------+-------------------+------------+------------+-------------------+
`;

export const EXPECTED_SHOW_BLOCKS = `+----------+-------------------------------------------+------------+------------+-------------------+
| GROUPING |                   CIDR                    | IPS TOTAL  | IPS IN USE |     IPS FREE      |
+----------+-------------------------------------------+------------+------------+-------------------+
| IP Pool  | 10.65.0.0/16                              |      65536 | 5 (0%)     | 65531 (100%)      |
| Block    | 10.65.79.0/26                             |         64 | 5 (8%)     | 59 (92%)          |
| IP Pool  | 10.66.0.0/16                              |      65536 | 11 (0%)    | 65525 (100%)      |
| Block    | 10.66.137.224/29                          |          8 | 8 (100%)   | 0 (0%)            |
| Block    | 10.66.137.232/29                          |          8 | 3 (38%)    | 5 (62%)           |
| IP Pool  | fd5f:abcd:64::/48                         | 1.2089e+24 | 7 (0%)     | 1.2089e+24 (100%) |
| Block    | fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122 |         64 | 7 (11%)    | 57 (89%)          |
| Block    | 10.0.0.128/26                             |         64 | 2 (3%)     | 62 (97%)          |
| Block    | 10.0.0.64/26                              |         64 | 0 (0%)     | 64 (100%)         |
+----------+-------------------------------------------+------------+------------+-------------------+
`;

export const EXPECTED_BORROWED = `+---------------+----------------+------------------+-------------+--------------------+-----------------------+
|      IP       | BORROWING-NODE |      BLOCK       | BLOCK OWNER |        TYPE        |     ALLOCATED-TO      |
+---------------+----------------+------------------+-------------+--------------------+-----------------------+
| 10.65.79.5    | node2          | 10.65.79.0/26    | node1       | pod                | default/web-2         |
| 10.65.79.6    | node2          | 10.65.79.0/26    | node1       | pod                | default/web-2         |
| 10.66.137.227 | node3          | 10.66.137.224/29 | node2       | vmi                | vms/vm-a              |
| 10.66.137.232 | node2          | 10.66.137.232/29 |             | vxlanTunnelAddress |                       |
| 10.66.137.233 | node2          | 10.66.137.232/29 |             | pod                | kube-system/coredns-1 |
| 10.66.137.234 | node3          | 10.66.137.232/29 |             | pod                | default/x             |
+---------------+----------------+------------------+-------------+--------------------+-----------------------+

Note: found 1 IP allocations without an explicit node association. Unable to determine if they are borrowed.
`;
