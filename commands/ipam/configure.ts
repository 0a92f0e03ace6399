import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIpamConfigure } from '../../src/cli/handlers/ipam-configure.js';
import type { ConfigureResult } from '../../src/ipam/config.js';

export default class IpamConfigure extends CalicoCommand<ConfigureResult> {
  static override summary = 'Change the global IPAM configuration (strict affinity, blocks per host).';
  static override description =
    'Writes /calico/ipam/v2/config as Calico does, with its rules: StrictAffinity and AutoAllocateBlocks ' +
    'cannot both be off, and MaxBlocksPerHost needs StrictAffinity. Values are parsed like calicoctl ' +
    "(Go's ParseBool and Atoi); an empty value counts as not given.";
  static override examples = [
    {
      description: "Forbid borrowing addresses from other nodes' blocks",
      command: '<%= config.bin %> ipam configure --strictaffinity=true',
    },
    {
      description: 'At most 4 blocks per node (needs strict affinity)',
      command: '<%= config.bin %> ipam configure --strictaffinity=true --max-blocks-per-host=4',
    },
    {
      description: 'See what would be written',
      command: '<%= config.bin %> ipam configure --strictaffinity=true --dry-run -o json',
    },
  ];
  static override flags = {
    strictaffinity: Flags.string({
      summary: 'Set StrictAffinity to true or false.',
      helpValue: '<true/false>',
    }),
    'max-blocks-per-host': Flags.string({
      summary: 'Set the maximum number of blocks affine to one host (0: no limit).',
      helpValue: '<number>',
    }),
    'kubevirt-ip-persistence': Flags.string({
      summary: 'Whether KubeVirt VMs keep their IP addresses across lifecycle events.',
      helpValue: '<Enabled|Disabled>',
    }),
    output: textOrJsonOutputFlag,
    'dry-run': dryRunFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<ConfigureResult>> {
    const { flags } = await this.parse(IpamConfigure);
    return runIpamConfigure(flags);
  }
}
