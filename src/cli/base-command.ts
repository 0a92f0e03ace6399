/**
 * The one place where results become output and errors become messages and exit codes.
 * Commands implement execute() and return a CommandResult; they never print or exit themselves.
 */
import { Command, Errors } from '@oclif/core';

import { ExitCode, isCalicoError } from '../errors.js';
import { toJsonText } from './json.js';

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
}

export abstract class CalicoCommand<T = unknown> extends Command {
  protected abstract execute(): Promise<CommandResult<T>>;

  public async run(): Promise<T> {
    const result = await this.execute();
    if (result.json) process.stdout.write(toJsonText(result.data));
    else if (result.text) process.stdout.write(result.text);
    if (result.stderr) process.stderr.write(result.stderr);
    process.exitCode = result.exitCode ?? ExitCode.Ok;
    return result.data;
  }

  /** Maps any failure to one line on stderr (or a JSON error object) and a documented exit code. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    const debug = this.argv.includes('--debug');
    const json = wantsJson(this.argv);
    let code = 'InternalError';
    let exitCode: number = ExitCode.Failed;
    let message = err.message;
    let hint: string | undefined;

    if (isCalicoError(err)) {
      code = err.code;
      exitCode = err.exitCode;
      hint = err.hint;
    } else if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    } else if (isOclifParseError(err)) {
      code = 'InvalidUsage';
      exitCode = ExitCode.BadInput;
      message = firstLine(err.message);
      hint = `run 'calicoctl-ts ${this.id?.replaceAll(':', ' ') ?? ''} --help' for usage`;
    } else {
      message = `unexpected error: ${err.message}`;
    }

    if (json) {
      process.stderr.write(toJsonText({ error: { code, message, ...(hint ? { hint } : {}) } }));
    } else {
      process.stderr.write(message.endsWith('\n') ? message : message + '\n');
      if (hint) process.stderr.write(`hint: ${hint}\n`);
    }
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = exitCode;
  }
}

function isOclifParseError(err: Error): boolean {
  return (
    err instanceof Errors.CLIError &&
    /Unexpected argument|Nonexistent flag|Expected|Missing|flag|argument/i.test(err.message)
  );
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
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
