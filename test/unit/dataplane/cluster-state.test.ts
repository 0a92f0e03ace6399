/**
 * The blocks node check reads (readClusterState: each block walked in its bytes) against the same
 * facts computed from JSON.parse's objects the way routesFromBlock reads them: Calico's blocks
 * (fixtures and the benchmark's replayed blocks, IPv4 and IPv6, borrowed addresses), a deleted one,
 * one with an allocation whose attribute is missing, and ones only the full decoder reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BLOCK_PREFIX, generateDataset } from '../../../bench/dataset.js';
import type { Datastore } from '../../../src/datastore/contract.js';
import { readClusterState, type BlockFacts } from '../../../src/dataplane/cluster-state.js';
import { CorruptBlockError, decodeBlock } from '../../../src/ipam/block.js';
import { ipText, networkText, ordinalToIP } from '../../../src/ipam/keys.js';
import { BLOCKS } from '../ipam/fixtures.js';
import { datastoreWith } from '../ipam/memory-datastore.js';

const [FIRST_KEY, FIRST] = Object.entries(BLOCKS)[0]!;
const other = (cidr: string): string => FIRST_KEY.replace('10.65.79.0-26', cidr.replace('/', '-'));
const withCidr = (cidr: string, value: string): string =>
  value.replace('"cidr":"10.65.79.0/26"', `"cidr":"${cidr}"`);

const STORED: Record<string, string> = {
  ...BLOCKS,
  ...Object.fromEntries([...generateDataset({ blocks: 300 })].filter(([k]) => k.startsWith(BLOCK_PREFIX))),
  // Deleted: programs nothing.
  [other('10.65.80.0/26')]: withCidr('10.65.80.0/26', FIRST.replace('"deleted":false', '"deleted":true')),
  // An allocation whose attribute is missing names no node (and the block still counts).
  [other('10.65.81.0/26')]: withCidr(
    '10.65.81.0/26',
    FIRST.replace('"allocations":[0,1,', '"allocations":[0,9,'),
  ),
  // An empty node attribute names no node.
  [other('10.65.84.0/26')]: withCidr('10.65.84.0/26', FIRST.replace('"node":"node2"', '"node":""')),
  // Escaped: read by the full decoder.
  [other('10.65.82.0/26')]: withCidr(
    '10.65.82.0/26',
    FIRST.replace('"node":"node2"', '"node":"nod\\u0065-x"'),
  ),
  // Not JSON Calico can read: skipped.
  [other('10.65.83.0/26')]: withCidr('10.65.83.0/26', FIRST.replace('"deleted":false', '"deleted":"no"')),
};

/** routesFromBlock over JSON.parse's objects: Block.Host(), and addresses of other nodes. */
function reference(key: string, value: string): BlockFacts | undefined {
  let block;
  try {
    block = decodeBlock({ key, value, createRevision: 1, modRevision: 1, version: 1 });
  } catch (err) {
    if (err instanceof CorruptBlockError) return undefined;
    throw err;
  }
  const { affinity, allocations, attributes, deleted } = block.value;
  if (deleted) return undefined;
  const host = /^(host|virtual):/.test(affinity ?? '') ? affinity!.slice(affinity!.indexOf(':') + 1) : '';
  const foreign = (allocations ?? []).flatMap((idx, ord) => {
    const secondary = idx === null ? undefined : attributes?.[idx]?.secondary;
    const node = secondary?.['node'] ?? '';
    if (node === '' || node === host) return [];
    return [{ ip: ipText(ordinalToIP(block.net, ord)), node, type: secondary?.['type'] ?? '' }];
  });
  return { cidr: networkText(block.net), host, foreign };
}

describe('readClusterState: blocks', () => {
  let ds: Datastore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ ds, cleanup } = await datastoreWith(STORED));
  });
  afterAll(() => cleanup());

  it('reads every block as the JSON.parse path does', async () => {
    const { blocks } = await readClusterState(ds, []);
    const expected = Object.keys(STORED)
      .sort()
      .flatMap((key) => reference(key, STORED[key]!) ?? []);
    expect(blocks).toEqual(expected);
    // What the data holds: borrowed addresses, IPv6 blocks, and the blocks left out.
    expect(blocks.flatMap((b) => b.foreign).length).toBeGreaterThan(10);
    expect(blocks.some((b) => b.cidr.includes(':'))).toBe(true);
    expect(blocks).toHaveLength(Object.keys(STORED).length - 2);
    expect(blocks.find((b) => b.cidr === '10.65.81.0/26')!.foreign).toEqual([
      { ip: '10.65.81.5', node: 'node2', type: '' },
      { ip: '10.65.81.6', node: 'node2', type: '' },
    ]);
    expect(blocks.find((b) => b.cidr === '10.65.82.0/26')!.foreign[0]!.node).toBe('node-x');
    expect(blocks.find((b) => b.cidr === '10.65.84.0/26')!.foreign).toEqual([]);
  });
});

describe('readClusterState: its progress (when node check starts its iproute2 children, and checks blocks)', () => {
  const NODES = Object.fromEntries(
    [...generateDataset({ blocks: 300 })].filter(([key]) => key.includes('/projectcalico.org/nodes/')),
  );

  it.each([
    ['with Nodes: at the first one', NODES],
    ['without Nodes: when their read ends', {}],
  ])(
    'answered is called once, before the snapshot is complete, %s; settings and blocks as read',
    async (_, nodes) => {
      const { ds, cleanup } = await datastoreWith({ ...STORED, ...nodes });
      try {
        const events: string[] = [];
        const told: BlockFacts[] = [];
        let settings: unknown;
        const state = await readClusterState(ds, [], {
          answered: () => events.push('answered'),
          settings: (read) => {
            events.push('settings');
            settings = read;
          },
          block: (facts) => told.push(facts),
        });
        events.push('read');
        expect(events).toEqual(['answered', 'settings', 'read']);
        expect(state.nodes).toHaveLength(Object.keys(nodes).length);
        // What node check works from as the read goes on is what the snapshot holds.
        const { blocks, ...rest } = state;
        expect(told).toEqual(blocks);
        expect(blocks.length).toBeGreaterThan(0);
        expect(settings).toEqual(rest);
      } finally {
        await cleanup();
      }
    },
  );
});
