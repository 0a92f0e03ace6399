import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { debugFlag, timeoutFlag } from '../../src/cli/flags.js';
import { runNodeStatus } from '../../src/cli/handlers/node-status.js';
import type { NodeStatus } from '../../src/bird/status.js';

export default class NodeStatusCommand extends CalicoCommand<NodeStatus | null> {
  static override summary =
    "Show this node's BGP sessions as BIRD reports them: with whom, in which state, since when.";
  static override description =
    'Prints what calicoctl node status prints (Calico process check, IPv4 and IPv6 BGP peer tables) for BIRD 1.6 ' +
    'and BIRD 2. Needs read access to the BIRD control socket, not root. See docs/node-status.md.';
  static override examples = [
    {
      description: 'The BGP peer tables, as calicoctl prints them',
      command: '<%= config.bin %> node status',
    },
    {
      description: 'Ask a BIRD whose control socket is elsewhere (no process checks then)',
      command: '<%= config.bin %> node status --socket /run/bird/bird.ctl --socket6 /run/bird/bird6.ctl',
    },
    {
      description: 'Everything BIRD knows about one peer',
      command: '<%= config.bin %> node status 10.0.0.12',
    },
    {
      description: 'Peers with neighbour AS, last error and routes',
      command: '<%= config.bin %> node status --detail',
    },
    { description: 'As JSON', command: '<%= config.bin %> node status -o json' },
    { description: 'Refresh every 2 seconds until Ctrl-C', command: '<%= config.bin %> node status --watch' },
  ];
  static override args = {
    peer: Args.string({
      description:
        'Show the details of one peer: its address, its PEER ADDRESS as shown, or its BIRD protocol name.',
      required: false,
      // Never read a piped stdin as the peer: `node status` in a pipeline means all peers.
      ignoreStdin: true,
    }),
  };
  static override flags = {
    socket: Flags.string({
      summary: 'Control socket of the BIRD daemon for IPv4 (BIRD 2: for both families).',
      description:
        'Default: /var/run/calico/bird.ctl, then /var/run/bird/bird.ctl, asked only when a bird process runs.',
      env: 'CALICO_BIRD_SOCKET',
      helpValue: '<PATH>',
    }),
    socket6: Flags.string({
      summary: 'Control socket of the BIRD 1.6 daemon for IPv6 (bird6).',
      description:
        'Default: /var/run/calico/bird6.ctl, then /var/run/bird/bird6.ctl, asked only when a bird6 process runs.',
      env: 'CALICO_BIRD6_SOCKET',
      helpValue: '<PATH>',
    }),
    timeout: timeoutFlag,
    output: Flags.string({
      char: 'o',
      summary: 'Output format.',
      options: ['text', 'json'],
      default: 'text',
    }),
    detail: Flags.boolean({
      summary: "Also show each peer's neighbour address and AS, local AS and address, last error and routes.",
      default: false,
    }),
    watch: Flags.boolean({
      char: 'w',
      summary: 'Redraw every 2 seconds until Ctrl-C (terminal only).',
      default: false,
    }),
    debug: debugFlag,
  };

  protected async execute(): Promise<CommandResult<NodeStatus | null>> {
    const { args, flags } = await this.parse(NodeStatusCommand);
    return runNodeStatus(flags, args);
  }
}
