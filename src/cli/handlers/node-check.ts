/**
 * `node check`: this node's kernel (or saved kernel states) against what the datastore says it
 * should hold. Reads only; exit 1 when any error finding is reported.
 */
import { nodeStatus } from '../../bird/status.js';
import { DEFAULT_SOCKETS } from '../../bird/status.js';
import { checkNode, NodeCheck, type NodeCheckReport } from '../../dataplane/check.js';
import {
  readClusterState,
  type BlockFacts,
  type ClusterState,
  type ClusterStateProgress,
} from '../../dataplane/cluster-state.js';
import { summarize, type CheckSummary, type Finding } from '../../dataplane/findings.js';
import {
  kernelState,
  loadKernelState,
  readIproute,
  saveKernelState,
  type BgpSessions,
  type KernelState,
  type NodeSource,
} from '../../dataplane/kernel-state.js';
import { resolveNodeName } from '../../dataplane/node-name.js';
import { checkPeers } from '../../dataplane/peers.js';
import { renderFindings, renderNodeHeader } from '../render/dataplane.js';
import { ExitCode, InputError } from '../../errors.js';
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import { parseDuration } from '../duration.js';
import type { CommandResult } from '../emit.js';

export interface NodeCheckFlags extends DatastoreFlags {
  node?: string;
  output: string;
  save?: string;
  load?: string[];
  'bird-socket'?: string;
  watch?: boolean;
}

/** The node checked live, and where its name came from. */
export interface NodeTarget {
  node: string;
  nodeSource: NodeSource;
}

/** Several --load files: each node's report, then the findings between them. */
export interface MultiNodeCheckReport {
  nodes: NodeCheckReport[];
  findings: Finding[];
  summary: CheckSummary;
}

export type NodeCheckResult = NodeCheckReport | MultiNodeCheckReport;

export async function runNodeCheck(
  flags: NodeCheckFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult<NodeCheckResult | undefined>> {
  if (flags.watch) return (await import('./node-check-watch.js')).watchNodeCheck(flags, env);
  const loads = flags.load ?? [];
  if (flags.save !== undefined && loads.length > 0) {
    throw new InputError('--save and --load cannot be used together', {
      hint: '--save records the live kernel; --load checks a recorded one',
    });
  }
  if (flags.node !== undefined && loads.length > 1) {
    throw new InputError('--node cannot be used with more than one --load', {
      hint: 'each saved state names its own node',
    });
  }
  const timeoutMs = parseDuration(flags.timeout);
  // Bad input fails before anything is read from the datastore.
  const saved = loads.map((path) => loadKernelState(path));
  const live =
    saved.length === 0 ? resolveNodeName({ ...(flags.node ? { flag: flags.node } : {}), env }) : undefined;
  const targets = live
    ? [live]
    : saved.map((s) =>
        flags.node
          ? { node: flags.node, nodeSource: 'flag' as const }
          : { node: s.node, nodeSource: 'saved' as const },
      );

  // The kernel and BIRD are read while the datastore is: the iproute2 children are started once the
  // datastore has all of readClusterState's requests (`answered`), so that spawning them (~10 ms of
  // this thread) does not hold back sending them and is done while etcd prepares the blocks; or, to
  // save the state, when the datastore cannot be read.
  let read: ReturnType<typeof startKernelRead> | undefined;
  const startRead = (target: NodeTarget): ReturnType<typeof startKernelRead> =>
    (read ??= startKernelRead(target, flags['bird-socket'], timeoutMs));
  const capture = async (
    target: NodeTarget,
    felix: ClusterState['felixConfigurations'],
  ): Promise<KernelState> => {
    const state = await startRead(target)(felix);
    if (flags.save !== undefined) saveKernelState(flags.save, state);
    return state;
  };
  // A live node is checked as the blocks arrive (NodeCheck): its kernel state is completed once the
  // settings are read, long before the last block in a large cluster, and the blocks one read of
  // the stream brought are checked together once that read is done.
  const liveCheck = live && new NodeCheck(live.node, live.nodeSource);
  let liveState: Promise<KernelState> | undefined;
  const arrived: BlockFacts[] = [];
  const checkArrived = (): void => liveCheck?.addBlocks(arrived.splice(0));
  const progress: ClusterStateProgress =
    live && liveCheck
      ? {
          answered: () => void startRead(live),
          settings: (settings) => {
            liveState = capture(live, settings.felixConfigurations).then((state) => {
              liveCheck.start(settings, state);
              return state;
            });
            liveState.catch(() => undefined); // awaited below, unless the datastore fails
          },
          block: (facts) => {
            if (arrived.push(facts) === 1) setImmediate(checkArrived);
          },
        }
      : {};
  let cluster: ClusterState;
  try {
    cluster = await withDatastore(flags, (ds) =>
      readClusterState(
        ds,
        targets.map((t) => t.node),
        progress,
      ),
    );
  } catch (err) {
    // A node without datastore access still saves its state, to be checked where there is one.
    if (live && flags.save !== undefined) await (liveState ?? capture(live, {}));
    throw err;
  }
  // readClusterState has called `settings` by the time it returns.
  const states: KernelState[] = liveState ? [await liveState] : saved;
  checkArrived();
  const reports = liveCheck
    ? [liveCheck.finish(cluster)]
    : states.map((s, i) => checkNode(cluster, s, targets[i]!.node, targets[i]!.nodeSource));
  const json = flags.output === 'json';
  if (reports.length === 1) {
    const report = reports[0]!;
    return {
      data: report,
      json,
      text: renderNodeHeader(report) + '\n' + renderFindings(report.findings, report.summary),
      exitCode: report.summary.errors > 0 ? ExitCode.Failed : ExitCode.Ok,
    };
  }
  const peers = checkPeers(cluster, states);
  const all = [...reports.flatMap((r) => r.findings), ...peers.findings];
  const checked = reports.reduce((n, r) => n + r.summary.checked, peers.checked);
  const data: MultiNodeCheckReport = {
    nodes: reports,
    findings: peers.findings,
    summary: summarize(all, checked),
  };
  const text =
    reports.map((r) => renderNodeHeader(r) + '\n' + renderFindings(r.findings, r.summary)).join('\n') +
    `\nBetween the nodes (${reports.map((r) => r.node).join(', ')}):\n` +
    renderFindings(peers.findings, summarize(peers.findings, peers.checked)) +
    `\nAll nodes: ${renderFindings([], data.summary)}`;
  return { data, json, text, exitCode: data.summary.errors > 0 ? ExitCode.Failed : ExitCode.Ok };
}

/**
 * Starts reading this node's kernel and BIRD's sessions; the function returned completes the state
 * once the FelixConfigurations (which name the workload interfaces) have been read.
 */
export function startKernelRead(
  live: NodeTarget,
  birdSocket: string | undefined,
  timeoutMs: number,
): (felix: ClusterState['felixConfigurations']) => Promise<KernelState> {
  const iproute = readIproute(timeoutMs);
  const bgp = readBgpSessions(birdSocket, timeoutMs);
  iproute.catch(() => undefined); // awaited below; a datastore failure must not leave it unhandled
  return async (felix) => {
    const state = kernelState(await iproute, {
      node: live.node,
      nodeSource: live.nodeSource,
      interfacePrefixes: interfacePrefixes(felix, live.node),
    });
    state.bgp = await bgp;
    return state;
  };
}

function interfacePrefixes(felix: Record<string, Record<string, unknown>>, node: string): string[] {
  const prefix = felix[`node.${node}`]?.['interfacePrefix'] ?? felix['default']?.['interfacePrefix'];
  return typeof prefix === 'string' && prefix !== '' ? prefix.split(',') : ['cali'];
}

/** BIRD's BGP sessions from the first socket that answers; `unreachable` with the last error. */
async function readBgpSessions(socket: string | undefined, timeoutMs: number): Promise<BgpSessions> {
  const paths = socket !== undefined ? [socket] : DEFAULT_SOCKETS[4];
  let failure: BgpSessions = { socket: paths[0]!, status: 'unreachable', error: null, peers: [] };
  for (const path of paths) {
    try {
      const { status } = await nodeStatus({ socket: path, timeoutMs, detail: false });
      const daemon = status.daemons[0];
      if (daemon?.status !== 'ok') {
        failure = { socket: path, status: 'unreachable', error: daemon?.error ?? null, peers: [] };
        continue;
      }
      return {
        socket: path,
        status: 'ok',
        error: null,
        peers: status.peers.map((p) => ({
          address: p.address,
          protocol: p.protocol,
          state: p.bgpState ?? (p.info !== '' ? p.info : p.state),
        })),
      };
    } catch (err) {
      failure = { socket: path, status: 'unreachable', error: (err as Error).message, peers: [] };
    }
  }
  return failure;
}
