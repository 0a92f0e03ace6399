/**
 * The compare-and-swap update of one key, for every writer: read the key, decide what it should
 * become, write that only if the key has not changed since it was read, and start again from a
 * fresh read when it had. The retry policy, one for the whole tool (`retryLostCompares`):
 *
 * - up to CAS_ATTEMPTS rounds (libcalico-go's datastoreRetries for IPAM), each from a fresh read, no
 *   wait in between (a lost compare means someone else just wrote: the next read sees it);
 * - only a lost compare is retried here. A write whose answer was lost (a hung member, a leader that
 *   died) is resolved below, in the datastore's write path (datastore.ts), by reading the stored
 *   value and mod revision: it comes back here as applied or as a lost compare, never as an unknown;
 * - when every round lost, the caller says what that means: most throw their own error (its message
 *   and exit code: a conflict, exit 4, or Calico's text).
 *
 * A writer whose round is more than one key's read and write (a resource update that may go into an
 * --atomic plan, a block affinity released across two keys) runs its round through
 * `retryLostCompares` itself; one key's update is `updateKey`.
 *
 * Several keys that etcd writes in one guarded transaction go, on a store without multi-key
 * transactions, through writeOneKeyAtATime (below): the same guards, one key at a time, in the
 * caller's order, stopping at the first lost guard and saying what was written before it.
 */
import type { Compare, Datastore, KeyValue, TxnOp, TxnRequest } from './contract.js';

export const CAS_ATTEMPTS = 100;

/** What a round returns when its compare lost to another writer: read again and retry. */
export const LOST_COMPARE: unique symbol = Symbol('lost compare');

/** Runs round until it is not lost, at most CAS_ATTEMPTS times; then returns what exhausted says (or throws). */
export async function retryLostCompares<R>(
  round: () => Promise<R | typeof LOST_COMPARE>,
  exhausted: () => R,
): Promise<R> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const outcome = await round();
    if (outcome !== LOST_COMPARE) return outcome;
  }
  return exhausted();
}

/** What the key should become, decided from what it holds now (undefined: missing). */
export type CasDecision<R> =
  | { put: string; result: R }
  | { delete: true; result: R }
  /** Nothing to write: the key already says what it should. */
  | { done: R };

export interface CasResult<R> {
  result: R;
  /** The revision of the write; the key's mod revision (0 when missing) when nothing was written. */
  revision: number;
}

export async function updateKey<R>(
  ds: Datastore,
  key: string,
  decide: (current: KeyValue | undefined) => CasDecision<R> | Promise<CasDecision<R>>,
  exhausted: () => Error,
): Promise<CasResult<R>> {
  return retryLostCompares(
    async () => {
      const current = await ds.get(key);
      const decision = await decide(current);
      if ('done' in decision) return { result: decision.done, revision: current?.modRevision ?? 0 };
      if ('delete' in decision) {
        if (!current) return { result: decision.result, revision: 0 };
        const outcome = await ds.delete(key, current.modRevision);
        if (outcome.ok) return { result: decision.result, revision: outcome.revision };
        return outcome.reason === 'missing' ? { result: decision.result, revision: 0 } : LOST_COMPARE;
      }
      const outcome = current
        ? await ds.update(key, decision.put, current.modRevision)
        : await ds.create(key, decision.put);
      return outcome.ok ? { result: decision.result, revision: outcome.revision } : LOST_COMPARE;
    },
    () => {
      throw exhausted();
    },
  );
}

/** What writeOneKeyAtATime did: the keys it wrote, in order, and the one whose guard was lost. */
export interface OneKeyAtATimeOutcome {
  succeeded: boolean;
  /** The revision of the last write made (the store's current revision when none was). */
  revision: number;
  /** The keys written, in the order of the request's writes. */
  written: string[];
  /** The revision of each write, in the same order. */
  revisions: number[];
  /** When !succeeded: the key whose compare no longer held; nothing from it on was written. */
  lost?: string;
}

/**
 * A multi-key transaction made one key at a time, for a store that has no multi-key transactions
 * (Kubernetes: one object per request). Compares on keys the request does not write are checked by
 * reading them first; then each write of req.success is sent, in order, as a one-key transaction
 * guarded by the request's compares on that key. The first write whose guard no longer holds stops
 * it: the writes before it stay (there is no way to take them back atomically), so the caller must
 * order the writes so that every prefix is a state it can report and resume from, and say which
 * keys were written. No retry here: a lost guard means another writer moved the key, and what to
 * do then is the caller's decision (plan again from a fresh read).
 */
export async function writeOneKeyAtATime(ds: Datastore, req: TxnRequest): Promise<OneKeyAtATimeOutcome> {
  const writes = req.success.filter((op): op is Exclude<TxnOp, { type: 'get' }> => op.type !== 'get');
  const writtenKeys = new Set(writes.map((op) => op.key));
  for (const c of req.compare) {
    if (writtenKeys.has(c.key)) continue;
    if (!holds(c, await ds.get(c.key)))
      return {
        succeeded: false,
        revision: await ds.currentRevision(),
        written: [],
        revisions: [],
        lost: c.key,
      };
  }
  const written: string[] = [];
  const revisions: number[] = [];
  let revision = 0;
  for (const op of writes) {
    const res = await ds.txn({ compare: req.compare.filter((c) => c.key === op.key), success: [op] });
    if (!res.succeeded)
      return { succeeded: false, revision: revision || res.revision, written, revisions, lost: op.key };
    written.push(op.key);
    revisions.push(res.revision);
    revision = res.revision;
  }
  return { succeeded: true, revision: revision || (await ds.currentRevision()), written, revisions };
}

/** Whether a compare holds for the key as read (a missing key has version and revisions 0). */
function holds(c: Compare, kv: KeyValue | undefined): boolean {
  const actual: number | string =
    c.target === 'value'
      ? (kv?.value ?? '')
      : c.target === 'version'
        ? (kv?.version ?? 0)
        : c.target === 'createRevision'
          ? (kv?.createRevision ?? 0)
          : (kv?.modRevision ?? 0);
  switch (c.op) {
    case '==':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case '<':
      return actual < c.value;
    case '>':
      return actual > c.value;
  }
}
