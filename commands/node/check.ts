import { Flags } from '@oclif/core';

import { CalicoCommand, type CommandResult } from '../../src/cli/base-command.js';
import { datastoreFlags, textOrJsonOutputFlag } from '../../src/cli/flags.js';
import { runNodeCheck, type NodeCheckResult } from '../../src/cli/handlers/node-check.js';

export default class NodeCheckCommand extends CalicoCommand<NodeCheckResult | undefined> {
  static override summary =
    "Compare this node's kernel (routes, devices, neighbours, FDB, sysctls) with what Calico says it should have.";
  static override description =
    'Computes the routes, tunnel devices, VXLAN neighbour and FDB entries, workload routes and sysctls that Felix ' +
    'and BIRD program on this node from the datastore (pools and their modes, IPAM blocks and affinities, Nodes, ' +
    "this node's WorkloadEndpoints, FelixConfiguration and BGPConfiguration), reads the kernel through iproute2's " +
    'JSON output and /proc/sys, and reports every difference with the command that would restore it. Changes ' +
    'nothing and needs no root. Exit 0 when there is no error finding, 1 when there is. See docs/node-check.md.';
  static override examples = [
    {
      description: 'Check this node (its name from NODENAME, /var/lib/calico/nodename or the hostname)',
      command: '<%= config.bin %> node check',
    },
    {
      description: 'Check a node by its Calico name, as JSON',
      command: '<%= config.bin %> node check --node node1 -o json',
    },
    {
      description: 'Save what the kernel holds (and check it), to check elsewhere or attach to a bug report',
      command: '<%= config.bin %> node check --save node1-kernel.json',
    },
    {
      description: 'Check a saved state against the datastore',
      command: '<%= config.bin %> node check --load node1-kernel.json',
    },
    {
      description: 'Check the saved states of several nodes, and that they agree with each other',
      command: '<%= config.bin %> node check --load n1.json --load n2.json --load n3.json',
    },
    {
      description: 'Keep checking, printing the findings that appear and go away, until Ctrl-C',
      command: '<%= config.bin %> node check --watch',
    },
  ];
  static override flags = {
    node: Flags.string({
      summary: "The node's Calico name.",
      description:
        'Default, as calico-node: NODENAME, then /var/lib/calico/nodename, then HOSTNAME (lower-cased), then the ' +
        'OS hostname. With --load, the name recorded in the file.',
      helpValue: '<NAME>',
    }),
    output: textOrJsonOutputFlag,
    save: Flags.string({
      summary: 'Also write everything read from the kernel to this file (one JSON document, mode 0600).',
      helpValue: '<FILE>',
    }),
    load: Flags.string({
      summary:
        'Check a state saved with --save instead of the live kernel (repeatable: also checks the nodes against each other).',
      helpValue: '<FILE>',
      multiple: true,
    }),
    'bird-socket': Flags.string({
      summary:
        "BIRD's control socket, for the BGP session states (default /var/run/calico/bird.ctl, then /var/run/bird/bird.ctl).",
      env: 'CALICO_BIRD_SOCKET',
      helpValue: '<PATH>',
    }),
    watch: Flags.boolean({
      summary:
        'After the check, check again whenever the kernel or the datastore changes, printing only what changed.',
      description:
        'Follows the kernel (links, addresses, routes, neighbours, FDB) through `ip monitor` in this network ' +
        'namespace and the datastore through a watch; changes within 200 ms are checked once. Each finding that ' +
        'appears is printed as `+ <severity> <code> <subject> ...`, each that goes away as `- resolved <code> ' +
        '<subject>`; with -o json, the first report then one JSON object per change per line. Ctrl-C ends it ' +
        '(exit 0). Not with --load or --save.',
    }),
    ...datastoreFlags,
  };

  protected async execute(): Promise<CommandResult<NodeCheckResult | undefined>> {
    const { flags } = await this.parse(NodeCheckCommand);
    return runNodeCheck(flags);
  }
}
