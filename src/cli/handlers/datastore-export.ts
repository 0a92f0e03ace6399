/**
 * `datastore export`: every key under /calico/ at one revision, to a file or stdout.
 */
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import {
  describeLocation,
  exportTo,
  exportToFile,
  descriptorSink,
  type ExportSummary,
} from '../../datastore/transfer.js';
import { InputError } from '../../errors.js';
import type { CommandResult } from '../emit.js';

export interface DatastoreExportFlags extends DatastoreFlags {
  output: string;
  json: boolean;
}

export async function runDatastoreExport(flags: DatastoreExportFlags): Promise<CommandResult<ExportSummary>> {
  const file = flags.output;
  if (file === 'json' || file === 'yaml' || file === 'text') {
    throw new InputError(`-o ${file} would write the export to a file named '${file}'`, {
      hint: `for a JSON summary use --json with -o FILE; to really write a file named ${file}, use -o ./${file}`,
    });
  }
  if (flags.json && file === '-') {
    throw new InputError('--json needs -o FILE: without it stdout carries the export itself');
  }
  const data = await withDatastore(flags, (ds) =>
    file === '-' ? exportTo(ds, descriptorSink(1), { file }) : exportToFile(ds, file),
  );
  if (file === '-') return { data };
  return {
    data,
    json: flags.json,
    text:
      `Exported ${data.keys} keys at revision ${data.revision} from ${describeLocation(data.source)} ` +
      `to ${file} (${data.bytes} bytes)\n`,
  };
}
