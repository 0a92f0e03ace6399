/**
 * IPAM block keys and ordinal arithmetic (libcalico-go `model/block.go`): a block key is
 * `/calico/ipam/v2/assignment/ipv<4|6>/block/<network>-<prefix>`, and ordinal i of a block is the
 * address network + i (128-bit arithmetic for IPv6, hence bigint).
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

/** The block key of a network, as BlockKey.defaultPath writes it. */
export function blockKey(net: Network): string {
  return `${BLOCK_PREFIX}ipv${net.network.version}/block/${formatCIDR(net).replace('/', '-')}`;
}

/** The network named by a block key, or undefined where Calico's lister would skip the key. */
export function parseBlockKey(key: string): Network | undefined {
  const m = BLOCK_KEY.exec(key);
  if (!m) return undefined;
  const cidr = parseCIDR(m[1]!.replace('-', '/'));
  return cidr ? { network: cidr.network, prefix: cidr.prefix } : undefined;
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
