/**
 * `datastore migrate import -f FILE`: loads a `datastore migrate export` file into the Kubernetes
 * datastore (src/apply/migrate-import.ts), printing calicoctl's lines.
 */
import { readFileSync } from 'node:fs';

import { importForMigration, type MigrationImportResult } from '../../apply/migrate-import.js';
import { InputError } from '../../errors.js';
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface MigrateImportFlags extends DatastoreFlags {
  filename: string;
  output: string;
}

export interface MigrateImportSummary {
  file: string;
  resources: number;
  skippedNodes: string[];
  ipamResources: number;
}

function readMigrationFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new InputError(`error while reading migration file: ${(err as Error).message}`, {
      code: 'FileUnreadable',
      hint: "give the file 'datastore migrate export' wrote, or - for stdin",
    });
  }
}

function text(r: MigrationImportResult): string {
  const applied = r.applied.filter((a) => a.outcome !== 'failed');
  const kinds = new Set(applied.map((a) => a.kind));
  const what = kinds.size === 1 ? ` '${[...kinds][0]!}'` : '';
  const warnings = r.skippedNodes
    .map(
      (n) =>
        `[WARNING] Attempted to import node Node(${n}) from etcd that references a nonexistent Kubernetes node. Skipping that node. Non-Kubernetes nodes are not supported in the Kubernetes datastore and will be skipped.`,
    )
    .join('');
  return (
    (applied.length > 0 ? `Successfully applied ${applied.length}${what} resource(s)\n` : '') +
    warnings +
    'Importing IPAM resources\n' +
    `Successfully applied ${r.ipamResources} IPAM resource(s)\n` +
    'Datastore information successfully imported. Please refer to the datastore migration documentation for next steps.\n'
  );
}

export async function runMigrateImport(
  flags: MigrateImportFlags,
): Promise<CommandResult<MigrateImportSummary>> {
  const content = readMigrationFile(flags.filename);
  const result = await withDatastore(flags, (ds) => importForMigration(ds, content, flags.filename));
  return {
    data: {
      file: flags.filename,
      resources: result.applied.filter((a) => a.outcome !== 'failed').length,
      skippedNodes: result.skippedNodes,
      ipamResources: result.ipamResources,
    },
    json: flags.output === 'json',
    text: text(result),
  };
}
