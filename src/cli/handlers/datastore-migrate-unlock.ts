/**
 * `datastore migrate unlock`: ClusterInformation datastoreReady true.
 */
import { runOnDatastore } from '../datastore-command.js';
import { setDatastoreLock, type LockResult } from '../../ipam/datastore-lock.js';
import type { CommandResult } from '../emit.js';
import type { DatastoreLockFlags } from './datastore-migrate-lock.js';

export async function runDatastoreUnlock(flags: DatastoreLockFlags): Promise<CommandResult<LockResult>> {
  return runOnDatastore(
    flags,
    (ds) => setDatastoreLock(ds, false),
    () => 'Datastore unlocked.\n',
  );
}
