import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { singleResourceFlags } from '../src/cli/flags.js';
import { runPatch } from '../src/cli/handlers/resources.js';

export default class Patch extends CalicoCommand<unknown> {
  static override summary = 'Change some fields of one resource in place (JSON merge patch).';
  static override description =
    'Lists in the patch replace the stored list, objects are merged key by key, null removes a key. ' +
    'Labels and annotations are merged with the stored ones. The update is compare-and-swap and is ' +
    'retried (up to 5 times) if someone else changed the resource meanwhile.';
  static override examples = [
    {
      description: 'Set a node route reflector cluster ID',
      command: `<%= config.bin %> patch node node-0 -p '{"spec":{"bgp":{"routeReflectorClusterID":"224.0.0.1"}}}'`,
    },
    {
      description: 'Turn on NAT for a pool',
      command: `<%= config.bin %> patch ippool default-ipv4-ippool -p '{"spec":{"natOutgoing":true}}'`,
    },
    {
      description: 'Show the change without writing it',
      command: `<%= config.bin %> patch ippool pool1 -p '{"spec":{"disabled":true}}' --dry-run`,
    },
    {
      description: 'A namespaced resource, result as JSON',
      command: `<%= config.bin %> patch networkpolicy allow-dns -n prod -p '{"spec":{"order":100}}' -o json`,
    },
  ];
  static override args = {
    kind: Args.string({
      required: true,
      ignoreStdin: true,
      description: 'Kind: ippool, node, bgppeer, ... (case-insensitive aliases).',
    }),
    name: Args.string({ required: true, ignoreStdin: true, description: 'Name of the resource.' }),
  };
  static override flags = {
    ...singleResourceFlags,
    patch: Flags.string({
      char: 'p',
      required: true,
      summary: 'The patch: a JSON object, e.g. {"spec":{"natOutgoing":true}}.',
      helpValue: '<JSON>',
    }),
    type: Flags.string({
      char: 't',
      summary: 'Accepted for calicoctl compatibility and ignored (always a merge patch).',
      helpValue: '<TYPE>',
    }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, args } = await this.parse(Patch);
    return runPatch(flags, args);
  }
}
