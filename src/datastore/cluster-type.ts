/**
 * What clientv3's EnsureInitialized does to ClusterInformation's clusterType (libcalico-go
 * clientv3/client.go ensureClusterInformation): on the Kubernetes datastore it appends `kdd` to the
 * comma-separated list, once.
 */
import type { DatastoreInfo } from './contract.js';

const KDD_CLUSTER_TYPE = 'kdd';

/** The clusterType EnsureInitialized leaves, or undefined when it leaves it as it is. */
export function initialisedClusterType(info: DatastoreInfo, clusterType: unknown): string | undefined {
  if (info.type !== 'kubernetes') return undefined;
  const current = typeof clusterType === 'string' ? clusterType.replace(/,$/, '') : '';
  const types = current === '' ? [] : current.split(',');
  return types.includes(KDD_CLUSTER_TYPE) ? undefined : [...types, KDD_CLUSTER_TYPE].join(',');
}
