/**
 * `ippool migrate`: move workloads to a new pool, or re-create a pool with another block size.
 */
import { refusal, runOnDatastore } from '../datastore-command.js';
import { InputError } from '../../errors.js';
import { parseEncapRequest } from '../../pools/encap.js';
import { migratePool, type MigrateRequest, type MigrateResult } from '../../pools/migrate.js';
import { migrateText } from '../render/pools.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';
import { runMigrateWait } from './ippool-migrate-wait.js';

export interface IppoolMigrateFlags extends DatastoreFlags {
  to?: string;
  cidr?: string;
  'block-size'?: string;
  ipip?: string;
  vxlan?: string;
  'temp-cidr'?: string;
  'temp-name'?: string;
  finish: boolean;
  status: boolean;
  'dry-run': boolean;
  wait?: boolean;
  'wait-timeout'?: string;
  output: string;
}

export async function runIppoolMigrate(
  flags: IppoolMigrateFlags,
  args: { old: string },
): Promise<CommandResult<MigrateResult | undefined>> {
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
