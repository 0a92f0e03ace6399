/**
 * `datastore migrate lock|unlock` (calicoctl `commands/datastore/migrate/lock.go`, `unlock.go`):
 * ClusterInformation "default" spec.datastoreReady false (locked) or true (unlocked).
 *
 * lock first runs EnsureInitialized, which creates ClusterInformation when it is missing (fresh
 * 32-hex clusterGUID, datastoreReady true) and then updates it; unlock reads it and fails when it is
 * missing. The update rewrites the stored object as Go would: metadata and unknown fields as they
 * were, spec fields in ClusterInformationSpec order.
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomBytes, randomUUID } from 'node:crypto';

import { encodeGoJson, parseGoJson, S } from '../codec/go-json.js';
import { updateKey, type CasDecision } from '../datastore/cas.js';
import { initialisedClusterType } from '../datastore/cluster-type.js';
import type { Datastore } from '../datastore/contract.js';
import { ConflictError, OperationError } from '../errors.js';
import { CLUSTER_INFORMATION_KEY } from '../resources/well-known-keys.js';

const clusterInformationSchema = S.struct([
  { name: 'kind', schema: S.string(), omitempty: true },
  { name: 'apiVersion', schema: S.string(), omitempty: true },
  { name: 'metadata', schema: S.any() },
  {
    name: 'spec',
    schema: S.struct([
      { name: 'clusterGUID', schema: S.string(), omitempty: true },
      { name: 'clusterType', schema: S.string(), omitempty: true },
      { name: 'calicoVersion', schema: S.string(), omitempty: true },
      { name: 'datastoreReady', schema: S.bool({ pointer: true }), omitempty: true },
      { name: 'variant', schema: S.string(), omitempty: true },
    ]),
  },
]);

export interface LockResult {
  locked: boolean;
  /** True when ClusterInformation did not exist and was created. */
  created: boolean;
  revision: number;
}

function newClusterInformation(ready: boolean, clusterType: string | undefined, now = new Date()): string {
  return encodeGoJson(
    {
      kind: 'ClusterInformation',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name: 'default',
        uid: randomUUID(),
        creationTimestamp: goTimestamp(now),
      },
      spec: {
        clusterGUID: randomBytes(16).toString('hex'),
        ...(clusterType !== undefined ? { clusterType } : {}),
        datastoreReady: ready,
      },
    },
    clusterInformationSchema,
  );
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
        return { put: newClusterInformation(false, initialisedClusterType(ds.info, '')), result: true };
      }
      let obj: Record<string, unknown>;
      try {
        const parsed = parseGoJson(kv.value);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        obj = parsed as Record<string, unknown>;
      } catch (err) {
        throw new OperationError(
          `error retrieving ClusterInformation for ${verb}: cannot decode ${CLUSTER_INFORMATION_KEY}: ${(err as Error).message}`,
          { code: 'CorruptData' },
        );
      }
      const spec = (typeof obj['spec'] === 'object' && obj['spec'] !== null ? obj['spec'] : {}) as Record<
        string,
        unknown
      >;
      // EnsureInitialized (run by lock only) also gives a cluster without a GUID its GUID.
      const guid = locked && !spec['clusterGUID'] ? { clusterGUID: randomBytes(16).toString('hex') } : {};
      // On Kubernetes it also appends kdd to the cluster type.
      const clusterType = locked ? initialisedClusterType(ds.info, spec['clusterType']) : undefined;
      const type = clusterType !== undefined ? { clusterType } : {};
      const updated = { ...obj, spec: { ...spec, ...guid, ...type, datastoreReady: !locked } };
      return { put: encodeGoJson(updated, clusterInformationSchema), result: false };
    },
    () =>
      new ConflictError(
        `error updating ClusterInformation for ${verb}: update conflict: ClusterInformation(default)`,
        { hint: 'run the command again' },
      ),
  );
  return { locked, created, revision };
}
