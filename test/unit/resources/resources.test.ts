import { describe, expect, it } from 'vitest';

import { encodeGoJson } from '../../../src/codec/go-json.js';
import { buildReport } from '../../../src/cli/render/apply-report.js';
import { formatCIDR, parseCIDR } from '../../../src/resources/ip.js';
import { parseText, splitDocuments } from '../../../src/resources/manifest.js';
import { allKindNames, resolveKind, resourceKey } from '../../../src/resources/registry.js';
import { validationMessage, type ResourceObject } from '../../../src/resources/types.js';
import { validateBGPConfiguration } from '../../../src/resources/kinds/bgpconfiguration.js';
import { validateBGPPeer } from '../../../src/resources/kinds/bgppeer.js';
import { validateIPPool } from '../../../src/resources/kinds/ippool.js';
import { OperationError } from '../../../src/errors.js';

const pool = (spec: Record<string, unknown>, name = 'p1'): ResourceObject => ({
  kind: 'IPPool',
  apiVersion: 'projectcalico.org/v3',
  metadata: { name },
  spec,
});

describe('registry', () => {
  it('resolves aliases case-insensitively and rejects unknown kinds with calicoctl text', () => {
    for (const a of ['ippool', 'IPPools', 'ipp', 'ipps', 'Pool', 'pools'])
      expect(resolveKind(a).kind).toBe('IPPool');
    expect(resolveKind('no').kind).toBe('Node');
    expect(resolveKind('bgpconfig').kind).toBe('BGPConfiguration');
    expect(() => resolveKind('somekind')).toThrow("resource type 'somekind' is not supported");
    expect(allKindNames()).toContain('gnp');
  });
  it('builds keys as libcalico-go', () => {
    expect(resourceKey(resolveKind('ippool'), 'default-ipv4-ippool')).toBe(
      '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool',
    );
    expect(resourceKey(resolveKind('np'), 'allow-dns', 'default')).toBe(
      '/calico/resources/v3/projectcalico.org/networkpolicies/default/allow-dns',
    );
  });
});

describe('ip', () => {
  it('normalises like Go', () => {
    expect(formatCIDR(parseCIDR('fd5f:0abc:0000::/64')!)).toBe('fd5f:abc::/64');
    expect(parseCIDR('10.0.256.0/24')).toBeUndefined();
    expect(parseCIDR('fd5f::2::1/32')).toBeUndefined();
    expect(parseCIDR('10.0.1.0/33')).toBeUndefined();
  });
});

describe('IPPool validation', () => {
  it('fills and persists the defaults in Go field order', () => {
    const p = pool({ cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true });
    expect(validateIPPool(p, undefined, [])).toEqual([]);
    p.metadata = { name: 'default-ipv4-ippool', uid: 'u', creationTimestamp: '2026-06-01T10:00:00Z' };
    expect(encodeGoJson(p, resolveKind('ippool').schema)).toBe(
      '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool","uid":"u","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"192.168.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}',
    );
  });
  it.each([
    ['10.0.1.0/33', "error with field IPPool.Spec.CIDR = '10.0.1.0/33' (IPPool CIDR must be a valid subnet)"],
    [
      '10.0.250.0/32',
      "IPPool.Spec.CIDR = '10.0.250.0/32' (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)",
    ],
    ['fd5f::1/123', "IPPool.Spec.CIDR = 'fd5f::/123' (IPPool CIDR is not strictly masked)"],
    ['169.254.0.0/16', 'IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16'],
  ])('rejects %s', (cidr, text) => {
    expect(validationMessage(validateIPPool(pool({ cidr }), undefined, []))).toContain(text);
  });
  it('rejects both encapsulations, IPIP on IPv6, overlap, and immutable changes', () => {
    expect(
      validationMessage(
        validateIPPool(pool({ cidr: '10.1.0.0/16', ipipMode: 'Always', vxlanMode: 'Always' }), undefined, []),
      ),
    ).toContain("IPPool.Spec.VXLANMode = 'Always' (Cannot enable both VXLAN and IPIP on the same IPPool)");
    expect(
      validationMessage(validateIPPool(pool({ cidr: 'fd00::/64', ipipMode: 'Always' }), undefined, [])),
    ).toContain('IPIP is not supported on an IPv6 IP pool');
    expect(
      validationMessage(
        validateIPPool(pool({ cidr: '10.1.0.0/16' }), undefined, [{ name: 'other', cidr: '10.1.2.0/24' }]),
      ),
    ).toContain('IPPool(p1) CIDR overlaps with IPPool(other) CIDR 10.1.2.0/24');
    const old = pool({ cidr: '10.1.0.0/16', blockSize: 26, allowedUses: ['Workload', 'Tunnel'] });
    expect(validationMessage(validateIPPool(pool({ cidr: '10.2.0.0/16', blockSize: 27 }), old, []))).toBe(
      "error with the following fields:\n-  IPPool.Spec.CIDR = '10.2.0.0/16' (IPPool CIDR cannot be modified)\n-  IPPool.Spec.BlockSize = '27' (IPPool BlockSize cannot be modified)\n",
    );
  });
});

describe('BGP validation', () => {
  it('checks peerIP and non-default BGPConfiguration fields', () => {
    const peer = { kind: 'BGPPeer', apiVersion: '', metadata: { name: 'p' }, spec: { peerIP: 'badpeerIP' } };
    expect(validationMessage(validateBGPPeer(peer))).toBe(
      "error with field PeerIP = 'badpeerIP' (Reason: failed to validate Field: PeerIP because of Tag: IP:port )",
    );
    expect(validateBGPPeer({ ...peer, spec: { peerIP: '[fd00::1]:179', asNumber: 64512 } })).toEqual([]);
    const cfg = {
      kind: 'BGPConfiguration',
      apiVersion: '',
      metadata: { name: 'node.x' },
      spec: { nodeToNodeMeshEnabled: true },
    };
    expect(validationMessage(validateBGPConfiguration(cfg))).toContain(
      'Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.',
    );
    expect(validateBGPConfiguration({ ...cfg, metadata: { name: 'default' } })).toEqual([]);
  });
});

describe('manifest', () => {
  it('splits on \\n--- and expands sequences and lists', () => {
    expect(splitDocuments('a: 1\n--- # x\nb: 2\n')).toEqual(['a: 1', 'b: 2\n']);
    const text =
      'apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: a}\n  spec: {cidr: 10.0.0.0/24}\n---\n' +
      '[{"apiVersion":"projectcalico.org/v3","kind":"BGPPeer","metadata":{"name":"b"},"spec":{"peerIP":"10.0.0.1","asNumber":"64512"}}]\n';
    const res = parseText(text, 'f.yaml');
    expect(res.map((r) => [r.resource.kind, r.resource.metadata.name, r.document])).toEqual([
      ['IPPool', 'a', 1],
      ['BGPPeer', 'b', 2],
    ]);
    expect(res[1]!.resource.spec?.asNumber).toBe(64512);
  });
  it('gives calicoctl errors for unknown fields, types and kinds, naming the file', () => {
    const bad = (body: string) => () =>
      parseText(`apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n${body}`, 'x.yaml');
    expect(bad('spec:\n  cidr: 10.0.0.0/8\n  unknown: thing\n')).toThrow(
      'field in document is not recognized or is in the wrong location: unknown',
    );
    expect(bad("spec:\n  disabled: 'True'\n")).toThrow(
      'cannot unmarshal string into Go struct field IPPoolSpec.spec.disabled of type bool',
    );
    expect(() => parseText('apiVersion: v7\nkind: BGPPeer\n', 'y.yaml')).toThrow(
      'unknown resource type (BGPPeer) and/or version (v7)',
    );
    try {
      bad('spec:\n  x: 1\n')();
    } catch (err) {
      expect((err as { hint: string }).hint).toContain("x.yaml, document 1, IPPool 'p'");
    }
  });
});

describe('report', () => {
  const ok = { kind: 'BGPPeer', name: 'a', outcome: 'created' as const };
  const bad = (m: string) => ({
    kind: 'BGPPeer',
    name: 'b',
    outcome: 'failed' as const,
    error: new OperationError(m),
  });
  it('prints calicoctl lines', () => {
    expect(buildReport('apply', [{ ...ok, kind: 'IPPool' }]).stdout).toBe(
      "Successfully applied 1 'IPPool' resource(s)\n",
    );
    expect(buildReport('create', [bad('e1')]).stderr).toBe("failed to create 'BGPPeer' resource: [e1]\n");
    expect(buildReport('apply', [bad('e1'), bad('e2')]).stderr).toBe(
      "failed to apply any 'BGPPeer' resources: [e1 e2]\n",
    );
    const partial = buildReport('apply', [ok, ok, bad('e1')]);
    expect(partial.stdout).toBe("Partial success: applied the first 2 out of 3 'BGPPeer' resources:\n");
    expect(partial.stderr).toBe('hit error(s): [e1]\n');
    expect(partial.exitCode).toBe(1);
  });
});
