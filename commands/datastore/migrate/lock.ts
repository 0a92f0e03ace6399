import { CalicoCommand, type CommandResult } from '../../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../../src/cli/flags.js';
import { runDatastoreLock } from '../../../src/cli/handlers/datastore-migrate-lock.js';
import type { LockResult } from '../../../src/ipam/datastore-lock.js';

export default class DatastoreMigrateLock extends CalicoCommand<LockResult> {
  static override summary = 'Lock the datastore for migration (ClusterInformation datastoreReady: false).';
  static override description =
    'Calico components stop acting on the datastore while it is locked; resources can still be changed. ' +
    'ipam split and ipam release --from-report need a locked datastore. Creates ClusterInformation ' +
    '"default" first when it does not exist, as calicoctl does.';
  static override examples = [
    { description: 'Lock', command: '<%= config.bin %> datastore migrate lock' },
    { description: 'Lock, reporting as JSON', command: '<%= config.bin %> datastore migrate lock -o json' },
  ];
  static override flags = {
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<LockResult>> {
    const { flags } = await this.parse(DatastoreMigrateLock);
    return runDatastoreLock(flags);
  }
}
