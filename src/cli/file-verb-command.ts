/**
 * create, apply, replace and delete: the same arguments (-f FILE or KIND NAME...), flags and run;
 * a command adds its summary, examples, extra flags and the options they turn into.
 */
import type { FileVerb } from '../apply/engine.js';
import { CalicoCommand, type CommandResult } from './base-command.js';
import { fileVerbArgs, writeFlags } from './flags.js';
import { runWrite } from './handlers/resources.js';
import type { WriteFlags } from './resource-items.js';

export interface WriteOptions {
  skipExists?: boolean;
  skipNotExists?: boolean;
}

export abstract class FileVerbCommand extends CalicoCommand<unknown> {
  static override strict = false;
  static override args = fileVerbArgs;
  static override flags = writeFlags;

  protected abstract readonly verb: FileVerb;

  /** The engine options a command's own flags ask for. */
  protected writeOptions(_flags: Record<string, unknown>): WriteOptions {
    return {};
  }

  protected async execute(): Promise<CommandResult<unknown>> {
    // The concrete command's definitions, named one by one: oclif spreads the class it is given,
    // which copies only its own statics, so strict and args inherited from here would be lost.
    const ctor = this.ctor as typeof FileVerbCommand;
    const { flags, argv } = await this.parse({ strict: ctor.strict, args: ctor.args, flags: ctor.flags });
    return runWrite(this.verb, flags as WriteFlags, argv as string[], this.writeOptions(flags));
  }
}
