/**
 * `ippool migrate`: Calico's documented procedures as a resumable state machine.
 *
 * move (OLD -> NEW):   1 create NEW, 2 disable OLD, 3 drain OLD, 4 delete OLD
 * resize (OLD's block size through a temporary pool TMP):
 *   1 create TMP, 2 disable OLD, 3 drain OLD, 4 delete OLD,
 *   5 create OLD again with the new block size, 6 disable TMP, 7 drain TMP, 8 delete TMP
 *
 * The step reached is derived from the datastore alone (which pools exist, which are disabled, their
 * block size, and the annotations written on the pools this command creates), so any machine can
 * resume. Every write is one transaction guarded by the mod revisions of the pools it read; steps
 * 1+2 and 5+6 are written together (on a store without multi-key transactions, one after the other:
 * see commit). Draining is the operator's part (restarting workloads); the
 * delete step runs only with --finish and only when nothing but released addresses is left.
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomUUID } from 'node:crypto';

import { checkBlockSizeConflict, deleteIPPool } from '../apply/kinds/ippool.js';
import { writeOneKeyAtATime } from '../datastore/cas.js';
import type { Compare, Datastore, TxnOp } from '../datastore/contract.js';
import { ConflictError, InputError, RefusedError } from '../errors.js';
import { parseCIDR, type CIDR } from '../resources/ip.js';
import { encodeForStorage, ResourceStore } from '../resources/store.js';
import { API_VERSION, validationMessage, type ResourceObject } from '../resources/types.js';
import { validateIPPool } from '../resources/kinds/ippool.js';
import { validateMetadata } from '../resources/validate.js';
import { ENCAP_MODES, encapOf, resolveEncap, type EncapMode, type EncapRequest } from './encap.js';
import { holdersByNode, isDrained, poolHolders, type Holder } from './holders.js';
import { IPPOOL } from './mode.js';

export const MIGRATED_FROM = 'calicoctl-ts.projectcalico.org/migrated-from';
export const RESIZE_BLOCK_SIZE = 'calicoctl-ts.projectcalico.org/resize-block-size';
export const RESIZE_CIDR = 'calicoctl-ts.projectcalico.org/resize-cidr';
export const RESIZE_IPIP = 'calicoctl-ts.projectcalico.org/resize-ipip-mode';
export const RESIZE_VXLAN = 'calicoctl-ts.projectcalico.org/resize-vxlan-mode';

/** Calico's ipPools.Delete waits this long after disabling for allocations already under way. */
const SETTLE_MS = 500;

export interface MigrateRequest {
  old: string;
  /** move: the new pool. */
  to?: string;
  /** move: the new pool's CIDR (needed for step 1 only). */
  cidr?: string;
  /** move: the new pool's block size; resize: the block size OLD ends up with. */
  blockSize?: number;
  /** Encapsulation overrides: move: for the new pool; resize: for OLD as it is re-created. */
  encap: EncapRequest;
  /** resize: the temporary pool's name and CIDR. */
  tempName?: string;
  tempCidr?: string;
  finish: boolean;
  status: boolean;
  dryRun: boolean;
  /** Runs before every write; tests use it to play a concurrent writer. */
  beforeWrite?: () => Promise<void>;
  /** Pause after disabling before counting what is left (default 500 ms, as Calico's delete). */
  settleMs?: number;
}

export type StepAction = 'create' | 'disable' | 'drain' | 'delete';

export interface StepView {
  step: number;
  action: StepAction;
  pool: string;
  description: string;
  state: 'done' | 'current' | 'pending';
}

export interface DrainReport {
  pool: string;
  cidr: string;
  left: number;
  released: number;
  nodes: { node: string; count: number }[];
  holders: Holder[];
  corrupt: { key: string; reason: string }[];
}

export interface MigrateResult {
  kind: 'move' | 'resize';
  old: string;
  new?: string;
  temporary?: string;
  blockSize?: number;
  /**
   * complete: nothing left to do; waiting: addresses left, restart workloads; readyToFinish: run
   * with --finish; refused: --finish with addresses left; wouldChange: dry run. Only with --status:
   * notStarted (before step 1), inProgress (a create or disable step is next: run again).
   */
  outcome: 'complete' | 'waiting' | 'readyToFinish' | 'refused' | 'wouldChange' | 'notStarted' | 'inProgress';
  dryRun: boolean;
  steps: StepView[];
  /** The first step not done (1-based); steps.length + 1 when complete. */
  stepReached: number;
  /** What this run wrote (or, with --dry-run, would write), in order. */
  actions: string[];
  /** Addresses still held in the pool being drained (0 outside the drain steps). */
  left: number;
  draining?: DrainReport;
  revision: number;
}

interface Plan {
  kind: 'move' | 'resize';
  old: string;
  target: string;
  blockSize?: number;
  /** The --ipip/--vxlan overrides; a resize in progress reads them back from TMP's annotations. */
  encap: EncapRequest;
}

type Pools = Map<string, ResourceObject>;

const annotation = (p: ResourceObject | undefined, key: string): string | undefined =>
  p?.metadata.annotations?.[key];

function stepsOf(plan: Plan): Omit<StepView, 'state'>[] {
  const hop = (from: string, to: string, first: number, createText: string) => [
    { step: first, action: 'create' as const, pool: to, description: createText },
    { step: first + 1, action: 'disable' as const, pool: from, description: `disable IPPool(${from})` },
    {
      step: first + 2,
      action: 'drain' as const,
      pool: from,
      description: `restart the workloads holding addresses in IPPool(${from})`,
    },
    {
      step: first + 3,
      action: 'delete' as const,
      pool: from,
      description: `delete IPPool(${from}) (--finish)`,
    },
  ];
  if (plan.kind === 'move')
    return hop(plan.old, plan.target, 1, `create IPPool(${plan.target}) with the settings of ${plan.old}`);
  return [
    ...hop(
      plan.old,
      plan.target,
      1,
      `create temporary IPPool(${plan.target}) with the settings of ${plan.old}`,
    ),
    ...hop(plan.target, plan.old, 5, `create IPPool(${plan.old}) again with blockSize ${plan.blockSize}`),
  ];
}

/** The --ipip/--vxlan overrides a resize recorded on the pools it created. */
function encapAnnotations(p: ResourceObject): EncapRequest {
  const read = (key: string): EncapMode | undefined => {
    const v = annotation(p, key);
    if (v === undefined || (ENCAP_MODES as readonly string[]).includes(v)) return v as EncapMode | undefined;
    throw new RefusedError(`IPPool(${p.metadata.name ?? ''}) has ${key}: ${v}, which is not a mode`, {
      code: 'MigrationMismatch',
      hint: `set it to Always, CrossSubnet or Never, or remove it`,
    });
  };
  const ipip = read(RESIZE_IPIP);
  const vxlan = read(RESIZE_VXLAN);
  return { ...(ipip ? { ipip } : {}), ...(vxlan ? { vxlan } : {}) };
}

const encapRecord = (encap: EncapRequest): Record<string, string> => ({
  ...(encap.ipip ? { [RESIZE_IPIP]: encap.ipip } : {}),
  ...(encap.vxlan ? { [RESIZE_VXLAN]: encap.vxlan } : {}),
});

const encapFlags = (encap: EncapRequest): string =>
  [encap.ipip && `--ipip=${encap.ipip}`, encap.vxlan && `--vxlan=${encap.vxlan}`].filter(Boolean).join(' ') ||
  'no --ipip/--vxlan';

/** Which migration OLD is in: from the flags, else from the annotations in the datastore. */
function discoverPlan(req: MigrateRequest, pools: Pools): Plan {
  const fromOld = [...pools.values()].filter((p) => annotation(p, MIGRATED_FROM) === req.old);
  const resizeTarget = (temp: ResourceObject | undefined, name: string): Plan => {
    const stored = Number(annotation(temp, RESIZE_BLOCK_SIZE) ?? NaN);
    if (req.blockSize !== undefined && !Number.isNaN(stored) && stored !== req.blockSize)
      throw new InputError(
        `--block-size ${req.blockSize} does not match the migration in progress (IPPool(${name}) is resizing ${req.old} to ${stored})`,
        { code: 'InvalidFlag', hint: `drop --block-size, or finish that migration first` },
      );
    const blockSize = req.blockSize ?? (Number.isNaN(stored) ? undefined : stored);
    if (blockSize === undefined)
      throw new InputError('--block-size is required to change the block size of a pool', {
        code: 'InvalidFlag',
      });
    if (!temp || annotation(temp, MIGRATED_FROM) === undefined)
      return { kind: 'resize', old: req.old, target: name, blockSize, encap: req.encap };
    // Once started, the overrides are the ones recorded at step 1; flags may repeat them, not change them.
    const recorded = encapAnnotations(temp);
    if (
      (req.encap.ipip ?? recorded.ipip) !== recorded.ipip ||
      (req.encap.vxlan ?? recorded.vxlan) !== recorded.vxlan
    )
      throw new InputError(
        `${encapFlags(req.encap)} does not match the migration in progress (IPPool(${name}) re-creates ${req.old} with ${encapFlags(recorded)})`,
        { code: 'InvalidFlag', hint: 'drop --ipip/--vxlan, or finish that migration first' },
      );
    return { kind: 'resize', old: req.old, target: name, blockSize, encap: recorded };
  };
  if (req.to !== undefined) {
    if (req.tempName !== undefined || req.tempCidr !== undefined)
      throw new InputError('--to moves to a new pool; --temp-name/--temp-cidr change the block size', {
        code: 'InvalidFlag',
        hint: 'give either --to NEW --cidr CIDR, or --block-size N --temp-cidr CIDR',
      });
    if (req.to === req.old)
      throw new InputError(`--to ${req.to} names the pool being migrated`, {
        code: 'InvalidFlag',
        hint: 'to change the block size in place use --block-size N --temp-cidr CIDR',
      });
    return { kind: 'move', old: req.old, target: req.to, encap: req.encap };
  }
  if (req.tempName !== undefined || req.tempCidr !== undefined) {
    const name = req.tempName ?? `${req.old}-tmp`;
    return resizeTarget(pools.get(name), name);
  }
  if (fromOld.length > 1)
    throw new InputError(
      `several pools were migrated from IPPool(${req.old}): ${fromOld.map((p) => p.metadata.name).join(', ')}`,
      { code: 'InvalidFlag', hint: 'name the one you mean with --to (or --temp-name)' },
    );
  const found = fromOld[0];
  if (found)
    return annotation(found, RESIZE_BLOCK_SIZE) !== undefined
      ? resizeTarget(found, found.metadata.name ?? '')
      : { kind: 'move', old: req.old, target: found.metadata.name ?? '', encap: req.encap };
  const old = pools.get(req.old);
  const resizedFrom = annotation(old, MIGRATED_FROM);
  if (resizedFrom !== undefined && annotation(old, RESIZE_BLOCK_SIZE) !== undefined)
    return resizeTarget(old, resizedFrom);
  throw new InputError(`no migration of IPPool(${req.old}) is in progress`, {
    code: 'InvalidFlag',
    hint: 'start one with --to NEW --cidr CIDR (new pool) or --block-size N --temp-cidr CIDR (new block size)',
  });
}

/** The 0-based index of the first step not done; throws when the pools do not fit the plan. */
function stepIndex(plan: Plan, pools: Pools): number {
  const old = pools.get(plan.old);
  const target = pools.get(plan.target);
  const disabled = (p: ResourceObject) => p.spec?.disabled === true;
  if (target && annotation(target, MIGRATED_FROM) !== plan.old)
    throw new RefusedError(
      `IPPool(${plan.target}) exists and was not created by a migration from IPPool(${plan.old})`,
      {
        code: 'MigrationMismatch',
        hint: `choose another name, or delete IPPool(${plan.target}) if it is unused`,
      },
    );
  if (plan.kind === 'move') {
    if (!target) {
      if (!old) throw notFound(plan.old);
      return 0;
    }
    if (!old) return 4;
    return disabled(old) ? 2 : 1;
  }
  const resized = old !== undefined && old.spec?.blockSize === plan.blockSize;
  if (!target) {
    if (!old) throw notFound(plan.old);
    return resized ? 8 : 0;
  }
  if (old && !resized) return disabled(old) ? 2 : 1;
  if (!old) return 4;
  return disabled(target) ? 6 : 5;
}

function notFound(name: string): InputError {
  return new InputError(`resource does not exist: IPPool(${name}) with error: <nil>`, {
    code: 'ResourceNotFound',
    hint: "list the pools with 'calicoctl-ts get ippools'",
  });
}

function validationFailure(fields: Parameters<typeof validationMessage>[0]): InputError {
  return new InputError(validationMessage(fields), {
    code: 'ValidationFailed',
    hint: 'fix the named flag; the new pool must pass the same checks as apply (docs/resources.md)',
  });
}

/** A pool to create: validated as apply validates a create, with a fresh uid and timestamp. */
async function newPool(ds: Datastore, pools: Pools, res: ResourceObject): Promise<ResourceObject> {
  const others = [...pools.values()].map((p) => ({
    name: p.metadata.name ?? '',
    cidr: String(p.spec?.cidr ?? ''),
  }));
  const errs = [...validateIPPool(res, undefined, others), ...validateMetadata(res)];
  if (errs.length > 0) throw validationFailure(errs);
  await checkBlockSizeConflict(ds, res);
  return {
    ...res,
    metadata: { ...res.metadata, uid: randomUUID(), creationTimestamp: goTimestamp() },
  };
}

/** The new pool of a move: OLD's settings, the given CIDR, block size and encapsulation. */
function movedPool(req: MigrateRequest, old: ResourceObject, name: string): ResourceObject {
  if (req.cidr === undefined)
    throw new InputError(`--cidr is required to create IPPool(${name})`, { code: 'InvalidFlag' });
  const oldCidr = parseCIDR(String(old.spec?.cidr ?? ''));
  const newCidr = parseCIDR(req.cidr);
  const spec: Record<string, unknown> = { ...old.spec, cidr: req.cidr, disabled: undefined };
  const encap = resolveEncap(name, encapOf(old.spec), req.encap);
  spec.ipipMode = encap.ipipMode;
  spec.vxlanMode = encap.vxlanMode;
  if (req.blockSize !== undefined) spec.blockSize = req.blockSize;
  // A block size only carries over within one address family.
  else if (!oldCidr || !newCidr || oldCidr.ip.version !== newCidr.ip.version) spec.blockSize = undefined;
  return {
    kind: 'IPPool',
    apiVersion: API_VERSION,
    metadata: {
      name,
      labels: old.metadata.labels,
      annotations: { [MIGRATED_FROM]: old.metadata.name ?? '' },
    },
    spec,
  };
}

/** OLD's spec with the new block size and the --ipip/--vxlan overrides (step 5). */
function resizedSpec(plan: Plan, spec: Record<string, unknown> | undefined): Record<string, unknown> {
  const encap = resolveEncap(plan.old, encapOf(spec), plan.encap);
  return { ...spec, blockSize: plan.blockSize, ...encap, disabled: undefined };
}

function tempPool(req: MigrateRequest, plan: Plan, old: ResourceObject): ResourceObject {
  if (req.tempCidr === undefined)
    throw new InputError(`--temp-cidr is required to create the temporary IPPool(${plan.target})`, {
      code: 'InvalidFlag',
    });
  // Refuse at step 1 what step 5 would refuse: a block size out of range, IPIP on IPv6, ...
  const errs = validateIPPool({ ...structuredClone(old), spec: resizedSpec(plan, old.spec) }, undefined, []);
  if (errs.length > 0) throw validationFailure(errs);
  return {
    kind: 'IPPool',
    apiVersion: API_VERSION,
    metadata: {
      name: plan.target,
      labels: old.metadata.labels,
      annotations: {
        [MIGRATED_FROM]: plan.old,
        [RESIZE_BLOCK_SIZE]: String(plan.blockSize),
        [RESIZE_CIDR]: String(old.spec?.cidr ?? ''),
        ...encapRecord(plan.encap),
      },
    },
    spec: { ...old.spec, cidr: req.tempCidr, disabled: undefined },
  };
}

function recreatedPool(plan: Plan, temp: ResourceObject): ResourceObject {
  const cidr = annotation(temp, RESIZE_CIDR);
  if (cidr === undefined)
    throw new RefusedError(
      `IPPool(${plan.target}) has no ${RESIZE_CIDR} annotation: cannot tell which CIDR to recreate`,
      { code: 'MigrationMismatch', hint: `create IPPool(${plan.old}) by hand, then re-run` },
    );
  return {
    kind: 'IPPool',
    apiVersion: API_VERSION,
    metadata: {
      name: plan.old,
      labels: temp.metadata.labels,
      annotations: {
        [MIGRATED_FROM]: plan.target,
        [RESIZE_BLOCK_SIZE]: String(plan.blockSize),
        ...encapRecord(plan.encap),
      },
    },
    spec: { ...resizedSpec(plan, temp.spec), cidr },
  };
}

const guard = (store: ResourceStore, p: ResourceObject): Compare => ({
  key: store.key(IPPOOL, p),
  target: 'modRevision',
  op: '==',
  value: Number(p.metadata.resourceVersion),
});

const disabledPut = (store: ResourceStore, p: ResourceObject): TxnOp => ({
  type: 'put',
  key: store.key(IPPOOL, p),
  value: encodeForStorage(IPPOOL, { ...p, spec: { ...p.spec, disabled: true } }),
});

/**
 * One guarded transaction; a lost guard means another writer moved a pool: nothing was written.
 * On a store without multi-key transactions the writes go one key at a time in the order given
 * (create the new pool, then disable the one being left): a lost guard after the create leaves a
 * state the plan resumes from (the next step is then "disable"), and the error says what was written.
 */
async function commit(
  ds: Datastore,
  req: MigrateRequest,
  compare: Compare[],
  success: TxnOp[],
  names: string[],
): Promise<void> {
  await req.beforeWrite?.();
  const hint = 'another writer changed the pools; re-run the command to continue from the current state';
  if (!ds.multiKeyTransactions) {
    const out = await writeOneKeyAtATime(ds, { compare, success });
    if (out.succeeded) return;
    const pool = (key: string) => `IPPool(${key.slice(key.lastIndexOf('/') + 1)})`;
    const done =
      out.written.length === 0
        ? 'nothing was written'
        : `${out.written.map(pool).join(', ')} was written before it (this datastore writes one pool at a time)`;
    throw new ConflictError(`update conflict: ${pool(out.lost!)} changed since it was read; ${done}`, {
      hint,
    });
  }
  const res = await ds.txn({ compare, success });
  if (!res.succeeded)
    throw new ConflictError(
      `update conflict: ${names.map((n) => `IPPool(${n})`).join(', ')} changed since it was read; nothing was written`,
      { hint },
    );
}

async function readPools(store: ResourceStore): Promise<{ pools: Pools; revision: number }> {
  const listed = await store.list(IPPOOL);
  return { pools: new Map(listed.items.map((p) => [p.metadata.name ?? '', p])), revision: listed.revision };
}

async function drainReport(ds: Datastore, pool: ResourceObject): Promise<DrainReport> {
  const cidr = parseCIDR(String(pool.spec?.cidr ?? '')) as CIDR;
  const report = await poolHolders(ds, cidr);
  return {
    pool: pool.metadata.name ?? '',
    cidr: report.cidr,
    left: report.holders.length,
    released: report.released,
    nodes: holdersByNode(report.holders),
    holders: report.holders,
    corrupt: report.corrupt,
  };
}

/** Deletes empty blocks left in a deleted pool's CIDR, so it can be recreated with another size. */
async function deleteEmptyBlocks(ds: Datastore, cidr: CIDR): Promise<void> {
  const report = await poolHolders(ds, cidr);
  for (const b of report.blocks) if (b.empty) await ds.delete(b.key, b.modRevision);
}

export async function migratePool(ds: Datastore, req: MigrateRequest): Promise<MigrateResult> {
  const store = new ResourceStore(ds);
  let { pools, revision } = await readPools(store);
  const plan = discoverPlan(req, pools);
  const steps = stepsOf(plan);
  const actions: string[] = [];
  let disabledNow = false;
  let draining: DrainReport | undefined;
  let index = 0;
  let outcome: MigrateResult['outcome'] = 'complete';

  for (;;) {
    index = stepIndex(plan, pools);
    const step = steps[index];
    if (!step) break;
    if (req.status) {
      if (step.action === 'drain') draining = await drainReport(ds, pools.get(step.pool)!);
      outcome = index === 0 ? 'notStarted' : step.action === 'drain' ? 'waiting' : 'inProgress';
      if (draining && isDrained(draining)) {
        index++;
        outcome = 'readyToFinish';
      }
      break;
    }
    const from = pools.get(step.action === 'create' ? steps[index + 1]!.pool : step.pool);
    if (step.action === 'create') {
      // Steps 1+2 (and 5+6): create the pool and disable the one being left, in one transaction.
      const leaving = from!;
      const res =
        plan.kind === 'move'
          ? movedPool(req, leaving, step.pool)
          : index === 0
            ? tempPool(req, plan, leaving)
            : recreatedPool(plan, leaving);
      const created = await newPool(ds, pools, res);
      const text = `created IPPool(${step.pool}) ${String(created.spec?.cidr)} blockSize ${String(created.spec?.blockSize)}`;
      const success: TxnOp[] = [
        { type: 'put', key: store.key(IPPOOL, created), value: encodeForStorage(IPPOOL, created) },
      ];
      const compare: Compare[] = [
        { key: store.key(IPPOOL, created), target: 'version', op: '==', value: 0 },
        guard(store, leaving),
      ];
      const disable = leaving.spec?.disabled !== true;
      if (disable) success.push(disabledPut(store, leaving));
      if (req.dryRun) {
        actions.push(`would have ${text}`);
        if (disable) actions.push(`would have disabled IPPool(${leaving.metadata.name})`);
        outcome = 'wouldChange';
        break;
      }
      await commit(ds, req, compare, success, [step.pool, leaving.metadata.name ?? '']);
      actions.push(text);
      if (disable) actions.push(`disabled IPPool(${leaving.metadata.name})`);
      disabledNow ||= disable;
    } else if (step.action === 'disable') {
      const other = pools.get(step.pool === plan.old ? plan.target : plan.old);
      if (req.dryRun) {
        actions.push(`would have disabled IPPool(${step.pool})`);
        outcome = 'wouldChange';
        break;
      }
      await commit(
        ds,
        req,
        [guard(store, from!), ...(other ? [guard(store, other)] : [])],
        [disabledPut(store, from!)],
        [step.pool],
      );
      actions.push(`disabled IPPool(${step.pool})`);
      disabledNow = true;
    } else {
      if (disabledNow && req.finish) await new Promise((r) => setTimeout(r, req.settleMs ?? SETTLE_MS));
      const pool = from!;
      draining = await drainReport(ds, pool);
      if (!isDrained(draining)) {
        outcome = req.finish ? 'refused' : 'waiting';
        break;
      }
      index++;
      if (!req.finish) {
        outcome = 'readyToFinish';
        break;
      }
      if (req.dryRun) {
        actions.push(`would have deleted IPPool(${step.pool})`);
        outcome = 'wouldChange';
        break;
      }
      await req.beforeWrite?.();
      const now = await ds.get(store.key(IPPOOL, pool));
      if (String(now?.modRevision ?? 'deleted') !== pool.metadata.resourceVersion)
        throw new ConflictError(
          `update conflict: IPPool(${step.pool}) changed since it was read; nothing was written`,
          { hint: 'another writer changed the pool; re-run the command to continue from the current state' },
        );
      await deleteIPPool(store, IPPOOL, step.pool, pool.metadata.resourceVersion);
      if (plan.kind === 'resize' && step.pool === plan.old)
        await deleteEmptyBlocks(ds, parseCIDR(String(pool.spec?.cidr ?? '')) as CIDR);
      actions.push(`deleted IPPool(${step.pool})`);
      draining = undefined;
    }
    ({ pools, revision } = await readPools(store));
  }
  if (index >= steps.length) outcome = 'complete';

  return {
    kind: plan.kind,
    old: plan.old,
    ...(plan.kind === 'move' ? { new: plan.target } : { temporary: plan.target, blockSize: plan.blockSize }),
    outcome,
    dryRun: req.dryRun,
    steps: steps.map((s, i) => ({ ...s, state: i < index ? 'done' : i === index ? 'current' : 'pending' })),
    stepReached: index + 1,
    actions,
    left: draining?.left ?? 0,
    ...(draining ? { draining } : {}),
    revision,
  };
}
