/**
 * `datastore migrate lock|unlock` (calicoctl `commands/datastore/migrate/lock.go`, `unlock.go`):
 * ClusterInformation "default" spec.datastoreReady false (locked) or true (unlocked).
 *
 * lock first runs EnsureInitialized, which creates ClusterInformation when it is missing (fresh
 * 32-hex clusterGUID, datastoreReady true) and then updates it; unlock reads it and fails when it is
 * missing. Both write through ClusterInformation's kind module, as every write of the kind does:
 * Go's layout (metadata in ObjectMeta order, spec in ClusterInformationSpec order), unknown fields
 * kept as they were.
 */
import { randomBytes } from 'node:crypto';

import { updateKey, type CasDecision } from '../datastore/cas.js';
import { initialisedClusterType } from '../datastore/cluster-type.js';
import type { Datastore } from '../datastore/contract.js';
import { ConflictError, OperationError } from '../errors.js';
import { clusterinformation } from '../resources/kinds/clusterinformation.js';
import { encodeForStorage, ResourceStore } from '../resources/store.js';
import { decodeStored } from '../resources/stored.js';
import { API_VERSION, type ResourceObject } from '../resources/types.js';
import { CLUSTER_INFORMATION_KEY } from '../resources/well-known-keys.js';

export interface LockResult {
  locked: boolean;
  /** True when ClusterInformation did not exist and was created. */
  created: boolean;
  revision: number;
}

/** A new, locked ClusterInformation default, as clientv3 creates it (fresh uid, creation time and GUID). */
function newLockedClusterInformation(ds: Datastore, clusterType: string | undefined): string {
  const res = new ResourceStore(ds).prepareCreate({
    kind: clusterinformation.kind,
    apiVersion: API_VERSION,
    metadata: { name: 'default' },
    spec: {
      clusterGUID: randomBytes(16).toString('hex'),
      ...(clusterType !== undefined ? { clusterType } : {}),
      datastoreReady: false,
    },
  });
  return encodeForStorage(clusterinformation, res);
}

/** Sets datastoreReady = !locked with a compare-and-swap update (retried a few times). */
export async function setDatastoreLock(ds: Datastore, locked: boolean): Promise<LockResult> {
  const verb = locked ? 'locking' : 'unlocking';
  const { result: created, revision } = await updateKey(
    ds,
    CLUSTER_INFORMATION_KEY,
    (kv): CasDecision<boolean> => {
      if (!kv) {
        if (!locked) {
          throw new OperationError(
            `error retrieving ClusterInformation for unlocking: resource does not exist: ClusterInformation(default) with error: <nil>`,
            {
              code: 'ResourceNotFound',
              hint: "the datastore was never locked; 'datastore migrate lock' creates it",
            },
          );
        }
        return { put: newLockedClusterInformation(ds, initialisedClusterType(ds.info, '')), result: true };
      }
      let stored: ResourceObject;
      try {
        stored = decodeStored(kv);
      } catch (err) {
        throw new OperationError(
          `error retrieving ClusterInformation for ${verb}: cannot decode ${CLUSTER_INFORMATION_KEY}: ${(err as Error).message}`,
          { code: 'CorruptData' },
        );
      }
      const spec = stored.spec ?? {};
      // EnsureInitialized (run by lock only) also gives a cluster without a GUID its GUID.
      const guid = locked && !spec['clusterGUID'] ? { clusterGUID: randomBytes(16).toString('hex') } : {};
      // On Kubernetes it also appends kdd to the cluster type.
      const clusterType = locked ? initialisedClusterType(ds.info, spec['clusterType']) : undefined;
      const type = clusterType !== undefined ? { clusterType } : {};
      const updated = { ...stored, spec: { ...spec, ...guid, ...type, datastoreReady: !locked } };
      return { put: encodeForStorage(clusterinformation, updated), result: false };
    },
    () =>
      new ConflictError(
        `error updating ClusterInformation for ${verb}: update conflict: ClusterInformation(default)`,
        { hint: 'run the command again' },
      ),
  );
  return { locked, created, revision };
}
