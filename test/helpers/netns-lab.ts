/**
 * A real data plane in network namespaces for `node check`: "node" namespaces cabled to two bridges
 * (subnet A 10.230.1.0/24 + fd00:230:1::/64, subnet B 10.230.2.0/24 + fd00:230:2::/64) in a hub
 * namespace, a router namespace between the subnets (so CrossSubnet has both cases), and pod
 * namespaces attached to their node by veth pairs exactly as Calico's CNI plugin does (host side
 * `cali` + 11 hex, MAC ee:ee:ee:ee:ee:ee, no address, proxy_arp on; pod side a /32 with a link
 * route to 169.254.1.1 and a default route via it).
 *
 * Nothing touches the host's own network: every address exists only inside namespaces made here.
 * Namespace names carry the test process's pid and a per-lab counter; cleanup() deletes them (and
 * kills whatever runs in them) from afterAll, on process exit, and, for labs of a killed run, when
 * the next lab starts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { queryBird } from '../../src/bird/client.js';
import { startCli } from '../reliability/outage-tools.js';
import type { CliResult } from './cli.js';
import { alive } from './process.js';

const NS_PREFIX = 'ncl';
const SUBNETS = {
  a: { v4: '10.230.1', v6: 'fd00:230:1:' },
  b: { v4: '10.230.2', v6: 'fd00:230:2:' },
} as const;
export type Subnet = keyof typeof SUBNETS;

export interface LabNode {
  name: string;
  ns: string;
  subnet: Subnet;
  /** The node's address, and with its prefix as Calico's Node spec.bgp holds it. */
  v4: string;
  v4Cidr: string;
  v6: string;
  v6Cidr: string;
}

export interface LabPod {
  name: string;
  node: LabNode;
  ns: string;
  /** The host-side interface: cali + the first 11 hex of sha1(<namespace>.<pod>). */
  hostIface: string;
  /** The pod's eth0 MAC. */
  mac: string;
  ipv4: string;
  ipv6?: string;
}

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deleteNamespace(ns: string): void {
  try {
    for (const pid of run('ip', 'netns', 'pids', ns).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    run('ip', 'netns', 'del', ns);
  } catch {
    // already gone
  }
}

function removeStaleLabs(): void {
  for (const line of run('ip', 'netns', 'list').split('\n')) {
    const m = new RegExp(`^(${NS_PREFIX}(\\d+)-\\d+-\\w+)`).exec(line);
    if (m && !alive(Number(m[2]))) deleteNamespace(m[1]!);
  }
}

/** Calico's Kubernetes veth name: cali + sha1("<namespace>.<pod>")[0:11]. */
export function vethName(namespace: string, pod: string): string {
  return 'cali' + createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11);
}

let labCounter = 0;

export class NetnsLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'cts-netns-'));
  readonly tag = `${NS_PREFIX}${process.pid}-${++labCounter}`;
  readonly hub = `${this.tag}-hub`;
  readonly router = `${this.tag}-rtr`;
  readonly nodes = new Map<string, LabNode>();
  readonly pods: LabPod[] = [];
  private readonly namespaces: string[] = [];
  private readonly daemons: ChildProcess[] = [];
  private readonly onExit = (): void => this.cleanupSync();
  private cables = 0;

  constructor() {
    removeStaleLabs();
    process.on('exit', this.onExit);
    this.addNamespace(this.hub);
    for (const s of Object.keys(SUBNETS)) {
      this.ip(this.hub, 'link', 'add', `br${s}`, 'type', 'bridge');
      this.ip(this.hub, 'link', 'set', `br${s}`, 'up');
    }
    this.addNamespace(this.router);
    this.forwarding(this.router);
    for (const [s, net] of Object.entries(SUBNETS)) {
      const iface = this.cable(this.router, s as Subnet);
      this.ip(this.router, 'addr', 'add', `${net.v4}.254/24`, 'dev', iface);
      this.ip(this.router, '-6', 'addr', 'add', `${net.v6}:fe/64`, 'dev', iface, 'nodad');
    }
  }

  /** `ip -n <ns> ...`. */
  ip(ns: string, ...args: string[]): string {
    return run('ip', '-n', ns, ...args);
  }

  /** Runs a command inside a namespace. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return run('ip', 'netns', 'exec', ns, cmd, ...args);
  }

  sysctl(ns: string, name: string, value: string): void {
    this.exec(ns, 'sysctl', '-q', '-w', `${name}=${value}`);
  }

  /** A node namespace with eth0 on the subnet's bridge, address .id, default routes via the router. */
  addNode(name: string, subnet: Subnet, id: number): LabNode {
    const ns = `${this.tag}-${name}`;
    this.addNamespace(ns);
    this.forwarding(ns);
    const net = SUBNETS[subnet];
    const eth = this.cable(ns, subnet, 'eth0');
    const node: LabNode = {
      name,
      ns,
      subnet,
      v4: `${net.v4}.${id}`,
      v4Cidr: `${net.v4}.${id}/24`,
      v6: `${net.v6}:${id}`,
      v6Cidr: `${net.v6}:${id}/64`,
    };
    this.ip(ns, 'addr', 'add', node.v4Cidr, 'dev', eth);
    this.ip(ns, '-6', 'addr', 'add', node.v6Cidr, 'dev', eth, 'nodad');
    this.ip(ns, 'route', 'add', 'default', 'via', `${net.v4}.254`);
    this.ip(ns, '-6', 'route', 'add', 'default', 'via', `${net.v6}:fe`);
    this.nodes.set(name, node);
    return node;
  }

  /**
   * A pod on a node, wired as Calico's CNI plugin does (dataplane.md §6), with the host route and
   * static ARP entry Felix then owns (metric 1024).
   */
  addPod(node: LabNode, name: string, ipv4: string, ipv6?: string): LabPod {
    const ns = `${this.tag}-p${this.pods.length}`;
    this.addNamespace(ns);
    const hostIface = vethName('default', name);
    this.ip(node.ns, 'link', 'add', hostIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    this.ip(node.ns, 'link', 'set', hostIface, 'address', 'ee:ee:ee:ee:ee:ee');
    for (const [k, v] of [
      [`net.ipv4.conf.${hostIface}.proxy_arp`, '1'],
      [`net.ipv4.neigh.${hostIface}.proxy_delay`, '0'],
      [`net.ipv4.conf.${hostIface}.forwarding`, '1'],
      [`net.ipv4.conf.${hostIface}.route_localnet`, '1'],
      [`net.ipv6.conf.${hostIface}.proxy_ndp`, '1'],
      [`net.ipv6.conf.${hostIface}.forwarding`, '1'],
      [`net.ipv6.conf.${hostIface}.accept_ra`, '0'],
      [`net.ipv6.conf.${hostIface}.accept_dad`, '0'],
    ] as const) {
      this.sysctl(node.ns, k, v);
    }
    this.ip(node.ns, 'link', 'set', hostIface, 'up');
    this.ip(ns, 'link', 'set', 'lo', 'up');
    this.sysctl(ns, 'net.ipv6.conf.eth0.accept_dad', '0');
    this.ip(ns, 'addr', 'add', `${ipv4}/32`, 'dev', 'eth0');
    this.ip(ns, 'link', 'set', 'eth0', 'up');
    this.ip(ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    this.ip(ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    this.ip(node.ns, 'route', 'replace', ipv4, 'dev', hostIface, 'scope', 'link', 'metric', '1024');
    const mac = (JSON.parse(this.ip(ns, '-j', 'link', 'show', 'eth0')) as { address: string }[])[0]!.address;
    this.ip(node.ns, 'neigh', 'replace', ipv4, 'lladdr', mac, 'dev', hostIface, 'nud', 'permanent');
    if (ipv6) {
      this.ip(ns, '-6', 'addr', 'add', `${ipv6}/128`, 'dev', 'eth0', 'nodad');
      this.ip(ns, '-6', 'route', 'add', 'default', 'via', 'fe80::ecee:eeff:feee:eeee', 'dev', 'eth0');
      this.ip(node.ns, '-6', 'route', 'replace', ipv6, 'dev', hostIface, 'metric', '1024');
    }
    const pod: LabPod = { name, node, ns, hostIface, mac, ipv4, ...(ipv6 ? { ipv6 } : {}) };
    this.pods.push(pod);
    return pod;
  }

  /** One ping from a pod; true when it was answered. */
  ping(from: LabPod, to: string): boolean {
    try {
      this.exec(from.ns, 'ping', ...(to.includes(':') ? ['-6'] : []), '-c', '1', '-W', '2', to);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs the built CLI inside a node's namespace with a clean environment (see helpers/cli.ts). */
  runCli(node: LabNode, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return startCli(args, env, node.ns).result;
  }

  /** Starts BIRD 1.6 in a node's namespace; resolves once its control socket answers. */
  async startBird(node: LabNode, binary: string, config: string): Promise<string> {
    const name = `${node.name}-${binary.endsWith('6') ? 'bird6' : 'bird'}`;
    const cfg = join(this.dir, `${name}.cfg`);
    const socket = join(this.dir, `${name}.ctl`);
    writeFileSync(cfg, config);
    const child = spawn('ip', ['netns', 'exec', node.ns, binary, '-f', '-c', cfg, '-s', socket], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    this.daemons.push(child);
    for (let tries = 0; tries < 200; tries++) {
      if (child.exitCode !== null) throw new Error(`${binary} on ${node.name} exited: ${log}`);
      if (existsSync(socket)) {
        try {
          await queryBird(socket, 'show status', 1000);
          return socket;
        } catch {
          // not listening yet
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${binary} on ${node.name} did not answer on ${socket}: ${log}`);
  }

  async cleanup(): Promise<void> {
    this.cleanupSync();
    process.off('exit', this.onExit);
  }

  private cleanupSync(): void {
    for (const child of this.daemons) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const ns of this.namespaces.splice(0).reverse()) deleteNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private addNamespace(ns: string): void {
    run('ip', 'netns', 'add', ns);
    this.namespaces.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
  }

  private forwarding(ns: string): void {
    this.sysctl(ns, 'net.ipv4.ip_forward', '1');
    this.sysctl(ns, 'net.ipv6.conf.all.forwarding', '1');
  }

  /** A veth from ns to the subnet's bridge in the hub; returns the interface name in ns. */
  private cable(ns: string, subnet: Subnet, name = `eth${subnet}`): string {
    const hubSide = `c${++this.cables}`;
    this.ip(ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', hubSide, 'netns', this.hub);
    this.ip(this.hub, 'link', 'set', hubSide, 'master', `br${subnet}`, 'up');
    this.ip(ns, 'link', 'set', name, 'up');
    return name;
  }
}
