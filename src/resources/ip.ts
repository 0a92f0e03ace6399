/**
 * IP addresses and CIDRs with Go's net package semantics: what net.ParseIP / net.ParseCIDR accept
 * and how net.IP.String / net.IPNet.String print them, because Calico stores that text.
 */

import { createRequire } from 'node:module';

import type * as IPAddress from 'ip-address';

export type IPVersion = 4 | 6;

export interface IPAddr {
  version: IPVersion;
  /** The address as an unsigned integer (32 or 128 bits). */
  value: bigint;
}

export interface CIDR {
  /** The address as written (host bits may be set). */
  ip: IPAddr;
  /** The masked network address. */
  network: IPAddr;
  prefix: number;
}

function bits(version: IPVersion): number {
  return version === 4 ? 32 : 128;
}

/**
 * An IPv4 address as a number: four decimal octets, as Go reads them (no empty octet, no leading
 * zero, none above 255). Digits are read here, not by a regular expression and BigInt shifts per
 * octet: a node check or a block listing parses tens of thousands of addresses.
 */
export function parseIPv4(text: string): number | undefined {
  let value = 0;
  let i = 0;
  for (let octets = 1; ; octets++) {
    const start = i;
    let octet = 0;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i))
      octet = octet * 10 + c - 0x30;
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 0x30) || octet > 255) {
      return undefined;
    }
    value = value * 256 + octet;
    if (octets === 4) return i === text.length ? value : undefined;
    if (text.charCodeAt(i) !== 0x2e) return undefined; // '.'
    i++;
  }
}

/**
 * IPv6 with an IPv4 tail (`::ffff:10.0.0.1`, `64:ff9b::192.0.2.1`): rare in what Calico stores and
 * never in a block key, so it is left to ip-address, loaded on first use, which accepts exactly what
 * Go's net.ParseIP does there (no leading zeros in the tail; test/unit/resources/ip.test.ts). Zones
 * and prefixes, which ip-address would take too, are refused first.
 */
function parseMixedIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const { Address6 } = createRequire(import.meta.url)('ip-address') as typeof IPAddress;
  try {
    return new Address6(text).bigInt();
  } catch {
    return undefined;
  }
}

function parseIPv6(text: string): bigint | undefined {
  if (text.includes('.')) return parseMixedIPv6(text);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = parseGroups(halves[0] ?? '');
  const right = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an IPv4 or IPv6 address as Go's net.ParseIP does (no zones, no leading zeros in IPv4). */
export function parseIP(text: string): IPAddr | undefined {
  if (text.includes(':')) {
    const value = parseIPv6(text);
    if (value === undefined) return undefined;
    // Go treats IPv4-mapped IPv6 (::ffff:a.b.c.d) as an IPv4 address.
    if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
    return { version: 6, value };
  }
  const value = parseIPv4(text);
  return value === undefined ? undefined : { version: 4, value: BigInt(value) };
}

/** Go's net.IP.String: dotted quad, or RFC 5952 (lower case, longest zero run of 2+ as ::). */
export function formatIP(ip: IPAddr): string {
  if (ip.version === 4) {
    const v = Number(ip.value);
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  return formatIPv6Groups(ipv6Groups(ip.value));
}

/** An IPv6 address's eight 16-bit groups, first to last. */
export function ipv6Groups(value: bigint): number[] {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

/**
 * An IPv6 address's text (Go's net.IP.String) from its eight 16-bit groups, first to last: for a
 * caller that makes many addresses from one (a block's), without a BigInt per address.
 */
export function formatIPv6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':');
  return `${left}::${right}`;
}

/** The netmask of every prefix length of each family, made once (a mask per lookup was five BigInts). */
const MASKS: Record<IPVersion, readonly bigint[]> = { 4: masks(32), 6: masks(128) };

function masks(total: number): bigint[] {
  const all = (1n << BigInt(total)) - 1n;
  return Array.from({ length: total + 1 }, (_, prefix) => all ^ ((1n << BigInt(total - prefix)) - 1n));
}

function maskOf(version: IPVersion, prefix: number): bigint {
  return MASKS[version][prefix]!;
}

/**
 * The prefix length of a CIDR, the decimal digits from text[from] to its end (at least one), as Go's
 * net.ParseCIDR reads them; undefined when there are none, another character, or it is above max.
 */
export function parsePrefixLength(text: string, from: number, max: number): number | undefined {
  if (from >= text.length) return undefined;
  let prefix = 0;
  for (let i = from; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    prefix = prefix * 10 + digit;
    if (prefix > max) return undefined;
  }
  return prefix;
}

/** Go's net.ParseCIDR: "addr/prefix" with a decimal prefix within the family's width. */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  if (!ip) return undefined;
  const prefix = parsePrefixLength(text, slash + 1, bits(ip.version));
  if (prefix === undefined) return undefined;
  // An IPv4-mapped address with a /96+ mask is IPv4 in Go; keep it simple and reject mixing.
  if (ip.version === 4 && text.slice(0, slash).includes(':')) return undefined;
  const network = { version: ip.version, value: ip.value & maskOf(ip.version, prefix) };
  return { ip, network, prefix };
}

/** Like Calico's cnet.ParseCIDROrIP: a bare address counts as a full-length prefix. */
export function parseCIDROrIP(text: string): CIDR | undefined {
  if (text.includes('/')) return parseCIDR(text);
  const ip = parseIP(text);
  if (!ip || (ip.version === 4 && text.includes(':'))) return undefined;
  return { ip, network: ip, prefix: bits(ip.version) };
}

/** Go's net.IPNet.String of the masked network. */
export function formatCIDR(cidr: Pick<CIDR, 'network' | 'prefix'>): string {
  return `${formatIP(cidr.network)}/${cidr.prefix}`;
}

/** The last address of the network. */
export function lastAddress(cidr: Pick<CIDR, 'network' | 'prefix'>): bigint {
  const host = BigInt(bits(cidr.network.version) - cidr.prefix);
  return cidr.network.value | ((1n << host) - 1n);
}

/** True when the two networks share an address (cnet.IPNet.IsNetOverlap). */
export function cidrsOverlap(
  a: Pick<CIDR, 'network' | 'prefix'>,
  b: Pick<CIDR, 'network' | 'prefix'>,
): boolean {
  if (a.network.version !== b.network.version) return false;
  return a.network.value <= lastAddress(b) && b.network.value <= lastAddress(a);
}

/** True when inner lies entirely within outer. */
export function cidrContains(
  outer: Pick<CIDR, 'network' | 'prefix'>,
  inner: Pick<CIDR, 'network' | 'prefix'>,
): boolean {
  return (
    outer.network.version === inner.network.version &&
    outer.prefix <= inner.prefix &&
    (inner.network.value & maskOf(outer.network.version, outer.prefix)) === outer.network.value
  );
}
