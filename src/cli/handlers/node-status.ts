/**
 * `node status`: this node's BGP sessions as BIRD reports them. Shared by the oclif command and the
 * fast start-up path, so it imports no oclif; the text renderer is loaded only when text is
 * printed, and chalk only when that text goes to a terminal.
 */
import {
  nodeStatus,
  peerStatus,
  selectPeers,
  type DaemonStatus,
  type NodeStatus,
  type NodeStatusOptions,
} from '../../bird/status.js';
import { InputError, OperationError, UnreachableError } from '../../errors.js';
import { parseDuration } from '../duration.js';
import type { CommandResult } from '../emit.js';

const WATCH_INTERVAL_MS = 2000;
const SOCKET_HINT =
  'start BIRD, or give its control socket with --socket / --socket6 (CALICO_BIRD_SOCKET / CALICO_BIRD6_SOCKET)';

export interface NodeStatusFlags {
  socket?: string;
  socket6?: string;
  timeout: string;
  output: string;
  detail: boolean;
  watch: boolean;
  debug: boolean;
}

export interface NodeStatusArgs {
  peer?: string;
}

export async function runNodeStatus(
  flags: NodeStatusFlags,
  args: NodeStatusArgs,
): Promise<CommandResult<NodeStatus | null>> {
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
    return watch(options, args.peer);
  }
  return once(options, args.peer, json);
}

async function once(
  options: NodeStatusOptions,
  peer: string | undefined,
  json: boolean,
): Promise<CommandResult<NodeStatus | null>> {
  const { data, text } = await collect(options, peer, !json);
  const unreachable = data.daemons.filter((d) => d.status === 'unreachable');
  if (unreachable.length === 0) return { data, json, text };
  // calicoctl's text already holds the error line; the JSON error object names it.
  return { data, json, text, failure: { error: unreachableError(unreachable[0]!), shownInText: true } };
}

async function watch(
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

/** One round: ask BIRD, then the whole view or, with a PEER argument, that peer's details. */
async function collect(
  options: NodeStatusOptions,
  peer: string | undefined,
  wantText: boolean,
): Promise<{ data: NodeStatus; text: string }> {
  // Load the renderer (and chalk, on a terminal) while BIRD answers.
  const rendererLoad = wantText
    ? import('../render/bird.js').then(async (r) => [r, await r.paletteFor()] as const)
    : undefined;
  const result = await nodeStatus(options);
  const [renderer, palette] = (await rendererLoad) ?? [];
  if (peer === undefined) {
    const text = renderer?.renderNodeStatus(result, { detail: options.detail, palette }) ?? '';
    return { data: result.status, text };
  }
  const { daemons } = result.status;
  const unreachable = daemons.find((d) => d.status === 'unreachable');
  if (!daemons.some((d) => d.status === 'ok')) {
    if (unreachable) throw unreachableError(unreachable);
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
    if (unreachable) throw unreachableError(unreachable);
    throw err;
  }
  return {
    data: { ...result.status, peers: selected.map(peerStatus) },
    text: renderer ? selected.map(renderer.renderPeerDetail).join('\n') : '',
  };
}

function unreachableError(daemon: DaemonStatus): UnreachableError {
  return new UnreachableError(connectMessage(daemon), { code: 'BirdSocketUnreachable', hint: SOCKET_HINT });
}

function connectMessage(daemon: DaemonStatus): string {
  return `Error querying BIRD: unable to connect to BIRDv${daemon.family === 'IPv4' ? 4 : 6} socket: ${daemon.error}`;
}
