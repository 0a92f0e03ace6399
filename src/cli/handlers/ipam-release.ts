/**
 * `ipam release`: by address, by handle, or from an `ipam check` report.
 */
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import { ExitCode, InputError, OperationError } from '../../errors.js';
import { parseIPArgument } from '../../ipam/ip-lookup.js';
import { releaseFromReports, type ReportReleaseResult } from '../../ipam/release-report.js';
import { releaseByHandle, releaseIPs, type ReleaseResult } from '../../ipam/release.js';
import { clientVersion } from '../../version/client-version.js';
import type { CommandResult } from '../emit.js';

const MODES = ['ip', 'handle', 'from-report'] as const;

export interface IpamReleaseFlags extends DatastoreFlags {
  ip?: string;
  handle?: string;
  'from-report'?: string[];
  force: boolean;
  'dry-run': boolean;
  output: string;
}

export async function runIpamRelease(
  flags: IpamReleaseFlags,
): Promise<CommandResult<ReleaseResult | ReportReleaseResult>> {
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
