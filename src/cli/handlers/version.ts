/**
 * `version`: the client version, and unless --client the cluster's. Shared by the oclif command and
 * the fast start-up path, so it imports no oclif; the datastore code is loaded only when asked.
 */
import type { DatastoreInfo } from '../../datastore/contract.js';
import { isCalicoError } from '../../errors.js';
import { clientVersion, readBuildInfo } from '../../version/client-version.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface VersionFlags extends DatastoreFlags {
  client?: boolean;
  output: string;
}

export interface VersionResult {
  clientVersion: string;
  gitCommit: string;
  /** Absent with --client. "unknown" when ClusterInformation or the field is missing. */
  clusterVersion?: string;
  clusterType?: string;
  datastore?: DatastoreInfo;
}

export async function runVersion(flags: VersionFlags): Promise<CommandResult<VersionResult>> {
  const info = readBuildInfo();
  const data: VersionResult = { clientVersion: clientVersion(info), gitCommit: info.commit };
  if (!flags.client) {
    const [{ withDatastore }, { readClusterVersion }] = await Promise.all([
      import('../datastore-session.js'),
      import('../cluster-info.js'),
    ]);
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
      return { data, text: formatVersion(data), failure: { error: err } };
    }
  }
  return { data, json: flags.output === 'json', text: formatVersion(data) };
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
  switch (info.type) {
    case 'etcdv3':
      return `etcdv3 (${info.endpoints.join(',')})`;
    case 'embedded':
      return `embedded (${info.path})`;
    case 'kubernetes':
      return `kubernetes (${info.server})`;
  }
}
