/**
 * `datastore migrate lock`: ClusterInformation datastoreReady false.
 */
import { runOnDatastore } from '../datastore-command.js';
import { setDatastoreLock, type LockResult } from '../../ipam/datastore-lock.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface DatastoreLockFlags extends DatastoreFlags {
  output: string;
}

export async function runDatastoreLock(flags: DatastoreLockFlags): Promise<CommandResult<LockResult>> {
  return runOnDatastore(
    flags,
    (ds) => setDatastoreLock(ds, true),
    () => 'Datastore locked.\n',
  );
}
