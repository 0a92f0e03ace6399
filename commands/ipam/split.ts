import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIpamSplit } from '../../src/cli/handlers/ipam-split.js';
import type { SplitResult } from '../../src/ipam/split.js';

export default class IpamSplit extends CalicoCommand<SplitResult> {
  static override summary = 'Split an IP pool into a power-of-2 number of equal smaller pools.';
  static override description =
    "As calicoctl ipam split: the datastore must be locked first ('datastore migrate lock'). The pool " +
    'is replaced by pools named split-<name>-<i> with the same labels, annotations and spec and the next ' +
    'equal CIDR each, created without the overlap check; the old pool is deleted without releasing its ' +
    'block affinities. Everything is checked before anything is written, and the change is one transaction.';
  static override examples = [
    {
      description: 'Split the pool covering 172.0.0.0/8 into 2 smaller pools',
      command: '<%= config.bin %> ipam split --cidr=172.0.0.0/8 2',
    },
    {
      description: 'Split a pool by name into 4, as JSON',
      command: '<%= config.bin %> ipam split --name=default-ipv4-ippool 4 -o json',
    },
  ];
  static override args = {
    number: Args.string({
      description: 'How many pools to split into (a power of 2).',
      required: true,
      ignoreStdin: true,
    }),
  };
  static override flags = {
    cidr: Flags.string({
      summary: 'CIDR of the IP pool to split (its spec.cidr exactly).',
      helpValue: '<CIDR>',
    }),
    name: Flags.string({ summary: 'Name of the IP pool to split.', helpValue: '<POOL_NAME>' }),
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<SplitResult>> {
    const { args, flags } = await this.parse(IpamSplit);
    return runIpamSplit(flags, args);
  }
}
