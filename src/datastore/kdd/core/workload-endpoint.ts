/**
 * Calico WorkloadEndpoints from Pods (libcalico-go v3.32.1 k8s/resources/workloadendpoint.go,
 * k8s/conversion/workload_endpoint_default.go; kdd.md §5.2): every scheduled pod that is not on the
 * host network is presented as the WorkloadEndpoint `<node>-k8s-<pod>-eth0` (dashes inside node and
 * pod doubled) in the pod's namespace, as the etcd value Calico's etcd backend would hold for it.
 *
 * Writes are Calico's: create and update work only in the CNI plugin's patch mode and are refused
 * with its message; a delete is not refused but strategic-merge-patches the pod's status, setting the
 * `cni.projectcalico.org/podIP(s)` annotations to "" (so the endpoint reads back with no addresses).

 */
import { createHash } from 'node:crypto';

import { encodeGoJson, parseGoJson } from '../../../codec/go-json.js';
import { formatCIDR, parseCIDR, parseCIDROrIP } from '../../../resources/ip.js';
import { workloadendpoint } from '../../../resources/kinds/workloadendpoint.js';
import { WORKLOAD_ENDPOINT_PREFIX } from '../../../resources/well-known-keys.js';
import type {
  KddMapping,
  KubeApi,
  KubeCollection,
  KubeObject,
  KubeWriteResult,
  PresentedValue,
} from '../mapping.js';
import { rangeNamespace } from '../generic.js';
import { PODS } from './collections.js';
import { qosControls } from './qos.js';

/** Pod annotations Calico reads and writes (conversion/constants.go). */
export const POD_ANNOTATIONS = {
  podIP: 'cni.projectcalico.org/podIP',
  podIPs: 'cni.projectcalico.org/podIPs',
  awsPodIPs: 'vpc.amazonaws.com/pod-ips',
  containerID: 'cni.projectcalico.org/containerID',
  floatingIPs: 'cni.projectcalico.org/floatingIPs',
  allowedSourcePrefixes: 'cni.projectcalico.org/allowedSourcePrefixes',
  networkStatus: 'k8s.v1.cni.cncf.io/network-status',
} as const;
const A = POD_ANNOTATIONS;

const wepSchema = workloadendpoint.schema;

/** escapeDashes of names.CalculateWorkloadEndpointName; a segment may not begin or end with '-'. */
function escapeDashes(field: string, value: string): string {
  if (value === '') throw new Error(`error with field ${field} = '' (field should be assigned)`);
  if (value.startsWith('-') || value.endsWith('-'))
    throw new Error(`error with field ${field} = '${value}' (field must not begin or end with a '-')`);
  return value.replaceAll('-', '--');
}

/** The WorkloadEndpoint name of a pod: `<node>-k8s-<pod>-eth0`, dashes inside the parts doubled. */
export function workloadEndpointName(node: string, pod: string): string {
  return `${escapeDashes('node', node)}-k8s-${escapeDashes('pod', pod)}-eth0`;
}

/** names.ParseWorkloadEndpointName for k8s names: the pod, or undefined when the name is not one. */
export function podOfWorkloadEndpoint(name: string): string | undefined {
  // extractParts: split at single dashes (a doubled dash is an escaped one), then unescape.
  const parts: string[] = [];
  let last = -1;
  for (let i = 1; i < name.length; i++) {
    if (name[i] !== '-') continue;
    if (i < name.length - 1 && name[i + 1] === '-') {
      i++;
      continue;
    }
    parts.push(name.slice(last + 1, i).replaceAll('--', '-'));
    last = i;
  }
  parts.push(name.slice(last + 1).replaceAll('--', '-'));
  return parts.length === 4 && parts[1] === 'k8s' && parts[2] !== '' ? parts[2] : undefined;
}

/**
 * VethNameForWorkload: the host-side interface the CNI plugin made, `cali` (or the first prefix in
 * FELIX_INTERFACEPREFIX) + the first 11 hex digits of SHA-1(`<namespace>.<pod>`).
 */
export function interfaceName(namespace: string, pod: string, interfacePrefix = ''): string {
  const prefix = interfacePrefix === '' ? 'cali' : (interfacePrefix.split(',')[0] ?? '');
  return prefix + createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11);
}

interface PodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  serviceAccountName?: string;
  containers?: Container[];
  initContainers?: Container[];
}
interface Container {
  ports?: { name?: string; containerPort?: number; hostPort?: number; hostIP?: string; protocol?: string }[];
}
interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip?: string }[];
}

/** IsFinished: the pod no longer owns its addresses. */
function isFinished(pod: KubeObject, status: PodStatus): boolean {
  const ann = pod.metadata.annotations ?? {};
  if (pod.metadata['deletionTimestamp'] != null && (ann[A.podIP] === '' || ann[A.awsPodIPs] === ''))
    return true;
  return status.phase === 'Failed' || status.phase === 'Succeeded' || status.phase === 'Completed';
}

/** getPodIPs: status.podIPs, status.podIP, then Calico's and AWS's annotations, as masked networks. */
function podNetworks(pod: KubeObject, status: PodStatus): string[] {
  const ann = pod.metadata.annotations ?? {};
  const [plural, single, aws] = [ann[A.podIPs], ann[A.podIP], ann[A.awsPodIPs]];
  let ips: string[] = [];
  if (status.podIPs && status.podIPs.length > 0) ips = status.podIPs.map((p) => p.ip ?? '');
  else if (status.podIP) ips = [status.podIP];
  else if (plural) ips = plural.split(',');
  else if (single) ips = [single];
  else if (aws) ips = aws.split(',');
  return ips.map((ip) => {
    const net = parseCIDROrIP(ip);
    if (!net) throw new Error(`invalid CIDR address: ${ip}`);
    return formatCIDR(net);
  });
}

function stringList(text: string): string[] {
  let v: unknown;
  try {
    v = parseGoJson(text);
  } catch (err) {
    throw new Error(`failed to parse '${text}' as JSON: ${(err as Error).message}`);
  }
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`failed to parse '${text}' as JSON: not a list of strings`);
  return v as string[];
}

/** The floatingIPs annotation as NAT entries for the pod's v4 and v6 address. */
function floatingIPs(
  text: string | undefined,
  networks: readonly string[],
): { internalIP: string; externalIP: string }[] {
  if (text === undefined || networks.length === 0) return [];
  let v4: string | undefined;
  let v6: string | undefined;
  for (const n of networks) {
    const net = parseCIDR(n)!;
    const full = net.network.version === 4 ? 32 : 128;
    if (net.prefix !== full)
      throw new Error(
        `PodIP ${n} is not a valid IPv${net.network.version}: Mask size is ${net.prefix}, not ${full}`,
      );
    if (net.network.version === 4) v4 = n.slice(0, n.indexOf('/'));
    else v6 = n.slice(0, n.indexOf('/'));
  }
  const out: { internalIP: string; externalIP: string }[] = [];
  for (const ip of stringList(text)) {
    const internal = ip.includes(':') ? v6 : v4;
    if (internal !== undefined) out.push({ internalIP: internal, externalIP: ip });
  }
  return out;
}

/** HandleSourceIPSpoofingAnnotation: the allowed source prefixes, masked. */
function allowedSourcePrefixes(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return stringList(text).map((p) => {
    const net = parseCIDROrIP(p);
    if (!net) throw new Error(`failed to parse '${p}' as a CIDR: invalid CIDR address: ${p}`);
    return formatCIDR(net);
  });
}

const PROTOCOLS: Record<string, string> = { '': 'TCP', TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' };

/** appendEndpointPorts: named and host ports of the containers, then of the init containers. */
function endpointPorts(spec: PodSpec): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      const port = p.containerPort ?? 0;
      if (port === 0 || ((p.hostPort ?? 0) === 0 && (p.name ?? '') === '')) continue;
      const protocol = PROTOCOLS[p.protocol ?? ''];
      if (protocol === undefined) continue;
      out.push({ name: p.name ?? '', protocol, port, hostPort: p.hostPort ?? 0, hostIP: p.hostIP ?? '' });
    }
  }
  return out;
}

/** Only the non-empty fields, in the order given (Go's omitempty over a struct in declaration order). */
function omitEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([, v]) => v !== '' && v !== undefined && !(Array.isArray(v) && v.length === 0),
    ),
  );
}

/**
 * podToDefaultWorkloadEndpoint: the WorkloadEndpoint (as its etcd JSON value) of a pod, or undefined
 * for a pod Calico does not present (not scheduled, or on the host network). Throws where Calico's
 * conversion fails (an address or annotation that does not parse).
 */
export function presentPod(pod: KubeObject, interfacePrefix = ''): PresentedValue | undefined {
  const spec = (pod.spec ?? {}) as PodSpec;
  const status = (pod.status ?? {}) as PodStatus;
  if (!spec.nodeName || spec.hostNetwork === true) return undefined;
  const meta = pod.metadata;
  const namespace = meta.namespace ?? '';
  const podName = meta.name ?? '';
  const sa = spec.serviceAccountName ?? '';
  const name = workloadEndpointName(spec.nodeName, podName);
  let networks = podNetworks(pod, status);
  if (isFinished(pod, status)) networks = [];
  const ann = meta.annotations ?? {};
  const labels: Record<string, string> = {
    ...(meta.labels ?? {}),
    'projectcalico.org/namespace': namespace,
    'projectcalico.org/orchestrator': 'k8s',
    ...(sa !== '' && sa.length < 63 ? { 'projectcalico.org/serviceaccount': sa } : {}),
  };
  const networkStatus = ann[A.networkStatus];
  const value = encodeGoJson(
    {
      kind: 'WorkloadEndpoint',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name,
        generateName: meta['generateName'],
        namespace,
        uid: meta.uid,
        creationTimestamp: meta.creationTimestamp,
        labels,
        ...(networkStatus !== undefined ? { annotations: { [A.networkStatus]: networkStatus } } : {}),
      },
      spec: omitEmpty({
        orchestrator: 'k8s',
        node: spec.nodeName,
        containerID: ann[A.containerID],
        pod: podName,
        endpoint: 'eth0',
        serviceAccountName: sa,
        ipNetworks: networks,
        ipNATs: floatingIPs(ann[A.floatingIPs], networks),
        profiles: [
          `kns.${namespace}`,
          ...(sa !== '' ? [`ksa.${namespace === '' ? 'default' : namespace}.${sa}`] : []),
        ],
        interfaceName: interfaceName(namespace, podName, interfacePrefix),
        ports: endpointPorts(spec),
        allowSpoofedSourcePrefixes: allowedSourcePrefixes(ann[A.allowedSourcePrefixes]),
        qosControls: qosControls(ann),
      }),
    },
    wepSchema,
  );
  return { key: `${WORKLOAD_ENDPOINT_PREFIX}${namespace}/${name}`, value };
}

/** The pod a WorkloadEndpoint key names: `<prefix><namespace>/<node>-k8s-<pod>-eth0`. */
function locatePod(key: string): { collection: KubeCollection; name: string; namespace: string } | undefined {
  if (!key.startsWith(WORKLOAD_ENDPOINT_PREFIX)) return undefined;
  const parts = key.slice(WORKLOAD_ENDPOINT_PREFIX.length).split('/');
  if (parts.length !== 2 || parts[0] === '') return undefined;
  const pod = podOfWorkloadEndpoint(parts[1]!);
  return pod === undefined ? undefined : { collection: PODS, name: pod, namespace: parts[0]! };
}

/**
 * patchOutAnnotations: the strategic-merge patch a WorkloadEndpoint delete sends to the pod's status
 * (json.Marshal of a map: keys sorted), with the revision when the caller compares one.
 */
export function deletePatch(modRevision: number | undefined): Record<string, unknown> {
  return {
    metadata: {
      annotations: { [A.podIP]: '', [A.podIPs]: '' },
      ...(modRevision !== undefined ? { resourceVersion: String(modRevision) } : {}),
    },
  };
}

async function deleteWorkloadEndpoint(
  api: KubeApi,
  key: string,
  modRevision: number | undefined,
): Promise<KubeWriteResult> {
  const loc = locatePod(key);
  if (!loc) return { ok: false, reason: 'missing' };
  return api.patch(loc, deletePatch(modRevision), 'strategic-merge', 'status');
}

const PATCH_MODE = 'unsupported PatchMode: patchModeUnspecified';

export const workloadEndpointMapping: KddMapping = {
  kind: 'WorkloadEndpoint',
  prefix: WORKLOAD_ENDPOINT_PREFIX,
  collections: [PODS],
  // Pods come in namespace/pod order; the keys sort by namespace/node-k8s-pod: held and sorted.
  listOrder: () => false,
  locate: locatePod,
  namespaceOf: (start, end) => rangeNamespace(WORKLOAD_ENDPOINT_PREFIX, start, end),
  present: (obj) => presentPod(obj, process.env['FELIX_INTERFACEPREFIX'] ?? ''),
  toObject(key) {
    throw new Error(
      `operation Update is not supported on WorkloadEndpoint(${key.slice(WORKLOAD_ENDPOINT_PREFIX.length)}): ${PATCH_MODE}`,
    );
  },
  unsupported: { Create: PATCH_MODE, Update: PATCH_MODE },
  deletion: 'plain',
  delete: deleteWorkloadEndpoint,
};
