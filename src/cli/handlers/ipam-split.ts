/**
 * `ipam split`: one IP pool into 2^n pools of equal size, on a locked datastore.
 */
import { runOnDatastore } from '../datastore-command.js';
import { splitPool, splitText, type SplitResult } from '../../ipam/split.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface IpamSplitFlags extends DatastoreFlags {
  cidr?: string;
  name?: string;
  output: string;
}

export async function runIpamSplit(
  flags: IpamSplitFlags,
  args: { number: string },
): Promise<CommandResult<SplitResult>> {
  return runOnDatastore(
    flags,
    (ds) =>
      splitPool(ds, {
        number: args.number,
        ...(flags.cidr !== undefined ? { cidr: flags.cidr } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
      }),
    splitText,
  );
}
