/**
 * `ipam show --ip` (calicoctl `showIP`, libcalico-go `GetAssignmentAttributes`): the block is
 * found through the first enabled pool of the address's family that contains it (the address
 * masked to that pool's blockSize); no pool, no block or a free ordinal means "not assigned".
 */
import { compareGoStrings } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { InputError, OperationError } from '../errors.js';
import { parseIP, type IPAddr } from '../resources/ip.js';
import { blockContaining, blockKey, ipText, ipToOrdinal, networkText } from './keys.js';
import { attributeOf, decodeBlock, sanitizeHandle } from './block.js';
import { enabledPoolHolding, listPools } from './pools.js';

export type IPLookup =
  | { ip: string; assigned: false }
  | {
      ip: string;
      assigned: true;
      block: string;
      handleId: string | null;
      activeOwnerAttrs: Record<string, string>;
      alternateOwnerAttrs: Record<string, string>;
    };

/** calicoctl's ValidateIP (Go net.ParseIP). */
export function parseIPArgument(text: string): IPAddr {
  const ip = parseIP(text);
  if (!ip) {
    throw new InputError(`invalid IP address specified: ${text}`, {
      hint: 'give one IPv4 or IPv6 address, e.g. --ip=10.65.0.7',
    });
  }
  return ip;
}

export async function lookupIP(ds: Datastore, ip: IPAddr): Promise<IPLookup> {
  const text = ipText(ip);
  const { pools, revision } = await listPools(ds);
  const pool = enabledPoolHolding(pools, ip);
  if (!pool) return { ip: text, assigned: false };
  const kv = await ds.get(blockKey(blockContaining(ip, pool.blockSize)), { revision });
  if (!kv) return { ip: text, assigned: false };
  const block = decodeBlock(kv);
  const ord = ipToOrdinal(block.net, ip);
  if (ord === undefined) {
    throw new OperationError(`IP ${text} not in block ${networkText(block.net)}`, {
      hint: `the value of ${kv.key} names a different CIDR than its key`,
    });
  }
  const attr = attributeOf(block, ord);
  if (!attr) return { ip: text, assigned: false };
  return {
    ip: text,
    assigned: true,
    block: networkText(block.net),
    handleId: typeof attr.handle_id === 'string' ? sanitizeHandle(attr.handle_id) : null,
    activeOwnerAttrs: attr.secondary ?? {},
    alternateOwnerAttrs: attr.alternateOwnerAttrs ?? {},
  };
}

/** The text calicoctl v3.32.1 prints for the lookup. */
export function formatIPLookup(r: IPLookup): string {
  if (!r.assigned) return `${r.ip} is not assigned\n`;
  let out = `IP ${r.ip} is in use\n`;
  out += r.handleId === null ? 'Handle ID: <none>\n' : `Handle ID: ${r.handleId}\n`;
  const active = ownerAttrs('Active Owner Attributes', r.activeOwnerAttrs);
  out += active || 'No Active Owner attributes defined\n';
  out += ownerAttrs('Alternate Owner Attributes', r.alternateOwnerAttrs);
  return out;
}

function ownerAttrs(title: string, attrs: Record<string, string>): string {
  const keys = Object.keys(attrs).sort(compareGoStrings);
  if (keys.length === 0) return '';
  return `${title}:\n` + keys.map((k) => `  ${k}: ${attrs[k]}\n`).join('');
}
