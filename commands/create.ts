import { Flags } from '@oclif/core';

import { FileVerbCommand, type WriteOptions } from '../src/cli/file-verb-command.js';
import { fileVerbExamples, writeFlags } from '../src/cli/flags.js';

export default class Create extends FileVerbCommand {
  static override summary = 'Create resources that do not exist yet (create only if absent).';
  static override examples = fileVerbExamples('create');
  static override flags = {
    ...writeFlags,
    'skip-exists': Flags.boolean({
      summary: 'Resources that already exist count as success.',
      default: false,
    }),
  };
  protected readonly verb = 'create';

  protected override writeOptions(flags: Record<string, unknown>): WriteOptions {
    return { skipExists: flags['skip-exists'] === true };
  }
}
