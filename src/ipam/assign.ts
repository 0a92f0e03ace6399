/**
 * `ipam assign`: Calico's allocator (libcalico-go v3.32.1 `ipam/ipam.go` AutoAssign/autoAssign,
 * AssignIP, determinePools, prepareAffinityBlocksForHost, findOrClaimBlock,
 * assignFromExistingBlock), so that what is written is what Calico's CNI plugin would write:
 *  - pools: enabled pools of the family, with assignmentMode Automatic and a nodeSelector that
 *    selects the node (or the one pool asked for), allowed for the intended use;
 *  - the node's affine blocks first (key order), then a new block claimed (pending affinity,
 *    block, confirmed affinity) while the node has fewer than maxBlocksPerHost (default 20), then,
 *    without strict affinity, free addresses of other existing blocks;
 *  - each block write takes as many addresses as the block can give (one compare-and-swap per
 *    block, not per address) and writes the handle's count for that block in the same transaction,
 *    so concurrent processes never hand out one address twice and the handle always matches (on a
 *    store without multi-key transactions, Calico's order instead: see writeBlockThenHandle).
 * A request that cannot be fully met is rolled back (addresses released, new blocks released).
 * A request cut off by an unreachable datastore after some of its writes committed cannot roll
 * back: it fails saying which addresses it had assigned (exit 1), see stoppedPartWay.
 */
import { randomBytes } from 'node:crypto';

import {
  WRITE_OUTCOME_UNKNOWN,
  type Compare,
  type Datastore,
  type TxnOp,
  type TxnRequest,
} from '../datastore/contract.js';
import { LOST_COMPARE, retryLostCompares } from '../datastore/cas.js';
import { InputError, OperationError, UnreachableError } from '../errors.js';
import { cidrContains, formatCIDR, parseCIDR, type IPAddr, type IPVersion } from '../resources/ip.js';
import { parseSelector, type Labels } from '../resources/selector.js';
import {
  autoAssignOrdinals,
  assignOrdinal,
  hostAffinity,
  numFreeAddresses,
  type AssignOwner,
} from './block-assign.js';
import {
  bitsOf,
  blockContaining,
  ipText,
  ipToOrdinal,
  networkText,
  ordinalToIP,
  type Network,
} from './keys.js';
import { bumpSequenceNumber, isBlockEmpty, releaseOrdinals } from './block-ops.js';
import { BlockDirectory } from './block-search.js';
import type { DecodedBlock } from './block.js';
import {
  CasConflict,
  ClaimLost,
  deleteAffinity,
  encodeBlock,
  getBlockFromAffinity,
  getPendingAffinity,
  claimAffineBlock,
  listAffineBlocks,
  readAffinity,
  readBlock,
  updateAffinity,
} from './claim.js';
import { readNodeLabels } from './affinity.js';
import { readIPAMConfig, type IPAMConfig } from './config.js';
import {
  countsWith,
  decodeHandle,
  decrementHandle,
  handleKey,
  handleWrite,
  incrementHandle,
  tooManyConflicts,
} from './handles.js';
import { listPools, type PoolInfo } from './pools.js';
import { readReservations, type Reservations } from './reservations.js';

export type IntendedUse = 'Workload' | 'Tunnel';

export interface AssignRequest {
  node: string;
  handleID: string;
  /** Active owner attributes (`secondary`); `node` is added unless given. */
  attrs: Record<string, string>;
  /** Auto-assign this many addresses... */
  num?: number;
  /** ...or assign exactly this one. */
  ip?: IPAddr;
  /** A pool name or CIDR to assign from (auto-assign only). */
  pool?: string;
  /** Address family for auto-assign; default: the pool's, else 4. */
  version?: IPVersion;
  use?: IntendedUse;
}

export interface AssignedBlock {
  cidr: string;
  /** Addresses this request took from the block. */
  assigned: number;
  /** True when this request created the block (claimed it for the node). */
  claimed: boolean;
}

export interface AssignResult {
  node: string;
  handle: string;
  addresses: string[];
  blocks: AssignedBlock[];
}

const DEFAULT_MAX_BLOCKS = 20;

/** A handle ID for callers that give none: `ipam-assign.<32 hex>`. */
export function generateHandleID(): string {
  return `ipam-assign.${randomBytes(16).toString('hex')}`;
}

/** Names Calico could not parse back out of its keys are refused before anything is read. */
export function checkAssignRequest(req: AssignRequest): void {
  if (req.node === '' || req.node.includes('/')) {
    throw new InputError(
      `invalid node name ${JSON.stringify(req.node)}: it must be non-empty and contain no '/'`,
    );
  }
  if (req.handleID === '' || /[/\r]/.test(req.handleID)) {
    throw new InputError(
      `invalid handle ${JSON.stringify(req.handleID)}: it must be non-empty and contain no '/' or carriage return`,
    );
  }
  if ((req.num === undefined) === (req.ip === undefined)) {
    throw new InputError('give exactly one of --ip and --num');
  }
  if (req.num !== undefined && (!Number.isSafeInteger(req.num) || req.num < 1)) {
    throw new InputError(`invalid --num ${req.num}: it must be a positive integer`);
  }
}

/**
 * SelectsNode. Calico needs the Node resource to evaluate a selector; without one, only pools whose
 * selector is empty or all() select the node (documented in docs/ipam.md).
 */
function selectsNode(pool: PoolInfo, labels: Labels | undefined): boolean {
  const text = pool.nodeSelector.trim();
  if (labels === undefined) return text === '' || text === 'all()';
  try {
    return parseSelector(pool.nodeSelector).matches(labels);
  } catch (err) {
    throw new OperationError(
      `IPPool ${pool.name} has an invalid nodeSelector ${JSON.stringify(pool.nodeSelector)}: ${(err as Error).message}`,
      { code: 'InvalidSelector', hint: `fix it with 'calicoctl-ts apply' or 'patch ippool ${pool.name}'` },
    );
  }
}

function notSelectedError(pool: PoolInfo, node: string, labels: Labels | undefined): OperationError {
  return new OperationError(
    `IPPool ${pool.name} (${pool.cidrText}) does not select node ${node}: nodeSelector is ${JSON.stringify(pool.nodeSelector)}`,
    {
      code: 'PoolDoesNotSelectNode',
      hint:
        labels === undefined
          ? `node ${node} has no Node resource, so only pools with nodeSelector all() can be used`
          : `label the node to match the selector, or choose another pool`,
    },
  );
}

interface Session {
  ds: Datastore;
  node: string;
  owner: AssignOwner;
  config: IPAMConfig;
  reservations: Reservations;
  /** Per block CIDR text: what this request holds there, for the result and for rollback. */
  taken: Map<string, { net: Network; ordinals: number[]; claimed: boolean }>;
  addresses: string[];
}

function record(s: Session, net: Network, ordinals: number[], claimed: boolean): void {
  const key = networkText(net);
  const entry = s.taken.get(key) ?? { net, ordinals: [], claimed: false };
  entry.ordinals.push(...ordinals);
  entry.claimed ||= claimed;
  s.taken.set(key, entry);
  for (const ord of ordinals) s.addresses.push(ipText(ordinalToIP(net, ord)));
}

/**
 * Writes the block (sequenceNumber + 1) and the handle's count for it in one transaction, guarded by
 * both revisions; throws CasConflict when either changed since it was read.
 */
async function writeBlockAndHandle(s: Session, block: DecodedBlock, delta: number): Promise<void> {
  if (!s.ds.multiKeyTransactions) return writeBlockThenHandle(s, block, delta);
  const hkey = handleKey(s.owner.handleID);
  const hkv = await s.ds.get(hkey);
  const handle = hkv ? decodeHandle(hkv) : { block: {}, deleted: false };
  const counts = countsWith(handle.block, networkText(block.net), delta);
  bumpSequenceNumber(block.value);
  const compare: Compare[] = [
    { key: block.key, target: 'modRevision', op: '==', value: block.modRevision },
    hkv
      ? { key: hkey, target: 'modRevision', op: '==', value: hkv.modRevision }
      : { key: hkey, target: 'version', op: '==', value: 0 },
  ];
  const write = handleWrite(handle, counts);
  const success: TxnOp[] = [
    blockWrite(block, delta),
    'put' in write ? { type: 'put', key: hkey, value: write.put } : { type: 'delete', key: hkey },
  ];
  const res = await s.ds.txn({ compare, success });
  if (!res.succeeded) throw new CasConflict(block.key);
  block.modRevision = res.revision;
}

/** The block's write: deleted when a release left it empty and without affinity, else put. */
function blockWrite(block: DecodedBlock, delta: number): TxnOp {
  const emptyBlock = delta < 0 && isBlockEmpty(block.value) && block.value.affinity === null;
  return emptyBlock
    ? { type: 'delete', key: block.key }
    : { type: 'put', key: block.key, value: encodeBlock(block.value) };
}

/**
 * writeBlockAndHandle on a store without multi-key transactions (Kubernetes), in Calico's own order
 * (ipam.go assignFromExistingBlock, releaseIPsFromBlock, releaseByHandle): an assignment counts the
 * handle first, then writes the block (compare-and-swap) and takes the count back when the block's
 * compare was lost; a release writes the block first, then decrements the handle. Either way the
 * handle never counts fewer addresses than the blocks hold for it: a process cut off in between
 * leaves the handle counting more, which `ipam check` reports and `ipam release --handle` clears.
 * A failed take-back is ignored as Calico ignores it (it logs a warning), unless the store is gone.
 */
async function writeBlockThenHandle(s: Session, block: DecodedBlock, delta: number): Promise<void> {
  const cidr = networkText(block.net);
  const handleID = s.owner.handleID;
  const uncount = (num: number) =>
    decrementHandle(s.ds, handleID, cidr, num).catch((err: unknown) => {
      if (err instanceof UnreachableError) throw err;
    });
  if (delta > 0) await incrementHandle(s.ds, handleID, cidr, delta);
  bumpSequenceNumber(block.value);
  const res = await s.ds.txn({
    compare: [{ key: block.key, target: 'modRevision', op: '==', value: block.modRevision }],
    success: [blockWrite(block, delta)],
  });
  if (!res.succeeded) {
    if (delta > 0) await uncount(delta);
    throw new CasConflict(block.key);
  }
  block.modRevision = res.revision;
  if (delta < 0) await uncount(-delta);
}

/**
 * The retry of one of the allocator's rounds, on the one policy: its steps throw CasConflict when a
 * compare-and-swap was lost (claim.ts), and the round starts again from a fresh read.
 */
function retryConflicts<R>(round: () => Promise<R | typeof LOST_COMPARE>, exhausted: () => R): Promise<R> {
  return retryLostCompares(
    () =>
      round().catch((err: unknown) => {
        if (err instanceof CasConflict) return LOST_COMPARE;
        throw err;
      }),
    exhausted,
  );
}

/** For a step's catch: a claim lost to another node (ClaimLost) gives undefined; anything else is thrown. */
function unlessClaimLost(err: unknown): undefined {
  if (err instanceof ClaimLost) return undefined;
  throw err;
}

/** assignFromExistingBlock, retried on a lost compare-and-swap with a fresh copy of the block. */
async function assignFromBlock(
  s: Session,
  first: DecodedBlock,
  num: number,
  affinityCheck: boolean,
  claimed: boolean,
  directory: BlockDirectory,
): Promise<number> {
  let rounds = 0;
  return retryConflicts(
    async () => {
      const block = rounds++ === 0 ? first : await readBlock(s.ds, first.net);
      if (!block) return 0;
      const filter = s.reservations.ordinalFilter(block.net);
      const ordinals = autoAssignOrdinals(block.value, num, s.owner, {
        node: s.node,
        strictAffinity: affinityCheck,
        ...(filter ? { reserved: filter } : {}),
      });
      if (ordinals.length === 0) {
        directory.note({ net: block.net, affinity: block.value.affinity, free: 0 });
        return 0;
      }
      await writeBlockAndHandle(s, block, ordinals.length);
      record(s, block.net, ordinals, claimed);
      directory.note({
        net: block.net,
        affinity: block.value.affinity,
        free: numFreeAddresses(block.value, filter),
      });
      return ordinals.length;
    },
    () => 0,
  );
}

type Found = { block: DecodedBlock; newlyClaimed: boolean; created: boolean } | 'noFreeBlocks' | 'blockLimit';

interface SearchState {
  pools: PoolInfo[];
  remainingAffine: Network[];
  allowNewClaim: boolean;
  directory: BlockDirectory;
}

/** findOrClaimBlock(minFree = 1). */
async function findOrClaimBlock(s: Session, st: SearchState): Promise<Found> {
  while (st.remainingAffine.length > 0) {
    const net = st.remainingAffine.shift()!;
    if (s.reservations.matchesWholeCIDR(net)) continue;
    const found = await retryConflicts(
      async () => {
        const aff = await readAffinity(s.ds, s.node, net);
        const got = aff && (await getBlockFromAffinity(s.ds, s.node, aff).catch(unlessClaimLost));
        if (!got || numFreeAddresses(got.block.value, s.reservations.ordinalFilter(net)) < 1)
          return undefined;
        return { block: got.block, newlyClaimed: false, created: got.created };
      },
      () => undefined,
    );
    if (found) return found;
  }
  if (!st.allowNewClaim) return 'blockLimit';
  if (!s.config.autoAllocateBlocks) {
    throw new OperationError('failed to find or claim a block', {
      code: 'NoBlock',
      hint: 'AutoAllocateBlocks is off: only blocks already affine to the node can be used',
    });
  }
  // A round finds a free block and claims it, retrying the claim's lost compares; a claim lost to
  // another node, or a block another process filled, sends the round back to find another.
  return retryConflicts<Found>(
    async () => {
      const subnet = await st.directory.findUsable(st.pools, s.node, hostAffinity(s.node));
      if (!subnet) return 'noFreeBlocks';
      const claimed = await retryConflicts(
        async () => {
          const pending = await getPendingAffinity(s.ds, s.node, subnet);
          const got = await getBlockFromAffinity(s.ds, s.node, pending).catch(unlessClaimLost);
          if (!got) {
            st.directory.invalidate();
            return undefined;
          }
          if (numFreeAddresses(got.block.value, s.reservations.ordinalFilter(subnet)) >= 1)
            return { block: got.block, newlyClaimed: true, created: got.created };
          // Our copy of the directory was stale (another process filled it): look again.
          st.directory.note({ net: subnet, affinity: got.block.value.affinity, free: 0 });
          return undefined;
        },
        () => undefined,
      );
      return claimed ?? LOST_COMPARE;
    },
    () => {
      throw tooManyConflicts();
    },
  );
}

interface PoolChoice {
  version: IPVersion;
  pools: PoolInfo[];
}

/** determinePools + the node selection and use filter of prepareAffinityBlocksForHost. */
async function choosePools(
  ds: Datastore,
  req: AssignRequest,
  labels: Labels | undefined,
): Promise<PoolChoice> {
  const { pools } = await listPools(ds);
  const enabledAny = pools.filter((p) => !p.disabled && p.allocatable && p.net !== undefined);
  let version: IPVersion = req.version ?? 4;
  let requested: PoolInfo | undefined;
  if (req.pool !== undefined) {
    const cidr = parseCIDR(req.pool);
    const want = cidr ? formatCIDR(cidr) : undefined;
    const byName = pools.find((p) => p.name === req.pool);
    const candidate = want ? pools.find((p) => p.net && formatCIDR(p.net) === want) : byName;
    requested = candidate && enabledAny.includes(candidate) ? candidate : undefined;
    if (!requested) {
      throw new OperationError(`the given pool (${want ?? req.pool}) does not exist, or is not enabled`, {
        code: 'PoolNotFound',
        hint: "list the pools with 'calicoctl-ts get ippools -o wide'",
      });
    }
    const poolVersion = requested.net!.network.version;
    if (req.version !== undefined && req.version !== poolVersion) {
      throw new InputError(
        `--pool ${req.pool} is an IPv${poolVersion} pool, but --ip-version is ${req.version}`,
      );
    }
    version = poolVersion;
  }
  const enabled = enabledAny.filter((p) => p.net!.network.version === version);
  if (enabled.length === 0) {
    throw new OperationError('cannot find a qualified ippool', {
      code: 'NoPool',
      hint: `there is no enabled IPv${version} pool; create one with 'calicoctl-ts create'`,
    });
  }
  let selecting: PoolInfo[];
  if (requested) {
    if (!selectsNode(requested, labels)) throw notSelectedError(requested, req.node, labels);
    selecting = [requested];
  } else {
    selecting = enabled.filter((p) => p.assignmentMode === 'Automatic' && selectsNode(p, labels));
  }
  if (selecting.length === 0) {
    throw new OperationError(`no configured Calico pools for node ${req.node}`, {
      code: 'NoPoolForNode',
      hint:
        labels === undefined
          ? `node ${req.node} has no Node resource, so only pools with nodeSelector all() can be used`
          : `no enabled IPv${version} pool with assignmentMode Automatic has a nodeSelector matching the node's labels`,
    });
  }
  const use = req.use ?? 'Workload';
  const allowed = selecting.filter((p) => p.allowedUses.includes(use));
  if (allowed.length === 0) {
    throw new OperationError(`cannot find a qualified ippool, no pools match the required use (${use})`, {
      code: 'NoPoolForUse',
    });
  }
  return { version, pools: allowed };
}

function goStringSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** autoAssign for one family. Throws after rolling back when fewer than num could be assigned. */
async function autoAssign(s: Session, choice: PoolChoice, num: number): Promise<void> {
  const directory = new BlockDirectory(s.ds, choice.version, s.reservations);
  const affine = (await listAffineBlocks(s.ds, s.node, choice.version)).filter((net) =>
    choice.pools.some((p) => p.net !== undefined && cidrContains(p.net, net)),
  );
  let owned = affine.length;
  const maxBlocks = s.config.maxBlocksPerHost > 0 ? s.config.maxBlocksPerHost : DEFAULT_MAX_BLOCKS;
  const st: SearchState = {
    pools: choice.pools,
    remainingAffine: [...affine],
    allowNewClaim: true,
    directory,
  };
  const msgs: string[] = [];
  const addMsg = (m: string) => {
    if (!msgs.includes(m)) msgs.push(m);
  };
  let assigned = 0;
  while (assigned < num) {
    if (owned >= maxBlocks) st.allowNewClaim = false;
    const found = await findOrClaimBlock(s, st);
    if (found === 'noFreeBlocks') {
      if (s.config.strictAffinity) addMsg('No more free affine blocks and strict affinity enabled');
      break;
    }
    if (found === 'blockLimit') {
      await rollback(s);
      throw new OperationError('cannot allocate new block due to per host block limit', {
        code: 'BlockLimit',
        hint: `Need to allocate an IPAM block but could not - limit of ${maxBlocks} blocks reached for this node`,
      });
    }
    if (found.newlyClaimed) owned++;
    assigned += await assignFromBlock(
      s,
      found.block,
      num - assigned,
      s.config.strictAffinity,
      found.created,
      directory,
    );
  }

  if (!s.config.strictAffinity && assigned < num) {
    const exhausted: string[] = [];
    for (const pool of choice.pools) {
      for (const net of await directory.existingInRing(pool, s.node)) {
        if (assigned >= num) break;
        if (s.reservations.matchesWholeCIDR(net)) continue;
        const block = await readBlock(s.ds, net);
        if (!block) continue;
        try {
          assigned += await assignFromBlock(s, block, num - assigned, false, false, directory);
        } catch (err) {
          if (!(err instanceof OperationError)) throw err;
        }
      }
      if (assigned < num) exhausted.push(pool.cidrText);
    }
    if (exhausted.length > 0) addMsg(`No IPs available in pools: ${goStringSlice(exhausted)}`);
  }

  if (assigned < num) {
    const text = [
      `Assigned ${assigned} out of ${num} requested IPv${choice.version} addresses`,
      ...msgs,
    ].join('; ');
    await rollback(s);
    throw new OperationError(text, {
      code: 'PoolsExhausted',
      hint:
        assigned > 0
          ? `nothing was assigned: the ${assigned} addresses found were released again`
          : 'add a pool, enlarge one, or release addresses',
    });
  }
}

/** AssignIP: the pool is the first enabled pool of the family holding the address (name order). */
async function assignIP(
  s: Session,
  req: AssignRequest,
  ip: IPAddr,
  labels: Labels | undefined,
): Promise<void> {
  const { pools } = await listPools(s.ds);
  const pool = pools.find(
    (p) =>
      !p.disabled &&
      p.allocatable &&
      p.net !== undefined &&
      cidrContains(p.net, { network: ip, prefix: bitsOf(ip.version) }),
  );
  if (!pool) {
    throw new OperationError('The provided IP address is not in a configured pool\n', {
      code: 'NotInPool',
      hint: `no enabled pool contains ${ipText(ip)}`,
    });
  }
  if (!selectsNode(pool, labels)) throw notSelectedError(pool, req.node, labels);
  const net = blockContaining(ip, pool.blockSize);
  await retryConflicts(
    async () => {
      let block = await readBlock(s.ds, net);
      let claimed = false;
      if (!block) {
        const pending = await getPendingAffinity(s.ds, s.node, net);
        const got = await claimAffineBlock(s.ds, s.node, pending).catch(unlessClaimLost);
        // Another node claimed the block first: read it again.
        if (!got) return LOST_COMPARE;
        ({ block, created: claimed } = got);
      }
      const ord = ipToOrdinal(block.net, ip)!;
      assignOrdinal(block.value, ord, ipText(ip), s.owner, {
        node: s.node,
        strictAffinity: s.config.strictAffinity,
      });
      await writeBlockAndHandle(s, block, 1);
      record(s, block.net, [ord], claimed);
      return undefined;
    },
    () => {
      throw tooManyConflicts();
    },
  );
}

/**
 * Undoes a partial assignment: releases this request's addresses as `ipam release` would, then
 * releases the affinity of the blocks it created if they are empty again (releaseBlockAffinity).
 * Best effort: a step that keeps failing is left for `ipam check` to report.
 */
async function rollback(s: Session): Promise<void> {
  for (const entry of s.taken.values()) {
    await retryConflicts(
      async () => {
        const block = await readBlock(s.ds, entry.net);
        if (!block) return;
        const ours = entry.ordinals.filter((ord) => {
          const idx = block.value.allocations?.[ord];
          return (
            idx !== null && idx !== undefined && block.value.attributes?.[idx]?.handle_id === s.owner.handleID
          );
        });
        forget(
          s,
          entry,
          entry.ordinals.filter((ord) => !ours.includes(ord)),
        );
        if (ours.length === 0) return;
        releaseOrdinals(block.value, ours);
        try {
          await writeBlockAndHandle(s, block, -ours.length);
        } catch (err) {
          // Cut off: assign() reports what is still held. A lost compare is retried; any other
          // failure leaves the addresses for ipam check to report.
          if (err instanceof UnreachableError || err instanceof CasConflict) throw err;
          return;
        }
        forget(s, entry, ours);
      },
      () => undefined,
    );
    if (entry.claimed) await releaseEmptyClaim(s, entry.net).catch(() => undefined);
  }
}

/** Drops addresses this request no longer holds, so that a rollback cut off reports what is left. */
function forget(s: Session, entry: { net: Network; ordinals: number[] }, ordinals: number[]): void {
  if (ordinals.length === 0) return;
  const gone = new Set(ordinals.map((ord) => ipText(ordinalToIP(entry.net, ord))));
  entry.ordinals = entry.ordinals.filter((ord) => !ordinals.includes(ord));
  s.addresses = s.addresses.filter((a) => !gone.has(a));
}

async function releaseEmptyClaim(s: Session, net: Network): Promise<void> {
  const aff = await readAffinity(s.ds, s.node, net);
  const block = await readBlock(s.ds, net);
  if (!aff || !block || block.value.affinity !== hostAffinity(s.node) || !isBlockEmpty(block.value)) return;
  const pending = await updateAffinity(s.ds, aff, 'pendingDeletion');
  const deleted = await s.ds.delete(block.key, block.modRevision);
  if (!deleted.ok && deleted.reason !== 'missing') return;
  await deleteAffinity(s.ds, pending);
}

/** `ipam assign`: AutoAssign (num) or AssignIP (ip) for one node and handle. */
export async function assign(ds: Datastore, req: AssignRequest): Promise<AssignResult> {
  checkAssignRequest(req);
  if (req.ip !== undefined && req.pool !== undefined) {
    throw new InputError('--pool cannot be combined with --ip: the pool is the one holding the address');
  }
  const labels = await readNodeLabels(ds, req.node);
  const choice = req.ip ? undefined : await choosePools(ds, req, labels);
  const counted = countingCommits(ds);
  const session: Session = {
    ds: counted.ds,
    node: req.node,
    owner: { handleID: req.handleID, attrs: { node: req.node, ...req.attrs } },
    config: (await readIPAMConfig(ds)).config,
    reservations: await readReservations(ds),
    taken: new Map(),
    addresses: [],
  };
  try {
    if (req.ip) await assignIP(session, req, req.ip, labels);
    else await autoAssign(session, choice!, req.num!);
  } catch (err) {
    if (err instanceof UnreachableError && counted.commits() > 0) throw stoppedPartWay(session, req, err);
    throw err;
  }
  return {
    node: req.node,
    handle: req.handleID,
    addresses: session.addresses,
    blocks: [...session.taken.entries()].map(([cidr, e]) => ({
      cidr,
      assigned: e.ordinals.length,
      claimed: e.claimed,
    })),
  };
}

/** The datastore, counting the writes that committed through it. */
function countingCommits(ds: Datastore): { ds: Datastore; commits: () => number } {
  let commits = 0;
  const writes = (ops: readonly TxnOp[] | undefined) => (ops ?? []).some((op) => op.type !== 'get');
  const counted = <T extends { ok: boolean }>(outcome: T): T => {
    if (outcome.ok) commits++;
    return outcome;
  };
  return {
    commits: () => commits,
    // A Datastore is a plain object of functions (createDatastore): the reads are its own.
    ds: {
      ...ds,
      create: async (key, value) => counted(await ds.create(key, value)),
      update: async (key, value, modRevision) => counted(await ds.update(key, value, modRevision)),
      delete: async (key, modRevision) => counted(await ds.delete(key, modRevision)),
      txn: async (req: TxnRequest) => {
        const res = await ds.txn(req);
        if (writes(res.succeeded ? req.success : req.failure)) commits++;
        return res;
      },
    },
  };
}

/** How many addresses a partial result names before `and N more`. */
const LISTED_ADDRESSES = 5;

/**
 * The datastore went away after some writes of this request had committed: they stay (there is no
 * datastore to roll back with), so the error says exactly what is held (exit 1, failed in part).
 */
function stoppedPartWay(s: Session, req: AssignRequest, cause: UnreachableError): OperationError {
  const n = s.addresses.length;
  const listed = s.addresses.slice(0, LISTED_ADDRESSES).join(', ');
  const more = n > LISTED_ADDRESSES ? ` and ${n - LISTED_ADDRESSES} more` : '';
  const inFlight = cause.hint?.startsWith(WRITE_OUTCOME_UNKNOWN)
    ? '; the write in flight when the datastore was lost may have assigned more'
    : '';
  const handle = s.owner.handleID;
  if (n === 0) {
    return new OperationError(
      `ipam assign stopped part-way: ${cause.message}; no address was assigned to handle ${handle}, ` +
        `but blocks or block affinities of node ${s.node} were written before that${inFlight}`,
      {
        code: 'PartiallyAssigned',
        cause,
        hint: `a block claimed for node ${s.node}, and a block affinity left pending, stay with it for its next assignment; re-run to assign`,
      },
    );
  }
  const rest = req.num !== undefined && req.num > n ? ` with --num ${req.num - n}` : '';
  return new OperationError(
    `ipam assign stopped part-way: ${cause.message}; ${n} address(es) were assigned to handle ${handle} ` +
      `before that: ${listed}${more}${inFlight}`,
    {
      code: 'PartiallyAssigned',
      cause,
      hint: `run 'calicoctl-ts ipam release --handle ${handle}' to undo, or re-run${rest} to assign the rest`,
    },
  );
}
