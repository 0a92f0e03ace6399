/**
 * `ippool mode` end to end on the embedded store and a real etcd: every switch the seeds use, re-runs,
 * checks and --force, bad flags, and a concurrent writer between plan and write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { setPoolModes } from '../../../src/pools/mode.js';
import { cli, dump, harness, poolKey, seed, storedNode, storedPool, value, withDs } from './harness.js';

const h = harness();
beforeAll(() => h.start(), 30_000);
afterAll(() => h.stop());

const BGP_CONFIG_KEY = '/calico/resources/v3/projectcalico.org/bgpconfigurations/default';
const bgpOff = JSON.stringify({
  kind: 'BGPConfiguration',
  apiVersion: 'projectcalico.org/v3',
  metadata: { name: 'default', uid: 'b', creationTimestamp: '2026-06-01T10:00:00Z' },
  spec: { nodeToNodeMeshEnabled: false },
});

describe.each(h.backends)('ippool mode on $name', (backend) => {
  const base = () => ({
    [poolKey('p1')]: storedPool('p1', { cidr: '10.1.0.0/16', ipipMode: 'Always', natOutgoing: true }),
    [poolKey('p2')]: storedPool('p2', { cidr: '10.2.0.0/16', ipipMode: 'Always' }),
    [poolKey('v6')]: storedPool('v6', { cidr: 'fd00:1::/64' }),
    '/calico/resources/v3/projectcalico.org/nodes/n1': storedNode(
      'n1',
      { ipv4Address: '192.168.1.1/24', ipv4IPIPTunnelAddr: '10.1.0.1' },
      { ipv4VXLANTunnelAddr: '10.1.0.65' },
    ),
  });

  it('moves two pools from IPIP to VXLAN in one transaction, then reports unchanged', async () => {
    await seed(backend, base());
    const r = await cli(backend, 'ippool', 'mode', 'p1', 'p2', '--vxlan=Always', '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.outcome).toBe('changed');
    expect(out.pools.map((p: { outcome: string }) => p.outcome)).toEqual(['changed', 'changed']);
    expect(out.pools[0].before).toEqual({ ipipMode: 'Always', vxlanMode: 'Never' });
    expect(out.pools[0].after).toEqual({ ipipMode: 'Never', vxlanMode: 'Always' });
    expect(out.pools[0].resourceVersion).toBe(String(out.revision));
    expect(out.pools[1].resourceVersion).toBe(String(out.revision));
    expect(await value(backend, poolKey('p1'))).toBe(
      storedPool('p1', { cidr: '10.1.0.0/16', vxlanMode: 'Always', natOutgoing: true }),
    );
    const before = await dump(backend);
    const again = await cli(backend, 'ippool', 'mode', 'p1', 'p2', '--vxlan=Always');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Unchanged: every named IPPool already has these modes.');
    expect(await dump(backend)).toEqual(before);
  });

  it('switches IPIP Always to CrossSubnet and VXLAN to plain BGP, with a before/after table', async () => {
    await seed(backend, base());
    const cs = await cli(backend, 'ippool', 'mode', 'p1', '--ipip=CrossSubnet');
    expect(cs.code).toBe(0);
    expect(cs.stdout).toMatch(/^NAME +CIDR +IPIPMODE +VXLANMODE +RESULT +\n/);
    expect(cs.stdout).toContain('Always -> CrossSubnet');
    expect(cs.stdout).toContain('changed: IPIP Always -> IPIP CrossSubnet');
    await cli(backend, 'ippool', 'mode', 'p2', '--vxlan=CrossSubnet');
    const bgp = await cli(backend, 'ippool', 'mode', 'p2', '--vxlan=Never', '--ipip=Never');
    expect(bgp.code).toBe(0);
    expect(await value(backend, poolKey('p2'))).toBe(storedPool('p2', { cidr: '10.2.0.0/16' }));
  });

  it('--dry-run writes nothing; --all covers every pool', async () => {
    await seed(backend, base());
    const before = await dump(backend);
    const r = await cli(backend, 'ippool', 'mode', '--all', '--vxlan=Always', '--dry-run', '-o', 'json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.outcome).toBe('dryRun');
    expect(out.pools.map((p: { name: string; outcome: string }) => `${p.name}:${p.outcome}`)).toEqual([
      'p1:wouldChange',
      'p2:wouldChange',
      'v6:wouldChange',
    ]);
    expect(await dump(backend)).toEqual(before);
  });

  it('refuses on warnings (exit 5, nothing written) unless --force', async () => {
    await seed(backend, {
      ...base(),
      '/calico/resources/v3/projectcalico.org/nodes/n2': storedNode('n2', { ipv4Address: '192.168.2.1' }),
      [BGP_CONFIG_KEY]: bgpOff,
    });
    const before = await dump(backend);
    const cs = await cli(backend, 'ippool', 'mode', 'p1', '--ipip=CrossSubnet');
    expect(cs.code).toBe(ExitCode.Refused);
    expect(cs.stdout).toContain(
      'warning: IPPool(p1) CrossSubnet: 1 of 2 selected node(s) (nodeSelector all()) have no subnet in spec.bgp.ipv4Address (no prefix length): n2;',
    );
    expect(cs.stdout).toContain('  fix: set spec.bgp.ipv4Address to ADDRESS/PREFIX');
    expect(cs.stderr).toBe(
      'ippool mode refused by 1 check(s); nothing was written\nhint: fix what the checks name; --force accepts warnings, never errors\n',
    );
    const off = await cli(backend, 'ippool', 'mode', 'p1', '--ipip=Never', '--vxlan=Never', '-o', 'json');
    expect(off.code).toBe(ExitCode.Refused);
    expect(JSON.parse(off.stdout).checks.map((c: { code: string }) => c.code)).toEqual(['NoRouting']);
    expect(await dump(backend)).toEqual(before);
    const forced = await cli(backend, 'ippool', 'mode', 'p1', '--ipip=CrossSubnet', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('warning (forced): IPPool(p1) CrossSubnet');
  });

  it('bad flags: a clear error, nothing written', async () => {
    await seed(backend, base());
    const before = await dump(backend);
    const cases: [string[], number, string][] = [
      [['p1', '--ipip=Sometimes'], ExitCode.BadInput, '--ipip=Sometimes is not an encapsulation mode'],
      [['p1', '--ipip=Always', '--vxlan=Always'], ExitCode.BadInput, 'would enable both encapsulations'],
      [['p1', '--ipip=Never'], ExitCode.BadInput, 'IPPool(p1) would be left with neither IPIP nor VXLAN'],
      [['nope', '--vxlan=Always'], ExitCode.BadInput, 'resource does not exist: IPPool(nope)'],
      [['p1', 'v6', '--ipip=Always'], ExitCode.Refused, 'IPIP is not supported on an IPv6 IP pool'],
      [['p1'], ExitCode.BadInput, 'nothing to change: give --ipip and/or --vxlan'],
    ];
    for (const [args, code, text] of cases) {
      const r = await cli(backend, 'ippool', 'mode', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stdout + r.stderr).toContain(text);
    }
    expect(await dump(backend)).toEqual(before);
  });

  it('a concurrent writer between plan and write: conflict (exit 4), nothing written', async () => {
    await seed(backend, base());
    const p2Changed = storedPool('p2', { cidr: '10.2.0.0/16', ipipMode: 'Always', natOutgoing: true });
    const err = await withDs(backend, (ds) =>
      setPoolModes(ds, {
        names: ['p1', 'p2'],
        all: false,
        encap: { vxlan: 'Always' },
        dryRun: false,
        force: false,
        beforeWrite: async () => {
          const kv = await ds.get(poolKey('p2'));
          await ds.update(poolKey('p2'), p2Changed, kv!.modRevision);
        },
      }).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ exitCode: ExitCode.Conflict });
    expect((err as Error).message).toBe(
      'update conflict: IPPool(p2) changed since it was read; nothing was written',
    );
    expect(await value(backend, poolKey('p1'))).toBe(base()[poolKey('p1')]);
    expect(await value(backend, poolKey('p2'))).toBe(p2Changed);
  });
});
