import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import {
  configFlag,
  contextFlag,
  debugFlag,
  timeoutFlag,
  allowVersionMismatchFlag,
} from '../src/cli/flags.js';
import { runVersion, type VersionResult } from '../src/cli/handlers/version.js';

export default class Version extends CalicoCommand<VersionResult> {
  static override summary = 'Display the version of calicoctl-ts and of the cluster it talks to.';
  static override description =
    'Prints the client version and git commit, then the Calico version and cluster type recorded in ' +
    'ClusterInformation "default" (or "unknown"), and which datastore was used. Reading never creates ' +
    'the embedded datastore. The version-mismatch check is not run for this command.';
  static override examples = [
    { description: 'Client and cluster versions', command: '<%= config.bin %> version' },
    {
      description: 'Only the client, without touching a datastore',
      command: '<%= config.bin %> version --client',
    },
    {
      description: 'Against an etcd cluster',
      command: 'DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=https://10.0.0.1:2379 <%= config.bin %> version',
    },
    { description: 'As JSON', command: '<%= config.bin %> version -o json' },
  ];
  static override flags = {
    client: Flags.boolean({ summary: 'Print only the client version; do not contact the datastore.' }),
    output: Flags.string({
      char: 'o',
      summary: 'Output format.',
      options: ['text', 'json'],
      default: 'text',
    }),
    config: configFlag,
    timeout: timeoutFlag,
    debug: debugFlag,
    // Accepted for calicoctl compatibility; version never runs the mismatch check.
    'allow-version-mismatch': allowVersionMismatchFlag,
    context: contextFlag,
  };

  protected async execute(): Promise<CommandResult<VersionResult>> {
    const { flags } = await this.parse(Version);
    return runVersion(flags);
  }
}
