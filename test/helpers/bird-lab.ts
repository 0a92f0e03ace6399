/**
 * A lab of real BIRD daemons for integration tests. Every node is a network namespace made here,
 * cabled to a bridge in a hub namespace, with private addresses (10.213.0.N/24, fd00:213::N/64) that
 * exist only inside the namespaces: nothing is added to the host's network. Daemons run in the
 * foreground (`-d`) with control sockets in a temporary directory.
 *
 * Cleanup kills every daemon and deletes every namespace the lab made, from afterAll (cleanup())
 * and on process exit; namespaces of a killed test run go when the next run makes one (netns.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { queryBird } from '../../src/bird/client.js';
import { parseProtocolTable, type ProtocolRow } from '../../src/bird/protocols.js';
import { REPO_ROOT } from './cli.js';
import { addNamespace, deleteNamespace, ip, namespaceName } from './netns.js';

export const BIRD1 = '/usr/sbin/bird';
export const BIRD1_V6 = '/usr/sbin/bird6';
export const BIRD2 = join(REPO_ROOT, '.tmp', 'bird2', 'usr', 'sbin', 'bird');

const START_TIMEOUT_MS = 10_000;

export interface LabNode {
  /** The last octet: the node's addresses are 10.213.0.<id> and fd00:213::<id>. */
  id: number;
  ns: string;
  v4: string;
  v6: string;
}

export interface Daemon {
  socket: string;
  process: ChildProcess;
  /** What the daemon wrote to stderr (debug output with -d). */
  log: () => string;
}

let labCounter = 0;

export class BirdLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'cts-bird-'));
  private readonly tag = namespaceName(`bird${++labCounter}`);
  private readonly hub = `${this.tag}-hub`;
  private readonly namespaces: string[] = [];
  private readonly daemons: Daemon[] = [];
  private readonly others: ChildProcess[] = [];
  private readonly onExit = (): void => this.cleanupSync();

  constructor() {
    process.on('exit', this.onExit);
    addNamespace(this.hub);
    this.namespaces.push(this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
  }

  /** A node namespace with 10.213.0.<id>/24 and fd00:213::<id>/64 on eth0, cabled to the hub. */
  addNode(id: number): LabNode {
    const ns = `${this.tag}-n${id}`;
    addNamespace(ns);
    this.namespaces.push(ns);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${id}`, 'netns', this.hub);
    ip('-n', this.hub, 'link', 'set', `p${id}`, 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', `10.213.0.${id}/24`, 'dev', 'eth0');
    ip('-n', ns, '-6', 'addr', 'add', `fd00:213::${id}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return { id, ns, v4: `10.213.0.${id}`, v6: `fd00:213::${id}` };
  }

  /** Starts a BIRD binary in the node's namespace with this config; resolves once it answers. */
  async startBird(node: LabNode, binary: string, name: string, config: string): Promise<Daemon> {
    const cfg = join(this.dir, `${name}.cfg`);
    const socket = join(this.dir, `${name}.ctl`);
    writeFileSync(cfg, config);
    const child = spawn(
      'ip',
      ['netns', 'exec', node.ns, binary, '-d', '-c', cfg, '-s', socket, '-P', join(this.dir, `${name}.pid`)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    const daemon = { socket, process: child, log: () => log };
    this.daemons.push(daemon);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${binary} (${name}) exited: ${log}`);
      if (existsSync(socket)) {
        try {
          await queryBird(socket, 'show status', 1000);
          return daemon;
        } catch {
          // not listening yet
        }
      }
      await sleep(50);
    }
    throw new Error(`${binary} (${name}) did not answer on ${socket} within ${START_TIMEOUT_MS} ms: ${log}`);
  }

  /** A process whose argv[0] is calico-felix, so that node status sees Calico running. */
  startFakeFelix(): void {
    this.others.push(spawn('sleep', ['600'], { argv0: 'calico-felix', stdio: 'ignore' }));
  }

  /** `show protocols` rows of a daemon, parsed. */
  async protocols(daemon: Daemon): Promise<Map<string, ProtocolRow>> {
    const answer = await queryBird(daemon.socket, 'show protocols', 2000);
    return new Map(parseProtocolTable(answer.reply).rows.map((r) => [r.name, r]));
  }

  /** Polls until settled(rows) holds; throws with the last rows after timeoutMs. */
  async waitFor(
    daemon: Daemon,
    settled: (rows: Map<string, ProtocolRow>) => boolean,
    timeoutMs = 40_000,
  ): Promise<Map<string, ProtocolRow>> {
    const deadline = Date.now() + timeoutMs;
    let rows = await this.protocols(daemon);
    while (!settled(rows)) {
      if (Date.now() > deadline) {
        const seen = [...rows.values()].map((r) => r.text).join('\n');
        throw new Error(`BIRD at ${daemon.socket} did not settle within ${timeoutMs} ms:\n${seen}`);
      }
      await sleep(250);
      rows = await this.protocols(daemon);
    }
    return rows;
  }

  async cleanup(): Promise<void> {
    this.cleanupSync();
    process.off('exit', this.onExit);
  }

  private cleanupSync(): void {
    for (const child of [...this.daemons.map((d) => d.process), ...this.others]) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const ns of this.namespaces.splice(0).reverse()) deleteNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What confd puts in every BIRD config before the peers (bird.md §5), for BIRD 1.6 and 2. */
export function baseConfig(routerId: string, version: 1 | 2, family: 4 | 6 = 4): string {
  const blackhole = family === 4 ? '192.0.2.0/24' : '2001:db8:213::/48';
  const channel =
    version === 2 ? '  ipv4 { import all; export none; };\n' : '  import all;\n  export none;\n';
  return `router id ${routerId};
protocol static static1 {
${version === 2 ? '  ipv4;\n' : ''}  route ${blackhole} blackhole;
}
protocol kernel kernel1 {
  learn;
  persist;
  scan time 2;
${channel}  graceful restart;
}
protocol device device1 { scan time 2; }
protocol direct direct1 {
${version === 2 ? '  ipv4;\n' : ''}  interface -"cali*", "*";
}
`;
}

export interface PeerConfig {
  /** The protocol name as confd writes it, e.g. Mesh_10_213_0_11. */
  name: string;
  neighbor: string;
  as: number;
  localAs: number;
  port?: number;
  passive?: boolean;
  disabled?: boolean;
  sourceAddress?: string;
}

/** One `protocol bgp` block the way confd writes it (bird_aggr/bird*.cfg.template). */
export function bgpProtocol(peer: PeerConfig, version: 1 | 2, family: 4 | 6 = 4): string {
  const lines = [
    `protocol bgp ${peer.name} {`,
    '  description "Connection to BGP peer";',
    `  local as ${peer.localAs};`,
    `  neighbor ${peer.neighbor}${peer.port ? ` port ${peer.port}` : ''} as ${peer.as};`,
    '  multihop;',
    '  graceful restart;',
    '  connect delay time 2;',
    '  connect retry time 5;',
    '  error wait time 5,30;',
  ];
  if (peer.sourceAddress) lines.push(`  source address ${peer.sourceAddress};`);
  if (peer.passive) lines.push('  passive on;');
  if (peer.disabled) lines.push('  disabled;');
  if (version === 2) lines.push(`  ipv${family} { import all; export all; };`);
  else lines.push('  import all;', '  export all;');
  lines.push('}', '');
  return lines.join('\n');
}
