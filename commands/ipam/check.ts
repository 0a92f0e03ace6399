import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags } from '../../src/cli/flags.js';
import { runIpamCheck, type IpamCheckData } from '../../src/cli/handlers/ipam-check.js';

export default class IpamCheck extends CalicoCommand<IpamCheckData> {
  static override summary = 'Check IPAM for leaked addresses and handles, and for inconsistent blocks.';
  static override description =
    'Cross-checks IPAM blocks and handles against what uses addresses: Node tunnel addresses and WorkloadEndpoint ' +
    "ipNetworks (read from the datastore; no Kubernetes access is needed). Prints calicoctl's lines, section by " +
    "section, up to 'Check complete; found N problems.'; -o FILE then writes calicoctl's report, which " +
    "'ipam release --from-report' consumes. After calicoctl's final line, and only when they find something: values " +
    'that cannot be decoded (skipped, never released), structurally invalid blocks, blocks and affinities of nodes ' +
    'that no longer exist, and allocations outside every active IP pool.';
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

  protected async execute(): Promise<CommandResult<IpamCheckData>> {
    const { flags } = await this.parse(IpamCheck);
    return runIpamCheck(flags);
  }
}
