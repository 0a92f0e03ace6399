/**
 * Calico Nodes from core Kubernetes Nodes (libcalico-go v3.32.1 k8s/resources/node.go): a Calico
 * Node is presented for every Kubernetes Node, built from its annotations, labels and addresses, as
 * the etcd value Calico's etcd backend would hold for that Node; an update of one is written back into
 * the Node's annotations with a PUT of `nodes/<name>/status`. Create and Delete are refused, as
 * Calico's node client refuses them (kdd.md §5.1).
 *
 * Not reproduced: `usePodCIDR` (host-local IPAM, where the IPIP and WireGuard addresses come from the
 * pod CIDR instead of the annotations); the Kubernetes datastore here always reads the annotations.
 */
import { encodeGoJson, parseGoJson, S } from '../../../codec/go-json.js';
import { parseGoInt } from '../../../codec/go-strconv.js';
import { InputError } from '../../../errors.js';
import { parseCIDROrIP, parseIP } from '../../../resources/ip.js';
import { node as nodeKind } from '../../../resources/kinds/node.js';
import { NODE_PREFIX } from '../../../resources/well-known-keys.js';
import type { KddMapping, KubeApi, KubeObject, KubeWriteResult, PresentedValue } from '../mapping.js';
import { NODES } from './collections.js';

/** The annotations a Calico Node is kept in (node.go, resources.go). */
export const NODE_ANNOTATIONS = {
  labels: 'projectcalico.org/labels',
  annotations: 'projectcalico.org/annotations',
  kubeLabels: 'projectcalico.org/kube-labels',
  ipv4Address: 'projectcalico.org/IPv4Address',
  ipv6Address: 'projectcalico.org/IPv6Address',
  asNumber: 'projectcalico.org/ASNumber',
  routeReflectorClusterID: 'projectcalico.org/RouteReflectorClusterID',
  ipv4IPIPTunnelAddr: 'projectcalico.org/IPv4IPIPTunnelAddr',
  ipv4VXLANTunnelAddr: 'projectcalico.org/IPv4VXLANTunnelAddr',
  vxlanTunnelMACAddr: 'projectcalico.org/VXLANTunnelMACAddr',
  ipv6VXLANTunnelAddr: 'projectcalico.org/IPv6VXLANTunnelAddr',
  vxlanTunnelMACAddrV6: 'projectcalico.org/VXLANTunnelMACAddrV6',
  wireguardIPv4: 'projectcalico.org/IPv4WireguardInterfaceAddr',
  wireguardIPv6: 'projectcalico.org/IPv6WireguardInterfaceAddr',
  wireguardPublicKey: 'projectcalico.org/WireguardPublicKey',
  wireguardPublicKeyV6: 'projectcalico.org/WireguardPublicKeyV6',
  interfaces: 'projectcalico.org/Interfaces',
} as const;
const A = NODE_ANNOTATIONS;

const stringMap = S.map(S.string());

type Validator = (value: string) => boolean;

/** validatorv3.ValidateCIDRv4/v6: an address or a CIDR (host bits allowed) of the family. */
const cidrOf =
  (version: 4 | 6): Validator =>
  (v) =>
    parseCIDROrIP(v)?.ip.version === version;
/** validatorv3.ValidateIPv4Network/IPv6Network: an address, or a CIDR without host bits. */
const networkOf =
  (version: 4 | 6): Validator =>
  (v) => {
    const c = parseCIDROrIP(v);
    return c !== undefined && c.ip.version === version && c.ip.value === c.network.value;
  };
/** Go's net.ParseMAC: 6, 8 or 20 bytes, as xx:xx.., xx-xx.. or xxxx.xxxx.. */
const isMAC: Validator = (v) => {
  const groups = (sep: string, width: number) =>
    v.split(sep).every((g) => g.length === width && /^[0-9a-fA-F]+$/.test(g)) ? v.split(sep).length : 0;
  const bytes = v.includes('.') ? groups('.', 4) * 2 : v.includes('-') ? groups('-', 2) : groups(':', 2);
  return bytes === 6 || bytes === 8 || bytes === 20;
};

/** getAnnotation: the annotation's value when it passes the check, else "" (Calico ignores it). */
function annotation(annotations: Record<string, string>, key: string, valid: Validator): string {
  const value = annotations[key] ?? '';
  return value !== '' && valid(value) ? value : '';
}

/** numorstring.ASNumberFromString: a uint32, or `<uint16>.<uint16>` (asdot). */
export function parseASNumber(text: string): number | undefined {
  const plain = parseGoInt(text, 10, false);
  if (plain !== undefined) return plain <= 0xffffffffn ? Number(plain) : undefined;
  const parts = text.split('.');
  if (parts.length !== 2) return undefined;
  const [hi, lo] = parts.map((p) => parseGoInt(p, 10, false));
  if (hi === undefined || lo === undefined || hi > 0xffffn || lo > 0xffffn) return undefined;
  return Number((hi << 16n) + lo);
}

/** json.Unmarshal into map[string]string: the map, null for JSON null, undefined when it does not decode. */
function parseStringMap(text: string): Record<string, string> | null | undefined {
  try {
    const v = parseGoJson(text);
    if (v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) return undefined;
    return Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

interface NodeInterface {
  name?: string;
  addresses?: string[];
}

/** fillAllInterfaces: the Interfaces annotation as a list, addresses that are no IP dropped. */
function interfacesFrom(text: string | undefined): NodeInterface[] | undefined {
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = parseGoJson(text);
  } catch {
    return undefined;
  }
  if (raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  const out: NodeInterface[] = [];
  for (const item of raw) {
    if (item === null) {
      out.push({});
      continue;
    }
    if (typeof item !== 'object' || Array.isArray(item)) return undefined;
    const { name, addresses } = item as Record<string, unknown>;
    if ((name !== undefined && typeof name !== 'string') || (addresses != null && !Array.isArray(addresses)))
      return undefined;
    if (Array.isArray(addresses) && addresses.some((a) => typeof a !== 'string')) return undefined;
    out.push({
      ...(name !== undefined ? { name } : {}),
      ...(Array.isArray(addresses)
        ? { addresses: (addresses as string[]).filter((a) => parseIP(a) !== undefined) }
        : {}),
    });
  }
  return out;
}

interface KubeNodeParts {
  podCIDRs?: string[];
  addresses?: { type?: string; address?: string }[];
}

/** K8sNodeToCalico: the Calico Node (as its etcd JSON value) a Kubernetes Node is presented as. */
export function presentNode(node: KubeObject): PresentedValue {
  const meta = node.metadata;
  const name = meta.name ?? '';
  const annotations = meta.annotations ?? {};
  const kubeLabels = meta.labels;

  // SetCalicoMetadataFromK8sAnnotations, then mergeCalicoAndK8sLabels.
  const labelsText = annotations[A.labels];
  const annotationsText = annotations[A.annotations];
  let labels = labelsText !== undefined ? parseStringMap(labelsText) : undefined;
  const calicoAnnotations = annotationsText !== undefined ? parseStringMap(annotationsText) : undefined;
  if (kubeLabels && Object.keys(kubeLabels).length > 0) labels = { ...(labels ?? {}), ...kubeLabels };
  const calicoAnns: Record<string, string> = {
    ...(calicoAnnotations ?? {}),
    [A.kubeLabels]: encodeGoJson(kubeLabels ?? null, stringMap),
  };

  const bgp: Record<string, unknown> = {};
  const ipv4Address = annotation(annotations, A.ipv4Address, cidrOf(4));
  const ipv6Address = annotation(annotations, A.ipv6Address, cidrOf(6));
  if (ipv4Address) bgp['ipv4Address'] = ipv4Address;
  if (ipv6Address) bgp['ipv6Address'] = ipv6Address;
  const rr = annotation(annotations, A.routeReflectorClusterID, networkOf(4));
  if (rr) bgp['routeReflectorClusterID'] = rr;
  const asnText = annotations[A.asNumber];
  if (asnText !== undefined) {
    const asn = parseASNumber(asnText);
    if (asn !== undefined) bgp['asNumber'] = asn;
  }
  const ipip = annotation(annotations, A.ipv4IPIPTunnelAddr, networkOf(4));
  if (ipip) bgp['ipv4IPIPTunnelAddr'] = ipip;
  const wireguard: Record<string, string> = {};
  const wg4 = annotation(annotations, A.wireguardIPv4, networkOf(4));
  const wg6 = annotation(annotations, A.wireguardIPv6, networkOf(6));
  if (wg4) wireguard['interfaceIPv4Address'] = wg4;
  if (wg6) wireguard['interfaceIPv6Address'] = wg6;

  const kubeSpec = (node.spec ?? {}) as KubeNodeParts;
  const kubeStatus = (node.status ?? {}) as KubeNodeParts;
  // fillAllAddresses: the BGP addresses, then the Node's internal and external ones.
  const addresses: { address: string; type: string }[] = [];
  if (ipv4Address) addresses.push({ address: ipv4Address, type: 'CalicoNodeIP' });
  if (ipv6Address) addresses.push({ address: ipv6Address, type: 'CalicoNodeIP' });
  for (const a of kubeStatus.addresses ?? [])
    if (a.type === 'InternalIP' || a.type === 'ExternalIP')
      addresses.push({ address: a.address ?? '', type: a.type });

  const spec: Record<string, unknown> = {
    ...(Object.keys(bgp).length > 0 ? { bgp } : {}),
    ipv4VXLANTunnelAddr: annotation(annotations, A.ipv4VXLANTunnelAddr, networkOf(4)),
    vxlanTunnelMACAddr: annotation(annotations, A.vxlanTunnelMACAddr, isMAC),
    ipv6VXLANTunnelAddr: annotation(annotations, A.ipv6VXLANTunnelAddr, networkOf(6)),
    vxlanTunnelMACAddrV6: annotation(annotations, A.vxlanTunnelMACAddrV6, isMAC),
    orchRefs: [{ nodeName: name, orchestrator: 'k8s' }],
    ...(Object.keys(wireguard).length > 0 ? { wireguard } : {}),
    addresses,
    interfaces: interfacesFrom(annotations[A.interfaces]),
  };
  const status = {
    wireguardPublicKey: annotations[A.wireguardPublicKey] ?? '',
    wireguardPublicKeyV6: annotations[A.wireguardPublicKeyV6] ?? '',
    podCIDRs: kubeSpec.podCIDRs ?? [],
  };
  const value = encodeGoJson(
    {
      kind: 'Node',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name,
        uid: meta.uid,
        creationTimestamp: meta.creationTimestamp,
        labels: labels ?? undefined,
        annotations: calicoAnns,
      },
      spec,
      status,
    },
    nodeKind.schema,
  );
  return { key: NODE_PREFIX + name, value };
}

interface CalicoNodeValue {
  metadata?: { labels?: Record<string, string> | null; annotations?: Record<string, string> | null };
  spec?: {
    bgp?: {
      asNumber?: number | string;
      ipv4Address?: string;
      ipv6Address?: string;
      ipv4IPIPTunnelAddr?: string;
      routeReflectorClusterID?: string;
    } | null;
    ipv4VXLANTunnelAddr?: string;
    vxlanTunnelMACAddr?: string;
    ipv6VXLANTunnelAddr?: string;
    vxlanTunnelMACAddrV6?: string;
    wireguard?: { interfaceIPv4Address?: string; interfaceIPv6Address?: string } | null;
    interfaces?: NodeInterface[] | null;
  };
  status?: { wireguardPublicKey?: string; wireguardPublicKeyV6?: string };
}

/**
 * mergeCalicoNodeIntoK8sNode: the Kubernetes Node with the Calico Node (its etcd JSON value) written
 * into its annotations; labels inherited from Kubernetes (the kube-labels stash) are not written
 * back, and nothing but annotations changes.
 */
export function mergeNodeIntoKube(value: string, current: KubeObject): KubeObject {
  let calico: CalicoNodeValue;
  try {
    calico = parseGoJson(value) as CalicoNodeValue;
  } catch (err) {
    throw new InputError(`cannot store Node ${current.metadata.name ?? ''}: ${(err as Error).message}`);
  }
  const labels = { ...(calico.metadata?.labels ?? {}) };
  const calicoAnns = { ...(calico.metadata?.annotations ?? {}) };
  // restoreCalicoLabels: drop every label Kubernetes owns, and the stash itself.
  const stash = calicoAnns[A.kubeLabels];
  if (stash !== undefined && stash !== '') {
    const kube = parseStringMap(stash);
    if (kube === undefined)
      throw new InputError(
        `Node ${current.metadata.name ?? ''}: annotation ${A.kubeLabels} is not a JSON map of strings`,
      );
    for (const k of Object.keys(kube ?? {})) Reflect.deleteProperty(labels, k);
    Reflect.deleteProperty(calicoAnns, A.kubeLabels);
  }
  const out: Record<string, string> = { ...(current.metadata.annotations ?? {}) };
  const set = (key: string, v: string | undefined) => {
    if (v) out[key] = v;
    else Reflect.deleteProperty(out, key);
  };
  // SetK8sAnnotationsFromCalicoMetadata.
  set(A.labels, Object.keys(labels).length > 0 ? encodeGoJson(labels, stringMap) : undefined);
  set(A.annotations, Object.keys(calicoAnns).length > 0 ? encodeGoJson(calicoAnns, stringMap) : undefined);
  const spec = calico.spec ?? {};
  set(A.ipv4VXLANTunnelAddr, spec.ipv4VXLANTunnelAddr);
  set(A.vxlanTunnelMACAddr, spec.vxlanTunnelMACAddr);
  set(A.ipv6VXLANTunnelAddr, spec.ipv6VXLANTunnelAddr);
  set(A.vxlanTunnelMACAddrV6, spec.vxlanTunnelMACAddrV6);
  const bgp = spec.bgp ?? undefined;
  set(A.ipv4Address, bgp?.ipv4Address);
  set(A.ipv4IPIPTunnelAddr, bgp?.ipv4IPIPTunnelAddr);
  set(A.ipv6Address, bgp?.ipv6Address);
  set(A.asNumber, bgp?.asNumber !== undefined ? asNumberText(bgp.asNumber) : undefined);
  set(A.routeReflectorClusterID, bgp?.routeReflectorClusterID);
  const wg = spec.wireguard ?? undefined;
  set(A.wireguardIPv4, wg?.interfaceIPv4Address);
  set(A.wireguardIPv6, wg?.interfaceIPv6Address);
  set(A.wireguardPublicKey, calico.status?.wireguardPublicKey);
  set(A.wireguardPublicKeyV6, calico.status?.wireguardPublicKeyV6);
  set(A.interfaces, spec.interfaces != null ? encodeGoJson(spec.interfaces, interfacesSchema) : undefined);
  return { ...current, metadata: { ...current.metadata, annotations: out } };
}

/** []NodeInterface as json.Marshal writes it into the Interfaces annotation. */
const interfacesSchema = S.slice(
  S.struct([
    { name: 'name', schema: S.string(), omitempty: true },
    { name: 'addresses', schema: S.slice(S.string()), omitempty: true },
  ]),
);

/** ASNumber.String(): the plain decimal number. */
function asNumberText(asn: number | string | bigint): string {
  return typeof asn === 'string' ? String(parseASNumber(asn) ?? asn) : String(asn);
}

/**
 * nodeClient.Update: the Node is read afresh and the Calico Node merged into it, then PUT to
 * `nodes/<name>/status` at the revision just read. Calico sends that fresh revision whatever the
 * caller read; here the caller's revision must still be the Node's (the compare-and-swap every
 * update makes), so a Node changed in between is a conflict, not overwritten.
 */
async function updateNode(
  api: KubeApi,
  key: string,
  value: string,
  modRevision: number,
): Promise<KubeWriteResult> {
  const loc = nodeMapping.locate(key);
  if (!loc) return { ok: false, reason: 'missing' };
  const current = await api.get(loc);
  if (!current) return { ok: false, reason: 'missing' };
  if (current.metadata.resourceVersion !== String(modRevision)) return { ok: false, reason: 'conflict' };
  return api.replace(NODES, mergeNodeIntoKube(value, current), 'status');
}

export const nodeMapping: KddMapping = {
  kind: 'Node',
  prefix: NODE_PREFIX,
  collections: [NODES],
  // Node names are the keys' last segment: the apiserver's name order is the key order.
  listOrder: 'key',
  locate(key) {
    const name = key.slice(NODE_PREFIX.length);
    return key.startsWith(NODE_PREFIX) && name !== '' && !name.includes('/')
      ? { collection: NODES, name }
      : undefined;
  },
  present: (obj) => presentNode(obj),
  toObject(key, value, current) {
    if (!current)
      throw new InputError(
        `cannot create Node ${key.slice(NODE_PREFIX.length)}: Calico Nodes are Kubernetes Nodes`,
      );
    return mergeNodeIntoKube(value, current);
  },
  unsupported: { Create: true, Delete: true },
  deletion: 'plain',
  update: updateNode,
};
