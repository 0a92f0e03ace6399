import { describe, expect, it } from 'vitest';

import { BLOCK_PREFIX, emptyStats, generateDataset, ipv6, type Entry } from '../../../bench/dataset.js';

/** JSON.parse loses digits above 2^53; keep big integers as text for the checks below. */
function parseExact(value: string): Record<string, unknown> {
  return JSON.parse(value.replace(/(?<=[:,[]\s*)(\d{16,})(?=\s*[,\]}])/g, '"$1"')) as Record<string, unknown>;
}

describe('bench dataset', () => {
  const stats = emptyStats();
  const entries: Entry[] = [...generateDataset({ blocks: 200 }, stats)];
  const byKey = new Map(entries);
  const blocks = entries.filter(([k]) => k.startsWith(BLOCK_PREFIX));

  it('is deterministic for a seed and differs across seeds', () => {
    expect([...generateDataset({ blocks: 200 })]).toEqual(entries);
    expect([...generateDataset({ blocks: 200, seed: 7 })]).not.toEqual(entries);
  });

  it('writes each key once and counts what it wrote', () => {
    expect(byKey.size).toBe(entries.length);
    expect(stats.keys).toBe(entries.length);
    expect(blocks).toHaveLength(200);
    expect(stats.blocksV4 + stats.blocksV6).toBe(200);
    expect(stats.handles).toBe(stats.allocatedAddresses);
  });

  it('keeps every block internally consistent, as ipam_block.go would leave it', () => {
    for (const [key, value] of blocks) {
      const b = parseExact(value) as {
        cidr: string;
        affinity: string | null;
        allocations: (number | null)[];
        unallocated: number[];
        attributes: { handle_id: string; secondary: Record<string, string> }[] | null;
        sequenceNumber: string;
        sequenceNumberForAllocation: Record<string, string>;
      };
      expect(key).toBe(`${BLOCK_PREFIX}ipv${b.cidr.includes(':') ? 6 : 4}/block/${b.cidr.replace('/', '-')}`);
      expect(b.allocations).toHaveLength(64);
      const used = b.allocations.flatMap((a, ordinal) => (a === null ? [] : [ordinal]));
      expect([...used, ...b.unallocated].sort((x, y) => x - y)).toEqual([...Array(64).keys()]);
      const attributes = b.attributes ?? [];
      expect(new Set(b.allocations.filter((a) => a !== null))).toEqual(new Set(attributes.keys()));
      expect(
        Object.keys(b.sequenceNumberForAllocation)
          .map(Number)
          .sort((x, y) => x - y),
      ).toEqual(used);
      // Go sorts map keys as strings ("10" before "2"); JS objects would reorder them, so read the text.
      const seqMap = /"sequenceNumberForAllocation":\{([^}]*)\}/.exec(value)![1]!;
      const keys = [...seqMap.matchAll(/"(\d+)":/g)].map((m) => m[1]!);
      expect(keys).toEqual([...keys].sort());
      for (const seq of Object.values(b.sequenceNumberForAllocation)) {
        expect(BigInt(seq) < BigInt(b.sequenceNumber)).toBe(true);
      }
      for (const attr of attributes) {
        expect(byKey.get(`/calico/ipam/v2/handle/${attr.handle_id}`)).toBe(
          `{"block":{"${b.cidr}":1},"deleted":false}`,
        );
      }
      if (b.affinity !== null) {
        const host = b.affinity.replace(/^host:/, '');
        const family = b.cidr.includes(':') ? 'ipv6' : 'ipv4';
        expect(byKey.get(`/calico/ipam/v2/host/${host}/${family}/block/${b.cidr.replace('/', '-')}`)).toBe(
          '{"state":"confirmed","deleted":false}',
        );
      }
    }
  });

  it('stores sequence numbers above 2^53 as exact decimal text', () => {
    const [, value] = blocks[0]!;
    const seq = /"sequenceNumber":(\d+)/.exec(value)![1]!;
    expect(BigInt(seq) > 2n ** 53n).toBe(true);
  });

  it('gives every node its tunnel address in its first block', () => {
    const nodes = entries.filter(([k]) => k.startsWith('/calico/resources/v3/projectcalico.org/nodes/'));
    expect(nodes).toHaveLength(stats.nodes);
    for (const [, value] of nodes) {
      const node = JSON.parse(value) as {
        metadata: { name: string };
        spec: { bgp: { ipv4IPIPTunnelAddr: string } };
      };
      expect(node.spec.bgp.ipv4IPIPTunnelAddr).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(byKey.has(`/calico/ipam/v2/handle/ipip-tunnel-addr-${node.metadata.name}`)).toBe(true);
    }
  });

  it('prints IPv6 addresses as Go does (RFC 5952)', () => {
    expect(ipv6([0xfd5f, 0xabcd, 0x64, 0, 0, 0, 0xb4, 0x5980])).toBe('fd5f:abcd:64::b4:5980');
    expect(ipv6([0xfd5f, 0xabcd, 0x64, 0, 0, 0, 0, 0x40])).toBe('fd5f:abcd:64::40');
    expect(ipv6([0xfd5f, 0xabcd, 0x64, 0, 0, 0, 1, 0])).toBe('fd5f:abcd:64::1:0');
    expect(ipv6([0xfd5f, 0xabcd, 0x64, 0, 0, 0, 0, 0])).toBe('fd5f:abcd:64::');
    expect(ipv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
  });
});
