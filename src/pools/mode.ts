/**
 * `ippool mode`: change the encapsulation of one or more pools in a single etcd transaction.
 * Plan (read every pool at one revision, resolve the new modes, run the checks), then write: one
 * txn whose guards compare the mod revision of every named pool, so either all of them change or,
 * when any of them moved since it was read, none does.
 *
 * On a store without multi-key transactions (Kubernetes) the pools are written one at a time, each
 * compare-and-swap on its own revision, after the unchanged ones were checked by reading: a pool that
 * moved stops the write there, and the error names the pools already written and those not.
 * Re-running converges (a written pool is then unchanged).
 */
import { writeOneKeyAtATime } from '../datastore/cas.js';
import type { Datastore, TxnOp, TxnRequest } from '../datastore/contract.js';
import { ConflictError, InputError } from '../errors.js';
import { kindDescriptor } from '../resources/registry.js';
import { encodeForStorage, ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';
import { blockingChecks, encapChecks, validateCandidate, type Check } from './checks.js';
import { encapOf, resolveEncap, sameEncap, type EncapRequest, type Encapsulation } from './encap.js';
import { readClusterFacts } from './facts.js';

export const IPPOOL = kindDescriptor('IPPool')!;

export interface ModeRequest {
  names: readonly string[];
  all: boolean;
  encap: EncapRequest;
  dryRun: boolean;
  force: boolean;
  /** Runs between planning and writing; tests use it to play a concurrent writer. */
  beforeWrite?: () => Promise<void>;
}

export type PoolOutcome = 'changed' | 'unchanged' | 'wouldChange' | 'refused';

export interface PoolModeChange {
  name: string;
  cidr: string;
  before: Encapsulation;
  after: Encapsulation;
  outcome: PoolOutcome;
  /** The pool's mod revision: after the write when it changed, else as read. */
  resourceVersion: string;
}

export interface ModeResult {
  /** changed: written; unchanged: nothing needed changing; dryRun: would change; refused: a check failed. */
  outcome: 'changed' | 'unchanged' | 'dryRun' | 'refused';
  dryRun: boolean;
  force: boolean;
  /** The store revision the plan was read at, or the one the write created. */
  revision: number;
  pools: PoolModeChange[];
  checks: Check[];
}

interface PlannedPool {
  stored: ResourceObject;
  candidate: ResourceObject;
  change: PoolModeChange;
}

/** The named pools (or all), in the order given, each read at the listing's revision. */
async function selectPools(
  store: ResourceStore,
  req: Pick<ModeRequest, 'names' | 'all'>,
): Promise<{ pools: ResourceObject[]; revision: number }> {
  if (req.all && req.names.length > 0)
    throw new InputError('give pool names or --all, not both', { code: 'InvalidFlag' });
  if (!req.all && req.names.length === 0)
    throw new InputError('no IP pool named', {
      code: 'InvalidFlag',
      hint: 'name the pools to change (ippool mode NAME...), or use --all',
    });
  const listed = await store.list(IPPOOL);
  if (req.all) {
    if (listed.items.length === 0)
      throw new InputError('--all: there are no IP pools', { code: 'ResourceNotFound' });
    return { pools: listed.items, revision: listed.revision };
  }
  const byName = new Map(listed.items.map((p) => [p.metadata.name ?? '', p]));
  const missing = [...new Set(req.names)].filter((n) => !byName.has(n));
  if (missing.length > 0)
    throw new InputError(
      `resource does not exist: ${missing.map((n) => `IPPool(${n})`).join(', ')} with error: <nil>`,
      { code: 'ResourceNotFound', hint: "list the pools with 'calicoctl-ts get ippools'" },
    );
  return { pools: [...new Set(req.names)].map((n) => byName.get(n)!), revision: listed.revision };
}

export async function setPoolModes(ds: Datastore, req: ModeRequest): Promise<ModeResult> {
  if (req.encap.ipip === undefined && req.encap.vxlan === undefined)
    throw new InputError('nothing to change: give --ipip and/or --vxlan', {
      code: 'InvalidFlag',
      hint: 'e.g. --vxlan=Always to move a pool from IPIP to VXLAN',
    });
  const store = new ResourceStore(ds);
  const { pools, revision } = await selectPools(store, req);

  const planned: PlannedPool[] = pools.map((stored) => {
    const name = stored.metadata.name ?? '';
    const before = encapOf(stored.spec);
    const after = resolveEncap(name, before, req.encap);
    const change: PoolModeChange = {
      name,
      cidr: String(stored.spec?.cidr ?? ''),
      before,
      after,
      outcome: sameEncap(before, after) ? 'unchanged' : 'changed',
      resourceVersion: stored.metadata.resourceVersion ?? '',
    };
    return { stored, candidate: stored, change };
  });
  const changing = planned.filter((p) => p.change.outcome === 'changed');

  const checks: Check[] = [];
  if (changing.length > 0) {
    const facts = await readClusterFacts(store);
    for (const p of changing) {
      const { candidate, checks: invalid } = validateCandidate(p.stored, p.change.after);
      p.candidate = candidate;
      checks.push(...invalid, ...encapChecks(p.stored, p.change.before, p.change.after, facts));
    }
  }
  const result = (outcome: ModeResult['outcome'], rev: number): ModeResult => ({
    outcome,
    dryRun: req.dryRun,
    force: req.force,
    revision: rev,
    pools: planned.map((p) => p.change),
    checks,
  });

  if (blockingChecks(checks, req.force).length > 0) {
    for (const p of changing) p.change.outcome = 'refused';
    return result('refused', revision);
  }
  if (changing.length === 0) return result('unchanged', revision);
  if (req.dryRun) {
    for (const p of changing) p.change.outcome = 'wouldChange';
    return result('dryRun', revision);
  }

  await req.beforeWrite?.();
  if (!ds.multiKeyTransactions) return result('changed', await writePoolByPool(ds, store, planned));
  const written = await writeAllOrNothing(ds, store, planned);
  for (const p of changing) p.change.resourceVersion = String(written);
  return result('changed', written);
}

/** The one transaction's guards and puts: every named pool at its revision, the changed ones put. */
function modeTxn(store: ResourceStore, planned: readonly PlannedPool[]): TxnRequest {
  return {
    compare: planned.map((p) => ({
      key: store.key(IPPOOL, p.stored),
      target: 'modRevision',
      op: '==',
      value: Number(p.stored.metadata.resourceVersion),
    })),
    success: planned
      .filter((p) => p.change.outcome === 'changed')
      .map(
        (p): TxnOp => ({
          type: 'put',
          key: store.key(IPPOOL, p.stored),
          value: encodeForStorage(IPPOOL, p.candidate),
        }),
      ),
  };
}

/**
 * The same guards and puts one pool at a time; each changed pool gets its own revision. A lost guard
 * throws a conflict naming what was written before it.
 */
async function writePoolByPool(
  ds: Datastore,
  store: ResourceStore,
  planned: readonly PlannedPool[],
): Promise<number> {
  const out = await writeOneKeyAtATime(ds, modeTxn(store, planned));
  const byKey = new Map(planned.map((p) => [store.key(IPPOOL, p.stored), p]));
  const names = (keys: readonly string[]) =>
    keys.map((k) => `IPPool(${byKey.get(k)?.stored.metadata.name ?? ''})`).join(', ');
  if (out.succeeded) {
    // Each pool's own revision: the one its write created.
    out.written.forEach((key, i) => (byKey.get(key)!.change.resourceVersion = String(out.revisions[i])));
    return out.revision;
  }
  const notWritten = planned
    .filter((p) => p.change.outcome === 'changed' && !out.written.includes(store.key(IPPOOL, p.stored)))
    .map((p) => store.key(IPPOOL, p.stored));
  const done =
    out.written.length === 0
      ? 'nothing was written'
      : `${names(out.written)} ${out.written.length === 1 ? 'was' : 'were'} written, ${names(notWritten)} ${notWritten.length === 1 ? 'was' : 'were'} not (this datastore writes one pool at a time)`;
  throw new ConflictError(`update conflict: ${names([out.lost!])} changed since it was read; ${done}`, {
    hint: 'another writer changed the pool; re-run the command to plan again from the current state',
  });
}

/** One txn: every named pool must still be at the revision it was read at; changed pools are put. */
async function writeAllOrNothing(
  ds: Datastore,
  store: ResourceStore,
  planned: readonly PlannedPool[],
): Promise<number> {
  const keys = planned.map((p) => store.key(IPPOOL, p.stored));
  const res = await ds.txn({
    ...modeTxn(store, planned),
    failure: keys.map((key) => ({ type: 'get', key })),
  });
  if (res.succeeded) return res.revision;
  const moved = planned
    .filter((p, i) => {
      const got = res.results[i];
      const now = got?.type === 'get' ? got.kvs[0]?.modRevision : undefined;
      return String(now ?? 'deleted') !== p.stored.metadata.resourceVersion;
    })
    .map((p) => `IPPool(${p.stored.metadata.name ?? ''})`);
  throw new ConflictError(
    `update conflict: ${moved.join(', ')} changed since it was read; nothing was written`,
    { hint: 'another writer changed the pool; re-run the command to plan again from the current state' },
  );
}
