import { Args } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { runWrite, writeFlags, type WriteFlags } from '../src/cli/resource-command.js';

export default class Apply extends CalicoCommand<unknown> {
  static override summary = 'Create resources, or update them when they exist.';
  static override strict = false;
  static override examples = [
    { description: 'From a file', command: '<%= config.bin %> apply -f ippool.yaml' },
    { description: 'From stdin', command: 'cat bgppeers.yaml | <%= config.bin %> apply -f -' },
    {
      description: 'Every manifest in a directory tree',
      command: '<%= config.bin %> apply -f manifests/ -R',
    },
    {
      description: 'Show what would change, write nothing',
      command: '<%= config.bin %> apply -f ippool.yaml --dry-run',
    },
    { description: 'Result summary as JSON', command: '<%= config.bin %> apply -f ippool.yaml -o json' },
  ];
  static override args = {
    kind: Args.string({
      ignoreStdin: true,
      description: 'Kind (with -f omitted): ippool, bgppeer, ... (case-insensitive aliases).',
    }),
  };
  static override flags = {
    ...writeFlags,
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, argv } = await this.parse(Apply);
    return runWrite('apply', flags as WriteFlags, argv as string[]);
  }
}
