import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { runOnDatastore } from '../../src/cli/datastore-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { InputError } from '../../src/errors.js';
import { assign, generateHandleID, type AssignResult } from '../../src/ipam/assign.js';
import { parseIP } from '../../src/resources/ip.js';

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

export default class IpamAssign extends CalicoCommand<AssignResult> {
  static override summary = "Assign IP addresses to a node with Calico's allocator (beyond calicoctl).";
  static override description =
    "Writes blocks, affinities and handles exactly as Calico's CNI plugin would: pools whose nodeSelector " +
    "selects the node, the node's affine blocks first, a new block claimed when needed (up to " +
    'maxBlocksPerHost, default 20), other blocks only when strict affinity is off. Every block write is a ' +
    'compare-and-swap together with the handle, so concurrent runs never hand out one address twice. ' +
    'A request that cannot be fully met assigns nothing (exit 1); one cut off by an unreachable datastore ' +
    'after some writes fails naming the addresses it had assigned (exit 1). Without --handle a handle ' +
    "'ipam-assign.<32 hex>' is generated; the attribute node=<node> is always recorded unless --attr overrides it.";
  static override examples = [
    {
      description: 'Five addresses for node1 under one handle',
      command: '<%= config.bin %> ipam assign --node node1 --num 5 --handle my-workload',
    },
    {
      description: 'One specific address, with owner attributes',
      command:
        '<%= config.bin %> ipam assign --node node1 --ip 10.65.0.7 --handle pod-a --attr namespace=default --attr pod=a',
    },
    {
      description: 'From one pool, as JSON',
      command: '<%= config.bin %> ipam assign --node node1 --num 2 --pool default-ipv4-ippool -o json',
    },
  ];
  static override flags = {
    node: Flags.string({ summary: 'The node the addresses are for.', required: true, helpValue: '<NODE>' }),
    handle: Flags.string({ summary: 'Handle ID to record (default: generated).', helpValue: '<HANDLE>' }),
    ip: Flags.string({ summary: 'Assign exactly this address.', helpValue: '<IP>' }),
    num: Flags.string({
      summary: 'Assign this many addresses.',
      helpValue: '<N>',
    }),
    pool: Flags.string({ summary: 'Assign from this pool (name or CIDR) only.', helpValue: '<POOL>' }),
    'ip-version': Flags.string({
      summary: "Address family for --num (default: the pool's, else 4).",
      options: ['4', '6'],
    }),
    use: Flags.string({
      summary: 'Intended use; the pool must allow it.',
      options: ['Workload', 'Tunnel'],
      default: 'Workload',
    }),
    attr: Flags.string({
      summary: 'Owner attribute key=value (repeatable).',
      multiple: true,
      helpValue: '<k=v>',
    }),
    output: textOrJsonOutputFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<AssignResult>> {
    const { flags } = await this.parse(IpamAssign);
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
}
