/**
 * Which of a few networks (the IP pools) holds a prefix spelled as Calico and `ip` spell them
 * (`10.65.1.0/26`, or a bare address for a full-length one). A node of a large cluster asks this of
 * each of its 10,000 blocks and of each of its kernel's routes, so an IPv4 prefix is read from its
 * text into a 32-bit number and compared with each network as numbers, with no BigInt made; an IPv6
 * one is parsed by parseCIDROrIP and compared with cidrContains.
 */
import {
  cidrContains,
  parseCIDR,
  parseCIDROrIP,
  parseIPv4,
  parsePrefixLength,
  type CIDR,
} from '../resources/ip.js';

/** A prefix as read from its text: IPv4 as a number, IPv6 as parsed. */
export interface Prefix {
  family: 4 | 6;
  prefix: number;
  /** The IPv4 address as written (host bits may be set), 0 for IPv6. */
  v4: number;
  /** The IPv6 prefix, undefined for IPv4. */
  v6: CIDR | undefined;
}

/**
 * What parseCIDROrIP reads, without a BigInt for IPv4: `a.b.c.d` (a /32) or `a.b.c.d/N` with N
 * decimal digits up to 32; undefined for what it refuses.
 */
export function readPrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  return slash < 0 ? readBare(text) : readNetwork(text, slash);
}

/** What parseCIDR reads (the prefix length required), as readPrefix. */
export function readCIDR(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  return slash < 0 ? undefined : readNetwork(text, slash);
}

/** What parseCIDROrIP reads of a bare address (no prefix length), as readPrefix. */
export function readAddress(text: string): Prefix | undefined {
  return text.includes('/') ? undefined : readBare(text);
}

function readBare(text: string): Prefix | undefined {
  if (text.includes(':')) return ipv6(parseCIDROrIP(text));
  const v4 = parseIPv4(text);
  return v4 === undefined ? undefined : { family: 4, prefix: 32, v4, v6: undefined };
}

function readNetwork(text: string, slash: number): Prefix | undefined {
  if (text.includes(':')) return ipv6(parseCIDR(text));
  const v4 = parseIPv4(text.slice(0, slash));
  if (v4 === undefined) return undefined;
  const prefix = parsePrefixLength(text, slash + 1, 32);
  return prefix === undefined ? undefined : { family: 4, prefix, v4, v6: undefined };
}

/** An IPv6 prefix that parseCIDR or parseCIDROrIP read from text with a colon (never IPv4). */
function ipv6(cidr: CIDR | undefined): Prefix | undefined {
  return cidr && { family: 6, prefix: cidr.prefix, v4: 0, v6: cidr };
}

/** A parsed CIDR as a Prefix. */
export function prefixOf(cidr: CIDR): Prefix {
  return cidr.network.version === 4
    ? { family: 4, prefix: cidr.prefix, v4: Number(cidr.network.value), v6: undefined }
    : { family: 6, prefix: cidr.prefix, v4: 0, v6: cidr };
}

interface Entry<T> {
  network: Prefix;
  value: T;
}

export class PrefixIndex<T> {
  private readonly entries: Entry<T>[] = [];

  /** Each network with its value, in the order a tie of equal prefixes is decided in (the first wins). */
  constructor(networks: Iterable<readonly [CIDR, T]>) {
    for (const [cidr, value] of networks) this.entries.push({ network: prefixOf(cidr), value });
  }

  /** The value of the longest network that holds p, or undefined. */
  longest(p: Prefix): T | undefined {
    let best: Entry<T> | undefined;
    for (const e of this.entries) {
      if (holds(e.network, p) && (!best || e.network.prefix > best.network.prefix)) best = e;
    }
    return best?.value;
  }

  /** Whether any network holds p. */
  holds(p: Prefix): boolean {
    for (const e of this.entries) if (holds(e.network, p)) return true;
    return false;
  }
}

function holds(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  if (outer.family === 6) return cidrContains(outer.v6!, inner.v6!);
  // The top outer.prefix bits agree (a shift by 32 would be none, so /0 holds every address).
  return outer.prefix === 0 || (outer.v4 ^ inner.v4) >>> (32 - outer.prefix) === 0;
}
