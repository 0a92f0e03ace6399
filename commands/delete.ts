import { Flags } from '@oclif/core';

import { FileVerbCommand, type WriteOptions } from '../src/cli/file-verb-command.js';
import { fileVerbExamples, writeFlags } from '../src/cli/flags.js';

export default class Delete extends FileVerbCommand {
  static override summary = 'Delete resources named in a file or on the command line.';
  static override examples = fileVerbExamples('delete', [
    { description: 'By kind and names', command: '<%= config.bin %> delete ippool pool1 pool2' },
  ]);
  static override flags = {
    ...writeFlags,
    'skip-not-exists': Flags.boolean({
      char: 's',
      summary: 'Resources that do not exist count as success.',
      default: false,
    }),
  };
  protected readonly verb = 'delete';

  protected override writeOptions(flags: Record<string, unknown>): WriteOptions {
    return { skipNotExists: flags['skip-not-exists'] === true };
  }
}
