import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runDatastoreImport } from '../../src/cli/handlers/datastore-import.js';
import type { ImportSummary } from '../../src/datastore/transfer.js';

export default class DatastoreImport extends CalicoCommand<ImportSummary> {
  static override summary = 'Load a file written by `datastore export` into the datastore.';
  static override description =
    'Checks every line of the file first and writes nothing if one is wrong. Refuses a datastore that ' +
    'already has keys under /calico/ unless --allow-non-empty is given (keys in the file then overwrite ' +
    'the ones there; other keys stay). Writes etcd in transactions of at most 128 keys and 1 MiB, the ' +
    'embedded store in transactions of at most 10,000 keys and 8 MiB. ' +
    'See docs/datastore.md.';
  static override examples = [
    {
      description: 'Move the embedded store into a new etcd',
      command:
        '<%= config.bin %> datastore export -o calico.jsonl\n' +
        'ETCD_ENDPOINTS=http://10.0.0.1:2379 <%= config.bin %> datastore import -f calico.jsonl',
    },
    {
      description: 'Check a file and the target without writing',
      command: '<%= config.bin %> datastore import -f calico.jsonl --dry-run',
    },
    {
      description: 'Read the export from stdin',
      command: 'cat calico.jsonl | <%= config.bin %> datastore import -f -',
    },
    { description: 'As JSON', command: '<%= config.bin %> datastore import -f calico.jsonl -o json' },
  ];
  static override flags = {
    ...datastoreFlags,
    filename: Flags.string({
      char: 'f',
      summary: 'The export file to load; "-" reads stdin.',
      required: true,
      helpValue: '<FILE>',
    }),
    'allow-non-empty': Flags.boolean({
      summary:
        'Import even if the datastore already has keys under /calico/ (keys in the file overwrite them).',
      default: false,
    }),
    'dry-run': dryRunFlag,
    output: textOrJsonOutputFlag,
  };

  protected async execute(): Promise<CommandResult<ImportSummary>> {
    const { flags } = await this.parse(DatastoreImport);
    return runDatastoreImport(flags);
  }
}
