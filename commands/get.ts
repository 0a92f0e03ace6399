import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { datastoreFlags, fileFlags } from '../src/cli/flags.js';
import { runGet } from '../src/cli/handlers/get.js';

export default class Get extends CalicoCommand<unknown> {
  static override summary = 'Show resources: one kind, some names of it, or those named in a file.';
  static override strict = false;
  static override examples = [
    { description: 'All IP pools as a table', command: '<%= config.bin %> get ippools' },
    { description: 'Wide table', command: '<%= config.bin %> get ippool -o wide' },
    { description: 'Two by name as YAML', command: '<%= config.bin %> get bgppeer peer1 peer2 -o yaml' },
    {
      description: 'Export for re-applying',
      command: '<%= config.bin %> get ippool --export -o yaml | <%= config.bin %> apply -f -',
    },
    {
      description: 'Chosen columns',
      command: '<%= config.bin %> get ippool -o custom-columns=NAME,CIDR,NAT',
    },
    {
      description: 'Names only',
      command: "<%= config.bin %> get nodes -o jsonpath='{.items[*].metadata.name}'",
    },
    { description: 'Policies in every namespace', command: '<%= config.bin %> get networkpolicy -A' },
  ];
  static override args = {
    kind: Args.string({
      ignoreStdin: true,
      description: 'Kind: ippool, bgppeer, node, ... (case-insensitive aliases).',
    }),
  };
  static override flags = {
    ...datastoreFlags,
    ...fileFlags,
    output: Flags.string({
      char: 'o',
      summary: 'ps (default), wide, yaml, json, custom-columns=A,B, jsonpath=TEMPLATE or jsonpath-file=PATH.',
      default: 'ps',
    }),
    'all-namespaces': Flags.boolean({
      char: 'A',
      aliases: ['a'],
      summary: 'List namespaced resources of every namespace.',
      default: false,
    }),
    export: Flags.boolean({
      summary: 'Leave out server-set fields (uid, resourceVersion, creationTimestamp, ...).',
      default: false,
    }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, argv } = await this.parse(Get);
    return runGet(flags, argv as string[]);
  }
}
