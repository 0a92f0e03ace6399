import { Args, Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { parseDuration } from '../../src/cli/duration.js';
import { debugFlag, timeoutFlag } from '../../src/cli/flags.js';
import { toJsonText } from '../../src/cli/json.js';
import {
  nodeStatus,
  peerStatus,
  selectPeers,
  type DaemonStatus,
  type NodeStatus,
  type NodeStatusOptions,
} from '../../src/bird/status.js';
import { ExitCode, InputError, OperationError, UnreachableError } from '../../src/errors.js';

const WATCH_INTERVAL_MS = 2000;
const SOCKET_HINT =
  'start BIRD, or give its control socket with --socket / --socket6 (CALICO_BIRD_SOCKET / CALICO_BIRD6_SOCKET)';

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
    const json = flags.output === 'json';
    const options: NodeStatusOptions = {
      timeoutMs: parseDuration(flags.timeout),
      detail: flags.detail || args.peer !== undefined,
    };
    if (flags.socket !== undefined) options.socket = flags.socket;
    if (flags.socket6 !== undefined) options.socket6 = flags.socket6;

    if (flags.watch) {
      if (json) throw new InputError('--watch cannot be combined with -o json');
      if (!process.stdout.isTTY) {
        throw new InputError('--watch needs a terminal, but stdout is not one', {
          hint: 'run node status without --watch when piping or redirecting its output',
        });
      }
      return this.watch(options, args.peer);
    }
    return this.once(options, args.peer, json);
  }

  private async once(
    options: NodeStatusOptions,
    peer: string | undefined,
    json: boolean,
  ): Promise<CommandResult<NodeStatus | null>> {
    const { data, text } = await collect(options, peer, !json);
    const unreachable = data.daemons.filter((d) => d.status === 'unreachable');
    if (unreachable.length === 0) return { data, json, text };
    const first = unreachable[0]!;
    return {
      data,
      json,
      text,
      exitCode: ExitCode.Unreachable,
      stderr: json
        ? toJsonText({
            error: { code: 'BirdSocketUnreachable', message: connectMessage(first), hint: SOCKET_HINT },
          })
        : `hint: ${SOCKET_HINT}\n`,
    };
  }

  private async watch(
    options: NodeStatusOptions,
    peer: string | undefined,
  ): Promise<CommandResult<NodeStatus | null>> {
    let stopped = false;
    let wake = (): void => {};
    const stop = (): void => {
      stopped = true;
      wake();
    };
    process.on('SIGINT', stop);
    let last: NodeStatus | null = null;
    try {
      while (!stopped) {
        let screen: string;
        try {
          const result = await collect(options, peer, true);
          last = result.data;
          screen = result.text;
        } catch (err) {
          screen = (err instanceof Error ? err.message : String(err)) + '\n';
        }
        const heading = `Every ${WATCH_INTERVAL_MS / 1000}s: node status  ${new Date().toLocaleTimeString()}  (Ctrl-C to stop)\n\n`;
        process.stdout.write('\x1b[H\x1b[2J' + heading + screen);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, WATCH_INTERVAL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      process.off('SIGINT', stop);
    }
    return { data: last };
  }
}

/**
 * One round: ask BIRD, then the whole view or, with a PEER argument, that peer's details. The text
 * renderer (cli-table3, chalk) is loaded only when text is wanted, to keep `-o json` quick to start.
 */
async function collect(
  options: NodeStatusOptions,
  peer: string | undefined,
  wantText: boolean,
): Promise<{ data: NodeStatus; text: string }> {
  const result = await nodeStatus(options);
  const renderer = wantText ? await import('../../src/bird/render.js') : undefined;
  if (peer === undefined) {
    const text =
      renderer?.renderNodeStatus(result, { detail: options.detail, colour: renderer.colourWanted() }) ?? '';
    return { data: result.status, text };
  }
  const { daemons } = result.status;
  const unreachable = daemons.find((d) => d.status === 'unreachable');
  if (!daemons.some((d) => d.status === 'ok')) {
    if (unreachable)
      throw new UnreachableError(connectMessage(unreachable), {
        code: 'BirdSocketUnreachable',
        hint: SOCKET_HINT,
      });
    throw new OperationError('The BGP backend process (BIRD) is not running.', {
      code: 'BirdNotRunning',
      hint: SOCKET_HINT,
    });
  }
  let selected;
  try {
    selected = selectPeers(result.view.peers, peer);
  } catch (err) {
    // The peer may belong to the daemon that could not be asked.
    if (unreachable)
      throw new UnreachableError(connectMessage(unreachable), {
        code: 'BirdSocketUnreachable',
        hint: SOCKET_HINT,
      });
    throw err;
  }
  return {
    data: { ...result.status, peers: selected.map(peerStatus) },
    text: renderer ? selected.map(renderer.renderPeerDetail).join('\n') : '',
  };
}

function connectMessage(daemon: DaemonStatus): string {
  return `Error querying BIRD: unable to connect to BIRDv${daemon.family === 'IPv4' ? 4 : 6} socket: ${daemon.error}`;
}
