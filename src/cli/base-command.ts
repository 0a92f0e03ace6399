/**
 * The oclif side of the output and error choke point. Commands implement execute() and return a
 * CommandResult; they never print or exit themselves. The bytes are written by src/cli/emit.ts.
 */
import { Command, Errors } from '@oclif/core';

import { ExitCode } from '../errors.js';
import { emitError, emitResult, reportFor, wantsJson, type CommandResult } from './emit.js';

export type { CommandResult } from './emit.js';
export { wantsJson } from './emit.js';

export abstract class CalicoCommand<T = unknown> extends Command {
  protected abstract execute(): Promise<CommandResult<T>>;

  public async run(): Promise<T> {
    const result = await this.execute();
    emitResult(result);
    return result.data;
  }

  /** Maps any failure to one line on stderr (or a JSON error object) and a documented exit code. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    }
    const report = isOclifParseError(err)
      ? {
          code: 'InvalidUsage',
          exitCode: ExitCode.BadInput,
          message: err.message.split('\n')[0] ?? err.message,
          hint: `run 'calicoctl-ts ${this.id?.replaceAll(':', ' ') ?? ''} --help' for usage`,
        }
      : reportFor(err);
    const stack = this.argv.includes('--debug') ? err.stack : undefined;
    emitError(report, { json: wantsJson(this.argv), ...(stack ? { stack } : {}) });
  }
}

/** oclif's own parse failures (unknown flag, missing argument, bad option value) are usage errors. */
function isOclifParseError(err: Error): boolean {
  return err instanceof Errors.CLIError && !(err instanceof Errors.ExitError) && 'parse' in err;
}
