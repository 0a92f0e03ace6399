import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIpamAssign } from '../../src/cli/handlers/ipam-assign.js';
import type { AssignResult } from '../../src/ipam/assign.js';

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
    return runIpamAssign(flags);
  }
}
