import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { clientVersion, readBuildInfo } from '../src/version/client-version.js';

export interface VersionResult {
  clientVersion: string;
  gitCommit: string;
}

export default class Version extends CalicoCommand<VersionResult> {
  static override summary = 'Display the version of calicoctl-ts and of the cluster it talks to.';
  static override examples = [
    { description: 'Client and cluster versions', command: '<%= config.bin %> version' },
    {
      description: 'Only the client, without touching a datastore',
      command: '<%= config.bin %> version --client',
    },
    { description: 'As JSON', command: '<%= config.bin %> version -o json' },
  ];
  static override flags = {
    client: Flags.boolean({ summary: 'Print only the client version; do not contact the datastore.' }),
    output: Flags.string({
      char: 'o',
      summary: 'Output format.',
      options: ['text', 'json'],
      default: 'text',
    }),
  };

  protected async execute(): Promise<CommandResult<VersionResult>> {
    const { flags } = await this.parse(Version);
    const info = readBuildInfo();
    const data = { clientVersion: clientVersion(info), gitCommit: info.commit };
    return {
      data,
      json: flags.output === 'json',
      text: `Client Version:    ${data.clientVersion}\nGit commit:        ${data.gitCommit}\n`,
    };
  }
}
