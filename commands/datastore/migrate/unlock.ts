import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../../src/cli/base-command.js';
import { withDatastore } from '../../../src/cli/datastore-session.js';
import { datastoreFlags } from '../../../src/cli/flags.js';
import { setDatastoreLock, type LockResult } from '../../../src/ipam/datastore-lock.js';

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
    output: Flags.string({
      char: 'o',
      summary: 'Output format.',
      options: ['text', 'json'],
      default: 'text',
    }),
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<LockResult>> {
    const { flags } = await this.parse(DatastoreMigrateUnlock);
    const data = await withDatastore(flags, (ds) => setDatastoreLock(ds, false));
    return { data, json: flags.output === 'json', text: 'Datastore unlocked.\n' };
  }
}
