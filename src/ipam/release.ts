/**
 * Releasing addresses as libcalico-go v3.32.1 does (`ipam/ipam.go` ReleaseIPs, releaseIPsFromBlock,
 * ReleaseByHandle, releaseByHandle; calico.md §2.5):
 *  1. the block of an address is the address masked to the blockSize of the first pool (all pools,
 *     disabled ones included) containing it; with no such pool, every block of the family is scanned;
 *  2. the block is read, the addresses freed (block-ops.ts), and the block written back with a
 *     compare-and-swap (sequenceNumber + 1), or deleted when it is now empty and has no affinity;
 *     a lost compare-and-swap re-reads and retries;
 *  3. the handles are decremented (compare-and-swap) and the block's affinity re-checked.
 * Failures after the block write (handles, affinity) are warnings, as in Calico: the addresses are
 * free by then. A dry run reads and computes the same and writes nothing.
 */
import { compareGoStrings, encodeGoJson } from '../codec/go-json.js';
import { updateKey, type CasDecision } from '../datastore/cas.js';
import { WRITE_OUTCOME_UNKNOWN, type Datastore } from '../datastore/contract.js';
import { ConflictError, OperationError, UnreachableError } from '../errors.js';
import { cidrContains, parseCIDR, type IPAddr } from '../resources/ip.js';
import { ensureConsistentAffinity } from './affinity.js';
import {
  versionBlockPrefix,
  bitsOf,
  blockContaining,
  blockKey,
  ipText,
  ipToOrdinal,
  networkText,
  ordinalToIP,
  parseBlockKey,
  type Network,
} from './keys.js';
import { bumpSequenceNumber, isBlockEmpty, releaseHandleOrdinals, releaseOrdinals } from './block-ops.js';
import { decodeBlock, sanitizeHandle, type DecodedBlock } from './block.js';
import { decodeHandle, decrementHandle, dropHandleBlock, handleKey } from './handles.js';
import { listPools, type PoolInfo } from './pools.js';
import { allocationBlockSchema } from './schemas.js';

export interface ReleaseRequest {
  ip: IPAddr;
  /** Release only if the address is held by this handle (from a report); '' or undefined: any. */
  handle?: string;
  /** Release only if the allocation has this sequence number (from a report). */
  sequenceNumber?: bigint;
}

export interface ReleasedIP {
  ip: string;
  block: string;
  handle: string | null;
}

export interface BlockWrite {
  block: string;
  key: string;
  /** updated: written back with sequenceNumber + 1; deleted: empty and without affinity. */
  action: 'updated' | 'deleted';
}

export interface HandleWrite {
  handle: string;
  block: string;
  count: number;
  action: 'updated' | 'deleted';
}

export interface ReleaseResult {
  dryRun: boolean;
  released: ReleasedIP[];
  /** Addresses that were not allocated (no pool/block holds them, or the ordinal is free). */
  notAssigned: string[];
  blocks: BlockWrite[];
  handles: HandleWrite[];
  /** Affinity keys released because the block's pool no longer selects the node. */
  affinitiesReleased: string[];
  /** Problems after the addresses were freed (Calico logs these and carries on). */
  warnings: string[];
  /**
   * Blocks whose addresses were not released at all, with why (ReleaseIPs' per-block errors);
   * stale: a report's handle or sequence number no longer matches (the address changed since).
   */
  failures: { block: string; message: string; stale: boolean }[];
}

export function emptyResult(dryRun: boolean): ReleaseResult {
  return {
    dryRun,
    released: [],
    notAssigned: [],
    blocks: [],
    handles: [],
    affinitiesReleased: [],
    warnings: [],
    failures: [],
  };
}

/** Finds the block of each address (ReleaseIPs' grouping) without reading any block value. */
async function groupByBlock(
  ds: Datastore,
  requests: readonly ReleaseRequest[],
  result: ReleaseResult,
): Promise<Map<string, { net: Network; requests: ReleaseRequest[] }>> {
  const { pools } = await listPools(ds);
  const scanned = new Map<number, Network[]>();
  const groups = new Map<string, { net: Network; requests: ReleaseRequest[] }>();
  for (const req of requests) {
    let net = poolBlock(pools, req.ip);
    if (!net) {
      let blocks = scanned.get(req.ip.version);
      if (!blocks) {
        blocks = [];
        for await (const kv of await ds.list(versionBlockPrefix(req.ip.version))) {
          const n = parseBlockKey(kv.key);
          if (n) blocks.push(n);
        }
        scanned.set(req.ip.version, blocks);
      }
      net = blocks.find((b) => ipToOrdinal(b, req.ip) !== undefined);
    }
    if (!net) {
      result.notAssigned.push(ipText(req.ip));
      continue;
    }
    const key = blockKey(net);
    const group = groups.get(key) ?? { net, requests: [] };
    group.requests.push(req);
    groups.set(key, group);
  }
  return groups;
}

/** getPoolForIP over all pools in name order (pools with an unparsable CIDR are skipped). */
function poolBlock(pools: readonly PoolInfo[], ip: IPAddr): Network | undefined {
  const pool = pools.find(
    (p) => p.net !== undefined && cidrContains(p.net, { network: ip, prefix: bitsOf(ip.version) }),
  );
  return pool ? blockContaining(ip, pool.blockSize) : undefined;
}

/**
 * Blocks released at once. Calico's ReleaseIPs does its blocks in parallel too (GOMAXPROCS
 * goroutines, each serving a single block): each block is its own compare-and-swap, and a release
 * spends most of its time waiting for the store's disk sync after every write.
 */
const BLOCKS_IN_PARALLEL = 8;

/**
 * ReleaseIPs: frees each address. A block whose release fails (corrupt value, a report's stale
 * handle or sequence number) is recorded in failures and the other blocks still go ahead. Blocks
 * are released BLOCKS_IN_PARALLEL at a time, each into a result of its own; the results are joined
 * in block order, so what is reported does not depend on which block finished first.
 */
export async function releaseIPs(
  ds: Datastore,
  requests: readonly ReleaseRequest[],
  opts: { dryRun?: boolean } = {},
): Promise<ReleaseResult> {
  const result = emptyResult(opts.dryRun ?? false);
  const groups = [...(await groupByBlock(ds, requests, result)).values()];
  const perBlock = groups.map(() => emptyResult(result.dryRun));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < groups.length; i = next++) {
      const { net, requests: reqs } = groups[i]!;
      const own = perBlock[i]!;
      try {
        await releaseFromBlock(ds, net, reqs, own);
      } catch (err) {
        if (!(err instanceof OperationError || err instanceof ConflictError)) {
          next = groups.length; // no block more; those under way finish
          throw err;
        }
        own.failures.push({
          block: networkText(net),
          message: err.message,
          stale: err instanceof StaleReleaseError,
        });
      }
    }
  };
  const workers = Array.from({ length: Math.min(BLOCKS_IN_PARALLEL, groups.length) }, worker);
  const failed = (await Promise.allSettled(workers)).find((w) => w.status === 'rejected');
  for (const own of perBlock) {
    result.released.push(...own.released);
    result.notAssigned.push(...own.notAssigned);
    result.blocks.push(...own.blocks);
    result.handles.push(...own.handles);
    result.affinitiesReleased.push(...own.affinitiesReleased);
    result.warnings.push(...own.warnings);
    result.failures.push(...own.failures);
  }
  if (failed?.status === 'rejected') {
    // The datastore went away: what the blocks written before that released is said exactly.
    if (failed.reason instanceof UnreachableError)
      throw stoppedPartWay(result, failed.reason, 'the same command');
    throw failed.reason;
  }
  return result;
}

/** Thrown when a report's handle or sequence number no longer matches (ErrorResourceUpdateConflict). */
export class StaleReleaseError extends ConflictError {
  constructor(
    readonly address: string,
    readonly detail: string,
  ) {
    super(`update conflict: ${address}`, { hint: detail });
  }
}

async function releaseFromBlock(
  ds: Datastore,
  net: Network,
  requests: readonly ReleaseRequest[],
  result: ReleaseResult,
): Promise<void> {
  const key = blockKey(net);
  const cidr = networkText(net);
  // The same address twice counts once; the last request for it wins (Go map semantics).
  const unique = new Map(requests.map((r) => [ipText(r.ip), r]));
  const { result: outcome } = await updateKey(
    ds,
    key,
    (kv): CasDecision<BlockRelease | { notAssigned: string[] }> => {
      if (!kv) return { done: { notAssigned: [...unique.keys()] } };
      const block = decodeBlock(kv, { exact: true });
      const { ordinals, released, notAssigned } = selectOrdinals(block, [...unique.values()]);
      if (ordinals.length === 0) return { done: { notAssigned } };
      const byHandle = releaseOrdinals(block.value, ordinals);
      return blockWrite(block, { block, byHandle, released, notAssigned }, result.dryRun);
    },
    () =>
      new ConflictError('Max retries hit - excessive concurrent IPAM requests', {
        hint: `${key} kept changing while we tried to update it; run the command again`,
      }),
  );
  result.notAssigned.push(...outcome.notAssigned);
  if (!('block' in outcome)) return;
  result.released.push(...outcome.released.map((r) => ({ ...r, block: cidr })));
  result.blocks.push({ block: cidr, key, action: outcome.action });
  await afterBlockWrite(ds, net, outcome.block, outcome.byHandle, result);
}

/** A block's addresses released in memory, and what writing it back does. */
interface BlockRelease {
  block: DecodedBlock;
  byHandle: ReadonlyMap<string, number>;
  released: Omit<ReleasedIP, 'block'>[];
  notAssigned: string[];
  action: 'updated' | 'deleted';
}

/**
 * The write of a block whose addresses were released in memory: deleted when empty and without
 * affinity, else written back with sequenceNumber + 1; nothing with --dry-run.
 */
function blockWrite(
  block: DecodedBlock,
  release: Omit<BlockRelease, 'action'>,
  dryRun: boolean,
): CasDecision<BlockRelease> {
  const remove = isBlockEmpty(block.value) && block.value.affinity === null;
  const result = { ...release, action: remove ? ('deleted' as const) : ('updated' as const) };
  if (dryRun) return { done: result };
  if (remove) return { delete: true, result };
  bumpSequenceNumber(block.value);
  return { put: encodeGoJson(block.value, allocationBlockSchema), result };
}

/** block.release's checks, in Calico's order: sequence number, allocated, handle. */
function selectOrdinals(
  block: DecodedBlock,
  requests: readonly ReleaseRequest[],
): { ordinals: number[]; released: Omit<ReleasedIP, 'block'>[]; notAssigned: string[] } {
  const ordinals: number[] = [];
  const released: Omit<ReleasedIP, 'block'>[] = [];
  const notAssigned: string[] = [];
  const { allocations, attributes, sequenceNumberForAllocation: seqs } = block.value;
  for (const req of requests) {
    const ip = ipText(req.ip);
    const ord = ipToOrdinal(block.net, req.ip);
    if (ord === undefined) {
      throw new OperationError(`IP ${ip} not in block ${networkText(block.net)}`, {
        hint: `the value of ${block.key} names a different CIDR than its key`,
      });
    }
    const stored = BigInt(seqs?.[String(ord)] ?? 0);
    if (req.sequenceNumber !== undefined && req.sequenceNumber !== stored) {
      throw new StaleReleaseError(
        ip,
        `the given sequence number (${req.sequenceNumber}) does not match (${stored}) when attempting to release IP`,
      );
    }
    const idx = allocations?.[ord];
    if (idx === undefined || idx === null) {
      notAssigned.push(ip);
      continue;
    }
    const attr = attributes?.[idx];
    if (!attr) {
      throw new OperationError(
        `IPAM block ${block.key} has a corrupt value: allocations[${ord}] points at missing attributes[${idx}]`,
        { code: 'CorruptBlock', hint: `inspect it with 'etcdctl get ${block.key}'` },
      );
    }
    const handle = typeof attr.handle_id === 'string' ? sanitizeHandle(attr.handle_id) : '';
    if (req.handle && req.handle !== handle) {
      throw new StaleReleaseError(
        ip,
        `the given handle (${req.handle}) does not match (${handle}) when attempting to release IP`,
      );
    }
    ordinals.push(ord);
    released.push({ ip, handle: handle === '' ? null : handle });
  }
  return { ordinals, released, notAssigned };
}

/** Handle decrements and the affinity re-check; their failures are warnings (Calico logs them). */
async function afterBlockWrite(
  ds: Datastore,
  net: Network,
  block: DecodedBlock,
  byHandle: ReadonlyMap<string, number>,
  result: ReleaseResult,
): Promise<void> {
  const cidr = networkText(net);
  for (const [handle, count] of byHandle) {
    try {
      const action = result.dryRun
        ? await plannedHandleAction(ds, handle, cidr, count)
        : await decrementHandle(ds, handle, cidr, count);
      result.handles.push({ handle, block: cidr, count, action });
    } catch (err) {
      // The datastore went away: the caller reports the addresses released and this count.
      if (err instanceof UnreachableError) throw err;
      result.warnings.push(`failed to decrement handle ${handle}: ${(err as Error).message}`);
    }
  }
  if (result.dryRun) return;
  try {
    const released = await ensureConsistentAffinity(ds, net, block.value);
    if (released) result.affinitiesReleased.push(released);
  } catch (err) {
    result.warnings.push(
      `error ensuring consistent affinity for block ${cidr} (addresses already released): ${(err as Error).message}`,
    );
  }
}

async function plannedHandleAction(
  ds: Datastore,
  handle: string,
  cidr: string,
  count: number,
): Promise<'updated' | 'deleted'> {
  const kv = await ds.get(handleKey(handle));
  if (!kv) throw new Error(`resource does not exist: IPAMHandleKey(id=${handle}) with error: <nil>`);
  const blocks = decodeHandle(kv).block ?? {};
  const left = BigInt(blocks[cidr] ?? 0) - BigInt(count);
  return left <= 0n && Object.keys(blocks).every((b) => b === cidr) ? 'deleted' : 'updated';
}

/**
 * ReleaseByHandle: frees every address of the handle, block by block (block CIDRs in string
 * order). A block the handle names that is missing or holds none of its addresses is skipped with
 * a warning; Calico then leaves the handle's count for that block as it was.
 */
export async function releaseByHandle(
  ds: Datastore,
  handleID: string,
  opts: { dryRun?: boolean } = {},
): Promise<ReleaseResult> {
  const result = emptyResult(opts.dryRun ?? false);
  const id = sanitizeHandle(handleID);
  const kv = await ds.get(handleKey(id));
  if (!kv) {
    throw new OperationError(`resource does not exist: IPAMHandleKey(id=${id}) with error: <nil>`, {
      code: 'ResourceNotFound',
      hint: `no key ${handleKey(id)}; 'ipam show --ip=<address>' shows the handle of an address`,
    });
  }
  let blocks: string[];
  try {
    blocks = Object.keys(decodeHandle(kv).block ?? {}).sort(compareGoStrings);
  } catch (err) {
    throw new OperationError((err as Error).message, { code: 'CorruptData' });
  }
  for (const text of blocks) {
    const cidr = parseCIDR(text);
    if (!cidr) {
      result.warnings.push(`handle ${id} names block ${JSON.stringify(text)}, which is not a CIDR; skipped`);
      continue;
    }
    try {
      await releaseHandleFromBlock(ds, id, { network: cidr.network, prefix: cidr.prefix }, text, result);
    } catch (err) {
      if (err instanceof UnreachableError) {
        throw stoppedPartWay(result, err, `'calicoctl-ts ipam release --handle ${id}'`);
      }
      throw err;
    }
  }
  return result;
}

/** How many addresses a partial result names before `and N more`. */
const LISTED_ADDRESSES = 5;

/**
 * The datastore went away after some blocks were written: those addresses stay released (exit 1,
 * failed in part, as `ipam assign` reports it), and the message says exactly which; a handle whose
 * count was not lowered yet is named, and a re-run lowers it (releaseHandleFromBlock). Nothing
 * written: the datastore's own error (exit 3).
 */
function stoppedPartWay(result: ReleaseResult, cause: UnreachableError, rerun: string): Error {
  const n = result.released.length;
  if (n === 0 && result.blocks.length === 0) return cause;
  const listed = result.released
    .slice(0, LISTED_ADDRESSES)
    .map((r) => r.ip)
    .join(', ');
  const more = n > LISTED_ADDRESSES ? ` and ${n - LISTED_ADDRESSES} more` : '';
  const counted = new Set(result.handles.map((h) => `${h.handle} ${h.block}`));
  const uncounted = [
    ...new Set(
      result.released
        .filter((r) => r.handle !== null && !counted.has(`${r.handle} ${r.block}`))
        .map((r) => `${r.handle} (block ${r.block})`),
    ),
  ];
  const counts =
    uncounted.length > 0 ? `; the count of handle ${uncounted.join(', ')} was not lowered yet` : '';
  const inFlight = cause.hint?.startsWith(WRITE_OUTCOME_UNKNOWN)
    ? '; the write in flight when the datastore was lost may have released more'
    : '';
  return new OperationError(
    `ipam release stopped part-way: ${cause.message}; ${n} address(es) were released before that` +
      `${n > 0 ? `: ${listed}${more}` : ''}${counts}${inFlight}`,
    {
      code: 'PartiallyReleased',
      cause,
      hint: `run ${rerun} again to release the rest and bring the handle counts in line`,
    },
  );
}

async function releaseHandleFromBlock(
  ds: Datastore,
  handleID: string,
  net: Network,
  handleBlockText: string,
  result: ReleaseResult,
): Promise<void> {
  const key = blockKey(net);
  const { result: outcome } = await updateKey(
    ds,
    key,
    (kv): CasDecision<BlockRelease | { missing: string }> => {
      const block = kv ? decodeBlock(kv, { exact: true }) : undefined;
      const ordinals = block ? releaseHandleOrdinals(block.value, handleID) : [];
      if (!block || ordinals.length === 0) {
        return {
          done: {
            missing: block
              ? `holds no address of handle ${handleID}`
              : `of handle ${handleID} does not exist`,
          },
        };
      }
      const released = ordinals.map((ord) => ({ ip: ipText(ordinalToIP(block.net, ord)), handle: handleID }));
      const byHandle = new Map([[handleID, ordinals.length]]);
      return blockWrite(block, { block, byHandle, released, notAssigned: [] }, result.dryRun);
    },
    () =>
      new ConflictError('Hit max retries', {
        hint: `${key} kept changing while we tried to update it; run the command again`,
      }),
  );
  if ('missing' in outcome) {
    // A count without addresses (a release cut off between its block write and its handle
    // update): dropped, so that the handle's counts equal its allocations again.
    if (result.dryRun) {
      result.warnings.push(
        `block ${handleBlockText} ${outcome.missing}; its count would be dropped from the handle`,
      );
      return;
    }
    await dropHandleBlock(ds, handleID, handleBlockText);
    result.warnings.push(
      `block ${handleBlockText} ${outcome.missing}; its count was dropped from the handle`,
    );
    return;
  }
  const cidr = networkText(outcome.block.net);
  result.released.push(...outcome.released.map((r) => ({ ...r, block: cidr })));
  result.blocks.push({ block: cidr, key, action: outcome.action });
  await afterBlockWrite(ds, net, outcome.block, outcome.byHandle, result);
}
