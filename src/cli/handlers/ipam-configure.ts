/**
 * `ipam configure`: the global IPAM settings, with calicoctl's flag strings and messages.
 */
import { runOnDatastore } from '../datastore-command.js';
import { configureIPAM, parseConfigFlags, type ConfigureResult } from '../../ipam/config.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface IpamConfigureFlags extends DatastoreFlags {
  strictaffinity?: string;
  'max-blocks-per-host'?: string;
  'kubevirt-ip-persistence'?: string;
  'dry-run': boolean;
  output: string;
}

export async function runIpamConfigure(flags: IpamConfigureFlags): Promise<CommandResult<ConfigureResult>> {
  const change = parseConfigFlags({
    strictaffinity: flags.strictaffinity,
    maxBlocksPerHost: flags['max-blocks-per-host'],
    kubevirtIpPersistence: flags['kubevirt-ip-persistence'],
  });
  return runOnDatastore(
    flags,
    (ds) => configureIPAM(ds, change, { dryRun: flags['dry-run'] }),
    (result) => result.messages.map((m) => m + '\n').join(''),
  );
}
