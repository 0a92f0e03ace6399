/**
 * A small cluster with one of each IPAM problem `ipam check` finds, as Calico stores it: a leaked
 * pod address, a handle without addresses, an allocation whose handle is missing, addresses used
 * but not allocated (inside and outside the pools), a structurally invalid block, an undecodable
 * block, a block and an affinity of a node that is gone, and an allocation in a disabled pool.
 */
export const CLUSTER_GUID = '0123456789abcdef0123456789abcdef';
export const CI_KEY = '/calico/resources/v3/projectcalico.org/clusterinformations/default';
export const CLUSTER_INFO = `{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"c1","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"clusterGUID":"${CLUSTER_GUID}","clusterType":"k8s,bgp","calicoVersion":"v3.32.1","datastoreReady":false}}`;

const pool = (name: string, cidr: string, disabled: boolean) =>
  `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","uid":"p-${name}","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"${cidr}","ipipMode":"Always","blockSize":29,"nodeSelector":"all()"${disabled ? ',"disabled":true' : ''}}}`;

const wep = (ns: string, name: string, ips: string[]) =>
  `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"${name}","namespace":"${ns}","uid":"w-${name}"},"spec":{"orchestrator":"k8s","node":"node1","pod":"${name}","endpoint":"eth0","ipNetworks":${JSON.stringify(ips)}}}`;

const pod = (handle: string, name: string, node = 'node1') =>
  `{"handle_id":"k8s-pod-network.${handle}","secondary":{"namespace":"ns","node":"${node}","pod":"${name}","timestamp":"2026-06-01 10:00:00.123456789 +0000 UTC"}}`;

export const BLOCK_A = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-29';
export const BLOCK_GONE = '/calico/ipam/v2/assignment/ipv4/block/10.0.2.0-29';
export const BLOCK_INVALID = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29';
export const BLOCK_CORRUPT = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.16-29';

export const CHECK_KEYS: Record<string, string> = {
  [CI_KEY]: CLUSTER_INFO,
  '/calico/resources/v3/projectcalico.org/ippools/pool-a': pool('pool-a', '10.0.1.0/24', false),
  '/calico/resources/v3/projectcalico.org/ippools/pool-old': pool('pool-old', '10.0.2.0/24', true),
  '/calico/resources/v3/projectcalico.org/nodes/node1':
    '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1"},"spec":{"bgp":{"ipv4Address":"192.168.0.1/24","ipv4IPIPTunnelAddr":"10.0.1.0"}}}',
  [BLOCK_A]:
    '{"cidr":"10.0.1.0/29","affinity":"host:node1","allocations":[0,null,1,2,null,3,null,null],"unallocated":[6,7,1,4],' +
    `"attributes":[{"handle_id":"ipip-tunnel-addr-node1","secondary":{"node":"node1","type":"ipipTunnelAddress"}},${pod('aaaa', 'a')},${pod('bbbb', 'b')},${pod('cccc', 'c', 'node2')}],` +
    '"sequenceNumber":1780308000000000009,"sequenceNumberForAllocation":{"0":1780308000000000001,"2":1780308000000000002,"3":1780308000000000003,"5":1780308000000000008},"deleted":false}',
  [BLOCK_INVALID]:
    '{"cidr":"10.0.1.8/29","affinity":null,"allocations":[0,null,null,null,null,null,null,null],"unallocated":[0,1,2,3,4,5,6,7],' +
    `"attributes":[${pod('ffff', 'f')}],"sequenceNumber":3,"sequenceNumberForAllocation":{"0":2},"deleted":false}`,
  [BLOCK_CORRUPT]: '{"cidr":"10.0.1.16/29","allocations":[',
  [BLOCK_GONE]:
    '{"cidr":"10.0.2.0/29","affinity":"host:gone","allocations":[null,0,null,null,null,null,null,null],"unallocated":[0,2,3,4,5,6,7],' +
    `"attributes":[${pod('dddd', 'd', 'gone')}],"sequenceNumber":2,"sequenceNumberForAllocation":{"1":1},"deleted":false}`,
  '/calico/ipam/v2/host/node1/ipv4/block/10.0.1.0-29': '{"state":"confirmed","deleted":false}',
  '/calico/ipam/v2/host/gone/ipv4/block/10.0.2.0-29': '{"state":"confirmed","deleted":false}',
  '/calico/ipam/v2/handle/ipip-tunnel-addr-node1': '{"block":{"10.0.1.0/29":1},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.aaaa': '{"block":{"10.0.1.0/29":1},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.bbbb': '{"block":{"10.0.1.0/29":1},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.dddd': '{"block":{"10.0.2.0/29":1},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.eeee': '{"block":{"10.0.1.0/29":1},"deleted":false}',
  '/calico/ipam/v2/handle/k8s-pod-network.ffff': '{"block":{"10.0.1.8/29":1},"deleted":false}',
  '/calico/resources/v3/projectcalico.org/workloadendpoints/ns/node1-k8s-a-eth0': wep(
    'ns',
    'node1-k8s-a-eth0',
    ['10.0.1.2/32'],
  ),
  '/calico/resources/v3/projectcalico.org/workloadendpoints/ns/node1-k8s-d-eth0': wep(
    'ns',
    'node1-k8s-d-eth0',
    ['10.0.2.1/32'],
  ),
  '/calico/resources/v3/projectcalico.org/workloadendpoints/ns/node1-k8s-x-eth0': wep(
    'ns',
    'node1-k8s-x-eth0',
    ['10.0.1.100/32', '192.168.50.5'],
  ),
};
