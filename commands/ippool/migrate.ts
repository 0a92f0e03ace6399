import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIppoolMigrate } from '../../src/cli/handlers/ippool-migrate.js';
import type { MigrateResult } from '../../src/pools/migrate.js';

export default class IppoolMigrate extends CalicoCommand<MigrateResult | undefined> {
  static override summary =
    "Move workloads to a new IP pool, or change a pool's block size, step by resumable step.";
  static override description =
    "Calico's documented procedures: create the new pool (with the old pool's settings unless " +
    'overridden) and disable the old one in one transaction, then list what still holds addresses in ' +
    'the old pool (the workloads to restart), and with --finish delete it once nothing but released ' +
    'addresses is left. With --block-size N --temp-cidr CIDR (no --to) the pool is moved to a temporary ' +
    'pool, recreated with the new block size, and the temporary pool is drained and deleted. Re-running ' +
    'continues from the step reached, which is read from the datastore alone. Exit 0 also while ' +
    'waiting for workloads; 2 bad flags; 4 another writer changed a pool (nothing written); 5 --finish ' +
    'with addresses left; 6 --wait-timeout ran out; 130 Ctrl-C during --wait. With --wait, blocks ' +
    'until the pool being drained holds no address in use (watching the datastore, not polling it), ' +
    'showing progress on stderr (one JSON line per change on stdout with -o json). See docs/pools.md.';
  static override examples = [
    {
      description: 'Start moving workloads to a new pool',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --to new-pool --cidr 10.0.0.0/16',
    },
    {
      description: 'The new pool with VXLAN and /24 blocks',
      command:
        '<%= config.bin %> ippool migrate default-ipv4-ippool --to new-pool --cidr 10.0.0.0/16 --block-size 24 --vxlan=Always',
    },
    {
      description: 'Where the migration is, as JSON',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --status -o json',
    },
    {
      description: 'Delete the old pool once its workloads were restarted',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --finish',
    },
    {
      description: 'Wait up to an hour for the old pool to drain, then delete it',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --finish --wait --wait-timeout 1h',
    },
    {
      description: 'Block a CI job until the pool is drained, with one JSON line per change',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --status --wait -o json',
    },
    {
      description: 'Change the block size through a temporary pool',
      command: '<%= config.bin %> ippool migrate default-ipv4-ippool --block-size 28 --temp-cidr 10.0.0.0/16',
    },
    {
      description: 'Change the block size and switch the re-created pool to VXLAN',
      command:
        '<%= config.bin %> ippool migrate default-ipv4-ippool --block-size 28 --temp-cidr 10.0.0.0/16 --vxlan=Always',
    },
  ];
  static override args = {
    old: Args.string({ required: true, ignoreStdin: true, description: 'The IP pool to migrate away from.' }),
  };
  static override flags = {
    to: Flags.string({ summary: 'Name of the new pool.', helpValue: '<NAME>' }),
    cidr: Flags.string({ summary: 'CIDR of the new pool (needed to create it).', helpValue: '<CIDR>' }),
    'block-size': Flags.string({
      summary: "With --to: the new pool's block size; without: the block size the pool is changed to.",
      helpValue: '<N>',
    }),
    ipip: Flags.string({
      summary: 'IPIP mode of the new pool (--to) or of the re-created pool (--block-size).',
      helpValue: '<Always|CrossSubnet|Never>',
    }),
    vxlan: Flags.string({
      summary: 'VXLAN mode of the new pool (--to) or of the re-created pool (--block-size).',
      helpValue: '<Always|CrossSubnet|Never>',
    }),
    'temp-cidr': Flags.string({
      summary: 'Block size change: CIDR of the temporary pool (must not overlap any pool).',
      helpValue: '<CIDR>',
    }),
    'temp-name': Flags.string({
      summary: 'Block size change: name of the temporary pool (default OLD-tmp).',
      helpValue: '<NAME>',
    }),
    finish: Flags.boolean({
      summary: 'Delete the drained pool; refused while addresses are left.',
      default: false,
    }),
    status: Flags.boolean({
      summary: 'Print the plan, the step reached and what is left; write nothing.',
      default: false,
    }),
    wait: Flags.boolean({
      summary:
        'After the step, block until the pool being drained holds no address in use (then finish, with --finish).',
    }),
    'wait-timeout': Flags.string({
      summary: 'With --wait: give up after this long (exit 6), e.g. 30m, 2h.',
      helpValue: '<DURATION>',
    }),
    output: textOrJsonOutputFlag,
    'dry-run': dryRunFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<MigrateResult | undefined>> {
    const { args, flags } = await this.parse(IppoolMigrate);
    return runIppoolMigrate(flags, args);
  }
}
