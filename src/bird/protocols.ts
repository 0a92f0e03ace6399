/**
 * The pure parser of `show protocols` and `show protocols all` replies, BIRD 1.6 and BIRD 2
 * (bird.md §3), and calicoctl's rules for turning protocol rows into BGP peers (bird.md §4.2).
 */
import { parseIP } from '../resources/ip.js';
import { BirdProtocolError, type Reply } from './reply.js';

export type Family = 4 | 6;
export type PeerKind = 'Mesh' | 'Node' | 'Global';
export type BirdFormat = 'bird1' | 'bird2';

/** calicoctl's PEER TYPE for each confd name prefix. */
export const PEER_TYPES: Record<PeerKind, string> = {
  Global: 'global',
  Mesh: 'node-to-node mesh',
  Node: 'node specific',
};

/** The BGP states BIRD prints at the start of the info column (bird.md §3.4). */
const BGP_STATES = new Set([
  'Idle',
  'Connect',
  'Active',
  'OpenSent',
  'OpenConfirm',
  'Established',
  'Close',
  'Passive',
]);

const HEADINGS: Record<string, BirdFormat> = {
  'name proto table state since info': 'bird1',
  'Name Proto Table State Since Info': 'bird2',
};

const PEER_NAME = /^(Global|Node|Mesh)_(.+)$/;

/** One row of the protocol table, with its `1006` detail lines when `show protocols all` was asked. */
export interface ProtocolRow {
  /** The row as BIRD sent it (without the `1002-` or leading space). */
  text: string;
  name: string;
  proto: string;
  table: string;
  state: string;
  /** The since column, which may contain a space (timeformat `iso long`). */
  since: string;
  /** The info column with runs of spaces collapsed, e.g. `Active Socket: Connection refused`. */
  info: string;
  details: string[];
}

export interface ProtocolTable {
  format: BirdFormat;
  rows: ProtocolRow[];
}

/** Parses the reply to `show protocols` or `show protocols all`. Throws BirdProtocolError. */
export function parseProtocolTable(reply: Reply): ProtocolTable {
  if (reply.finalCode !== 0) {
    const last = reply.lines[reply.lines.length - 1];
    throw new BirdProtocolError(
      'unexpected output line from BIRD',
      `${code4(reply.finalCode)} ${last?.text ?? ''}`,
    );
  }
  let format: BirdFormat | undefined;
  const rows: ProtocolRow[] = [];
  for (const line of reply.lines) {
    if (line.code === 0) break;
    if (line.code === 2002) {
      format = HEADINGS[line.text.trim().split(/\s+/).join(' ')];
      if (!format) throw new BirdProtocolError('unknown BIRD table output format', `2002-${line.text}`);
    } else if (line.code === 1002) {
      const row = parseRow(line.text);
      if (row) rows.push(row);
      else
        rows.push({
          text: line.text,
          name: '',
          proto: '',
          table: '',
          state: '',
          since: '',
          info: '',
          details: [],
        });
    } else if (line.code === 1006) {
      rows[rows.length - 1]?.details.push(line.text);
    } else {
      throw new BirdProtocolError('unexpected output line from BIRD', `${code4(line.code)}-${line.text}`);
    }
  }
  if (!format)
    throw new BirdProtocolError('unknown BIRD table output format', 'no 2002 heading in the reply');
  return { format, rows: rows.filter((row) => row.name !== '') };
}

function code4(code: number): string {
  return String(code).padStart(4, '0');
}

const ROW = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/;

/** Splits a row by BIRD's layout: four words, then since and info separated by two spaces or more. */
function parseRow(text: string): ProtocolRow | undefined {
  const m = ROW.exec(text);
  if (!m) return undefined;
  const rest = m[5] ?? '';
  const gap = /\s{2,}/.exec(rest);
  const since = (gap ? rest.slice(0, gap.index) : rest).trim();
  const info = gap ? rest.slice(gap.index).trim().split(/\s+/).join(' ') : '';
  return { text, name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, since, info, details: [] };
}

/** A Calico BGP peer decoded from a protocol name made by confd (bird.md §5). */
export interface PeerName {
  kind: PeerKind;
  type: string;
  family: Family;
  /** The peer's IP address, or the undecodable name part. */
  address: string;
  port: number | null;
  /** What calicoctl shows in PEER ADDRESS, e.g. `10.213.0.17.port.1790`. */
  display: string;
}

/**
 * Decodes `Mesh_10_0_0_1`, `Node_fd00_213__14`, `Global_10_0_0_3_port_1790`. The family comes from
 * the shape of the address (BIRD 2 carries both families on one socket); a name that is neither
 * an IPv4 nor an IPv6 address falls back to the socket's family, as calicoctl does.
 */
export function decodePeerName(name: string, socketFamily: Family): PeerName | undefined {
  const m = PEER_NAME.exec(name);
  if (!m) return undefined;
  const kind = m[1] as PeerKind;
  const body = m[2]!;
  const portMatch = /^(.+)_port_(\d+)$/.exec(body);
  const base = portMatch ? portMatch[1]! : body;
  let family: Family = socketFamily;
  let address: string | undefined;
  if (isIPv4(base.replaceAll('_', '.'))) {
    family = 4;
    address = base.replaceAll('_', '.');
  } else if (isIPv6(base.replaceAll('_', ':'))) {
    family = 6;
    address = base.replaceAll('_', ':');
  }
  const sep = family === 4 ? '.' : ':';
  return {
    kind,
    type: PEER_TYPES[kind],
    family,
    address: address ?? body.replaceAll('_', sep),
    port: address !== undefined && portMatch ? Number(portMatch[2]) : null,
    display: body.replaceAll('_', sep),
  };
}

/**
 * IPv4 and IPv6 addresses as Go's net.ParseIP reads them (calicoctl's truth). Not node:net's
 * isIPv4/isIPv6: their first calls compile large regular expressions, ~4 ms of `node status`.
 */
function isIPv4(text: string): boolean {
  return !text.includes(':') && parseIP(text) !== undefined;
}

function isIPv6(text: string): boolean {
  return text.includes(':') && parseIP(text) !== undefined;
}

export interface BgpPeer extends PeerName {
  protocol: string;
  state: string;
  since: string;
  info: string;
  /** The BGP session state when the info column starts with one (not for a down protocol). */
  bgpState: string | null;
  /**
   * The row calicoctl prints: PEER ADDRESS, PEER TYPE, STATE, SINCE, INFO, taken from whitespace
   * separated fields as calicoctl does; undefined for a row calicoctl skips (fewer than six fields,
   * e.g. a disabled peer).
   */
  calicoctlRow: [string, string, string, string, string] | undefined;
  detail?: PeerDetail;
}

/** The Calico BGP peers of a protocol table, in BIRD's order. Other protocols are left out. */
export function bgpPeers(table: ProtocolTable, socketFamily: Family): BgpPeer[] {
  const peers: BgpPeer[] = [];
  for (const row of table.rows) {
    if (row.proto !== 'BGP') continue;
    const name = decodePeerName(row.name, socketFamily);
    if (!name) continue;
    const first = row.info.split(' ')[0] ?? '';
    const fields = row.text.trim().split(/\s+/);
    const peer: BgpPeer = {
      ...name,
      protocol: row.name,
      state: row.state,
      since: row.since,
      info: row.info,
      bgpState: BGP_STATES.has(first) ? first : null,
      calicoctlRow:
        fields.length >= 6
          ? [name.display, name.type, fields[3]!, fields[4]!, fields.slice(5).join(' ')]
          : undefined,
    };
    if (row.details.length > 0) peer.detail = parseDetail(row.details);
    peers.push(peer);
  }
  return peers;
}

/** What `show protocols all` tells about one BGP peer. Absent facts are null. */
export interface PeerDetail {
  description: string | null;
  bgpState: string | null;
  neighborAddress: string | null;
  neighborAs: number | null;
  neighborId: string | null;
  /** BIRD 2 only; BIRD 1.6 does not print the local AS. */
  localAs: number | null;
  /** The local address of the session (BIRD's `Source address`). */
  sourceAddress: string | null;
  lastError: string | null;
  holdTimer: string | null;
  keepaliveTimer: string | null;
  /** Summed over the peer's channels (BIRD 2 has one per address family). */
  routes: { imported: number; exported: number; preferred: number } | null;
}

/** Parses the `1006` lines of one protocol. */
export function parseDetail(lines: readonly string[]): PeerDetail {
  const values = new Map<string, string>();
  let routes = null as PeerDetail['routes'];
  for (const line of lines) {
    const m = /^\s*([A-Za-z][A-Za-z0-9 ]*?):\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2]!.trim();
    if (key === 'Routes') {
      const count = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(value)?.[1] ?? 0);
      routes = {
        imported: (routes?.imported ?? 0) + count('imported'),
        exported: (routes?.exported ?? 0) + count('exported'),
        preferred: (routes?.preferred ?? 0) + count('preferred'),
      };
    } else if (!values.has(key)) {
      values.set(key, value);
    }
  }
  const text = (key: string): string | null => values.get(key) || null;
  const asn = (key: string): number | null => {
    const v = values.get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    description: text('Description'),
    bgpState: text('BGP state'),
    neighborAddress: text('Neighbor address'),
    neighborAs: asn('Neighbor AS'),
    neighborId: text('Neighbor ID'),
    localAs: asn('Local AS'),
    sourceAddress: text('Source address'),
    lastError: text('Last error'),
    holdTimer: text('Hold timer'),
    keepaliveTimer: text('Keepalive timer'),
    routes,
  };
}
