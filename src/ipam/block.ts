/**
 * AllocationBlock values (libcalico-go `model/block.go`): decoding with the checks Go's
 * json.Unmarshal makes, so a value Calico could not read is reported by key instead of crashing.
 */
import { parseGoJson } from '../codec/go-json.js';
import type { KeyValue } from '../datastore/contract.js';
import { OperationError } from '../errors.js';
import { parseCIDR } from '../resources/ip.js';
import type { Network } from './keys.js';

export interface AllocationAttribute {
  handle_id?: string | null;
  secondary?: Record<string, string> | null;
  alternateOwnerAttrs?: Record<string, string> | null;
  [unknown: string]: unknown;
}

export interface AllocationBlock {
  cidr: string;
  affinity: string | null;
  affinity_claim_time?: string | null;
  allocations: (number | null)[] | null;
  unallocated: number[] | null;
  attributes: AllocationAttribute[] | null;
  sequenceNumber: number | bigint;
  sequenceNumberForAllocation: Record<string, number | bigint> | null;
  deleted: boolean;
  hostAffinity?: string | null;
  [unknown: string]: unknown;
}

export interface DecodedBlock {
  key: string;
  modRevision: number;
  /** The block's network, from the value's `cidr` (what Calico uses). */
  net: Network;
  value: AllocationBlock;
}

/** A stored block value Calico's decoder would reject, or whose indexes point nowhere. */
export class CorruptBlockError extends OperationError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`IPAM block ${key} has a corrupt value: ${reason}`, {
      code: 'CorruptBlock',
      hint: `inspect it with 'etcdctl get ${key}'; calicoctl skips blocks it cannot decode`,
    });
  }
}

/** Windows nodes hold their reserved addresses under this handle (`ipam/ipam.go`). */
export const WINDOWS_RESERVED_HANDLE = 'windows-reserved-ipam-handle';

type Check = (v: unknown) => boolean;
const isInt: Check = (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
const isUint: Check = (v) => isInt(v) && (v as number | bigint) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes a stored block. exact keeps sequence numbers exact (needed before rewriting a block);
 * without it the native parser is used, which is much faster and exact for everything else.
 */
export function decodeBlock(kv: KeyValue, opts: { exact?: boolean } = {}): DecodedBlock {
  const fail = (reason: string): never => {
    throw new CorruptBlockError(kv.key, reason);
  };
  let raw: unknown;
  try {
    raw = opts.exact ? parseGoJson(kv.value) : JSON.parse(kv.value);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!isObject(raw)) return fail('not a JSON object');
  const b = raw as Record<string, unknown>;

  if (typeof b['cidr'] !== 'string') return fail('cidr is not a string');
  const cidr = parseCIDR(b['cidr']);
  if (!cidr) return fail(`cidr ${JSON.stringify(b['cidr'])} is not a valid CIDR`);
  const net: Network = { network: cidr.network, prefix: cidr.prefix };

  for (const f of ['affinity', 'affinity_claim_time', 'hostAffinity']) {
    if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') fail(`${f} is not a string`);
  }
  if (b['affinity'] === undefined) b['affinity'] = null;
  checkArray(b, 'allocations', (v) => v === null || isInt(v), 'an integer or null', fail);
  checkArray(b, 'unallocated', isInt, 'an integer', fail);
  checkArray(b, 'attributes', isObject, 'an object', fail);
  for (const [i, attr] of ((b['attributes'] as AllocationAttribute[] | null) ?? []).entries()) {
    if (attr.handle_id !== undefined && attr.handle_id !== null && typeof attr.handle_id !== 'string') {
      fail(`attributes[${i}].handle_id is not a string`);
    }
    for (const f of ['secondary', 'alternateOwnerAttrs'] as const) {
      const m = attr[f];
      if (m === undefined || m === null) continue;
      if (!isObject(m) || Object.values(m).some((x) => typeof x !== 'string')) {
        fail(`attributes[${i}].${f} is not a map of strings`);
      }
    }
  }
  if (b['sequenceNumber'] === undefined) b['sequenceNumber'] = 0;
  else if (!isUint(b['sequenceNumber'])) fail('sequenceNumber is not an unsigned integer');
  const seqs = b['sequenceNumberForAllocation'];
  if (seqs === undefined) b['sequenceNumberForAllocation'] = null;
  else if (seqs !== null && (!isObject(seqs) || !Object.values(seqs).every(isUint))) {
    fail('sequenceNumberForAllocation is not a map of unsigned integers');
  }
  if (b['deleted'] === undefined) b['deleted'] = false;
  else if (typeof b['deleted'] !== 'boolean') fail('deleted is not a boolean');

  return { key: kv.key, modRevision: kv.modRevision, net, value: b as AllocationBlock };
}

function checkArray(
  b: Record<string, unknown>,
  field: string,
  check: Check,
  what: string,
  fail: (reason: string) => never,
): void {
  const v = b[field];
  if (v === undefined) {
    b[field] = null;
    return;
  }
  if (v === null) return;
  if (!Array.isArray(v)) fail(`${field} is not an array`);
  (v as unknown[]).forEach((x, i) => {
    if (!check(x)) fail(`${field}[${i}] is not ${what}`);
  });
}

/** The attribute of an allocated ordinal, or undefined when the ordinal is free. */
export function attributeOf<A extends object = AllocationAttribute>(
  block: { key: string; value: { allocations: (number | null)[] | null; attributes: A[] | null } },
  ord: number,
): A | undefined {
  const idx = block.value.allocations?.[ord];
  if (idx === undefined || idx === null) return undefined;
  const attr = block.value.attributes?.[idx];
  if (!attr) {
    throw new CorruptBlockError(block.key, `allocations[${ord}] points at missing attributes[${idx}]`);
  }
  return attr;
}

/** The host of a `host:<name>` affinity, else '' (AllocationBlock.Host). */
export function affinityHost(affinity: string | null): string {
  return affinity?.startsWith('host:') ? affinity.slice('host:'.length) : '';
}

/** Calico's handle sanitation: everything from the first carriage return on is dropped. */
export function sanitizeHandle(handle: string): string {
  return handle.split('\r')[0] ?? '';
}
