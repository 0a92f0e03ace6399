import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../../src/cli/flags.js';
import {
  runMigrateImport,
  type MigrateImportSummary,
} from '../../../src/cli/handlers/datastore-migrate-import.js';

export default class DatastoreMigrateImport extends CalicoCommand<MigrateImportSummary> {
  static override summary =
    "Import a 'datastore migrate export' file into the Kubernetes datastore, as calicoctl does.";
  static override description =
    "The Kubernetes datastore must hold no Calico resources and no IPAM objects yet, and Calico's CRDs " +
    'must be installed (calicoctl installs them itself). The datastore is initialised and locked, the ' +
    'resources applied (a Node without its Kubernetes node is skipped with a warning), ClusterInformation ' +
    'takes the exported clusterGUID and calicoVersion, and the IPAM objects are created. It stays locked: ' +
    "run 'datastore migrate unlock' once Calico runs on the new datastore. See docs/datastore.md.";
  static override examples = [
    {
      description: 'Import into the cluster of the current kubeconfig',
      command: 'DATASTORE_TYPE=kubernetes <%= config.bin %> datastore migrate import -f etcd-data',
    },
    {
      description: 'From stdin, with a JSON summary',
      command:
        'DATASTORE_TYPE=kubernetes <%= config.bin %> datastore migrate import -f - -o json < etcd-data',
    },
  ];
  static override flags = {
    filename: Flags.string({
      char: 'f',
      summary: 'The file written by datastore migrate export; "-" reads stdin.',
      required: true,
      helpValue: '<FILE>',
    }),
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<MigrateImportSummary>> {
    const { flags } = await this.parse(DatastoreMigrateImport);
    return runMigrateImport(flags);
  }
}
