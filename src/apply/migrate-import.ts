/**
 * `datastore migrate import` (calicoctl v3.32.1 `commands/datastore/migrate/import.go`,
 * `migrateipam.go`; kdd.md §8): loads a `datastore migrate export` file into the Kubernetes datastore.
 * The target must be Kubernetes and hold no Calico resources yet (Nodes, Kubernetes' own policies and
 * the three protected tiers aside) and no IPAM objects. Then, as calicoctl: the datastore is
 * initialised and locked, the resources are applied (a Node without its Kubernetes node is skipped
 * with calicoctl's warning), ClusterInformation takes the file's clusterGUID and calicoVersion, and
 * every IPAM object is created. The datastore stays locked: `datastore migrate unlock` ends the
 * migration.
 *
 * Unlike calicoctl, the Calico CRDs are not installed here (calicoctl embeds them): install them first.
 */
import { encodeGoJson, parseGoJson, type Schema } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { InputError, OperationError, RefusedError, isCalicoError } from '../errors.js';
import { setDatastoreLock } from '../ipam/datastore-lock.js';
import { BLOCK_PREFIX, HANDLE_PREFIX, IPAM_CONFIG_KEY, IPAM_PREFIX } from '../ipam/keys.js';
import {
  allocationBlockSchema,
  blockAffinitySchema,
  ipamConfigSchema,
  ipamHandleSchema,
} from '../ipam/schemas.js';
import { parseText } from '../resources/manifest.js';
import { kindDescriptor } from '../resources/registry.js';
import { ResourceStore } from '../resources/store.js';
import { ApplyEngine, ensureInitialized, type ResourceResult } from './engine.js';
import { EXPORT_KINDS } from './migrate-export.js';

/** names.TierIsProtected. */
const PROTECTED_TIERS = new Set(['default', 'kube-admin', 'kube-baseline']);

export interface MigrationImportResult {
  /** The resources applied, and the Nodes skipped for want of their Kubernetes node. */
  applied: ResourceResult[];
  skippedNodes: string[];
  ipamResources: number;
}

/** checkCalicoResourcesNotExist. */
async function checkEmpty(ds: Datastore, store: ResourceStore): Promise<void> {
  const refuse = (what: string) =>
    new RefusedError(
      `datastore already has Calico resources: ${what}. Clear out all Calico resources by deleting all Calico CRDs`,
      { code: 'TargetNotEmpty', hint: 'import into a cluster without Calico resources' },
    );
  for (const kind of [...EXPORT_KINDS, 'ClusterInformation'] as const) {
    if (kind === 'Node') continue;
    const d = kindDescriptor(kind)!;
    const items = (await store.list(d)).items.filter(
      (r) =>
        !(d.virtual ?? []).some((v) => v.metadata.name === r.metadata.name) &&
        !(kind === 'NetworkPolicy' && (r.metadata.name ?? '').startsWith('knp.')) &&
        !(kind === 'Tier' && PROTECTED_TIERS.has(r.metadata.name ?? '')),
    );
    if (items.length > 0) throw refuse(`found existing Calico ${kind} resource`);
  }
  for (const prefix of [BLOCK_PREFIX, `${IPAM_PREFIX}host/`, HANDLE_PREFIX])
    if ((await ds.count(prefix)) > 0) throw refuse('found existing IPAM resources');
  if (await ds.get(IPAM_CONFIG_KEY)) throw refuse('found existing IPAM resources');
}

/** splitImportFile: exactly three parts separated by `===` lines. */
function split(text: string, file: string): [string, string, string] {
  const parts = text.split('===\n');
  if (parts.length !== 3)
    throw new InputError(
      `error while reading migration file: imported file: ${file} is improperly formatted. Try recreating with 'calicoctl export'`,
      { code: 'BadMigrationFile', hint: "write it with 'datastore migrate export'" },
    );
  return parts as [string, string, string];
}

interface KV {
  Key: string;
  Value: unknown;
}

/** migrateIPAM.PushToDatastore: each object created as it is in the file; errors collected. */
async function pushIPAM(ds: Datastore, text: string): Promise<number> {
  let ipam: Record<string, unknown>;
  try {
    ipam = parseGoJson(text) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`failed to read IPAM resources: ${(err as Error).message}`, {
      code: 'BadMigrationFile',
    });
  }
  const sections: [string, Schema][] = [
    ['block_affinities', blockAffinitySchema],
    ['blocks', allocationBlockSchema],
    ['handles', ipamHandleSchema],
  ];
  const objects: [KV, Schema][] = sections.flatMap(([name, schema]) =>
    ((ipam[name] ?? []) as KV[]).map((kv): [KV, Schema] => [kv, schema]),
  );
  if (ipam['config']) objects.push([ipam['config'] as KV, ipamConfigSchema]);
  if (objects.length === 0)
    throw new InputError('no IPAM resources specified in file', { code: 'BadMigrationFile' });
  const errors: string[] = [];
  let handled = 0;
  for (const [kv, schema] of objects) {
    try {
      if (typeof kv.Key !== 'string' || !kv.Key.startsWith(IPAM_PREFIX))
        throw new InputError(`not an IPAM key: ${JSON.stringify(kv.Key)}`);
      const out = await ds.create(kv.Key, encodeGoJson(kv.Value, schema));
      if (!out.ok) errors.push(`error trying to create block affinity ${kv.Key}: resource already exists`);
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      errors.push(`error trying to create block affinity ${kv.Key}: ${err.message}`);
    }
    handled++;
  }
  if (errors.length > 0)
    throw new OperationError(
      `Partial success: applied the first ${handled} out of ${objects.length} resources:\nhit error(s): [${errors.join(' ')}]`,
      { code: 'PartiallyImported' },
    );
  return handled;
}

export async function importForMigration(
  ds: Datastore,
  text: string,
  file: string,
): Promise<MigrationImportResult> {
  if (ds.info.type !== 'kubernetes')
    throw new InputError(
      `invalid datastore type: ${ds.info.type} to import to for datastore migration. Datastore type must be kubernetes`,
      { code: 'InvalidDatastoreType', hint: 'point the command at the Kubernetes cluster to migrate to' },
    );
  const store = new ResourceStore(ds);
  await checkEmpty(ds, store);
  await ensureInitialized(store);
  const info = await store.get(kindDescriptor('ClusterInformation')!, 'default');
  if (info.spec?.['datastoreReady'] !== false) await setDatastoreLock(ds, true);
  const [resources, clusterInfo, ipam] = split(text, file);

  const results = await new ApplyEngine(ds, {}).run('apply', parseText(resources, file));
  const skippedNodes: string[] = [];
  const failed = results.filter((r) => {
    if (r.outcome !== 'failed') return false;
    // A Node whose Kubernetes node does not exist cannot be created there: calicoctl skips it.
    if (r.kind === 'Node' && r.error?.code === 'OperationNotSupported') {
      skippedNodes.push(r.name);
      return false;
    }
    return true;
  });
  if (failed.length > 0)
    throw new OperationError(
      `failed to import v3 resources: hit error(s): [${failed.map((r) => r.error?.message ?? '').join(' ')}]`,
      { code: 'ImportFailed', hint: 'fix what is named, clear the Calico resources, and import again' },
    );

  const migrated = parseGoJson(clusterInfo) as { spec?: { clusterGUID?: string; calicoVersion?: string } };
  const current = await store.get(kindDescriptor('ClusterInformation')!, 'default');
  await store.update(kindDescriptor('ClusterInformation')!, {
    ...current,
    spec: {
      ...current.spec,
      clusterGUID: migrated.spec?.clusterGUID,
      calicoVersion: migrated.spec?.calicoVersion,
    },
  });
  return { applied: results, skippedNodes, ipamResources: await pushIPAM(ds, ipam) };
}
