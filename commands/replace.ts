import { FileVerbCommand } from '../src/cli/file-verb-command.js';
import { fileVerbExamples } from '../src/cli/flags.js';

export default class Replace extends FileVerbCommand {
  static override summary = 'Replace existing resources (compare-and-swap on resourceVersion when given).';
  static override examples = fileVerbExamples('replace');
  protected readonly verb = 'replace';
}
