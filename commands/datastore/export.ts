import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import { runDatastoreExport } from '../../src/cli/handlers/datastore-export.js';
import type { ExportSummary } from '../../src/datastore/transfer.js';

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
    return runDatastoreExport(flags);
  }
}
