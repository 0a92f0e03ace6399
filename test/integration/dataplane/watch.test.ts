/**
 * node check --watch in a node's namespace of the VXLAN lab: the first report, then a line for each
 * finding that appears or goes away when the kernel (a route deleted and restored) or the datastore
 * (a block for another node assigned and released) changes; Ctrl-C ends it with exit 0. Each wait
 * is for the line itself, bounded generously.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

import type { FindingChange } from '../../../src/dataplane/findings.js';
import { ExitCode } from '../../../src/errors.js';
import { jsonLines, startCli, type RunningCli } from '../watch/running-cli.js';
import { buildCluster, cli, NODES, programFelixVxlan, type CheckJson, type Cluster } from './cluster.js';

let cluster: Cluster;
const running: RunningCli[] = [];

beforeAll(async () => {
  cluster = await buildCluster({ vxlanMode: 'Always' });
  for (const plan of NODES) programFelixVxlan(cluster, plan.name, 'Always');
}, 60_000);

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.kill();
    await r.exited;
  }
});

afterAll(async () => {
  await cluster?.lab.cleanup();
});

const n1 = (): string => cluster.nodes.get('n1')!.ns;

function watchN1(...extra: string[]): RunningCli {
  const r = startCli(['node', 'check', '--node', 'n1', '--watch', ...extra], cluster.env, { ns: n1() });
  running.push(r);
  return r;
}

/** The change lines after the first report. */
const changes = (text: string): FindingChange[] => jsonLines(text).slice(1) as unknown as FindingChange[];
const has =
  (change: FindingChange['change'], code: string, subject: string) =>
  (text: string): boolean =>
    changes(text).some(
      (c) => c.change === change && c.finding.code === code && c.finding.subject === subject,
    );

describe('node check --watch', () => {
  test('-o json: a route deleted appears, restored is resolved; Ctrl-C ends it with 0', async () => {
    const r = watchN1('-o', 'json');
    await r.waitFor((t) => jsonLines(t).length >= 1, { timeoutMs: 30_000 });
    const first = jsonLines(r.stdout())[0] as unknown as CheckJson;
    expect(first.node).toBe('n1');
    expect(first.summary.errors).toBe(0);
    cluster.lab.ip(n1(), 'route', 'del', '10.65.0.64/26');
    await r.waitFor(has('appeared', 'route-missing', '10.65.0.64/26'), { timeoutMs: 30_000 });
    // As Felix programs it (programFelixVxlan would recreate the devices, a change of its own).
    const felixRoute = '10.65.0.64/26 via 10.65.0.65 dev vxlan.calico onlink mtu 1450';
    cluster.lab.ip(n1(), 'route', 'replace', ...felixRoute.split(' '));
    await r.waitFor(has('resolved', 'route-missing', '10.65.0.64/26'), { timeoutMs: 30_000 });
    expect(changes(r.stdout()).map((c) => `${c.change} ${c.finding.code} ${c.finding.subject}`)).toEqual([
      'appeared route-missing 10.65.0.64/26',
      'resolved route-missing 10.65.0.64/26',
    ]);
    r.interrupt();
    expect((await r.exited).code).toBe(ExitCode.Ok);
    expect(r.stderr()).toBe('');
  });

  test('text: a block of another node assigned in the datastore appears, released is resolved', async () => {
    const r = watchN1();
    await r.waitFor((t) => t.includes('0 errors'), { timeoutMs: 30_000 });
    // A fourth node, known to the datastore only, with its VXLAN tunnel address claiming its block.
    const manifest = join(cluster.lab.dir, 'n4.yaml');
    writeFileSync(
      manifest,
      'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: n4}\n' +
        'spec: {bgp: {ipv4Address: 10.230.1.4/24}, ipv4VXLANTunnelAddr: 10.65.0.193}\n',
    );
    await cli(cluster, 'create', '-f', manifest);
    await cli(
      cluster,
      'ipam',
      'assign',
      '--node',
      'n4',
      '--ip',
      '10.65.0.193',
      '--handle',
      'vxlan-tunnel-addr-n4',
      '--use',
      'Tunnel',
      '--attr',
      'node=n4',
      '--attr',
      'type=vxlanTunnelAddress',
    );
    await r.waitFor((t) => /^\+ error route-missing 10\.65\.0\.192\/26 expected /m.test(t), {
      timeoutMs: 30_000,
    });
    await cli(cluster, 'ipam', 'release', '--ip', '10.65.0.193');
    await cli(cluster, 'delete', 'node', 'n4');
    await r.waitFor((t) => /^- resolved route-missing 10\.65\.0\.192\/26$/m.test(t), { timeoutMs: 30_000 });
    r.interrupt();
    expect((await r.exited).code).toBe(ExitCode.Ok);
  });

  test('refused with --load and --save: exit 2, one line and a hint', async () => {
    for (const flag of [
      ['--load', 'n1.json'],
      ['--save', 'n1.json'],
    ]) {
      const r = watchN1(...flag);
      const { code } = await r.exited;
      expect(code).toBe(ExitCode.BadInput);
      expect(r.stdout()).toBe('');
      expect(r.stderr()).toBe(
        `--watch cannot be used with ${flag[0]}\n` +
          'hint: --watch follows the live kernel; save or check a saved state with a one-shot node check\n',
      );
    }
  });
});
