/**
 * `datastore migrate export`: calicoctl's etcd-to-Kubernetes migration file on stdout (the resource
 * lists as YAML, ClusterInformation and the IPAM objects as JSON; src/apply/migrate-export.ts). With
 * `-o json`, a summary of what it holds instead.
 */
import { exportForMigration, type MigrationExport } from '../../apply/migrate-export.js';
import { kindDescriptor } from '../../resources/registry.js';
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';
import { renderObjects, type GetObject, type OutputFormat } from '../resource-output.js';

export interface MigrateExportFlags extends DatastoreFlags {
  output: string;
}

export interface MigrateExportSummary {
  /** Resources exported per kind, in the file's order. */
  kinds: { kind: string; count: number }[];
  ipam: { blockAffinities: number; blocks: number; handles: number; config: boolean };
}

const render = (objects: GetObject[], type: OutputFormat['type'] & ('yaml' | 'json')): string =>
  renderObjects(objects, { format: { type }, withNamespace: false, table: { globalASNumber: '' } });

/** The file: each kind's YAML list and `---`, then `===` and the two JSON sections. */
export function migrationText(e: MigrationExport): string {
  const info = render(
    [{ type: 'item', descriptor: kindDescriptor('ClusterInformation')!, resource: e.clusterInformation }],
    'json',
  );
  return (
    e.lists.map((list) => render([list], 'yaml') + '---\n').join('') +
    `===\n${info.replace(/\n$/, '')}\n===\n${e.ipam}\n`
  );
}

function summary(e: MigrationExport): MigrateExportSummary {
  const ipam = JSON.parse(e.ipam) as Record<string, unknown[] | undefined>;
  return {
    kinds: e.lists.map((l) => ({ kind: l.descriptor.kind, count: l.type === 'list' ? l.items.length : 1 })),
    ipam: {
      blockAffinities: ipam['block_affinities']?.length ?? 0,
      blocks: ipam['blocks']?.length ?? 0,
      handles: ipam['handles']?.length ?? 0,
      config: ipam['config'] !== undefined,
    },
  };
}

export async function runMigrateExport(
  flags: MigrateExportFlags,
): Promise<CommandResult<MigrateExportSummary>> {
  const exported = await withDatastore(flags, (ds) => exportForMigration(ds));
  return { data: summary(exported), json: flags.output === 'json', text: migrationText(exported) };
}
