/**
 * The pool lookup node check makes for every block and kernel route (PrefixIndex: IPv4 read from its
 * text as a number) against the general path it replaced (parseCIDR / parseCIDROrIP and
 * cidrContains over BigInts), on the destinations of the lab's captured kernels, the benchmark's
 * blocks, and text either parser must refuse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import { BLOCK_PREFIX, generateDataset } from '../../../bench/dataset.js';
import { PrefixIndex, readAddress, readCIDR, readPrefix } from '../../../src/dataplane/prefix-index.js';
import { cidrContains, parseCIDR, parseCIDROrIP, type CIDR } from '../../../src/resources/ip.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'dataplane');
const captured = ['n1', 'n2', 'n3'].flatMap((node) =>
  (
    JSON.parse(readFileSync(join(FIXTURES, `vxlan-${node}.json`), 'utf8')) as {
      routes: { dst: string }[];
    }
  ).routes.map((r) => r.dst),
);
const blocks = [...generateDataset({ blocks: 300 })]
  .filter(([key]) => key.startsWith(BLOCK_PREFIX))
  .map(([key]) => key.slice(key.lastIndexOf('/') + 1).replace('-', '/'));
const refused = [
  '',
  'default',
  '10.65.0.0/',
  '10.65.0.0/33',
  '10.65.0.0/2a',
  '10.65.0.0/1=',
  '10.65.0.0/-1',
  '10.065.0.0/26',
  '10.65.0/26',
  '10.65.0.256',
  '10.65.0.0/26/1',
  '::ffff:10.65.0.1',
  '::ffff:10.65.0.0/120',
  'fd00:65::/129',
  'fd00:65::g',
  '10.65.0.0/0026',
  '0.0.0.0/0',
  '::/0',
];
const texts = [...new Set([...captured, ...blocks, ...refused])];

/** The networks the tests index: pools of both families, nested, and /0. */
const POOLS = ['10.0.0.0/8', '10.65.0.0/16', '10.65.0.0/16', '10.65.0.0/26', 'fd00:65::/112', 'fd00::/8'];

describe('readPrefix, readCIDR and readAddress read what parseCIDROrIP and parseCIDR read', () => {
  test(`${texts.length} destinations, blocks and refused texts`, () => {
    for (const text of texts) {
      const general = parseCIDROrIP(text);
      const fast = readPrefix(text);
      expect(fast === undefined, text).toBe(general === undefined);
      if (general && fast) {
        expect([fast.family, fast.prefix], text).toEqual([general.network.version, general.prefix]);
        if (fast.family === 4) expect(BigInt(fast.v4), text).toBe(general.ip.value);
      }
      expect(readCIDR(text) === undefined, text).toBe(parseCIDR(text) === undefined);
      const bare = readAddress(text) === undefined;
      expect(bare, text).toBe(text.includes('/') || general === undefined);
    }
  });
});

describe('PrefixIndex answers as cidrContains over the parsed networks', () => {
  const pools = POOLS.map((p) => parseCIDR(p)!);
  const withZero = [...pools, parseCIDR('0.0.0.0/0')!];
  /** The old poolFor: the longest containing network, the first among equal ones. */
  const longest = (networks: CIDR[], inner: CIDR): number | undefined => {
    let best: number | undefined;
    networks.forEach((n, i) => {
      if (cidrContains(n, inner) && (best === undefined || n.prefix > networks[best]!.prefix)) best = i;
    });
    return best;
  };

  test('longest and holds, with and without a /0', () => {
    for (const networks of [pools, withZero]) {
      const index = new PrefixIndex(networks.map((n, i) => [n, i] as const));
      for (const text of texts) {
        const inner = parseCIDROrIP(text);
        if (!inner) continue;
        expect(index.longest(readPrefix(text)!), text).toBe(longest(networks, inner));
        expect(index.holds(readPrefix(text)!), text).toBe(networks.some((n) => cidrContains(n, inner)));
      }
    }
  });

  test('the data covers both answers and both families', () => {
    const index = new PrefixIndex(pools.map((n, i) => [n, i] as const));
    const answers = texts.flatMap((t) => {
      const p = readPrefix(t);
      return p ? [`${p.family} ${index.longest(p) ?? 'none'}`] : [];
    });
    expect(new Set(answers)).toEqual(new Set(['4 1', '4 3', '4 0', '4 none', '6 4', '6 5', '6 none']));
  });
});
