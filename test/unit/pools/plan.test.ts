/** The pure planning rules of `ippool mode` / `ippool migrate`: flag parsing, mode resolution, checks. */
import { describe, expect, it } from 'vitest';

import { blockingChecks, encapChecks, validateCandidate } from '../../../src/pools/checks.js';
import { encapOf, parseEncapRequest, resolveEncap } from '../../../src/pools/encap.js';
import type { ClusterFacts } from '../../../src/pools/facts.js';
import type { ResourceObject } from '../../../src/resources/types.js';

const pool = (cidr: string, spec: Record<string, unknown> = {}): ResourceObject => ({
  kind: 'IPPool',
  apiVersion: 'projectcalico.org/v3',
  metadata: { name: 'p1', resourceVersion: '7', uid: 'u', creationTimestamp: '2026-06-01T10:00:00Z' },
  spec: {
    cidr,
    ipipMode: 'Never',
    vxlanMode: 'Never',
    blockSize: cidr.includes(':') ? 122 : 26,
    nodeSelector: 'all()',
    allowedUses: ['Workload', 'Tunnel'],
    assignmentMode: 'Automatic',
    ...spec,
  },
});
const facts = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  nodes: [
    { name: 'n1', labels: {}, ipv4Address: '192.168.1.1/24', ipv4IPIPTunnelAddr: '10.0.0.1' },
    { name: 'n2', labels: {}, ipv4Address: '192.168.2.1', ipv4VXLANTunnelAddr: '10.0.0.65' },
  ],
  meshEnabled: true,
  peerCount: 0,
  ...over,
});

describe('encapsulation flags', () => {
  it('accepts the three modes in any case and rejects anything else', () => {
    expect(parseEncapRequest({ ipip: 'crosssubnet', vxlan: 'NEVER' })).toEqual({
      ipip: 'CrossSubnet',
      vxlan: 'Never',
    });
    expect(() => parseEncapRequest({ vxlan: 'On' })).toThrow('--vxlan=On is not an encapsulation mode');
  });

  it('refuses both encapsulations on', () => {
    expect(() => parseEncapRequest({ ipip: 'Always', vxlan: 'CrossSubnet' })).toThrow(
      'would enable both encapsulations',
    );
  });

  it('turns the other encapsulation off when one is turned on', () => {
    const ipip = { ipipMode: 'Always', vxlanMode: 'Never' } as const;
    expect(resolveEncap('p1', ipip, { vxlan: 'Always' })).toEqual({ ipipMode: 'Never', vxlanMode: 'Always' });
    expect(resolveEncap('p1', ipip, { ipip: 'CrossSubnet' })).toEqual({
      ipipMode: 'CrossSubnet',
      vxlanMode: 'Never',
    });
  });

  it('leaves a pool with no encapsulation only when both flags say so', () => {
    const vxlan = { ipipMode: 'Never', vxlanMode: 'Always' } as const;
    expect(() => resolveEncap('p1', vxlan, { vxlan: 'Never' })).toThrow(
      'IPPool(p1) would be left with neither IPIP nor VXLAN',
    );
    expect(resolveEncap('p1', vxlan, { vxlan: 'Never', ipip: 'Never' })).toEqual({
      ipipMode: 'Never',
      vxlanMode: 'Never',
    });
  });

  it('reads missing modes as Never', () => {
    expect(encapOf({ cidr: '10.0.0.0/16' })).toEqual({ ipipMode: 'Never', vxlanMode: 'Never' });
  });
});

describe('checks before an encapsulation change', () => {
  it('refuses IPIP on an IPv6 pool with the apply rule, never forceable', () => {
    const p = pool('fd00::/64');
    const { checks } = validateCandidate(p, { ipipMode: 'Always', vxlanMode: 'Never' });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ severity: 'error', code: 'InvalidPool' });
    expect(checks[0]!.message).toBe(
      "IPPool(p1): error with field IPPool.Spec.IPIPMode = 'Always' (IPIP is not supported on an IPv6 IP pool)",
    );
    expect(blockingChecks(checks, true)).toHaveLength(1);
  });

  it('gives back the pool to store with the new modes', () => {
    const { candidate, checks } = validateCandidate(pool('10.0.0.0/16', { ipipMode: 'Always' }), {
      ipipMode: 'Never',
      vxlanMode: 'Always',
    });
    expect(checks).toEqual([]);
    expect(candidate.spec).toMatchObject({ ipipMode: 'Never', vxlanMode: 'Always', cidr: '10.0.0.0/16' });
  });

  it('warns when CrossSubnet meets nodes without a subnet, and --force accepts it', () => {
    const before = { ipipMode: 'Always', vxlanMode: 'Never' } as const;
    const after = { ipipMode: 'CrossSubnet', vxlanMode: 'Never' } as const;
    const checks = encapChecks(pool('10.0.0.0/16'), before, after, facts());
    const warning = checks.find((c) => c.code === 'CrossSubnetWithoutSubnet');
    expect(warning).toMatchObject({ severity: 'warning', nodes: ['n2'] });
    expect(warning!.message).toBe(
      'IPPool(p1) CrossSubnet: 1 of 2 selected node(s) (nodeSelector all()) have no subnet in spec.bgp.ipv4Address (no prefix length): n2; Calico cannot tell which peers share their subnet',
    );
    expect(warning!.fix).toContain('ADDRESS/PREFIX');
    expect(blockingChecks(checks, false)).toHaveLength(1);
    expect(blockingChecks(checks, true)).toHaveLength(0);
  });

  it('warns when encapsulation goes off while BGP routes nothing', () => {
    const before = { ipipMode: 'Never', vxlanMode: 'Always' } as const;
    const off = { ipipMode: 'Never', vxlanMode: 'Never' } as const;
    const p = pool('10.0.0.0/16');
    expect(encapChecks(p, before, off, facts()).map((c) => c.code)).toEqual([]);
    expect(encapChecks(p, before, off, facts({ meshEnabled: false })).map((c) => c.code)).toEqual([
      'NoRouting',
    ]);
    expect(encapChecks(p, before, off, facts({ meshEnabled: false, peerCount: 1 }))).toEqual([]);
  });

  it('notes the nodes that lack the tunnel address the new mode needs, without refusing', () => {
    const checks = encapChecks(
      pool('10.0.0.0/16'),
      { ipipMode: 'Always', vxlanMode: 'Never' },
      { ipipMode: 'Never', vxlanMode: 'Always' },
      facts(),
    );
    expect(checks).toEqual([
      expect.objectContaining({ severity: 'notice', code: 'TunnelAddressMissing', nodes: ['n1'] }),
    ]);
    expect(checks[0]!.message).toContain('spec.ipv4VXLANTunnelAddr');
    expect(blockingChecks(checks, false)).toEqual([]);
  });

  describe('only about the nodes the pool selects', () => {
    const zoned: ClusterFacts = facts({
      nodes: [
        { name: 'a1', labels: { zone: 'a' }, ipv4Address: '192.168.1.1/24', ipv4IPIPTunnelAddr: '10.0.0.1' },
        { name: 'a2', labels: { zone: 'a', rack: 'r2' }, ipv4Address: '192.168.1.2/24' },
        { name: 'b1', labels: { zone: 'b' }, ipv4Address: '192.168.2.1' },
        { name: 'x1', labels: {} },
      ],
    });
    const ipip = { ipipMode: 'Always', vxlanMode: 'Never' } as const;
    const crossSubnet = { ipipMode: 'CrossSubnet', vxlanMode: 'Never' } as const;
    const vxlan = { ipipMode: 'Never', vxlanMode: 'Always' } as const;

    it('ignores nodes outside the selector that have no subnet', () => {
      const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector: "zone == 'a'" });
      expect(encapChecks(p, ipip, crossSubnet, zoned)).toEqual([]);
    });

    it('warns about a selected node without a subnet, counting only the selected nodes', () => {
      const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector: "zone in {'a', 'b'}" });
      const checks = encapChecks(p, ipip, crossSubnet, zoned);
      expect(checks).toEqual([
        expect.objectContaining({ severity: 'warning', code: 'CrossSubnetWithoutSubnet', nodes: ['b1'] }),
      ]);
      expect(checks[0]!.message).toContain(
        "CrossSubnet: 1 of 3 selected node(s) (nodeSelector zone in {'a', 'b'}) have no subnet",
      );
      expect(blockingChecks(checks, false)).toHaveLength(1);
    });

    it('counts every node for all() and for a pool stored without a selector', () => {
      for (const nodeSelector of ['all()', '']) {
        const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector });
        const warning = encapChecks(p, ipip, crossSubnet, zoned)[0];
        expect(warning).toMatchObject({ code: 'CrossSubnetWithoutSubnet', nodes: ['b1', 'x1'] });
        expect(warning!.message).toContain('2 of 4 selected node(s) (nodeSelector all())');
      }
    });

    it('notes missing tunnel addresses only on selected nodes', () => {
      const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector: "zone == 'a' && !has(rack)" });
      expect(encapChecks(p, ipip, vxlan, zoned)).toEqual([
        expect.objectContaining({ code: 'TunnelAddressMissing', nodes: ['a1'] }),
      ]);
      const rack = pool('10.0.0.0/16', { nodeSelector: 'has(rack)' });
      const checks = encapChecks(rack, { ipipMode: 'Never', vxlanMode: 'Never' }, ipip, zoned);
      expect(checks).toEqual([expect.objectContaining({ code: 'TunnelAddressMissing', nodes: ['a2'] })]);
      expect(checks[0]!.message).toBe(
        'IPPool(p1) IPIP: 1 of 1 selected node(s) (nodeSelector has(rack)) have no spec.bgp.ipv4IPIPTunnelAddr: a2; calico-node will allocate one from an enabled IPIP pool',
      );
    });

    it('an unparsable selector is an error, and its node checks consider every node', () => {
      const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector: 'zone ==' });
      expect(validateCandidate(p, crossSubnet).checks).toEqual([
        expect.objectContaining({ severity: 'error', code: 'InvalidPool' }),
      ]);
      expect(encapChecks(p, ipip, crossSubnet, zoned)[0]).toMatchObject({ nodes: ['b1', 'x1'] });
    });

    it('has nothing to say about a pool that selects no node', () => {
      const p = pool('10.0.0.0/16', { ipipMode: 'Always', nodeSelector: "zone == 'c'" });
      expect(encapChecks(p, ipip, crossSubnet, zoned)).toEqual([]);
    });
  });
});
