/**
 * What `ipam check` reads, decoded as calicoctl v3.32.1 reads it: libcalico-go's etcd lister skips a
 * value json.Unmarshal rejects (`etcdv3/conversion.go` convertListResponse), so every reader here
 * returns either the value or an `Unreadable` (key and reason) that the check lists after
 * calicoctl's part and never lets anything release. Addresses follow `cnet.ParseCIDROrIP`
 * (IPv4-mapped IPv6 reads as IPv4); block CIDRs follow `cnet.IPNet.UnmarshalJSON`.
 */
import { parseGoJson } from '../codec/go-json.js';
import type { KeyValue } from '../datastore/contract.js';
import { formatCIDR, formatIP, parseCIDR, parseIP } from '../resources/ip.js';
import { parseBlockKey, type Network } from './keys.js';
import { CorruptBlockError, decodeBlock, type AllocationBlock } from './block.js';

export interface Unreadable {
  key: string;
  reason: string;
}

export const isUnreadable = (v: object): v is Unreadable => 'reason' in v;

/**
 * normaliseIP (check.go): cnet.ParseCIDROrIP then IP.String. Go's net.ParseCIDR takes an
 * IPv4-mapped address with a prefix up to 128 and the IP comes back as IPv4 (`To4`); a bare address
 * is tried as a CIDR first, then as an IP. The error is the CIDR parser's.
 */
export function normaliseIP(text: string): string | undefined {
  const slash = text.indexOf('/');
  const ip = parseIP(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  if (slash >= 0) {
    const prefix = text.slice(slash + 1);
    const width = text.slice(0, slash).includes(':') ? 128 : 32;
    if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > width) return undefined;
  }
  return formatIP(ip);
}

/** Go's error text for an address normaliseIP rejects. */
export const invalidCIDR = (text: string): string => `invalid CIDR address: ${text}`;

/** A block as calicoctl's part of the check reads it. */
export interface CheckedBlock {
  key: string;
  net: Network;
  /** The header's CIDR: Go's IPNet.String of the stored `cidr`. */
  cidr: string;
  value: AllocationBlock;
}

/**
 * A block calicoctl would read but that cannot be checked safely: it would number ordinals outside
 * the block (host bits in `cidr`, more allocations than addresses) or index attributes with a
 * negative number (calicoctl panics). Its addresses could name another block's, so it is reported
 * as invalid and kept out of the report.
 */
export interface RejectedBlock {
  key: string;
  /** BlockKey(cidr=...) of the key. */
  label: string;
  reason: string;
}

export const isRejected = (v: object): v is RejectedBlock => 'label' in v;

/** undefined: not a block key (calicoctl's lister ignores it). */
export function readBlock(
  kv: KeyValue,
  exact: boolean,
): CheckedBlock | RejectedBlock | Unreadable | undefined {
  const keyNet = parseBlockKey(kv.key);
  if (!keyNet) return undefined;
  const text = kv.value;
  const own: KeyValue = { ...kv, value: text };
  let decoded;
  try {
    decoded = decodeBlock(own);
  } catch {
    // The exact decoder's reasons do not depend on the Node.js version.
    try {
      decodeBlock(own, { exact: true });
    } catch (err) {
      return { key: kv.key, reason: err instanceof CorruptBlockError ? err.reason : String(err) };
    }
    return { key: kv.key, reason: 'cannot be decoded' };
  }
  // Sequence numbers above 2^53 lose precision in JSON.parse; the report needs them exact.
  const seqs = decoded.value.sequenceNumberForAllocation;
  if (exact && seqs && !Object.values(seqs).every(isSafe)) {
    const exactSeqs = exactSequenceNumbers(text, seqs);
    if (exactSeqs) decoded.value.sequenceNumberForAllocation = exactSeqs;
    else decoded = decodeBlock(own, { exact: true });
  }
  const { net, value } = decoded;
  const written = parseCIDR(value.cidr)!.ip;
  if (written.value !== net.network.value) {
    return rejected(kv.key, keyNet, `cidr ${value.cidr} has host bits set: not checked, and never released`);
  }
  return (
    shapeProblem(kv.key, keyNet, net, value.allocations ?? []) ?? {
      key: kv.key,
      net,
      cidr: formatCIDR(net),
      value,
    }
  );
}

const rejected = (key: string, keyNet: Network, reason: string): RejectedBlock => ({
  key,
  label: `BlockKey(cidr=${formatCIDR(keyNet)})`,
  reason,
});

/**
 * Why a block (keyed by keyNet, of network net) cannot be numbered safely, whichever reader read
 * it: more allocations than addresses, or a negative attribute index.
 */
export function shapeProblem(
  key: string,
  keyNet: Network,
  net: Network,
  allocations: readonly (number | null)[],
): RejectedBlock | undefined {
  const size = 2 ** ((net.network.version === 4 ? 32 : 128) - net.prefix);
  if (allocations.length > size) {
    return rejected(
      key,
      keyNet,
      `allocations has ${allocations.length} entries but the block has ${size} addresses: not checked, and never released`,
    );
  }
  if (allocations.some((idx) => idx !== null && idx < 0)) {
    return rejected(
      key,
      keyNet,
      'allocations holds a negative attribute index: not checked, and never released',
    );
  }
  return undefined;
}

const isSafe = (n: number | bigint): boolean => typeof n === 'bigint' || Number.isSafeInteger(n);

const SEQUENCES_FIELD = '"sequenceNumberForAllocation":';

/**
 * The block's sequenceNumberForAllocation parsed exactly on its own (Go writes it after the
 * attributes, as one flat object), or undefined when the text is laid out otherwise or the result
 * does not agree with the full decode, so that the whole value is decoded exactly instead.
 */
function exactSequenceNumbers(
  text: string,
  approximate: Record<string, number | bigint>,
): Record<string, number | bigint> | undefined {
  const open = text.lastIndexOf(SEQUENCES_FIELD) + SEQUENCES_FIELD.length;
  const close = text.indexOf('}', open);
  if (open < SEQUENCES_FIELD.length || text[open] !== '{' || close < 0) return undefined;
  let exact: unknown;
  try {
    exact = parseGoJson(text.slice(open, close + 1));
  } catch {
    return undefined;
  }
  if (!isObject(exact)) return undefined;
  const keys = Object.keys(approximate);
  if (Object.keys(exact).length !== keys.length) return undefined;
  for (const k of keys) {
    const v = exact[k];
    if ((typeof v !== 'bigint' && typeof v !== 'number') || Number(v) !== Number(approximate[k]))
      return undefined;
  }
  return exact as Record<string, number | bigint>;
}

/**
 * Whether a handle value is one Go's decoder reads into `model.IPAMHandle` (`block` a map of
 * integers, `deleted` a boolean); the check needs nothing else from it.
 */
export function readHandle(kv: KeyValue): true | Unreadable {
  const text = kv.value;
  if (PLAIN_HANDLE.test(text)) return true;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { key: kv.key, reason: jsonError(text) };
  }
  if (raw === null) return true;
  if (!isObject(raw)) return { key: kv.key, reason: 'not a JSON object' };
  const block = raw['block'];
  if (block !== undefined && block !== null) {
    if (!isObject(block)) return { key: kv.key, reason: 'block is not a map of integers' };
    for (const k in block) {
      if (!Number.isInteger(block[k])) return { key: kv.key, reason: 'block is not a map of integers' };
    }
  }
  const deleted = raw['deleted'];
  if (deleted !== undefined && deleted !== null && typeof deleted !== 'boolean') {
    return { key: kv.key, reason: 'deleted is not a boolean' };
  }
  return true;
}

/** Why text is not JSON, in words that do not depend on the Node.js version. */
function jsonError(text: string): string {
  try {
    parseGoJson(text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'invalid JSON';
}

/**
 * What Go writes for a handle (`{"block":{"<cidr>":<n>,...},"deleted":false}`): readable without
 * parsing it, which 300,000 handles would cost. Anything else is parsed.
 */
const PLAIN_HANDLE =
  /^\{"block":\{(?:"[^"\\]*":(?:0|[1-9][0-9]{0,17})(?:,"[^"\\]*":(?:0|[1-9][0-9]{0,17}))*)?\},"deleted":(?:false|true)\}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields of a v3 resource the check reads, typed as Go's struct would type them: a field of
 * the wrong JSON type makes json.Unmarshal fail, and the lister skip the whole value.
 */
function readResource(
  kv: KeyValue,
  fields: readonly (readonly [path: string, type: 'string' | 'object' | 'string[]'])[],
): Json | Unreadable {
  let raw: unknown;
  try {
    raw = JSON.parse(kv.value);
  } catch {
    return { key: kv.key, reason: jsonError(kv.value) };
  }
  if (!isObject(raw)) return { key: kv.key, reason: 'not a JSON object' };
  for (const [path, type] of fields) {
    let v: unknown = raw;
    for (const part of path.split('.')) v = isObject(v) ? v[part] : undefined;
    if (v === undefined || v === null) continue;
    const ok =
      type === 'object'
        ? isObject(v)
        : type === 'string'
          ? typeof v === 'string'
          : Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (!ok) {
      return {
        key: kv.key,
        reason: `${path} is not ${type === 'string[]' ? 'a list of strings' : `a ${type}`}`,
      };
    }
  }
  return raw;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const field = (o: Json, path: string): unknown =>
  path.split('.').reduce<unknown>((v, part) => (isObject(v) ? v[part] : undefined), o);

export interface CheckedNode {
  name: string;
  /** The tunnel addresses calicoctl's getNodeIPs reads, in its order: [Go field name, value]. */
  tunnels: [string, string][];
}

const NODE_FIELDS = [
  ['metadata', 'object'],
  ['metadata.name', 'string'],
  ['spec', 'object'],
  ['spec.ipv4VXLANTunnelAddr', 'string'],
  ['spec.wireguard', 'object'],
  ['spec.wireguard.interfaceIPv4Address', 'string'],
  ['spec.bgp', 'object'],
  ['spec.bgp.ipv4IPIPTunnelAddr', 'string'],
] as const;

export function readNode(kv: KeyValue): CheckedNode | Unreadable {
  const o = readResource(kv, NODE_FIELDS);
  if (isUnreadable(o)) return o;
  const tunnels: [string, string][] = [];
  for (const [name, path] of [
    ['IPv4VXLANTunnelAddr', 'spec.ipv4VXLANTunnelAddr'],
    ['Wireguard.InterfaceIPv4Address', 'spec.wireguard.interfaceIPv4Address'],
    ['IPv4IPIPTunnelAddr', 'spec.bgp.ipv4IPIPTunnelAddr'],
  ] as const) {
    const value = str(field(o, path));
    if (value !== '') tunnels.push([name, value]);
  }
  return { name: str(field(o, 'metadata.name')), tunnels };
}

export interface CheckedWorkload {
  namespace: string;
  name: string;
  ipNetworks: string[];
}

const WEP_FIELDS = [
  ['metadata', 'object'],
  ['metadata.name', 'string'],
  ['metadata.namespace', 'string'],
  ['spec', 'object'],
  ['spec.ipNetworks', 'string[]'],
] as const;

export function readWorkloadEndpoint(kv: KeyValue): CheckedWorkload | Unreadable {
  const o = readResource(kv, WEP_FIELDS);
  if (isUnreadable(o)) return o;
  return {
    namespace: str(field(o, 'metadata.namespace')),
    name: str(field(o, 'metadata.name')),
    ipNetworks: (field(o, 'spec.ipNetworks') as string[] | null | undefined) ?? [],
  };
}

const KCC_FIELDS = [
  ['spec', 'object'],
  ['spec.controllers', 'object'],
  ['spec.controllers.loadBalancer', 'object'],
] as const;

/** Whether KubeControllersConfiguration `default` configures the LoadBalancer controller. */
export function readLoadBalancerConfigured(kv: KeyValue): boolean | Unreadable {
  const o = readResource(kv, KCC_FIELDS);
  if (isUnreadable(o)) return o;
  const lb = field(o, 'spec.controllers.loadBalancer');
  return lb !== undefined && lb !== null;
}
