/**
 * `node status`: which BIRD daemons to ask, asking them, and the result as data (the `-o json`
 * contract). Text rendering is in render.ts.
 *
 * Which sockets: with no socket given, calicoctl's way: Calico must run (else `Calico process is not
 * running.`), BIRD for IPv4 is asked only when a process `bird` runs, for IPv6 when `bird6` runs,
 * each at /var/run/calico/bird[6].ctl and then /var/run/bird/bird[6].ctl. With a socket given
 * (flag or environment), exactly the given sockets are asked and no process check stands in the way:
 * the daemon may run in another container or network namespace.
 */
import { InputError, isCalicoError, OperationError } from '../errors.js';
import { queryBird, SOCKET_UNREACHABLE, unusableAnswer, type BirdAnswer } from './client.js';
import { bgpPeers, parseProtocolTable, type BgpPeer, type BirdFormat, type Family } from './protocols.js';
import { scanProcesses, type RunningProcesses } from './processes.js';

export const DEFAULT_SOCKETS: Record<Family, readonly string[]> = {
  4: ['/var/run/calico/bird.ctl', '/var/run/bird/bird.ctl'],
  6: ['/var/run/calico/bird6.ctl', '/var/run/bird/bird6.ctl'],
};

export interface NodeStatusOptions {
  /** A socket for the IPv4 daemon; no fallback when given. */
  socket?: string;
  /** A socket for the IPv6 daemon (BIRD 1.6's bird6); no fallback when given. */
  socket6?: string;
  /** Deadline for connecting and for each line of the reply. */
  timeoutMs: number;
  /** Ask `show protocols all` and include each peer's details. */
  detail: boolean;
  /** Where to look for processes (tests). */
  procRoot?: string;
}

export type FamilyName = 'IPv4' | 'IPv6';

/** One daemon calicoctl would ask: bird (IPv4) or bird6 (IPv6). */
export interface DaemonStatus {
  family: FamilyName;
  /** ok: it answered; unreachable: no socket could be connected; notRunning: no such process. */
  status: 'ok' | 'unreachable' | 'notRunning';
  /** The socket that answered, or the last one tried; null when not asked. */
  path: string | null;
  birdVersion: string | null;
  /** BIRD 2 carries both families on one socket. */
  format: BirdFormat | null;
  /** Go's dial error when unreachable, e.g. `dial unix /x: connect: no such file or directory`. */
  error: string | null;
}

export interface PeerStatus {
  address: string;
  port: number | null;
  type: string;
  protocol: string;
  family: FamilyName;
  state: string;
  since: string;
  info: string;
  bgpState: string | null;
  detail?: BgpPeer['detail'];
}

export interface NodeStatus {
  calicoProcessRunning: boolean;
  /** Whether process checks chose the daemons (false when sockets were given). */
  processChecks: boolean;
  daemons: DaemonStatus[];
  peers: PeerStatus[];
}

/** NodeStatus plus what the text view needs; `view` is left out of the JSON. */
export interface NodeStatusResult {
  status: NodeStatus;
  view: { processes: RunningProcesses; peers: BgpPeer[] };
}

export async function nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
  const processes = scanProcesses(options.procRoot);
  const explicit = options.socket !== undefined || options.socket6 !== undefined;
  if (!explicit && !processes.calico) {
    throw new OperationError('Calico process is not running.', {
      code: 'CalicoNotRunning',
      hint: 'start calico-node, or give the BIRD control socket with --socket to ask BIRD anyway',
    });
  }
  const plan: { family: Family; paths: readonly string[] | undefined }[] = explicit
    ? [
        { family: 4, paths: options.socket === undefined ? undefined : [options.socket] },
        { family: 6, paths: options.socket6 === undefined ? undefined : [options.socket6] },
      ]
    : [
        { family: 4, paths: processes.bird ? DEFAULT_SOCKETS[4] : undefined },
        { family: 6, paths: processes.bird6 ? DEFAULT_SOCKETS[6] : undefined },
      ];

  const command = options.detail ? 'show protocols all' : 'show protocols';
  const daemons: DaemonStatus[] = [];
  const peers: BgpPeer[] = [];
  for (const { family, paths } of plan) {
    const name: FamilyName = family === 4 ? 'IPv4' : 'IPv6';
    if (!paths) {
      if (!explicit) daemons.push(daemonStatus(name, 'notRunning'));
      continue;
    }
    const outcome = await askFirstReachable(paths, command, options.timeoutMs);
    if ('error' in outcome) {
      daemons.push({ ...daemonStatus(name, 'unreachable'), path: outcome.path, error: outcome.error });
      continue;
    }
    const { answer } = outcome;
    let table;
    try {
      table = parseProtocolTable(answer.reply);
    } catch (err) {
      throw unusableAnswer(answer.path, err);
    }
    daemons.push({
      ...daemonStatus(name, 'ok'),
      path: answer.path,
      birdVersion: answer.version,
      format: table.format,
    });
    peers.push(...bgpPeers(table, family));
  }
  return {
    status: {
      calicoProcessRunning: processes.calico,
      processChecks: !explicit,
      daemons,
      peers: peers.map(peerStatus),
    },
    view: { processes, peers },
  };
}

function daemonStatus(family: FamilyName, status: DaemonStatus['status']): DaemonStatus {
  return { family, status, path: null, birdVersion: null, format: null, error: null };
}

/** Tries each path in turn, as calicoctl does; reports the last path's dial error. */
async function askFirstReachable(
  paths: readonly string[],
  command: string,
  timeoutMs: number,
): Promise<{ answer: BirdAnswer } | { path: string; error: string }> {
  let failure = { path: paths[0] ?? '', error: '' };
  for (const path of paths) {
    try {
      return { answer: await queryBird(path, command, timeoutMs) };
    } catch (err) {
      if (!isCalicoError(err) || err.code !== SOCKET_UNREACHABLE) throw err;
      failure = { path, error: err.message };
    }
  }
  return failure;
}

function familyName(family: Family): FamilyName {
  return family === 4 ? 'IPv4' : 'IPv6';
}

export function peerStatus(peer: BgpPeer): PeerStatus {
  const out: PeerStatus = {
    address: peer.address,
    port: peer.port,
    type: peer.type,
    protocol: peer.protocol,
    family: familyName(peer.family),
    state: peer.state,
    since: peer.since,
    info: peer.info,
    bgpState: peer.bgpState,
  };
  if (peer.detail) out.detail = peer.detail;
  return out;
}

/**
 * The peers a `node status PEER` argument names: by protocol name (`Mesh_10_0_0_1`), by address,
 * or by what calicoctl shows as PEER ADDRESS (`10.0.0.1.port.1790`).
 */
export function selectPeers(peers: readonly BgpPeer[], wanted: string): BgpPeer[] {
  const matches = peers.filter((p) => p.protocol === wanted || p.address === wanted || p.display === wanted);
  if (matches.length === 0) {
    const known = peers.map((p) => p.display);
    throw new InputError(`no BGP peer '${wanted}' in BIRD's protocols`, {
      code: 'PeerNotFound',
      hint: known.length
        ? `known peers: ${known.join(', ')}`
        : 'BIRD has no Calico BGP peers (Mesh_, Node_ or Global_ protocols)',
    });
  }
  return matches;
}
