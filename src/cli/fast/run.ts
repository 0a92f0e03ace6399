/**
 * Runs one fast command's handler and prints its result or its error as the oclif base command
 * does (emit.ts): the same printer, so the same bytes.
 */
import { emitError, emitResult, reportFor, wantsJson, type CommandResult } from '../emit.js';

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
