/**
 * IPReservation resources (libcalico-go `ipam/ipam.go` getReservedIPs, `ipam/reservations.go`):
 * addresses inside any `spec.reservedCIDRs` entry are never handed out by auto-assignment, and a
 * block wholly inside one is skipped.
 */
import type { Datastore } from '../datastore/contract.js';
import { cidrContains, cidrsOverlap, parseCIDROrIP, type CIDR, type IPAddr } from '../resources/ip.js';
import { IPRESERVATION_PREFIX } from '../resources/well-known-keys.js';
import { ordinalToIP, type Network } from './keys.js';

export interface Reservations {
  readonly cidrs: readonly CIDR[];
  matchesIP(ip: IPAddr): boolean;
  matchesWholeCIDR(net: Network): boolean;
  /** Whether any reserved range overlaps the block (the slow path of NumFreeAddresses). */
  matchesSome(net: Network): boolean;
  /** A predicate over the block's ordinals, or undefined when nothing in the block is reserved. */
  ordinalFilter(net: Network): ((ord: number) => boolean) | undefined;
}

export function reservationsFrom(cidrs: readonly CIDR[]): Reservations {
  const r: Reservations = {
    cidrs,
    matchesIP: (ip) =>
      cidrs.some((c) => cidrContains(c, { network: ip, prefix: ip.version === 4 ? 32 : 128 })),
    matchesWholeCIDR: (net) => cidrs.some((c) => cidrContains(c, net)),
    matchesSome: (net) => cidrs.some((c) => cidrsOverlap(c, net)),
    ordinalFilter: (net) => (r.matchesSome(net) ? (ord) => r.matchesIP(ordinalToIP(net, ord)) : undefined),
  };
  return r;
}

/** Every reserved CIDR of every IPReservation (entries that do not parse are ignored, as Calico does). */
export async function readReservations(ds: Datastore): Promise<Reservations> {
  const stream = await ds.list(IPRESERVATION_PREFIX);
  const cidrs: CIDR[] = [];
  for await (const kv of stream) {
    let spec: unknown;
    try {
      spec = (JSON.parse(kv.value) as { spec?: unknown }).spec;
    } catch {
      continue;
    }
    const list = (spec as { reservedCIDRs?: unknown } | undefined)?.reservedCIDRs;
    if (!Array.isArray(list)) continue;
    for (const text of list) {
      const c = typeof text === 'string' ? parseCIDROrIP(text) : undefined;
      if (c) cidrs.push({ ...c, ip: c.network });
    }
  }
  return reservationsFrom(cidrs);
}
