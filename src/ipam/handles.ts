/**
 * IPAM handles (libcalico-go `model/ipam_handle.go`, `ipam/ipam_handle.go`): key
 * `/calico/ipam/v2/handle/<id>`, value `{"block":{"<blockCIDR>":<count>},"deleted":false}`.
 * Releasing addresses decrements the block's count; a count reaching 0 removes the entry and an
 * empty map deletes the handle, each with a compare-and-swap (ipamClient.decrementHandle).
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import { updateKey, type CasDecision } from '../datastore/cas.js';
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { ConflictError } from '../errors.js';
import { HANDLE_PREFIX } from './keys.js';
import { ipamHandleSchema } from './schemas.js';

export interface IPAMHandle {
  block: Record<string, number | bigint> | null;
  deleted: boolean;
  [unknown: string]: unknown;
}

export function handleKey(handleID: string): string {
  return HANDLE_PREFIX + handleID;
}

/** The handle ID of a handle key, or undefined for keys Calico's lister would skip. */
export function parseHandleKey(key: string): string | undefined {
  if (!key.startsWith(HANDLE_PREFIX)) return undefined;
  const id = key.slice(HANDLE_PREFIX.length);
  return id === '' || id.includes('/') ? undefined : id;
}

export function decodeHandle(kv: KeyValue): IPAMHandle {
  let raw: unknown;
  try {
    raw = parseGoJson(kv.value);
  } catch (err) {
    throw new Error(`cannot decode ${kv.key}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`cannot decode ${kv.key}: not a JSON object`);
  }
  const h = raw as Record<string, unknown>;
  const block = h['block'];
  if (block !== undefined && block !== null) {
    const ok =
      typeof block === 'object' &&
      !Array.isArray(block) &&
      Object.values(block).every((n) => typeof n === 'bigint' || Number.isInteger(n));
    if (!ok) throw new Error(`cannot decode ${kv.key}: block is not a map of integers`);
  }
  return { ...h, block: (block ?? null) as IPAMHandle['block'], deleted: h['deleted'] === true };
}

/**
 * The handle's per-block counts with delta added to blockCIDR's (incrementBlock, decrementBlock): a
 * count reaching 0 removes the block; counts beyond 2^53 stay exact.
 */
export function countsWith(
  counts: IPAMHandle['block'],
  blockCIDR: string,
  delta: number,
): Record<string, number | bigint> {
  const next = BigInt(counts?.[blockCIDR] ?? 0) + BigInt(delta);
  const out = Object.fromEntries(Object.entries(counts ?? {}).filter(([b]) => b !== blockCIDR));
  if (next > 0n) out[blockCIDR] = next <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(next) : next;
  return out;
}

/** What the handle's key becomes with these counts: deleted when no block is left, as Calico does. */
export function handleWrite(
  handle: IPAMHandle,
  counts: Record<string, number | bigint>,
): { put: string } | { delete: true } {
  return Object.keys(counts).length === 0
    ? { delete: true }
    : { put: encodeGoJson({ ...handle, block: counts }, ipamHandleSchema) };
}

/**
 * Adds num addresses of blockCIDR to the handle, creating it when missing (ipamClient.incrementHandle),
 * compare-and-swap. Used where the handle and the block cannot be written in one transaction: the
 * handle is counted first, then the block written (see assign.ts).
 */
export async function incrementHandle(
  ds: Datastore,
  handleID: string,
  blockCIDR: string,
  num: number,
): Promise<void> {
  await updateKey(
    ds,
    handleKey(handleID),
    (kv): CasDecision<void> => {
      const handle: IPAMHandle = kv ? decodeHandle(kv) : { block: {}, deleted: false };
      return { ...handleWrite(handle, countsWith(handle.block, blockCIDR, num)), result: undefined };
    },
    tooManyConflicts,
  );
}

/** Every round of an IPAM write lost its compare-and-swap (ipam.go's datastoreRetries exhausted). */
export function tooManyConflicts(): ConflictError {
  return new ConflictError('Max retries hit - excessive concurrent IPAM requests', {
    hint: 'run the command again',
  });
}

export type DecrementOutcome = 'updated' | 'deleted';

/**
 * Takes num addresses of blockCIDR off the handle. Throws (with Calico's text) when the handle
 * does not exist or does not hold that many; callers report that as a warning, as Calico does.
 */
export async function decrementHandle(
  ds: Datastore,
  handleID: string,
  blockCIDR: string,
  num: number,
): Promise<DecrementOutcome> {
  const key = handleKey(handleID);
  const { result } = await updateKey(
    ds,
    key,
    (kv): CasDecision<DecrementOutcome> => {
      if (!kv) throw new Error(`resource does not exist: IPAMHandleKey(id=${handleID}) with error: <nil>`);
      const handle = decodeHandle(kv);
      const current = handle.block?.[blockCIDR];
      if (current === undefined) {
        throw new Error(
          `Tried to decrement block ${blockCIDR} by ${num} but it isn't linked to handle ${handleID}`,
        );
      }
      const left = BigInt(current) - BigInt(num);
      if (left < 0n) {
        throw new Error(
          `Tried to decrement block ${blockCIDR} by ${num} but it only has ${current} addresses on handle ${handleID}`,
        );
      }
      const write = handleWrite(handle, countsWith(handle.block, blockCIDR, -num));
      return { ...write, result: 'delete' in write ? 'deleted' : 'updated' };
    },
    () => new Error('Max retries hit - excessive concurrent IPAM requests'),
  );
  return result;
}

/**
 * Removes blockCIDR from the handle whatever its count (a count left behind by a release that was
 * cut off after its block write); deletes the handle when no block is left.
 */
export async function dropHandleBlock(ds: Datastore, handleID: string, blockCIDR: string): Promise<void> {
  await updateKey(
    ds,
    handleKey(handleID),
    (kv): CasDecision<void> => {
      const handle = kv ? decodeHandle(kv) : undefined;
      if (!handle || handle.block?.[blockCIDR] === undefined) return { done: undefined };
      const blocks = Object.fromEntries(Object.entries(handle.block).filter(([b]) => b !== blockCIDR));
      return { ...handleWrite(handle, blocks), result: undefined };
    },
    () => new Error('Max retries hit - excessive concurrent IPAM requests'),
  );
}
