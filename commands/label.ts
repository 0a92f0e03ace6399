import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { singleResourceFlags } from '../src/cli/flags.js';
import { runLabel } from '../src/cli/handlers/resources.js';

export default class Label extends CalicoCommand<unknown> {
  static override summary = 'Set, overwrite or remove one label of a resource.';
  static override description =
    'Setting a key that is already present with another value needs --overwrite. Removing a key ' +
    'that is not present is an error. The update is compare-and-swap and is retried if someone ' +
    'else changed the resource meanwhile.';
  static override examples = [
    {
      description: 'Label a workload endpoint',
      command: '<%= config.bin %> label workloadendpoints nginx -n default app=web',
    },
    {
      description: 'Overwrite the value of key cluster on a node',
      command: '<%= config.bin %> label nodes node1 cluster=frontend --overwrite',
    },
    {
      description: 'Remove the key cluster',
      command: '<%= config.bin %> label nodes node1 cluster --remove',
    },
    { description: 'Result as JSON', command: '<%= config.bin %> label ippool pool1 tier=gold -o json' },
  ];
  static override args = {
    kind: Args.string({
      required: true,
      ignoreStdin: true,
      description: 'Kind: node, ippool, workloadendpoint, ... (case-insensitive aliases).',
    }),
    name: Args.string({ required: true, ignoreStdin: true, description: 'Name of the resource.' }),
    label: Args.string({
      required: true,
      ignoreStdin: true,
      description: 'key=value to set, or key with --remove.',
    }),
  };
  static override flags = {
    ...singleResourceFlags,
    overwrite: Flags.boolean({
      summary: 'Replace the value when the key is already present.',
      default: false,
    }),
    remove: Flags.boolean({ summary: 'Remove the key (not with --overwrite).', default: false }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, args } = await this.parse(Label);
    return runLabel(flags, args);
  }
}
