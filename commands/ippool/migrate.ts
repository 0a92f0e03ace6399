import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { refusal, runOnDatastore } from '../../src/cli/datastore-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { InputError } from '../../src/errors.js';
import { parseEncapRequest } from '../../src/pools/encap.js';
import { runMigrateWait } from '../../src/cli/handlers/ippool-migrate-wait.js';
import { migratePool, type MigrateRequest, type MigrateResult } from '../../src/pools/migrate.js';
import { migrateText } from '../../src/pools/report.js';

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
    const blockSizeText = flags['block-size'];
    if (blockSizeText !== undefined && !/^\d+$/.test(blockSizeText))
      throw new InputError(`--block-size=${blockSizeText} is not a number`, {
        code: 'InvalidFlag',
        hint: 'IPv4 block sizes are 20-32, IPv6 116-128',
      });
    const encap = parseEncapRequest({ ipip: flags.ipip, vxlan: flags.vxlan });
    const moves = flags.to !== undefined;
    const resizes = flags['block-size'] !== undefined || flags['temp-cidr'] !== undefined;
    if (!moves && !resizes && (flags.ipip !== undefined || flags.vxlan !== undefined))
      throw new InputError(
        '--ipip/--vxlan set the new pool of a move (--to) or the re-created pool (--block-size)',
        {
          code: 'InvalidFlag',
          hint: "use 'ippool mode' to change a pool's encapsulation in place",
        },
      );
    const req: MigrateRequest = {
      old: args.old,
      ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(flags.cidr !== undefined ? { cidr: flags.cidr } : {}),
      ...(blockSizeText !== undefined ? { blockSize: Number(blockSizeText) } : {}),
      ...(flags['temp-cidr'] !== undefined ? { tempCidr: flags['temp-cidr'] } : {}),
      ...(flags['temp-name'] !== undefined ? { tempName: flags['temp-name'] } : {}),
      encap,
      finish: flags.finish,
      status: flags.status,
      dryRun: flags['dry-run'],
    };
    if (flags['wait-timeout'] !== undefined && !flags.wait)
      throw new InputError('--wait-timeout needs --wait', {
        code: 'InvalidFlag',
        hint: 'add --wait to block until the pool is drained, or drop --wait-timeout',
      });
    if (flags.wait) {
      if (flags['dry-run'])
        throw new InputError('--wait cannot be used with --dry-run', {
          code: 'InvalidFlag',
          hint: 'a dry run writes nothing to wait for; use --status --wait to wait without writing',
        });
      return runMigrateWait(flags, req, migrateText);
    }
    const done = await runOnDatastore(flags, (ds) => migratePool(ds, req), migrateText);
    const result = done.data;
    if (result.outcome !== 'refused') return done;
    const unreadable = result.draining?.corrupt.length
      ? `, ${result.draining.corrupt.length} block(s) unreadable`
      : '';
    return {
      ...done,
      ...refusal(
        flags.output,
        `refused to delete IPPool(${result.draining?.pool ?? ''}): ${result.left} address(es) still held${unreadable}`,
        'restart the workloads listed above, then run --finish again',
      ),
    };
  }
}
