/**
 * ClusterInformation "default": what `version` shows and what the version-mismatch check compares
 * with (calicoctl/commands/common/version_mismatch.go, commands/version.go).
 */
import { OperationError, RefusedError, isCalicoError } from '../errors.js';
import type { Datastore } from '../datastore/contract.js';
import { CLUSTER_INFORMATION_KEY } from '../resources/well-known-keys.js';

export interface ClusterVersionInfo {
  /** spec.calicoVersion, or undefined when ClusterInformation or the field is missing. */
  calicoVersion?: string;
  clusterType?: string;
}

/** Reads ClusterInformation default; a missing resource gives {}. Reads never create anything. */
export async function readClusterVersion(ds: Datastore): Promise<ClusterVersionInfo> {
  const kv = await ds.get(CLUSTER_INFORMATION_KEY);
  if (!kv) return {};
  let spec: unknown;
  try {
    spec = (JSON.parse(kv.value) as { spec?: unknown }).spec;
  } catch (err) {
    throw new OperationError(
      `cannot decode ClusterInformation(default) at ${CLUSTER_INFORMATION_KEY}: ${(err as Error).message}`,
      { code: 'CorruptData' },
    );
  }
  const field = (name: string): string | undefined => {
    const v = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)[name] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const info: ClusterVersionInfo = {};
  const calicoVersion = field('calicoVersion');
  const clusterType = field('clusterType');
  if (calicoVersion !== undefined) info.calicoVersion = calicoVersion;
  if (clusterType !== undefined) info.clusterType = clusterType;
  return info;
}

/** calicoctl's comparison: drop one leading "v" and everything from the first "-". */
export function normalizeVersion(version: string): string {
  return (version.startsWith('v') ? version.slice(1) : version).split('-')[0] ?? '';
}

/**
 * Refuses to go on when the cluster runs another Calico release than the one this client writes
 * formats for. Skipped when ClusterInformation or its calicoVersion is missing, as calicoctl does.
 */
export async function checkVersionMismatch(ds: Datastore, clientVersion: string): Promise<void> {
  let info: ClusterVersionInfo;
  try {
    info = await readClusterVersion(ds);
  } catch (err) {
    // Unreachable/TLS/auth failures keep their own precise message and exit code.
    if (isCalicoError(err) && !(err instanceof OperationError)) throw err;
    throw new OperationError(
      `unable to get Cluster Information to verify version mismatch: ${(err as Error).message}\n` +
        'Use --allow-version-mismatch to override',
      { code: 'VersionCheckFailed', cause: err },
    );
  }
  if (info.calicoVersion === undefined) return;
  const cluster = normalizeVersion(info.calicoVersion);
  if (cluster !== normalizeVersion(clientVersion)) {
    throw new RefusedError(
      `version mismatch.\nClient Version:   ${clientVersion}\nCluster Version:  ${cluster}\n` +
        'Use --allow-version-mismatch to override',
      { code: 'VersionMismatch' },
    );
  }
}
