/**
 * Where an etcd call gets its deadline: etcdCallBudget() is the one place that decides how long a
 * call may take in all and how long each member gets to answer one attempt, for every transport
 * (the lean client's reads, its streaming scan, and its transactions); runOnMembers()
 * is the one failover loop they all go through.
 *
 * The rule (docs/configuration.md, "How --timeout is spent"): a call may take --timeout in all. A
 * cluster of n members keeps a quorum with f = floor((n - 1) / 2) of them down or hung, so each
 * attempt gets --timeout / (f + 1): one member for a single endpoint (the whole --timeout), 2.5 s
 * of the default 5 s on three members, 1.67 s on five. A member that fails goes to the back of the
 * order for the rest of the process, so a hung member costs one attempt budget once, not per call.
 */

export interface EtcdCallBudget {
  /** When the whole call, every attempt included, is over (Date.now() time). */
  readonly deadline: number;
  /** Moves the deadline ms later (once per call: an election in progress, see runOnMembers). */
  extend(ms: number): void;
  /** The most one member gets for one attempt. */
  readonly perMemberMs: number;
  /** What the next attempt gets: perMemberMs, or what is left of the call if that is less. */
  attemptMs(): number;
}

/** No attempt is cut shorter than this (unless the call's own time runs out first). */
const MIN_ATTEMPT_MS = 500;

export function etcdCallBudget(timeoutMs: number, memberCount: number): EtcdCallBudget {
  const tolerated = Math.floor((Math.max(1, memberCount) - 1) / 2);
  const perMemberMs = Math.min(timeoutMs, Math.max(MIN_ATTEMPT_MS, Math.floor(timeoutMs / (tolerated + 1))));
  let deadline = Date.now() + timeoutMs;
  return {
    get deadline() {
      return deadline;
    },
    extend: (ms) => {
      deadline += ms;
    },
    perMemberMs,
    attemptMs: () => Math.max(0, Math.min(perMemberMs, deadline - Date.now())),
  };
}

/**
 * What one failed attempt says about the request:
 * - unsent: it never reached etcd (refused, no route, TLS failed): another member may take it;
 * - noLeader: the member answered that it cannot commit now (no leader, proposal dropped): not
 *   applied, worth another try once an election may have happened;
 * - lost: it may have reached etcd and the answer was lost (no answer in time, connection reset,
 *   etcd's own proposal timeout): a read is tried elsewhere, a write's outcome is unknown;
 * - final: etcd's own answer (bad credentials, permission, compacted revision): no retry helps.
 */
export type AttemptOutcome = 'unsent' | 'noLeader' | 'lost' | 'final';

export interface AttemptFailure {
  member: string;
  error: unknown;
  outcome: AttemptOutcome;
  /** The attempt's budget, for "no answer within ...". */
  budgetMs: number;
}

/** Every member was tried within the call's time and none gave an answer. */
export class MembersFailedError extends Error {
  constructor(readonly failures: AttemptFailure[]) {
    super(failures.map((f) => `${f.member}: ${messageOf(f.error)}`).join('; '));
  }
}

/** A write was sent and its answer lost (see 'lost'): it may or may not have been applied. */
export class WriteLostError extends Error {
  constructor(readonly failures: AttemptFailure[]) {
    super(failures.map((f) => `${f.member}: ${messageOf(f.error)}`).join('; '));
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const TIMED_OUT =
  /etcdserver: request timed out|DEADLINE_EXCEEDED|Deadline exceeded|context deadline exceeded/;

export function classifyAttempt(
  err: unknown,
  kind: { write: boolean; serializable?: boolean },
): AttemptOutcome {
  const m = messageOf(err);
  if (/etcdserver: no leader|raft proposal dropped|etcdserver: not leader|too many requests/.test(m))
    return 'noLeader';
  if (/etcdserver: leader changed/.test(m)) return kind.write ? 'lost' : 'noLeader';
  if (/etcdserver: request timed out|DEADLINE_EXCEEDED|Deadline exceeded|context deadline exceeded/.test(m))
    return 'lost';
  // A member behind the revision a paged read is pinned to: another member may have it.
  if (kind.serializable && /required revision is a future revision/.test(m)) return 'unsent';
  if (/etcdserver: |PERMISSION_DENIED|UNAUTHENTICATED/.test(m)) return 'final';
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|No connection established|Failed to connect/.test(
      m,
    )
  )
    return 'unsent';
  if (
    /certificate|alert |wrong version number|TLS connection|packet length too long|unknown protocol/i.test(m)
  )
    return 'unsent';
  if (/ECONNRESET|EPIPE|UNAVAILABLE|closed|GOAWAY|reset|INTERNAL/.test(m)) return 'lost';
  return 'final';
}

/** The members of one backend in the order to try them: a member that failed goes last. */
export class MemberOrder {
  private order: string[];
  constructor(endpoints: readonly string[]) {
    this.order = [...endpoints];
  }
  get size(): number {
    return this.order.length;
  }
  list(): readonly string[] {
    return [...this.order];
  }
  /** The member to start a call on. */
  first(): string {
    return this.order[0]!;
  }
  demote(member: string): void {
    if (this.order[this.order.length - 1] === member) return;
    this.order = [...this.order.filter((m) => m !== member), member];
  }
}

/** A line for --debug: one per attempt. */
export type EtcdTrace = (line: string) => void;

export interface MemberCall<T> {
  /** For --debug: "Range /calico/ipam/v2/assignment/ (prefix)". Never a value or a secret. */
  what: string;
  write: boolean;
  serializable?: boolean;
  attempt(member: string, timeoutMs: number): Promise<T>;
  /** For --debug: what a successful attempt returned ("3 keys"). */
  summary?(result: T): string;
}

/**
 * An attempt made before the failover loop ran (a scan's page sent ahead of its turn, h2-stream.ts),
 * and how it failed: the loop counts it as its first, within the same budget.
 */
export interface MadeAttempt {
  member: string;
  error: unknown;
  budgetMs: number;
}

/** An attempt with less time than this left is not started: it could only time out. */
const MIN_LAST_ATTEMPT_MS = 50;

/** How much longer a call waits for an election under way (see runOnMembers). */
export const ELECTION_GRACE_MS = 10_000;

/** How long to wait before another round over the members. */
const NO_LEADER_BACKOFF_MS = 200;

/**
 * Runs one etcd call on the members in order within budget: a member that cannot take it (see
 * AttemptOutcome) hands it to the next; when every member was tried and one of them said it has no
 * leader or did not answer in time, the round starts again after a short wait (an election takes
 * about a second, and a member that lost its leader says so only after that), until the call's time
 * is up. A round in which every member refused or reset the connection ends the call at once. Throws the member's own error for a final answer, WriteLostError for a write
 * whose answer was lost (never resent here: the datastore resolves it by reading), and
 * MembersFailedError when the time ran out.
 */
export async function runOnMembers<T>(
  members: MemberOrder,
  budget: EtcdCallBudget,
  call: MemberCall<T>,
  trace?: EtcdTrace,
  made?: MadeAttempt,
): Promise<T> {
  const failures: AttemptFailure[] = [];
  let extended = false;
  // An attempt made already is the first round's first, failing as it did.
  let first = made;
  for (;;) {
    let again = false;
    let noLeader = false;
    let reachable = 0;
    const order = first
      ? [first.member, ...members.list().filter((m) => m !== first?.member)]
      : members.list();
    for (const member of order) {
      const earlier = member === first?.member ? first : undefined;
      first = undefined;
      const budgetMs = earlier ? earlier.budgetMs : budget.attemptMs();
      if (budgetMs < MIN_LAST_ATTEMPT_MS) throw new MembersFailedError(failures);
      const started = Date.now();
      try {
        const result = await (earlier
          ? Promise.reject(earlier.error as Error)
          : call.attempt(member, budgetMs));
        trace?.(
          `etcd ${call.what} at ${member}: ok in ${Date.now() - started} ms${call.summary ? ` (${call.summary(result)})` : ''}`,
        );
        return result;
      } catch (err) {
        const outcome = classifyAttempt(err, call);
        trace?.(
          `etcd ${call.what} at ${member}: ${outcome} after ${Date.now() - started} ms: ${messageOf(err).split('\n')[0]}`,
        );
        // Said as "no answer within <budget>": to a tenth of a second, as the user set it.
        failures.push({ member, error: err, outcome, budgetMs: Math.round(budgetMs / 100) * 100 });
        if (outcome === 'final') throw err;
        // The next call (the read that resolves a lost write, first of all) starts elsewhere.
        if (outcome !== 'noLeader') members.demote(member);
        if (outcome === 'lost' && call.write) throw new WriteLostError(failures);
        // A member without a leader, or one that did not answer in time (it may have been waiting
        // for an election), may answer in the next round; one that refused or reset will not.
        if (outcome === 'noLeader' || (outcome === 'lost' && TIMED_OUT.test(messageOf(err)))) again = true;
        if (outcome === 'noLeader') noLeader = true;
        if (outcome !== 'unsent') reachable++;
      }
    }
    // Members say they have no leader while a quorum of them can be reached: an election is under
    // way (etcd's takes about a second, longer on a loaded machine). The call waits for it, once,
    // ELECTION_GRACE_MS more, rather than fail a command half done; without a quorum it does not.
    if (noLeader && !extended && reachable >= Math.floor(members.size / 2) + 1) {
      budget.extend(ELECTION_GRACE_MS);
      extended = true;
    }
    const wait = Math.min(NO_LEADER_BACKOFF_MS, budget.deadline - Date.now());
    if (!again || wait <= 0) throw new MembersFailedError(failures);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
