import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import { runIpamShow } from '../../src/cli/handlers/ipam-show.js';

export default class IpamShow extends CalicoCommand<unknown> {
  static override summary =
    'Show IP address usage: per pool, per block, one address, borrowed addresses, or per node.';
  static override description =
    'Without a variant flag, prints one row per IP pool (total, in use, free), as calicoctl ipam show. ' +
    'Blocks are read at one datastore revision and streamed, so memory stays small on large clusters. ' +
    'Blocks no pool covers are listed under --show-blocks without a pool row (IPv4) or not at all (IPv6), ' +
    'as calicoctl does. A block value that cannot be decoded is skipped, named on stderr, and the exit code is 1. ' +
    'With --watch the data is read once and then kept current through a datastore watch (each change costs ' +
    'work proportional to the change); see docs/ipam.md.';
  static override examples = [
    { description: 'Usage per IP pool', command: '<%= config.bin %> ipam show' },
    {
      description: 'Usage per pool and per block, with block owners',
      command: '<%= config.bin %> ipam show --show-blocks -o wide',
    },
    { description: 'Who holds one address', command: '<%= config.bin %> ipam show --ip=10.65.0.7' },
    {
      description: 'Addresses nodes borrowed from blocks other nodes own',
      command: '<%= config.bin %> ipam show --show-borrowed',
    },
    { description: 'Global IPAM settings', command: '<%= config.bin %> ipam show --show-configuration' },
    {
      description: 'Watch the pools fill and drain, redrawn on each change',
      command: '<%= config.bin %> ipam show --watch',
    },
    {
      description: 'One JSON document per change of the per-node usage, for a dashboard',
      command: '<%= config.bin %> ipam show --by-node --watch -o json',
    },
    {
      description: 'Blocks and addresses per node, as JSON',
      command: '<%= config.bin %> ipam show --by-node -o json',
    },
  ];
  static override flags = {
    ip: Flags.string({
      summary: 'Report whether this IP address is in use, and by whom.',
      helpValue: '<IP>',
    }),
    'show-blocks': Flags.boolean({
      summary: 'Show each allocation block under its pool.',
    }),
    'show-borrowed': Flags.boolean({
      summary: 'Show addresses a node uses from a block another node owns.',
    }),
    'show-configuration': Flags.boolean({
      summary: 'Show the global IPAM configuration.',
    }),
    'by-node': Flags.boolean({
      summary: 'Show blocks owned, addresses in use, borrowed and lent, per node.',
    }),
    watch: Flags.boolean({
      summary:
        'Redraw the table on each change (a terminal only), or with -o json print one JSON document per line per change; Ctrl-C stops.',
    }),
    output: Flags.string({
      char: 'o',
      summary: 'Output format; wide adds the block owner to --show-blocks.',
      options: ['text', 'wide', 'json'],
      default: 'text',
    }),
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags } = await this.parse(IpamShow);
    return runIpamShow(flags);
  }
}
