import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { readClusterVersion } from '../src/cli/cluster-info.js';
import { withDatastore } from '../src/cli/datastore-session.js';
import { configFlag, debugFlag, timeoutFlag, allowVersionMismatchFlag } from '../src/cli/flags.js';
import type { DatastoreInfo } from '../src/datastore/contract.js';
import { isCalicoError } from '../src/errors.js';
import { clientVersion, readBuildInfo } from '../src/version/client-version.js';

export interface VersionResult {
  clientVersion: string;
  gitCommit: string;
  /** Absent with --client. "unknown" when ClusterInformation or the field is missing. */
  clusterVersion?: string;
  clusterType?: string;
  datastore?: DatastoreInfo;
}

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
  };

  protected async execute(): Promise<CommandResult<VersionResult>> {
    const { flags } = await this.parse(Version);
    const info = readBuildInfo();
    const data: VersionResult = { clientVersion: clientVersion(info), gitCommit: info.commit };
    if (!flags.client) {
      try {
        await withDatastore(
          flags,
          async (ds) => {
            const cluster = await readClusterVersion(ds);
            data.clusterVersion = cluster.calicoVersion ?? 'unknown';
            data.clusterType = cluster.clusterType ?? 'unknown';
            data.datastore = ds.info;
          },
          { versionCheck: false },
        );
      } catch (err) {
        // Like calicoctl, the client lines come first, then the failure to reach the cluster.
        if (flags.output === 'json' || !isCalicoError(err)) throw err;
        const hint = err.hint ? `hint: ${err.hint}\n` : '';
        return { data, text: formatVersion(data), stderr: `${err.message}\n${hint}`, exitCode: err.exitCode };
      }
    }
    return { data, json: flags.output === 'json', text: formatVersion(data) };
  }
}

/** calicoctl's lines (Go Println: the padded label, a space, the value), then our datastore line. */
export function formatVersion(data: VersionResult): string {
  const lines = [`Client Version:    ${data.clientVersion}`, `Git commit:        ${data.gitCommit}`];
  if (data.clusterVersion !== undefined) lines.push(`Cluster Version:   ${data.clusterVersion}`);
  if (data.clusterType !== undefined) lines.push(`Cluster Type:      ${data.clusterType}`);
  if (data.datastore) lines.push(`Datastore:         ${describeDatastore(data.datastore)}`);
  return lines.join('\n') + '\n';
}

function describeDatastore(info: DatastoreInfo): string {
  return info.type === 'etcdv3' ? `etcdv3 (${info.endpoints.join(',')})` : `embedded (${info.path})`;
}
