import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { runValidate } from '../src/cli/handlers/validate.js';
import { fileFlags, writeFlags } from '../src/cli/flags.js';

export default class Validate extends CalicoCommand<unknown> {
  static override summary = 'Check resource files offline (never opens a datastore).';
  static override examples = [
    { description: 'Validate a file', command: '<%= config.bin %> validate -f bgppeer.yaml' },
    { description: 'Validate a directory tree', command: '<%= config.bin %> validate -f manifests/ -R' },
    { description: 'As JSON', command: '<%= config.bin %> validate -f bgppeer.yaml -o json' },
  ];
  static override flags = { ...fileFlags, output: writeFlags.output };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags } = await this.parse(Validate);
    return runValidate(flags);
  }
}
