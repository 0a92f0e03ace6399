import { FileVerbCommand } from '../src/cli/file-verb-command.js';
import { fileVerbExamples } from '../src/cli/flags.js';

export default class Apply extends FileVerbCommand {
  static override summary = 'Create resources, or update them when they exist.';
  static override examples = fileVerbExamples('apply');
  protected readonly verb = 'apply';
}
