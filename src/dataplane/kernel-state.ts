/**
 * The node's kernel as `node check` reads it: iproute2's own JSON, kept as iproute2 printed it, plus
 * the sysctls Calico sets. One document (`NodeKernelState`) is what `--save` writes and `--load`
 * reads, so a state captured on a node can be checked anywhere and attached to a bug report.
 *
 * Reading needs no root: `ip` and `bridge` list routes, links, addresses, neighbours and FDB entries
 * for anyone, and /proc/sys is world-readable.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { InputError, OperationError } from '../errors.js';

export const KERNEL_STATE_KIND = 'NodeKernelState';
export const KERNEL_STATE_API_VERSION = 'calicoctl-ts/v1';

/** Where the node name came from, in calico-node's order (plus `saved`: the document's own). */
export type NodeSource = 'flag' | 'NODENAME' | '/var/lib/calico/nodename' | 'HOSTNAME' | 'hostname' | 'saved';

/** A JSON object as iproute2 printed it; the fields node check reads are typed where it reads them. */
export type IprouteObject = Record<string, unknown>;

/** BGP sessions as BIRD reported them when the state was read (absent: nobody asked). */
export interface BgpSessions {
  /** The control socket asked. */
  socket: string;
  /** `ok`, or `unreachable` with the dial error. */
  status: 'ok' | 'unreachable';
  error: string | null;
  /** Every BGP protocol: its peer address and state (`Established`, `Idle`, `Connect`, ...). */
  peers: { address: string; protocol: string; state: string }[];
}

export interface KernelState {
  kind: typeof KERNEL_STATE_KIND;
  apiVersion: typeof KERNEL_STATE_API_VERSION;
  /** The Calico node name the state was captured for. */
  node: string;
  nodeSource: NodeSource;
  hostname: string;
  capturedAt: string;
  /** `ip -d -j route show table all` (both families, every table). */
  routes: IprouteObject[];
  /** `ip -d -j link`. */
  links: IprouteObject[];
  /** `ip -j addr`. */
  addresses: IprouteObject[];
  /** `ip -j neigh` (both families). */
  neighbors: IprouteObject[];
  /** `bridge -j fdb`. */
  fdb: IprouteObject[];
  /** Full sysctl names (`net.ipv4.conf.cali1234567890a.proxy_arp`) and their values. */
  sysctls: Record<string, string>;
  bgp?: BgpSessions;
}

/** The global sysctls node check compares. */
const GLOBAL_SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  'net.ipv4.conf.default.rp_filter',
];

/** Per workload interface (dataplane.md §6.1). */
export function workloadSysctls(iface: string): string[] {
  return [
    `net.ipv4.conf.${iface}.proxy_arp`,
    `net.ipv4.neigh.${iface}.proxy_delay`,
    `net.ipv4.conf.${iface}.forwarding`,
    `net.ipv4.conf.${iface}.route_localnet`,
    `net.ipv4.conf.${iface}.rp_filter`,
    `net.ipv6.conf.${iface}.proxy_ndp`,
    `net.ipv6.conf.${iface}.forwarding`,
    `net.ipv6.conf.${iface}.accept_ra`,
  ];
}

export interface KernelStateOptions {
  node: string;
  nodeSource: NodeSource;
  /** Workload interface name prefixes (FelixConfiguration interfacePrefix): their sysctls are read. */
  interfacePrefixes: readonly string[];
  /** Where /proc/sys is (tests). */
  procSys?: string;
}

const IPROUTE_COMMANDS = {
  routes: ['ip', '-d', '-j', 'route', 'show', 'table', 'all'],
  links: ['ip', '-d', '-j', 'link'],
  addresses: ['ip', '-j', 'addr'],
  neighbors: ['ip', '-j', 'neigh'],
  fdb: ['bridge', '-j', 'fdb'],
} as const;

export type IprouteState = Record<keyof typeof IPROUTE_COMMANDS, IprouteObject[]>;

/**
 * Runs the iproute2 commands of the current network namespace, all at once. Started before the
 * datastore is read, so the two overlap.
 */
export async function readIproute(timeoutMs: number): Promise<IprouteState> {
  const entries = await Promise.all(
    Object.entries(IPROUTE_COMMANDS).map(
      async ([field, argv]) => [field, await runJson(argv, timeoutMs)] as const,
    ),
  );
  return Object.fromEntries(entries) as IprouteState;
}

/** The document: what iproute2 printed, plus the sysctls of the global and workload settings. */
export function kernelState(read: IprouteState, opts: KernelStateOptions): KernelState {
  const names = GLOBAL_SYSCTLS.slice();
  for (const link of read.links) {
    const name = link['ifname'];
    if (typeof name === 'string' && opts.interfacePrefixes.some((p) => name.startsWith(p))) {
      names.push(...workloadSysctls(name));
    }
  }
  return {
    kind: KERNEL_STATE_KIND,
    apiVersion: KERNEL_STATE_API_VERSION,
    node: opts.node,
    nodeSource: opts.nodeSource,
    hostname: hostname(),
    capturedAt: new Date().toISOString(),
    ...read,
    sysctls: readSysctls(names, opts.procSys ?? '/proc/sys'),
  };
}

function runJson(argv: readonly string[], timeoutMs: number): Promise<IprouteObject[]> {
  const [file, ...args] = argv as [string, ...string[]];
  const command = argv.join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 1 << 30, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const why =
            (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? `${file} is not installed`
              : stderr.trim() || err.message;
          reject(
            new OperationError(`cannot read the kernel state: '${command}' failed: ${why}`, {
              code: 'KernelReadFailed',
              hint: 'node check needs iproute2 (ip and bridge) with JSON output (-j), version 4.14 or later',
            }),
          );
          return;
        }
        try {
          // iproute2 prints nothing at all for an empty FDB or neighbour table.
          const parsed: unknown = stdout.trim() === '' ? [] : JSON.parse(stdout);
          if (!Array.isArray(parsed)) throw new Error('not a JSON array');
          resolve(parsed as IprouteObject[]);
        } catch (parseErr) {
          reject(
            new OperationError(
              `cannot read the kernel state: '${command}' printed no JSON array: ${(parseErr as Error).message}`,
              {
                code: 'KernelReadFailed',
                hint: 'node check needs iproute2 with JSON output (-j), version 4.14 or later',
              },
            ),
          );
        }
      },
    );
  });
}

/** Sysctls that do not exist (IPv6 off, an interface gone) are left out: the check reports them. */
function readSysctls(names: readonly string[], procSys: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    try {
      values[name] = readFileSync(join(procSys, ...name.split('.')), 'utf8').trim();
    } catch {
      // missing: not recorded
    }
  }
  return values;
}

/** The document `--save` writes: two-space JSON with a trailing newline. */
export function encodeKernelState(state: KernelState): string {
  return JSON.stringify(state, null, 2) + '\n';
}

/** Writes atomically (a private temporary file, then a rename), mode 0600. */
export function saveKernelState(path: string, state: KernelState): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, encodeKernelState(state), { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OperationError(`cannot write the kernel state to ${path}: ${(err as Error).message}`, {
      code: 'WriteFailed',
      hint: 'check that the directory exists and is writable',
    });
  }
}

const LOAD_HINT = "give a file written by 'calicoctl-ts node check --save FILE'";

/** Reads a saved document; anything else is a one-line exit-2 error naming the file. */
export function loadKernelState(path: string): KernelState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      {
        code: 'InvalidKernelState',
        hint: LOAD_HINT,
      },
    );
  }
  return parseKernelState(text, path);
}

export function parseKernelState(text: string, path: string): KernelState {
  const bad = (why: string): never => {
    throw new InputError(`${path} is not a saved kernel state: ${why}`, {
      code: 'InvalidKernelState',
      hint: LOAD_HINT,
    });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return bad(`invalid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) return bad('the document is not a JSON object');
  if (doc['kind'] !== KERNEL_STATE_KIND)
    return bad(`kind is ${JSON.stringify(doc['kind'] ?? null)}, not "${KERNEL_STATE_KIND}"`);
  if (doc['apiVersion'] !== KERNEL_STATE_API_VERSION) {
    return bad(
      `apiVersion is ${JSON.stringify(doc['apiVersion'] ?? null)}, not "${KERNEL_STATE_API_VERSION}"`,
    );
  }
  for (const field of ['node', 'nodeSource', 'hostname', 'capturedAt'] as const) {
    if (typeof doc[field] !== 'string') bad(`field ${field} is not a string`);
  }
  for (const field of ['routes', 'links', 'addresses', 'neighbors', 'fdb'] as const) {
    const list = doc[field];
    if (!Array.isArray(list)) return bad(`field ${field} is not an array`);
    const at = list.findIndex((entry) => !isObject(entry));
    if (at >= 0) bad(`${field}[${at}] is not an object`);
  }
  const routes = doc['routes'] as IprouteObject[];
  const badRoute = routes.findIndex((r) => typeof r['dst'] !== 'string');
  if (badRoute >= 0) bad(`routes[${badRoute}].dst is not a string`);
  const badLink = (doc['links'] as IprouteObject[]).findIndex((l) => typeof l['ifname'] !== 'string');
  if (badLink >= 0) bad(`links[${badLink}].ifname is not a string`);
  const sysctls = doc['sysctls'];
  if (!isObject(sysctls) || Object.values(sysctls).some((v) => typeof v !== 'string')) {
    bad('field sysctls is not a map of strings');
  }
  if (doc['bgp'] !== undefined && !isObject(doc['bgp'])) bad('field bgp is not an object');
  return doc as unknown as KernelState;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
