/**
 * Runs one fast command and prints its result or its error as the oclif base command does
 * (emit.ts). Each command's bundle holds its own copy of this and of the error classes, so the
 * errors a handler throws are the ones reportFor recognises (docs/architecture.md, "Start-up").
 */
import type { CommandResult } from '../emit.js';
import { emitError, emitResult, reportFor, wantsJson } from '../emit.js';
import type { FlagValues } from './argv.js';

/** A fast command: parsed flags and arguments, and the argv after the command's words. */
export type FastRun = (
  flags: FlagValues,
  args: Record<string, string>,
  argv: readonly string[],
) => Promise<void>;

export async function runAndEmit(
  handler: () => Promise<CommandResult<unknown>>,
  argv: readonly string[],
): Promise<void> {
  try {
    emitResult(await handler());
  } catch (err) {
    emitError(reportFor(err), { json: wantsJson(argv) });
  }
}
