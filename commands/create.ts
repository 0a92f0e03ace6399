import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { runWrite, writeFlags, type WriteFlags } from '../src/cli/resource-command.js';

export default class Create extends CalicoCommand<unknown> {
  static override summary = 'Create resources that do not exist yet (create only if absent).';
  static override strict = false;
  static override examples = [
    { description: 'From a file', command: '<%= config.bin %> create -f ippool.yaml' },
    { description: 'From stdin', command: 'cat bgppeers.yaml | <%= config.bin %> create -f -' },
    {
      description: 'Every manifest in a directory tree',
      command: '<%= config.bin %> create -f manifests/ -R',
    },
    {
      description: 'Show what would change, write nothing',
      command: '<%= config.bin %> create -f ippool.yaml --dry-run',
    },
    { description: 'Result summary as JSON', command: '<%= config.bin %> create -f ippool.yaml -o json' },
  ];
  static override args = {
    kind: Args.string({
      ignoreStdin: true,
      description: 'Kind (with -f omitted): ippool, bgppeer, ... (case-insensitive aliases).',
    }),
  };
  static override flags = {
    ...writeFlags,
    'skip-exists': Flags.boolean({
      summary: 'Resources that already exist count as success.',
      default: false,
    }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, argv } = await this.parse(Create);
    return runWrite('create', flags as WriteFlags, argv as string[], { skipExists: flags['skip-exists'] });
  }
}
