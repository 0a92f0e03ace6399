/**
 * Every IPAM key, spelled here and nowhere else (libcalico-go `model/block.go`,
 * `block_affinity.go`, `ipam_handle.go`, `ipam_config.go`), and block ordinal arithmetic:
 * - a block: `/calico/ipam/v2/assignment/ipv<4|6>/block/<network>-<prefix>`; ordinal i of a block
 *   is the address network + i (128-bit arithmetic for IPv6, hence bigint);
 * - an affinity: `/calico/ipam/v2/<host|virtual>/<host>/ipv<4|6>/block/<network>-<prefix>`;
 * - a handle: `/calico/ipam/v2/handle/<id>`; the configuration: `/calico/ipam/v2/config`.
 */
import { formatCIDR, formatIP, parseCIDR, type CIDR, type IPAddr, type IPVersion } from '../resources/ip.js';

export const IPAM_PREFIX = '/calico/ipam/v2/';
export const BLOCK_PREFIX = '/calico/ipam/v2/assignment/';
export const HANDLE_PREFIX = '/calico/ipam/v2/handle/';
export const IPAM_CONFIG_KEY = '/calico/ipam/v2/config';

export type Network = Pick<CIDR, 'network' | 'prefix'>;

const BLOCK_KEY = /^\/?calico\/ipam\/v2\/assignment\/ipv.\/block\/([^/]+)$/;

export function bitsOf(version: IPVersion): number {
  return version === 4 ? 32 : 128;
}

/** Where the blocks of one IP version are stored. */
export function versionBlockPrefix(version: IPVersion): string {
  return `${BLOCK_PREFIX}ipv${version}/block/`;
}

export type AffinityType = 'host' | 'virtual';

/** Where one host's affinities of one IP version are stored (BlockAffinityKey.defaultPath). */
export function affinityPrefix(type: AffinityType, host: string, version: IPVersion): string {
  return `${IPAM_PREFIX}${type}/${host}/ipv${version}/block/`;
}

/** The legacy IPAM host object of a node (IPAMHostKey.defaultPath): only read and deleted. */
export function ipamHostKey(host: string): string {
  return `${IPAM_PREFIX}host/${host}`;
}

/** The affinity key of a block for a host (BlockAffinityKey.defaultPath). */
export function affinityKey(type: AffinityType, host: string, net: Network): string {
  return affinityPrefix(type, host, net.network.version) + formatCIDR(net).replace('/', '-');
}

const AFFINITY_KEY = /^\/calico\/ipam\/v2\/(host|virtual)\/([^/]+)\/ipv[46]\/block\/([^/]+)$/;

/**
 * An affinity key's parts: its host, and its block as written (`<network>-<prefix>`, not parsed, so
 * that a check can name what is stored), or undefined for a key of another shape.
 */
export function parseAffinityKey(
  key: string,
): { type: AffinityType; host: string; block: string } | undefined {
  const m = AFFINITY_KEY.exec(key);
  return m ? { type: m[1] as AffinityType, host: m[2]!, block: m[3]! } : undefined;
}

/** The block key of a network, as BlockKey.defaultPath writes it. */
export function blockKey(net: Network): string {
  return `${BLOCK_PREFIX}ipv${net.network.version}/block/${formatCIDR(net).replace('/', '-')}`;
}

/** The network named by a block key, or undefined where Calico's lister would skip the key. */
export function parseBlockKey(key: string): Network | undefined {
  return blockKeyNetwork(key)?.net;
}

/** A block key's network and its canonical text (Go's IPNet.String), or undefined as parseBlockKey. */
export function blockKeyNetwork(key: string): { net: Network; text: string } | undefined {
  const quick = key.startsWith(V4_BLOCK_PREFIX) ? canonicalV4Block(key, V4_BLOCK_PREFIX.length) : undefined;
  if (quick) return quick;
  const m = BLOCK_KEY.exec(key);
  const cidr = m ? parseCIDR(m[1]!.replace('-', '/')) : undefined;
  if (!cidr) return undefined;
  const net = { network: cidr.network, prefix: cidr.prefix };
  return { net, text: formatCIDR(net) };
}

const V4_BLOCK_PREFIX = `${BLOCK_PREFIX}ipv4/block/`;

/**
 * key[from..] as an IPv4 block network if it is written exactly as Calico writes one (decimal
 * octets and prefix without leading zeros, host bits zero), else undefined and the general parser
 * decides. Ten thousand blocks are listed per `ipam show`: this is the common case, without
 * regular expressions or a formatted copy of the text.
 */
function canonicalV4Block(key: string, from: number): { net: Network; text: string } | undefined {
  let value = 0;
  let i = from;
  let dash = -1;
  // Four octets ended by '.', '.', '.', '-', then the prefix ended by the end of the key.
  for (let field = 0; field < 5; field++) {
    const start = i;
    let n = 0;
    for (let c = key.charCodeAt(i); c >= 0x30 && c <= 0x39; c = key.charCodeAt(++i)) n = n * 10 + c - 0x30;
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && key.charCodeAt(start) === 0x30)) return undefined;
    if (field === 4) {
      if (n > 32 || i !== key.length || value % 2 ** (32 - n) !== 0) return undefined;
      return {
        net: { network: { version: 4, value: BigInt(value) }, prefix: n },
        text: `${key.slice(from, dash)}/${key.slice(dash + 1)}`,
      };
    }
    if (n > 255 || key.charCodeAt(i) !== (field < 3 ? 0x2e : 0x2d)) return undefined; // '.', '-'
    if (field === 3) dash = i;
    value = value * 256 + n;
    i++;
  }
  return undefined;
}

/** Number of addresses of a network (2^(bits - prefix)). */
export function networkSize(net: Network): bigint {
  return 1n << BigInt(bitsOf(net.network.version) - net.prefix);
}

/** The address at ordinal ord of the block. */
export function ordinalToIP(block: Network, ord: number): IPAddr {
  return { version: block.network.version, value: block.network.value + BigInt(ord) };
}

/** The ordinal of ip within block, or undefined when ip lies outside it. */
export function ipToOrdinal(block: Network, ip: IPAddr): number | undefined {
  if (ip.version !== block.network.version) return undefined;
  const ord = ip.value - block.network.value;
  if (ord < 0n || ord >= networkSize(block)) return undefined;
  return Number(ord);
}

/** The block of the given size holding ip (getBlockCIDRForAddress). */
export function blockContaining(ip: IPAddr, blockSize: number): Network {
  const host = BigInt(bitsOf(ip.version) - blockSize);
  return { network: { version: ip.version, value: (ip.value >> host) << host }, prefix: blockSize };
}

export function ipText(ip: IPAddr): string {
  return formatIP(ip);
}

export function networkText(net: Network): string {
  return formatCIDR(net);
}
