import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIppoolMode } from '../../src/cli/handlers/ippool-mode.js';
import type { ModeResult } from '../../src/pools/mode.js';

export default class IppoolMode extends CalicoCommand<ModeResult> {
  static override summary =
    'Switch the encapsulation of IP pools (IPIP, VXLAN, plain BGP) in one atomic write.';
  static override description =
    'Every named pool changes in one compare-and-swap transaction, or none does. Turning one ' +
    'encapsulation on turns the other off in the same write; turning the only one off needs both ' +
    'flags (--ipip=Never --vxlan=Never). Before writing, checks report what would break, each with a ' +
    'fix: errors (rules apply enforces) always refuse, warnings refuse unless --force, notices never ' +
    'refuse. Exit 0 also when nothing needed changing; 2 bad flags; 4 another writer changed a pool ' +
    '(nothing written); 5 a check refused (nothing written). See docs/pools.md.';
  static override strict = false;
  static override examples = [
    {
      description: 'Move a pool from IPIP to VXLAN',
      command: '<%= config.bin %> ippool mode default-ipv4-ippool --vxlan=Always',
    },
    {
      description: 'IPIP only between subnets',
      command: '<%= config.bin %> ippool mode default-ipv4-ippool --ipip=CrossSubnet',
    },
    {
      description: 'Plain BGP (no encapsulation) on every pool, as JSON for CI',
      command: '<%= config.bin %> ippool mode --all --ipip=Never --vxlan=Never -o json',
    },
    {
      description: 'See what would change and what the checks say',
      command: '<%= config.bin %> ippool mode pool1 pool2 --vxlan=CrossSubnet --dry-run',
    },
  ];
  static override args = {
    names: Args.string({ ignoreStdin: true, description: 'Names of the IP pools to change.' }),
  };
  static override flags = {
    ipip: Flags.string({
      summary: 'IPIP mode: Always, CrossSubnet or Never.',
      helpValue: '<Always|CrossSubnet|Never>',
    }),
    vxlan: Flags.string({
      summary: 'VXLAN mode: Always, CrossSubnet or Never.',
      helpValue: '<Always|CrossSubnet|Never>',
    }),
    all: Flags.boolean({ summary: 'Change every IP pool.', default: false }),
    force: Flags.boolean({
      summary: 'Write despite warnings (errors still refuse).',
      default: false,
    }),
    output: textOrJsonOutputFlag,
    'dry-run': dryRunFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<ModeResult>> {
    const { flags, argv } = await this.parse(IppoolMode);
    return runIppoolMode(flags, argv as string[]);
  }
}
