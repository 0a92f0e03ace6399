/**
 * Writing results and errors, without oclif, so that the fast start-up path (which never loads
 * oclif) and the oclif base command print exactly the same bytes.
 */
import { ExitCode, isCalicoError, type CalicoError } from '../errors.js';
import { toJsonText } from './json.js';
import { writeOut } from './write.js';

export interface CommandResult<T> {
  /** The typed result; printed as JSON when json is true. */
  data: T;
  /** Print data as JSON (the -o json contract) instead of text. */
  json?: boolean;
  /** Text for people, written to stdout as is (include the trailing newline you want). */
  text?: string;
  /** Diagnostics for stderr, written as is. */
  stderr?: string;
  exitCode?: ExitCode;
  /**
   * A failure reported after the result, which is printed first (as calicoctl prints what it has
   * before the error): written by the one error printer below, and its exit code is the command's.
   * shownInText: the text already holds the message (node status prints calicoctl's error line in
   * its table), so in text mode only the hint is added.
   */
  failure?: { error: CalicoError; shownInText?: boolean };
}

/**
 * Text written to stdout while the command still works (a section as soon as it is computed), for
 * commands whose result is long and whose failure part-way should leave what was done on stdout.
 */
export function streamText(text: string): void {
  writeOut(1, text);
}

export function emitResult<T>(result: CommandResult<T>): void {
  if (result.json) writeOut(1, toJsonText(result.data));
  else if (result.text) writeOut(1, result.text);
  if (result.stderr) writeOut(2, result.stderr);
  process.exitCode = result.exitCode ?? ExitCode.Ok;
  const { failure } = result;
  if (failure) {
    const json = result.json === true;
    emitError(reportFor(failure.error), { json, hintOnly: !json && failure.shownInText === true });
  }
}

export interface ErrorReport {
  code: string;
  exitCode: number;
  message: string;
  hint?: string;
}

/** Classifies a thrown value; errors that are not CalicoErrors are unexpected (exit 1). */
export function reportFor(err: unknown): ErrorReport {
  if (isCalicoError(err)) {
    return {
      code: err.code,
      exitCode: err.exitCode,
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'InternalError', exitCode: ExitCode.Failed, message: `unexpected error: ${message}` };
}

/**
 * The one error printer: one line on stderr plus an optional `hint:` line (only the hint when the
 * output already said what failed), or one JSON error object under -o json.
 */
export function emitError(
  report: ErrorReport,
  opts: { json: boolean; stack?: string; hintOnly?: boolean },
): void {
  process.exitCode = report.exitCode;
  // The reader of stdout is gone (`| head`): as for a program killed by SIGPIPE, nothing is said.
  if (report.exitCode === ExitCode.OutputClosed) return;
  const { code, message, hint } = report;
  if (opts.json) {
    writeOut(2, toJsonText({ error: { code, message, ...(hint ? { hint } : {}) } }));
  } else {
    if (!opts.hintOnly) writeOut(2, message.endsWith('\n') ? message : message + '\n');
    if (hint) writeOut(2, `hint: ${hint}\n`);
  }
  if (opts.stack) writeOut(2, opts.stack + '\n');
}

/** Finds -o json / --output json / --output=json / -ojson in raw argv (parsing may have failed). */
export function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-o' || arg === '--output') {
      if (argv[i + 1] === 'json') return true;
    } else if (arg === '-ojson' || arg === '--output=json' || arg === '-o=json') {
      return true;
    }
  }
  return false;
}
