import { CalicoCommand, type CommandResult } from '../../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../../src/cli/flags.js';
import {
  runMigrateExport,
  type MigrateExportSummary,
} from '../../../src/cli/handlers/datastore-migrate-export.js';

export default class DatastoreMigrateExport extends CalicoCommand<MigrateExportSummary> {
  static override summary = 'Export a locked etcd datastore for migration to Kubernetes, as calicoctl does.';
  static override description =
    "Writes calicoctl's migration file to stdout: the resources (IPPools, BGPPeers, Tiers, policies, " +
    'network sets, HostEndpoints, KubeControllersConfigurations, Nodes, BGP and Felix configurations, ' +
    'IPReservations, BGPFilters) as YAML lists, ClusterInformation and the IPAM objects as JSON. Nodes ' +
    'are renamed to their Kubernetes node names. WorkloadEndpoints and Profiles are not exported. The ' +
    "datastore must be locked first ('datastore migrate lock'); load the file with " +
    "'datastore migrate import' (or calicoctl's). See docs/datastore.md.";
  static override examples = [
    {
      description: 'Lock, then export the etcd datastore',
      command:
        '<%= config.bin %> datastore migrate lock && <%= config.bin %> datastore migrate export > etcd-data',
    },
    {
      description: 'What the export would hold, as JSON',
      command: '<%= config.bin %> datastore migrate export -o json',
    },
  ];
  static override flags = {
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<MigrateExportSummary>> {
    const { flags } = await this.parse(DatastoreMigrateExport);
    return runMigrateExport(flags);
  }
}
