/**
 * The names Calico's KDD backend gives IPAM objects (libcalico-go names/cidr.go CIDRToName,
 * k8s/resources/ipam_affinity_v1.go parseKey, ipam_handle.go parseKey, model/block_affinity.go
 * hashHostnameForLabel; kdd.md §6.1).
 */
import { createHash } from 'node:crypto';

/** CIDRToName: the CIDR as Go prints it, with '.', ':' and '/' turned into '-'. */
export function cidrToName(cidr: string): string {
  return cidr.replace(/[.:/]/g, '-');
}

/** Longest object name Kubernetes takes (a DNS subdomain). */
const MAX_NAME = 253;

/**
 * `<host>-<CIDRToName>`; a name that would be 253 characters or more keeps as much of the host as
 * fits and ends in the first 11 hex digits of SHA-256(`<host>+<cidrname>`) for uniqueness.
 */
export function blockAffinityName(host: string, cidr: string): string {
  const cidrName = cidrToName(cidr);
  const name = `${host}-${cidrName}`;
  if (name.length < MAX_NAME) return name;
  const hash = createHash('sha256').update(`${host}+${cidrName}`).digest('hex').slice(0, 11);
  return `${host.slice(0, MAX_NAME - 1 - cidrName.length - 13)}-${cidrName}-${hash}`;
}

/** An IPAM handle's object name: its ID lower-cased (the ID keeps its case in spec.handleID). */
export function ipamHandleName(handleID: string): string {
  return handleID.toLowerCase();
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Label projectcalico.org/hostname-hash: base32 (standard alphabet, no padding) of SHA3-256(host). */
export function hostnameHash(host: string): string {
  const digest = createHash('sha3-256').update(host).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
