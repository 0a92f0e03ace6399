import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { runWrite, writeFlags, type WriteFlags } from '../src/cli/resource-command.js';

export default class Delete extends CalicoCommand<unknown> {
  static override summary = 'Delete resources named in a file or on the command line.';
  static override strict = false;
  static override examples = [
    { description: 'From a file', command: '<%= config.bin %> delete -f ippool.yaml' },
    { description: 'By kind and names', command: '<%= config.bin %> delete ippool pool1 pool2' },
    { description: 'From stdin', command: 'cat bgppeers.yaml | <%= config.bin %> delete -f -' },
    {
      description: 'Every manifest in a directory tree',
      command: '<%= config.bin %> delete -f manifests/ -R',
    },
    {
      description: 'Show what would change, write nothing',
      command: '<%= config.bin %> delete -f ippool.yaml --dry-run',
    },
    { description: 'Result summary as JSON', command: '<%= config.bin %> delete -f ippool.yaml -o json' },
  ];
  static override args = {
    kind: Args.string({
      ignoreStdin: true,
      description: 'Kind (with -f omitted): ippool, bgppeer, ... (case-insensitive aliases).',
    }),
  };
  static override flags = {
    ...writeFlags,
    'skip-not-exists': Flags.boolean({
      char: 's',
      summary: 'Resources that do not exist count as success.',
      default: false,
    }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, argv } = await this.parse(Delete);
    return runWrite('delete', flags as WriteFlags, argv as string[], {
      skipNotExists: flags['skip-not-exists'],
    });
  }
}
