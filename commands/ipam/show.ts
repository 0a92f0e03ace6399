import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { withDatastore } from '../../src/cli/datastore-session.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import { ExitCode, InputError } from '../../src/errors.js';
import { blockOwner, collectBorrowed } from '../../src/ipam/borrowed.js';
import { configRows, readIPAMConfig, type IPAMConfig } from '../../src/ipam/config.js';
import { formatIPLookup, lookupIP, parseIPArgument } from '../../src/ipam/ip-lookup.js';
import { collectNodeUsage } from '../../src/ipam/node-usage.js';
import {
  borrowedTable,
  nodeUsageTable,
  unclassifiedNote,
  utilizationTable,
  type TableData,
} from '../../src/ipam/show-rows.js';
import { collectUtilization, ORPHAN_POOL_NAME, type SkippedValue } from '../../src/ipam/utilization.js';
import { renderTable } from '../../src/output/tablewriter.js';

const VARIANTS = ['ip', 'show-blocks', 'show-borrowed', 'show-configuration', 'by-node'] as const;

export default class IpamShow extends CalicoCommand<unknown> {
  static override summary =
    'Show IP address usage: per pool, per block, one address, borrowed addresses, or per node.';
  static override description =
    'Without a variant flag, prints one row per IP pool (total, in use, free), as calicoctl ipam show. ' +
    'Blocks are read at one datastore revision and streamed, so memory stays small on large clusters. ' +
    'Blocks no pool covers are listed under --show-blocks without a pool row (IPv4) or not at all (IPv6), ' +
    'as calicoctl does. A block value that cannot be decoded is skipped, named on stderr, and the exit code is 1.';
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
    const json = flags.output === 'json';
    const given = VARIANTS.filter((v) => flags[v] !== undefined && flags[v] !== false);
    if (given.length > 1) {
      // calicoctl's usage makes these alternatives too.
      throw new InputError(`--${given[0]} and --${given[1]} cannot be used together`, {
        hint: `give at most one of ${VARIANTS.map((v) => '--' + v).join(', ')}`,
      });
    }
    const table = (t: TableData): string => renderTable(t.headers, t.rows);

    if (flags.ip !== undefined) {
      const ip = parseIPArgument(flags.ip);
      const result = await withDatastore(flags, (ds) => lookupIP(ds, ip));
      return { data: result, json, text: formatIPLookup(result) };
    }
    if (flags['show-configuration']) {
      const cfg = await withDatastore(flags, (ds) => readIPAMConfig(ds));
      const data: IPAMConfig & { stored: boolean } = { ...cfg.config, stored: cfg.stored };
      return { data, json, text: renderTable(['PROPERTY', 'VALUE'], configRows(cfg.config)) };
    }
    if (flags['show-borrowed']) {
      const report = await withDatastore(flags, (ds) => collectBorrowed(ds));
      return withSkipped(
        report,
        report.skipped,
        json,
        table(borrowedTable(report.borrowed)) + unclassifiedNote(report.unclassified),
      );
    }
    if (flags['by-node']) {
      const { report, config } = await withDatastore(flags, async (ds) => ({
        report: await collectNodeUsage(ds),
        config: (await readIPAMConfig(ds)).config,
      }));
      const data = { ...report, maxBlocksPerHost: config.maxBlocksPerHost };
      return withSkipped(
        data,
        report.skipped,
        json,
        table(nodeUsageTable(report.nodes, config.maxBlocksPerHost)),
      );
    }

    const showBlocks = flags['show-blocks'];
    const usage = await withDatastore(flags, (ds) => collectUtilization(ds, { withBlocks: showBlocks }));
    const pools = usage.pools.filter((p) => p.name !== ORPHAN_POOL_NAME);
    const orphan = usage.pools.find((p) => p.name === ORPHAN_POOL_NAME)!;
    const blocksJson = (blocks: typeof orphan.blocks) =>
      showBlocks ? { blocks: blocks.map((b) => ({ ...b, owner: blockOwner(b.affinity) })) } : {};
    const data = {
      revision: usage.revision,
      pools: pools.map((p) => ({
        name: p.name,
        cidr: p.cidr,
        total: p.total,
        inUse: p.inUse,
        free: p.free,
        blockCount: p.blockCount,
        ...blocksJson(p.blocks),
      })),
      orphaned: { blockCount: orphan.blockCount, inUse: orphan.inUse, ...blocksJson(orphan.blocks) },
      skipped: usage.skipped,
    };
    const text = table(utilizationTable(usage, { showBlocks, wide: flags.output === 'wide' }));
    return withSkipped(data, usage.skipped, json, text);
  }
}

/** Skipped (undecodable) blocks are named on stderr and make the exit code 1. */
function withSkipped<T>(
  data: T,
  skipped: readonly SkippedValue[],
  json: boolean,
  text: string,
): CommandResult<T> {
  if (skipped.length === 0) return { data, json, text };
  const stderr = skipped.map((s) => `warning: skipped ${s.key}: ${s.reason}\n`).join('');
  return { data, json, text, stderr, exitCode: ExitCode.Failed };
}
