import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { withDatastore } from '../../src/cli/datastore-session.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import {
  describeLocation,
  descriptorSink,
  exportTo,
  exportToFile,
  type ExportSummary,
} from '../../src/datastore/transfer.js';
import { InputError } from '../../src/errors.js';

export default class DatastoreExport extends CalicoCommand<ExportSummary> {
  static override summary = 'Write every Calico key (resources and IPAM) of the datastore to a file.';
  static override description =
    'Reads every key under /calico/ at one revision and writes JSON Lines: a header, then one ' +
    '{"key","value"} object per key in key order, values exactly as stored. `datastore import` loads ' +
    'the file into another datastore, e.g. from the embedded store into etcd. See docs/datastore.md.';
  static override examples = [
    {
      description: 'Export to a file (written atomically, mode 0600)',
      command: '<%= config.bin %> datastore export -o calico.jsonl',
    },
    { description: 'Export to stdout', command: '<%= config.bin %> datastore export > calico.jsonl' },
    {
      description: 'Export an etcd datastore, with a JSON summary',
      command:
        'ETCD_ENDPOINTS=http://10.0.0.1:2379 <%= config.bin %> datastore export -o calico.jsonl --json',
    },
  ];
  static override flags = {
    ...datastoreFlags,
    output: Flags.string({
      char: 'o',
      summary: 'File to write the export to; "-" (the default) writes it to stdout.',
      default: '-',
      helpValue: '<FILE>',
    }),
    json: Flags.boolean({
      summary: 'Print the summary as JSON (needs -o FILE: stdout carries the export itself).',
    }),
  };

  protected async execute(): Promise<CommandResult<ExportSummary>> {
    const { flags } = await this.parse(DatastoreExport);
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
}
