/**
 * Every failure the tool reports is a CalicoError: it carries a stable code (for `-o json`),
 * the process exit code from docs/exit-codes.md, and an optional one-line hint.
 * Library code throws these; only src/cli turns them into output and an exit status.
 */

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  BadInput: 2,
  Unreachable: 3,
  Conflict: 4,
  Refused: 5,
  /** A wait (`--wait-timeout`) ran out before what it waited for happened. */
  TimedOut: 6,
  /** Ctrl-C stopped a wait (the shell's 128 + SIGINT). */
  Interrupted: 130,
  /** stdout's reader went away (`| head`): the shell's 128 + SIGPIPE, as for a Go calicoctl. */
  OutputClosed: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CalicoErrorOptions {
  /** One line telling the user how to fix it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Marks a CalicoError whichever copy of this module made it: each command's fast-path bundle has its
 * own copy, and the fast path prints a handler's errors from another (docs/architecture.md, "Start-up").
 */
const CALICO_ERROR = Symbol.for('calicoctl-ts.CalicoError');

export abstract class CalicoError extends Error {
  readonly [CALICO_ERROR] = true;
  abstract readonly code: string;
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: CalicoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The operation ran and failed (exit 1). Calico's own error texts go here. */
export class OperationError extends CalicoError {
  readonly code: string;
  readonly exitCode = ExitCode.Failed;
  constructor(message: string, options: CalicoErrorOptions & { code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'OperationFailed';
  }
}

/** Wrong flags, arguments, manifests or config (exit 2). Nothing was written. */
export class InputError extends CalicoError {
  readonly code: string;
  readonly exitCode = ExitCode.BadInput;
  constructor(message: string, options: CalicoErrorOptions & { code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'InvalidInput';
  }
}

/** A datastore or socket could not be reached within the deadline (exit 3). Nothing was written. */
export class UnreachableError extends CalicoError {
  readonly code: string;
  readonly exitCode = ExitCode.Unreachable;
  constructor(message: string, options: CalicoErrorOptions & { code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'Unreachable';
  }
}

/**
 * A write was sent and its answer lost: the store may or may not have applied it (exit 3; the hint
 * says so). worthReading: another member may answer a read now, so the datastore resolves the
 * outcome by reading (false when the only member did not answer in time: a read would wait as long).
 */
export class WriteOutcomeUnknownError extends UnreachableError {
  constructor(
    message: string,
    readonly worthReading: boolean,
    options: CalicoErrorOptions & { code?: string } = {},
  ) {
    super(message, options);
  }
}

/** A compare-and-swap lost: someone else changed the data first (exit 4). */
export class ConflictError extends CalicoError {
  readonly code = 'UpdateConflict';
  readonly exitCode = ExitCode.Conflict;
}

/** A safety check refused to go on: a precondition, a stale report, an unlocked datastore (exit 5). */
export class RefusedError extends CalicoError {
  readonly code: string;
  readonly exitCode = ExitCode.Refused;
  constructor(message: string, options: CalicoErrorOptions & { code?: string } = {}) {
    super(message, options);
    this.code = options.code ?? 'CheckRefused';
  }
}

/** A wait ran out of time before what it waited for happened (exit 6); nothing was written. */
export class TimedOutError extends CalicoError {
  readonly code = 'WaitTimedOut';
  readonly exitCode = ExitCode.TimedOut;
}

/**
 * A watch needed history the store no longer keeps (etcd compacted it): whoever watches reads
 * afresh and watches again from that read (exit 1 if it reaches the user).
 */
export class WatchCompactedError extends CalicoError {
  readonly code = 'RevisionCompacted';
  readonly exitCode = ExitCode.Failed;
}

export function isCalicoError(err: unknown): err is CalicoError {
  return (
    typeof err === 'object' && err !== null && (err as { [CALICO_ERROR]?: unknown })[CALICO_ERROR] === true
  );
}

/**
 * stdout's reader went away (a pipe into `head` that has read enough). Not a failure to report: the
 * printer writes nothing for it, and the exit status is the one a program killed by SIGPIPE has.
 */
export class OutputClosedError extends CalicoError {
  readonly code = 'OutputClosed';
  readonly exitCode = ExitCode.OutputClosed;
  constructor() {
    super('standard output was closed by its reader');
  }
}

/**
 * Whether err says a write found the reading end of its pipe closed. Node ignores SIGPIPE, so such a
 * write fails with EPIPE where a Go program (calicoctl) would be killed silently: a write to stdout
 * then throws OutputClosedError instead.
 */
export function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
