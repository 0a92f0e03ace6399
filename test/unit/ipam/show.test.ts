import { stripVTControlCharacters } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeGoJson, parseGoJson } from '../../../src/codec/go-json.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { lazyKeyValue, valueHead } from '../../../src/datastore/value-head.js';
import { InputError } from '../../../src/errors.js';
import {
  blockKey,
  blockKeyNetwork,
  blockContaining,
  ipToOrdinal,
  ordinalToIP,
  parseBlockKey,
  ipText,
} from '../../../src/ipam/keys.js';
import { scanBlockHead, summarizeBlock } from '../../../src/ipam/block-summary.js';
import { CorruptBlockError, decodeBlock } from '../../../src/ipam/block.js';
import { collectBorrowed } from '../../../src/ipam/borrowed.js';
import { formatIPLookup, lookupIP, parseIPArgument } from '../../../src/ipam/ip-lookup.js';
import { collectNodeUsage } from '../../../src/ipam/node-usage.js';
import { allocationBlockSchema } from '../../../src/ipam/schemas.js';
import {
  borrowedTable,
  nodeUsageTable,
  renderShowTable,
  unclassifiedNote,
  utilizationTable,
} from '../../../src/cli/render/ipam.js';
import { paletteFor } from '../../../src/output/colour.js';
import { collectUtilization } from '../../../src/ipam/utilization.js';
import { renderTable } from '../../../src/output/tablewriter.js';
import { formatCIDR, parseCIDR, parseIP } from '../../../src/resources/ip.js';
import {
  ALL_KEYS,
  BLOCKS,
  EXPECTED_BORROWED,
  EXPECTED_SHOW,
  EXPECTED_SHOW_BLOCKS,
  V6_BLOCK_KEY,
} from './fixtures.js';
import { datastoreWith } from './memory-datastore.js';

const kv = (key: string, value: string) => ({ key, value, createRevision: 1, modRevision: 1, version: 1 });
const head = (value: string) => valueHead(kv('/k', value), 2048);

describe('block keys and ordinals', () => {
  it('maps IPv4 and IPv6 networks to Calico keys and back', () => {
    const v6 = parseBlockKey(V6_BLOCK_KEY)!;
    expect(blockKey(v6)).toBe(V6_BLOCK_KEY);
    expect(parseBlockKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.128-26')?.prefix).toBe(26);
    expect(parseBlockKey('/calico/ipam/v2/assignment/ipv4/block/not-a-cidr')).toBeUndefined();
    expect(parseBlockKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26/extra')).toBeUndefined();
  });

  it('reads IPv4 block keys written as Calico writes them without the general parser, with the same result', () => {
    const general = (key: string) => {
      const m = /^\/calico\/ipam\/v2\/assignment\/ipv.\/block\/([^/]+)$/.exec(key);
      const cidr = m ? parseCIDR(m[1]!.replace('-', '/')) : undefined;
      if (!cidr) return undefined;
      const net = { network: cidr.network, prefix: cidr.prefix };
      return { net, text: formatCIDR(net) };
    };
    const texts = [
      '10.0.0.0-26', '10.0.0.64-26', '192.168.255.192-26', '0.0.0.0-0', '255.255.255.255-32', '1.2.3.4-32',
      '10.0.0.1-26', '10.0.0.0-33', '010.0.0.0-26', '10.0.0.0-026', '10.256.0.0-16', '10.0.0-24', '10.0.0.0',
      '10.0.0.0-', '-26', '10.0.0.0-26x', '10.0.0.0.0-26', '1000.0.0.0-8', '10.0.0.0-2-6', ' 10.0.0.0-26',
    ]; // prettier-ignore
    let seed = 11;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 2000; k++) {
      const octets = [random(300), random(256), random(256), random(256)].map((o) =>
        random(20) ? o : `0${o}`,
      );
      texts.push(`${octets.join('.')}-${random(36)}`);
    }
    let quick = 0;
    for (const text of texts) {
      const key = `/calico/ipam/v2/assignment/ipv4/block/${text}`;
      const expected = general(key);
      expect(blockKeyNetwork(key), key).toEqual(expected);
      if (expected) quick++;
    }
    expect(quick).toBeGreaterThan(100);
  });

  it('does 128-bit ordinal arithmetic', () => {
    const v6 = parseBlockKey(V6_BLOCK_KEY)!;
    expect(ipText(ordinalToIP(v6, 63))).toBe('fd5f:abcd:64:4f2c:ec1b:27b9:1989:77ff');
    expect(ipToOrdinal(v6, parseIP('fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c5')!)).toBe(5);
    expect(ipToOrdinal(v6, parseIP('fd5f:abcd:64:4f2c:ec1b:27b9:1989:7800')!)).toBeUndefined();
    const b = blockContaining(parseIP('fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c5')!, 122);
    expect(blockKey(b)).toBe(V6_BLOCK_KEY);
    expect(blockKey(blockContaining(parseIP('10.66.137.237')!, 29))).toBe(
      '/calico/ipam/v2/assignment/ipv4/block/10.66.137.232-29',
    );
  });
});

describe('block decoding', () => {
  it('keeps every stored block byte-identical through decode and encode', () => {
    for (const [key, value] of Object.entries(BLOCKS)) {
      const block = decodeBlock(kv(key, value), { exact: true });
      const expected = value.replace(',{"handle_id":null,"secondary":null}]', ',{}]'); // v3.32 omitempty
      expect(encodeGoJson(block.value, allocationBlockSchema)).toBe(expected);
    }
  });

  it('summarises churned blocks by the quick scan exactly as the full decoder', () => {
    for (const [key, value] of Object.entries(BLOCKS)) {
      const full = decodeBlock(kv(key, value));
      expect(scanBlockHead(head(value))).toBeDefined(); // Calico's layout takes the quick path
      const quick = summarizeBlock(kv(key, value));
      expect(quick.free).toBe(full.value.unallocated?.length ?? 0);
      expect(quick.affinity).toBe(full.value.affinity);
      expect(quick.net).toEqual(full.net);
    }
    // Unusual layout (whitespace, other field order) falls back to the full decoder.
    const odd = '{ "unallocated" : [1, 0], "cidr": "10.0.0.0/31", "affinity": null }';
    expect(scanBlockHead(head(odd))).toBeUndefined();
    expect(summarizeBlock(kv('/k', odd)).free).toBe(2);
    // A truncated value is never summarised from its head.
    const truncated = Object.values(BLOCKS)[0]!.slice(0, -1);
    expect(scanBlockHead(head(truncated))).toBeUndefined();
  });

  it('scans the bytes of a value exactly as the layout pattern Calico writes reads its text', () => {
    // The layout as a regular expression (the scanner's specification), applied to decoded text.
    const layout =
      /^\{"cidr":"([^"\\]*)","affinity":(null|"[^"\\]*")(?:,"affinity_claim_time":(?:null|"[^"\\]*"))?,"allocations":(?:null|\[[0-9nul,]*\]),"unallocated":(?:null|\[([0-9,]*)\])[,}]/;
    const byPattern = (value: string) => {
      const m = value.endsWith('}') ? layout.exec(value.slice(0, 2048)) : null;
      if (!m || (m[3] && !/^\d+(?:,\d+)*$/.test(m[3]))) return undefined;
      const net = parseCIDR(m[1]!);
      if (!net) return undefined;
      return {
        net: { network: net.network, prefix: net.prefix },
        affinity: m[2] === 'null' ? null : m[2]!.slice(1, -1),
        free: m[3] ? m[3].split(',').length : 0,
      };
    };
    // Every stored block, and variants cut or with one character replaced at a seeded random place.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const values: string[] = [];
    for (const value of Object.values(BLOCKS)) {
      values.push(value);
      for (let k = 0; k < 300; k++) {
        const at = random(Math.min(value.length, 400));
        const c = '",[]{}\\0123456789nul:é '[random(24)]!;
        values.push(value.slice(0, at) + c + value.slice(at + 1), value.slice(0, at) + '}');
      }
    }
    let quick = 0;
    for (const value of values) {
      const expected = byPattern(value);
      expect(scanBlockHead(head(value)), value.slice(0, 120)).toEqual(expected);
      // The same bytes as the etcd backend registers them, inside a larger buffer.
      const bytes = Buffer.from(`xx${value}yy`, 'utf8');
      const lazy = lazyKeyValue(
        { key: '/k', createRevision: 1, modRevision: 1, version: 1 },
        bytes,
        2,
        bytes.length - 2,
      );
      expect(scanBlockHead(valueHead(lazy, 2048))).toEqual(expected);
      if (expected) quick++;
    }
    // Both outcomes are exercised.
    expect(quick).toBeGreaterThan(values.length / 10);
    expect(quick).toBeLessThan(values.length);
  });

  it("takes the key's parsed network only when the value's cidr is exactly its text", () => {
    const net = parseBlockKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-30')!;
    const expected = { text: '10.0.0.0/30', net };
    const value =
      '{"cidr":"10.0.0.0/30","affinity":null,"allocations":[null,null,null,null],"unallocated":[0,1,2,3]}';
    expect(scanBlockHead(head(value), expected)?.net).toBe(net);
    // Another network (or another spelling of one) is parsed from the value itself.
    const other = value.replace('10.0.0.0/30', '10.0.0.4/30');
    const scanned = scanBlockHead(head(other), expected)!;
    expect(scanned.net).not.toBe(net);
    expect(scanned.net).toEqual(parseBlockKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.4-30'));
    expect(scanBlockHead(head(value.replace('10.0.0.0/30', '10.0.0.1/30')), expected)!.net).toEqual(net);
  });

  it.each([
    ['{"cidr":"10.0.0.0/30","unallocated":[0,"x"]}', 'unallocated[1] is not an integer'],
    ['{"cidr":"10.0.0.300/30"}', 'cidr "10.0.0.300/30" is not a valid CIDR'],
    ['{"cidr":"10.0.0.0/30","affinity":5}', 'affinity is not a string'],
    [
      '{"cidr":"10.0.0.0/30","attributes":[{"secondary":{"node":1}}]}',
      'attributes[0].secondary is not a map of strings',
    ],
    ['{"cidr":"10.0.0.0/30","sequenceNumber":-1}', 'sequenceNumber is not an unsigned integer'],
    ['{"cidr":"10.0.0.0/30","allocations":[0', 'position 38'],
  ])('names the key of a corrupt value %s', (value, reason) => {
    const key = '/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-30';
    expect(() => summarizeBlock(kv(key, value))).toThrow(CorruptBlockError);
    expect(() => decodeBlock(kv(key, value), { exact: true })).toThrow(
      `IPAM block ${key} has a corrupt value: `,
    );
    expect(() => decodeBlock(kv(key, value))).toThrow(reason);
  });
});

describe('ipam show against stored data', () => {
  let ds: Datastore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ ds, cleanup } = await datastoreWith(ALL_KEYS));
  });
  afterAll(async () => cleanup());

  it('aggregates pools like GetUtilization and renders calicoctl’s table', async () => {
    const u = await collectUtilization(ds, { withBlocks: false });
    expect(u.pools.map((p) => [p.name, p.cidr, p.inUse, p.total, p.blockCount])).toEqual([
      ['a-pool', '10.65.0.0/16', 5, 65536n, 1],
      ['b-pool', '10.66.0.0/16', 11, 65536n, 2],
      ['c-v6', 'fd5f:abcd:64::/48', 7, 1n << 80n, 1],
      ['orphaned allocation blocks', '0.0.0.0/0', 2, 1n << 32n, 2],
    ]);
    expect(u.pools.every((p) => p.blocks.length === 0)).toBe(true);
    const t = utilizationTable(u, { showBlocks: false, wide: false });
    expect(renderTable(t.headers, t.rows)).toBe(EXPECTED_SHOW);
  });

  it('lists blocks in key order under their first overlapping pool (--show-blocks)', async () => {
    const u = await collectUtilization(ds, { withBlocks: true });
    const t = utilizationTable(u, { showBlocks: true, wide: false });
    expect(renderTable(t.headers, t.rows)).toBe(EXPECTED_SHOW_BLOCKS);
    const wide = utilizationTable(u, { showBlocks: true, wide: true });
    expect(wide.headers.at(-1)).toBe('OWNER');
    expect(wide.rows.map((r) => r.at(-1))).toEqual([
      '',
      'node1',
      '',
      'node2',
      '',
      '',
      'node1',
      'node9',
      'node9',
    ]);
  });

  it('colours IPS IN USE by level on a terminal only; piped output stays byte-identical', async () => {
    const u = await collectUtilization(ds, { withBlocks: true });
    const t = utilizationTable(u, { showBlocks: true, wide: false });
    const tty = renderShowTable(t, await paletteFor({ isTTY: true }, {}));
    expect(tty).toContain('| \x1b[32m5 (8%)\x1b[39m     |');
    expect(tty).toContain('| \x1b[31m8 (100%)\x1b[39m   |');
    expect(tty).toContain('| \x1b[32m3 (38%)\x1b[39m    |');
    // Nothing but the IN USE cells is coloured, and layout is unchanged.
    const starts = ['\x1b[31m', '\x1b[32m', '\x1b[33m'].map((code) => tty.split(code).length - 1);
    expect(starts.reduce((a, b) => a + b)).toBe(t.rows.length);
    expect(stripVTControlCharacters(tty)).toBe(EXPECTED_SHOW_BLOCKS);
    expect(renderShowTable(t, await paletteFor({ isTTY: false }, {}))).toBe(EXPECTED_SHOW_BLOCKS);
    expect(renderShowTable(t, await paletteFor({ isTTY: false }, { FORCE_COLOR: '1' }))).toBe(
      EXPECTED_SHOW_BLOCKS,
    );
    expect(renderShowTable(t, await paletteFor({ isTTY: true }, { NO_COLOR: '1' }))).toBe(
      EXPECTED_SHOW_BLOCKS,
    );
  });

  it('colours blocks against maxBlocksPerHost green, yellow from 75%, red from 90%', async () => {
    const node = (name: string, blocks: number) => ({
      node: name,
      blocks,
      ipsInUse: 0,
      ipsBorrowed: 0,
      ipsLent: 0,
    });
    const nodes = [node('a', 2), node('b', 15), node('c', 18), node('d', 20)];
    const tty = await paletteFor({ isTTY: true }, {});
    const limited = renderShowTable(nodeUsageTable(nodes, 20), tty);
    expect(limited).toContain('\x1b[32m2\x1b[39m');
    expect(limited).toContain('\x1b[33m15\x1b[39m');
    expect(limited).toContain('\x1b[31m18\x1b[39m');
    expect(limited).toContain('\x1b[31m20\x1b[39m');
    const plain = nodeUsageTable(nodes, 20);
    expect(stripVTControlCharacters(limited)).toBe(renderTable(plain.headers, plain.rows));
    // Without a limit there is nothing to measure against.
    const unlimited = nodeUsageTable(nodes, 0);
    expect(renderShowTable(unlimited, tty)).toBe(renderTable(unlimited.headers, unlimited.rows));
  });

  it('finds borrowed addresses and counts allocations without node', async () => {
    const r = await collectBorrowed(ds);
    const t = borrowedTable(r.borrowed);
    expect(renderTable(t.headers, t.rows) + unclassifiedNote(r.unclassified)).toBe(EXPECTED_BORROWED);
  });

  it('summarises per node', async () => {
    const r = await collectNodeUsage(ds);
    expect(r.nodes).toEqual([
      { node: 'node1', blocks: 3, ipsInUse: 11, ipsBorrowed: 0, ipsLent: 2 },
      { node: 'node2', blocks: 1, ipsInUse: 11, ipsBorrowed: 4, ipsLent: 1 },
      { node: 'node3', blocks: 0, ipsInUse: 2, ipsBorrowed: 2, ipsLent: 0 },
      { node: 'node9', blocks: 2, ipsInUse: 2, ipsBorrowed: 0, ipsLent: 0 },
    ]);
  });

  it('looks up single addresses like calicoctl v3.32.1', async () => {
    const show = async (ip: string) => formatIPLookup(await lookupIP(ds, parseIPArgument(ip)));
    expect(await show('10.65.79.1')).toBe(
      'IP 10.65.79.1 is in use\nHandle ID: k8s-pod-network.0123abcd\nActive Owner Attributes:\n' +
        '  namespace: default\n  node: node1\n  pod: nginx-1\n  timestamp: 2026-06-01 10:00:00.123456789 +0000 UTC\n',
    );
    expect(await show('10.65.79.10')).toBe(
      'IP 10.65.79.10 is in use\nHandle ID: <none>\nNo Active Owner attributes defined\n',
    );
    expect(await show('fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c6')).toBe(
      'IP fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c6 is in use\nHandle ID: k8s-pod-network.mig\n' +
        'Active Owner Attributes:\n  namespace: vms\n  node: node1\n  pod: virt-launcher-b\n' +
        'Alternate Owner Attributes:\n  namespace: vms\n  node: node4\n  pod: virt-launcher-b-target\n',
    );
    expect(await show('10.65.79.2')).toBe('10.65.79.2 is not assigned\n'); // free ordinal
    expect(await show('10.65.80.1')).toBe('10.65.80.1 is not assigned\n'); // no block
    expect(await show('10.0.0.129')).toBe('10.0.0.129 is not assigned\n'); // orphan block: no pool
    expect(await show('FD5F:ABCD:64:4f2c:ec1b:27b9:1989:77c0')).toContain(
      'IP fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0 is in use',
    );
  });

  it('rejects an invalid address with calicoctl’s message', () => {
    expect(() => parseIPArgument('10.0.0.256')).toThrow(InputError);
    expect(() => parseIPArgument('10.0.0.256')).toThrow('invalid IP address specified: 10.0.0.256');
  });
});

describe('corrupt blocks in the datastore', () => {
  it('skips them by key and still reports the rest', async () => {
    const bad = '/calico/ipam/v2/assignment/ipv4/block/10.65.1.0-26';
    const { ds, cleanup } = await datastoreWith({
      ...ALL_KEYS,
      [bad]: '{"cidr":"10.65.1.0/26","unallocated":"oops"}',
    });
    try {
      const u = await collectUtilization(ds, { withBlocks: false });
      expect(u.skipped).toEqual([{ key: bad, reason: 'unallocated is not an array' }]);
      expect(u.pools[0]!.inUse).toBe(5);
      const b = await collectBorrowed(ds);
      expect(b.skipped.map((s) => s.key)).toEqual([bad]);
    } finally {
      await cleanup();
    }
  });

  it('names a block whose allocation points at a missing attribute', async () => {
    const key = '/calico/ipam/v2/assignment/ipv4/block/10.65.1.0-30';
    const value =
      '{"cidr":"10.65.1.0/30","affinity":"host:n","allocations":[0,3,null,null],"unallocated":[2,3],"attributes":[{}],"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}';
    const { ds, cleanup } = await datastoreWith({ [key]: value });
    try {
      const r = await collectNodeUsage(ds);
      expect(r.skipped).toEqual([{ key, reason: 'allocations[1] points at missing attributes[3]' }]);
      expect(r.nodes).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('fixtures are stored as Calico writes them', () => {
  it('parses back to the same structure with exact sequence numbers', () => {
    const v = parseGoJson(BLOCKS['/calico/ipam/v2/assignment/ipv4/block/10.0.0.128-26']!) as Record<
      string,
      unknown
    >;
    expect(v['sequenceNumber']).toBe(1780308000000000009n);
    expect(Object.keys(v)).toEqual([
      'cidr',
      'affinity',
      'allocations',
      'unallocated',
      'attributes',
      'sequenceNumber',
      'sequenceNumberForAllocation',
      'deleted',
    ]);
  });
});
