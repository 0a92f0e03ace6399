import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, dryRunFlag, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runIpamRelease } from '../../src/cli/handlers/ipam-release.js';
import type { ReportReleaseResult } from '../../src/ipam/release-report.js';
import type { ReleaseResult } from '../../src/ipam/release.js';

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
    return runIpamRelease(flags);
  }
}
