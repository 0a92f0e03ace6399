/**
 * `ipam show` and its variants. Shared by the oclif command and the fast start-up path (it is the
 * command people run on large clusters, and oclif's start-up is a tenth of its time at 10,000
 * blocks), so it imports no oclif.
 */
import { ExitCode, InputError } from '../../errors.js';
import { blockOwner, collectBorrowed } from '../../ipam/borrowed.js';
import { configRows, readIPAMConfig, type IPAMConfig } from '../../ipam/config.js';
import { formatIPLookup, lookupIP, parseIPArgument } from '../../ipam/ip-lookup.js';
import { collectNodeUsage, type NodeUsageReport } from '../../ipam/node-usage.js';
import {
  borrowedTable,
  nodeUsageTable,
  renderShowTable,
  unclassifiedNote,
  utilizationTable,
  type TableData,
} from '../render/ipam.js';
import {
  collectUtilization,
  ORPHAN_POOL_NAME,
  type SkippedValue,
  type Utilization,
} from '../../ipam/utilization.js';
import { paletteFor, type Palette } from '../../output/colour.js';
import { renderTable } from '../../output/tablewriter.js';
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export const IPAM_SHOW_VARIANTS = [
  'ip',
  'show-blocks',
  'show-borrowed',
  'show-configuration',
  'by-node',
] as const;

export interface IpamShowFlags extends DatastoreFlags {
  ip?: string;
  'show-blocks'?: boolean;
  'show-borrowed'?: boolean;
  'show-configuration'?: boolean;
  'by-node'?: boolean;
  watch?: boolean;
  output: string;
}

export async function runIpamShow(flags: IpamShowFlags): Promise<CommandResult<unknown>> {
  const json = flags.output === 'json';
  const given = IPAM_SHOW_VARIANTS.filter((v) => flags[v] !== undefined && flags[v] !== false);
  if (given.length > 1) {
    // calicoctl's usage makes these alternatives too.
    throw new InputError(`--${given[0]} and --${given[1]} cannot be used together`, {
      hint: `give at most one of ${IPAM_SHOW_VARIANTS.map((v) => '--' + v).join(', ')}`,
    });
  }
  const palette = await paletteFor();
  const table = (t: TableData): string => renderShowTable(t, palette);

  if (flags.watch) {
    if (given[0] !== undefined && given[0] !== 'show-blocks' && given[0] !== 'by-node')
      throw new InputError(`--watch cannot be used with --${given[0]}`, {
        code: 'InvalidFlag',
        hint: 'watch the pools (no variant flag), --show-blocks or --by-node',
      });
    const { watchIpamShow } = await import('./ipam-show-watch.js');
    const variant = given[0] === 'show-blocks' ? 'blocks' : given[0] === 'by-node' ? 'by-node' : 'pools';
    return watchIpamShow(flags, variant, palette);
  }

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
    return nodeUsageResult(report, config, json, palette);
  }

  const showBlocks = flags['show-blocks'] === true;
  const usage = await withDatastore(flags, (ds) => collectUtilization(ds, { withBlocks: showBlocks }));
  return utilizationResult(usage, { showBlocks, output: flags.output }, palette);
}

/** `ipam show --by-node` from a report and the IPAM settings. */
export function nodeUsageResult(
  report: NodeUsageReport,
  config: IPAMConfig,
  json: boolean,
  palette: Palette,
): CommandResult<unknown> {
  const data = { ...report, maxBlocksPerHost: config.maxBlocksPerHost };
  return withSkipped(
    data,
    report.skipped,
    json,
    json ? '' : renderShowTable(nodeUsageTable(report.nodes, config.maxBlocksPerHost), palette),
  );
}

/** `ipam show` and `ipam show --show-blocks` from the pools' utilisation. */
export function utilizationResult(
  usage: Utilization,
  opts: { showBlocks: boolean; output: string },
  palette: Palette,
): CommandResult<unknown> {
  const { showBlocks } = opts;
  const json = opts.output === 'json';
  const pools = usage.pools.filter((p) => p.name !== ORPHAN_POOL_NAME);
  const orphan = usage.pools.find((p) => p.name === ORPHAN_POOL_NAME)!;
  // The per-block JSON objects are built only for -o json: the table needs none of them.
  const blocksJson = (blocks: typeof orphan.blocks) =>
    showBlocks && json
      ? {
          blocks: blocks.map((b) => ({
            ...b,
            free: b.total - BigInt(b.inUse),
            owner: blockOwner(b.affinity),
          })),
        }
      : {};
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
  const text = json
    ? ''
    : renderShowTable(utilizationTable(usage, { showBlocks, wide: opts.output === 'wide' }), palette);
  return withSkipped(data, usage.skipped, json, text);
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
