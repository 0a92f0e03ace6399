/**
 * `ipam assign`: Calico's allocator, for one address or a number of them.
 */
import { runOnDatastore } from '../datastore-command.js';
import { InputError } from '../../errors.js';
import { assign, generateHandleID, type AssignResult } from '../../ipam/assign.js';
import { parseIP } from '../../resources/ip.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

function parseAttrs(items: readonly string[]): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InputError(`invalid --attr ${JSON.stringify(item)}: use key=value`);
    attrs[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return attrs;
}

function parseCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InputError(`invalid --num ${text}: it must be a positive integer`);
  }
  return n;
}

export interface IpamAssignFlags extends DatastoreFlags {
  node: string;
  handle?: string;
  ip?: string;
  num?: string;
  pool?: string;
  'ip-version'?: string;
  use: string;
  attr?: string[];
  output: string;
}

export async function runIpamAssign(flags: IpamAssignFlags): Promise<CommandResult<AssignResult>> {
  let ip;
  if (flags.ip !== undefined) {
    ip = parseIP(flags.ip);
    if (!ip) throw new InputError(`invalid IP address specified: ${flags.ip}`);
  }
  if ((flags.ip === undefined) === (flags.num === undefined)) {
    throw new InputError('give exactly one of --ip and --num', {
      hint: "run 'calicoctl-ts ipam assign --help' for usage",
    });
  }
  const request = {
    node: flags.node,
    handleID: flags.handle ?? generateHandleID(),
    attrs: parseAttrs(flags.attr ?? []),
    ...(ip ? { ip } : { num: parseCount(flags.num!) }),
    ...(flags.pool !== undefined ? { pool: flags.pool } : {}),
    ...(flags['ip-version'] ? { version: Number(flags['ip-version']) as 4 | 6 } : {}),
    use: flags.use as 'Workload' | 'Tunnel',
  };
  return runOnDatastore(
    flags,
    (ds) => assign(ds, request),
    (result) =>
      result.addresses
        .map((a) => `Assigned ${a} to handle ${result.handle} on node ${result.node}\n`)
        .join(''),
  );
}
