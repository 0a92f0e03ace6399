import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { withDatastore } from '../../src/cli/datastore-session.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import { checkIPAM, type CheckSummary } from '../../src/ipam/check.js';
import { writeReportFile } from '../../src/ipam/report.js';
import { withProgress } from '../../src/output/spinner.js';
import { clientVersion } from '../../src/version/client-version.js';

type CheckData = CheckSummary & { reportFile: string | null };

export default class IpamCheck extends CalicoCommand<CheckData> {
  static override summary = 'Check IPAM for leaked addresses and handles, and for inconsistent blocks.';
  static override description =
    'Cross-checks IPAM blocks and handles against what uses addresses: Node tunnel addresses and WorkloadEndpoint ' +
    "ipNetworks (read from the datastore; no Kubernetes access is needed). Prints calicoctl's lines; -o FILE " +
    "writes calicoctl's report, which 'ipam release --from-report' consumes. Also reports structurally invalid " +
    'blocks, blocks and affinities of nodes that no longer exist, and allocations outside every active IP pool.';
  static override examples = [
    {
      description: 'Check, listing only the problems',
      command: '<%= config.bin %> ipam check --show-problem-ips',
    },
    {
      description: 'Write a report for ipam release --from-report',
      command: '<%= config.bin %> ipam check -o report.json',
    },
    { description: 'A machine-readable summary', command: '<%= config.bin %> ipam check --json' },
  ];
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Write the report (calicoctl format) to this file.',
      description: 'The file is replaced atomically and created with mode 0600.',
      helpValue: '<FILE>',
    }),
    'show-all-ips': Flags.boolean({ summary: 'Print every IP that is checked.', default: false }),
    'show-problem-ips': Flags.boolean({
      summary: 'Print every IP that is leaked or not allocated properly.',
      default: false,
    }),
    json: Flags.boolean({
      summary: 'Print a JSON summary on stdout instead of the text (-o is the report file, as in calicoctl).',
      default: false,
    }),
    kubeconfig: Flags.string({
      summary: 'Accepted for calicoctl compatibility and ignored: nothing is read from Kubernetes.',
      helpValue: '<KUBECONFIG>',
    }),
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<CheckData>> {
    const { flags } = await this.parse(IpamCheck);
    const result = await withDatastore(flags, (ds) =>
      withProgress('Checking IPAM', (progress) =>
        checkIPAM(ds, {
          showAllIPs: flags['show-all-ips'],
          showProblemIPs: flags['show-problem-ips'],
          version: clientVersion(),
          progress: (label) => progress.update(label),
        }),
      ),
    );
    if (flags.output !== undefined) writeReportFile(flags.output, result.report);
    return {
      data: { ...result.summary, reportFile: flags.output ?? null },
      json: flags.json,
      text: result.text,
    };
  }
}
