/**
 * Input files for the file-driven cases: one small IPPool for `validate`, and a multi-document
 * YAML of resources for `apply` throughput, mixed the way a policy repository is (policies, sets
 * and host endpoints across a few namespaces).
 */
export const SMALL_POOL_YAML = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: bench-pool
spec:
  cidr: 192.168.0.0/16
  ipipMode: Always
  natOutgoing: true
  blockSize: 26
`;

/**
 * The pool `ipam assign` draws from. Calico caps a node at 20 affine blocks when IPAMConfig's
 * maxBlocksPerHost is 0 (libcalico-go v3.32.1 ipam.go autoAssign: "Default to a reasonable limit"),
 * so 10,000 addresses per round, over a warm-up and five rounds, need blocks of 4,096 addresses
 * (/20, Calico's largest IPv4 block size): 15 blocks in all.
 */
export const ASSIGN_POOL = 'bench-assign-pool';
export const ASSIGN_POOL_YAML = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ${ASSIGN_POOL}
spec:
  cidr: 172.16.0.0/14
  blockSize: 20
  ipipMode: Never
  natOutgoing: true
`;

const NAMESPACES = ['payments', 'checkout', 'search', 'monitoring', 'data-pipeline'];

/** count documents; the kinds repeat in a fixed cycle of ten. */
export function applyManifest(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(4, '0');
    const ns = NAMESPACES[i % NAMESPACES.length]!;
    const octet = i % 250;
    switch (i % 10) {
      case 0:
      case 1:
        docs.push(globalNetworkPolicy(n, i));
        break;
      case 2:
      case 3:
        docs.push(networkPolicy(n, ns));
        break;
      case 4:
      case 5:
      case 6:
        docs.push(globalNetworkSet(n, octet));
        break;
      case 7:
      case 8:
        docs.push(networkSet(n, ns, octet));
        break;
      default:
        docs.push(hostEndpoint(n, octet));
    }
  }
  return docs.join('---\n');
}

function globalNetworkPolicy(n: string, i: number): string {
  return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: bench-deny-egress-${n}
spec:
  order: ${100 + (i % 900)}
  selector: role == 'db-${n}'
  types:
  - Ingress
  - Egress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'app-${n}'
    destination:
      ports:
      - 5432
  egress:
  - action: Allow
    protocol: UDP
    destination:
      ports:
      - 53
`;
}

function networkPolicy(n: string, ns: string): string {
  return `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: bench-allow-frontend-${n}
  namespace: ${ns}
spec:
  selector: app == 'api-${n}'
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: app == 'frontend'
    destination:
      ports:
      - 8080
      - 8443
`;
}

function globalNetworkSet(n: string, octet: number): string {
  return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: bench-partners-${n}
  labels:
    external: partner-${n}
spec:
  nets:
  - 198.51.100.${octet}/32
  - 203.0.113.0/24
  - 2001:db8:${octet.toString(16)}::/48
`;
}

function networkSet(n: string, ns: string, octet: number): string {
  return `apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: bench-egress-${n}
  namespace: ${ns}
  labels:
    egress: allowed
spec:
  nets:
  - 192.0.2.${octet}/32
`;
}

function hostEndpoint(n: string, octet: number): string {
  return `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: bench-host-${n}-eth0
  labels:
    role: bench-host
spec:
  node: bench-host-${n}
  interfaceName: eth0
  expectedIPs:
  - 172.31.${Math.floor(octet / 2)}.${octet}
`;
}
