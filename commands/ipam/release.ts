import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { withDatastore } from '../../src/cli/datastore-session.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { ExitCode, InputError, OperationError } from '../../src/errors.js';
import { parseIPArgument } from '../../src/ipam/ip-lookup.js';
import { releaseFromReports, type ReportReleaseResult } from '../../src/ipam/release-report.js';
import { releaseByHandle, releaseIPs, type ReleaseResult } from '../../src/ipam/release.js';
import { clientVersion } from '../../src/version/client-version.js';

const MODES = ['ip', 'handle', 'from-report'] as const;

export default class IpamRelease extends CalicoCommand<ReleaseResult | ReportReleaseResult> {
  static override summary =
    'Release IP addresses from Calico IPAM: one address, a handle, or the leaks of a report.';
  static override description =
    'Frees addresses exactly as Calico does: the block is rewritten with a compare-and-swap (or deleted when it is ' +
    'empty and has no affinity), then the handle is decremented. This does not remove the address from an ' +
    'endpoint still using it: only release addresses of endpoints that were not cleanly removed. ' +
    '--from-report releases the addresses and handles an `ipam check -o FILE` report found leaked; it refuses ' +
    'a report from another cluster, a stale report, or an unlocked datastore (unless --force).';
  static override examples = [
    { description: 'Release one address', command: '<%= config.bin %> ipam release --ip=10.65.0.7' },
    {
      description: 'Release every address of a handle',
      command: '<%= config.bin %> ipam release --handle=k8s-pod-network.0123abcd',
    },
    {
      description: 'Clean up the leaks found by ipam check while the datastore is locked',
      command:
        '<%= config.bin %> datastore migrate lock && <%= config.bin %> ipam check -o report.json && ' +
        '<%= config.bin %> ipam release --from-report=report.json && <%= config.bin %> datastore migrate unlock',
    },
    {
      description: 'See what a report would release, writing nothing',
      command: '<%= config.bin %> ipam release --from-report=report.json --dry-run',
    },
  ];
  static override flags = {
    ip: Flags.string({ summary: 'IP address to release.', helpValue: '<IP>' }),
    handle: Flags.string({
      summary: 'Release every address allocated with this handle ID.',
      helpValue: '<HANDLE>',
    }),
    'from-report': Flags.string({
      summary: 'Release the leaked addresses and handles of an ipam check report (repeatable).',
      description:
        'With several reports only the addresses leaked in all of them are released, and only handles with the ' +
        'same revision in all of them; at least one report must be current.',
      helpValue: '<REPORT>',
      multiple: true,
    }),
    force: Flags.boolean({
      summary:
        'Release from a report even if the datastore is not locked or the report is from another version.',
      default: false,
    }),
    output: textOrJsonOutputFlag,
    'dry-run': dryRunFlag,
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<ReleaseResult | ReportReleaseResult>> {
    const { flags } = await this.parse(IpamRelease);
    const json = flags.output === 'json';
    const dryRun = flags['dry-run'];
    const given = MODES.filter((m) => flags[m] !== undefined);
    if (given.length !== 1) {
      throw new InputError(
        given.length === 0
          ? 'one of --ip, --handle or --from-report is required'
          : `--${given[0]} and --${given[1]} cannot be used together`,
        { hint: 'give exactly one of --ip, --handle, --from-report' },
      );
    }

    if (flags['from-report']) {
      const files = flags['from-report'];
      const result = await withDatastore(flags, (ds) =>
        releaseFromReports(ds, files, { force: flags.force, dryRun, version: clientVersion() }),
      );
      return {
        data: result,
        json,
        text: result.lines.map((l) => l + '\n').join(''),
        stderr: warningLines(result.ips?.warnings ?? []),
        exitCode: result.failed ? ExitCode.Failed : ExitCode.Ok,
      };
    }

    if (flags.ip !== undefined) {
      const ip = parseIPArgument(flags.ip);
      const result = await withDatastore(flags, (ds) => releaseIPs(ds, [{ ip }], { dryRun }));
      const failure = result.failures[0];
      if (failure) throw new OperationError(`error: ${failure.message}`, { code: 'ReleaseFailed' });
      const released = result.released[0];
      if (!released) {
        throw new OperationError(`IP address ${result.notAssigned[0] ?? flags.ip} is not assigned`, {
          code: 'NotAssigned',
          hint: 'no block allocates it; ipam show --ip=<IP> shows what Calico knows about it',
        });
      }
      const text = dryRun ? planText(result) : `Successfully released IP address ${released.ip}\n`;
      return { data: result, json, text, stderr: warningLines(result.warnings) };
    }

    const handle = flags.handle!;
    const result = await withDatastore(flags, (ds) => releaseByHandle(ds, handle, { dryRun }));
    const stderr = warningLines(result.warnings);
    if (result.released.length === 0) {
      return {
        data: result,
        json,
        text: `No IP addresses are allocated to handle ${handle}\n`,
        stderr,
        exitCode: ExitCode.Failed,
      };
    }
    const text = dryRun
      ? planText(result)
      : result.released.map((r) => `Successfully released IP address ${r.ip}\n`).join('');
    return { data: result, json, text, stderr };
  }
}

function warningLines(warnings: readonly string[]): string {
  return warnings.map((w) => `warning: ${w}\n`).join('');
}

/** What a dry run would do, block by block. */
function planText(result: ReleaseResult): string {
  let out = '';
  for (const r of result.released) {
    out += `Would release IP address ${r.ip} (handle ${r.handle ?? '<none>'}, block ${r.block})\n`;
  }
  for (const b of result.blocks) {
    out +=
      b.action === 'deleted' ? `Would delete empty block ${b.block}\n` : `Would update block ${b.block}\n`;
  }
  for (const h of result.handles) {
    out +=
      h.action === 'deleted'
        ? `Would delete handle ${h.handle}\n`
        : `Would decrement handle ${h.handle} by ${h.count} for block ${h.block}\n`;
  }
  return out + 'Dry run: nothing was written.\n';
}
