/**
 * The text of `node status`: calicoctl v3.32.1's layout byte for byte where calicoctl prints the
 * same thing (bird.md §4.1, §4.3), plus the `--detail` blocks, which calicoctl does not have.
 */
import { PLAIN, type Palette } from '../../output/colour.js';

// For the node status handler, which loads this module only to print text.
export { paletteFor } from '../../output/colour.js';
import { renderTable } from '../../output/tablewriter.js';
import type { BgpPeer, Family } from '../../bird/protocols.js';
import type { DaemonStatus, NodeStatusResult } from '../../bird/status.js';

const HEADERS = ['Peer address', 'Peer type', 'State', 'Since', 'Info'];

export interface RenderStatusOptions {
  detail: boolean;
  /** Colours for states: PLAIN (the default) unless stdout is a terminal (paletteFor). */
  palette?: Palette;
}

export function renderNodeStatus(result: NodeStatusResult, options: RenderStatusOptions): string {
  const { status, view } = result;
  let out = status.calicoProcessRunning ? 'Calico process is running.\n' : 'Calico process is not running.\n';
  const daemon = (family: Family): DaemonStatus | undefined =>
    status.daemons.find((d) => d.family === (family === 4 ? 'IPv4' : 'IPv6'));
  // A BIRD 2 daemon carries both families on one socket, so it answers for both sections.
  const dualStack = status.daemons.some((d) => d.status === 'ok' && d.format === 'bird2');

  if (status.processChecks && !view.processes.bird && !view.processes.bird6) {
    out += '\nThe BGP backend process (BIRD) is not running.\n';
  } else {
    for (const family of [4, 6] as const) {
      const d = daemon(family);
      const label = family === 4 ? 'IPv4' : 'IPv6';
      if (d?.status === 'unreachable') {
        out += `\n${label} BGP status\n`;
        out += `Error querying BIRD: unable to connect to BIRDv${family} socket: ${d.error}\n`;
      } else if (d?.status === 'ok' || dualStack) {
        out += `\n${label} BGP status\n`;
        out += peerTable(
          view.peers.filter((p) => p.family === family),
          family,
          options.palette ?? PLAIN,
        );
      } else if (d?.status === 'notRunning') {
        out += `\nINFO: BIRDv${family} process: '${family === 4 ? 'bird' : 'bird6'}' is not running.\n`;
      }
    }
  }
  if (options.detail) out += view.peers.map((p) => '\n' + renderPeerDetail(p)).join('');
  return out + '\n';
}

function peerTable(peers: readonly BgpPeer[], family: Family, palette: Palette): string {
  const rows = peers.flatMap((p) => (p.calicoctlRow ? [p.calicoctlRow] : []));
  if (rows.length === 0) return `No IPv${family} peers found.\n`;
  return renderTable(
    HEADERS,
    rows,
    palette === PLAIN ? {} : { colour: (r, col, text) => paint(palette, col, text, rows[r]) },
  );
}

/** Established green (ok); Idle, errors and down protocols red (critical); the rest yellow. */
function paint(palette: Palette, col: number, text: string, row: readonly string[] | undefined): string {
  if (!row || (col !== 2 && col !== 4)) return text;
  const state = row[2] ?? '';
  const info = row[4] ?? '';
  if (col === 2)
    return state === 'up'
      ? palette.ok(text)
      : state === 'down'
        ? palette.critical(text)
        : palette.warning(text);
  if (info.startsWith('Established')) return palette.ok(text);
  if (state === 'down' || info.startsWith('Idle') || /Error|error/.test(info)) return palette.critical(text);
  return palette.warning(text);
}

/** What `show protocols all` says about one peer, for `--detail` and `node status PEER`. */
export function renderPeerDetail(peer: BgpPeer): string {
  const d = peer.detail;
  const lines: [string, string | number | null | undefined][] = [
    ['State', `${peer.state} since ${peer.since}`],
    ['BGP state', d?.bgpState ?? peer.bgpState],
    ['Neighbor address', d?.neighborAddress ?? peer.address],
    ['Neighbor AS', d?.neighborAs],
    ['Neighbor ID', d?.neighborId],
    ['Local AS', d?.localAs],
    ['Local address', d?.sourceAddress],
    [
      'Routes',
      d?.routes
        ? `${d.routes.imported} imported, ${d.routes.exported} exported, ${d.routes.preferred} preferred`
        : null,
    ],
    ['Last error', d?.lastError],
    ['Info', peer.info || null],
  ];
  let out = `${peer.display} (${peer.type}, protocol ${peer.protocol})\n`;
  for (const [key, value] of lines) {
    if (value === null || value === undefined || value === '') continue;
    out += `  ${(key + ':').padEnd(18)}${value}\n`;
  }
  return out;
}
