import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { completionModel, SHELLS } from '../src/cli/completion.js';
import { runCompletion, type CompletionResult } from '../src/cli/handlers/completion.js';
import { allKindNames } from '../src/resources/registry.js';

export default class Completion extends CalicoCommand<CompletionResult> {
  static override summary = 'Print a shell completion script for bash, zsh or fish.';
  static override description =
    'The script completes commands, topics, flags, flag values (-o json) and resource kinds ' +
    '(get ippool, delete bgppeer, ...). It holds everything it needs, so TAB never starts the CLI; ' +
    'regenerate it after upgrading.\n\n' +
    'Install:\n' +
    '  bash  add to ~/.bashrc:   source <(calicoctl-ts completion bash)\n' +
    '        or system-wide:     calicoctl-ts completion bash > /etc/bash_completion.d/calicoctl-ts\n' +
    '  zsh   add to ~/.zshrc after compinit:   source <(calicoctl-ts completion zsh)\n' +
    '  fish  calicoctl-ts completion fish > ~/.config/fish/completions/calicoctl-ts.fish';
  static override examples = [
    {
      description: 'Enable completion in the current bash session',
      command: 'source <(<%= config.bin %> completion bash)',
    },
    {
      description: 'Install for every bash session',
      command: "echo 'source <(<%= config.bin %> completion bash)' >> ~/.bashrc",
    },
    {
      description: 'Enable in zsh (after compinit in ~/.zshrc)',
      command: 'source <(<%= config.bin %> completion zsh)',
    },
    {
      description: 'Install for fish',
      command: '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
    },
  ];
  static override args = {
    shell: Args.string({
      required: true,
      options: [...SHELLS],
      description: 'The shell: bash, zsh or fish.',
    }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Output format: the script itself, or JSON {"shell","script"}.',
      options: ['text', 'json'],
      default: 'text',
    }),
  };

  protected async execute(): Promise<CommandResult<CompletionResult>> {
    const { args, flags } = await this.parse(Completion);
    return runCompletion(flags, args, completionModel(this.config, allKindNames()));
  }
}
