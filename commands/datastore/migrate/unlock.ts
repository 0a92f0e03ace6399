import { CalicoCommand, type CommandResult } from '../../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../../src/cli/flags.js';
import { runDatastoreUnlock } from '../../../src/cli/handlers/datastore-migrate-unlock.js';
import type { LockResult } from '../../../src/ipam/datastore-lock.js';

export default class DatastoreMigrateUnlock extends CalicoCommand<LockResult> {
  static override summary =
    'Unlock the datastore after a migration (ClusterInformation datastoreReady: true).';
  static override description = 'Fails when ClusterInformation "default" does not exist, as calicoctl does.';
  static override examples = [
    { description: 'Unlock', command: '<%= config.bin %> datastore migrate unlock' },
    {
      description: 'Unlock, reporting as JSON',
      command: '<%= config.bin %> datastore migrate unlock -o json',
    },
  ];
  static override flags = {
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<LockResult>> {
    const { flags } = await this.parse(DatastoreMigrateUnlock);
    return runDatastoreUnlock(flags);
  }
}
