/**
 * `completion SHELL`: the completion script. The model of commands and flags comes from oclif's
 * manifest, which only the command class holds, so the class passes it in.
 */
import { renderCompletion, type CompletionModel, type Shell } from '../completion.js';
import type { CommandResult } from '../emit.js';

export interface CompletionResult {
  shell: Shell;
  script: string;
}

export async function runCompletion(
  flags: { output: string },
  args: { shell: string },
  model: CompletionModel,
): Promise<CommandResult<CompletionResult>> {
  const shell = args.shell as Shell;
  const script = renderCompletion(shell, model);
  return { data: { shell, script }, json: flags.output === 'json', text: script };
}
