/**
 * `datastore import`: load a file written by `datastore export` (or stdin) into the datastore.
 */
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import {
  describeLocation,
  importFrom,
  spoolToTempFile,
  type ImportSummary,
} from '../../datastore/transfer.js';
import type { CommandResult } from '../emit.js';

export interface DatastoreImportFlags extends DatastoreFlags {
  filename: string;
  'allow-non-empty': boolean;
  'dry-run': boolean;
  output: string;
}

export async function runDatastoreImport(flags: DatastoreImportFlags): Promise<CommandResult<ImportSummary>> {
  const file = flags.filename;
  const spooled = file === '-' ? await spoolToTempFile(process.stdin) : undefined;
  try {
    const data = await withDatastore(flags, (ds) =>
      importFrom(ds, spooled?.path ?? file, {
        file,
        allowNonEmpty: flags['allow-non-empty'],
        dryRun: flags['dry-run'],
      }),
    );
    return { data, json: flags.output === 'json', text: importText(data) };
  } finally {
    await spooled?.remove();
  }
}

function importText(s: ImportSummary): string {
  const from = s.file === '-' ? 'stdin' : s.file;
  const what = `${s.keys} keys (${s.bytes} bytes) from ${from} into ${describeLocation(s.target)} in ${s.transactions} transactions`;
  if (s.dryRun) {
    return `Dry run: would import ${what}; it has ${s.targetKeysBefore} keys under /calico/ now. Nothing was written.\n`;
  }
  return `Imported ${what}; revision is now ${s.revision}\n`;
}
