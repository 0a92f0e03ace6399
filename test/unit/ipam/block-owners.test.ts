/**
 * readBlockOwners (the byte walk behind `ipam show --by-node` and `--show-borrowed`) against the
 * full decoder: on Calico's own blocks it must read the same affinity, allocations and secondary
 * maps; on anything else it must either read exactly what decodeBlock reads or step aside.
 */
import { describe, expect, it } from 'vitest';

import type { KeyValue } from '../../../src/datastore/contract.js';
import { blockKeyNetwork } from '../../../src/ipam/keys.js';
import {
  NODE_ONLY,
  readBlockOwners,
  SECONDARY_KEYS,
  type BlockOwners,
} from '../../../src/ipam/block-owners.js';
import { CorruptBlockError, decodeBlock } from '../../../src/ipam/block.js';
import { mulberry32, randInt } from '../../reliability/prng.js';
import { BLOCKS } from './fixtures.js';

const kv = (key: string, value: string): KeyValue => ({
  key,
  value,
  createRevision: 1,
  modRevision: 1,
  version: 1,
});

/** What the commands read from a block, from either path. */
function owners(block: Pick<BlockOwners, 'net' | 'value'>): unknown {
  return {
    net: { version: block.net.network.version, value: block.net.network.value, prefix: block.net.prefix },
    affinity: block.value.affinity,
    allocations: block.value.allocations,
    // Only the keys the commands read are kept by the walk.
    secondary:
      block.value.attributes?.map((a) =>
        a.secondary
          ? Object.fromEntries(
              Object.entries(a.secondary).filter(([k]) => SECONDARY_KEYS.some((s) => s === k)),
            )
          : null,
      ) ?? null,
  };
}

/** decodeBlock's reading, or 'corrupt'. */
function decoded(value: string): unknown {
  try {
    return owners(decodeBlock(kv('/k', value)));
  } catch (err) {
    if (err instanceof CorruptBlockError) return 'corrupt';
    throw err;
  }
}

const [FIRST_KEY, FIRST] = Object.entries(BLOCKS)[0]!;

describe('readBlockOwners', () => {
  it('keeps only the node of each secondary map when asked to (ipam show --by-node)', () => {
    let onOwnNode = 0;
    for (const [key, value] of Object.entries(BLOCKS)) {
      const fast = readBlockOwners(kv(key, value), blockKeyNetwork(key), NODE_ONLY)!;
      const full = decodeBlock(kv(key, value));
      expect(fast.value.affinity).toBe(full.value.affinity);
      expect(fast.value.allocations).toEqual(full.value.allocations);
      expect(fast.value.attributes?.map((a) => a.secondary ?? null)).toEqual(
        full.value.attributes?.map((a) =>
          a.secondary ? (Object.hasOwn(a.secondary, 'node') ? { node: a.secondary['node'] } : {}) : null,
        ),
      );
      onOwnNode +=
        fast.value.attributes?.filter((a) => `host:${a.secondary?.['node']}` === full.value.affinity)
          .length ?? 0;
    }
    // The fixtures have addresses on their block's own node (read as the affinity's name) and others.
    expect(onOwnNode).toBeGreaterThan(0);
  });

  it("reads Calico's blocks as the full decoder does, without falling back", () => {
    for (const [key, value] of Object.entries(BLOCKS)) {
      const fromKey = blockKeyNetwork(key);
      const fast = readBlockOwners(kv(key, value), fromKey);
      expect(fast, key).toBeDefined();
      expect(owners(fast!)).toEqual(decoded(value));
      expect(fast!.key).toBe(key);
      // The key's network object itself when the value's cidr is its text.
      if (fromKey && value.includes(`"cidr":"${fromKey.text}"`)) expect(fast!.net).toBe(fromKey.net);
    }
  });

  it('steps aside for what Go would not write, and for values decodeBlock rejects', () => {
    const variants = [
      FIRST.replace('{"cidr"', '{ "cidr"'), // white space
      FIRST.replace('"affinity":"host:', '"affinity":"ho\\u0073t:'), // an escape
      FIRST.replace('{"cidr"', '{"extra":1,"cidr"'), // an unknown field
      FIRST.replace('{"cidr"', '{"deleted":false,"cidr"'), // a field twice
      FIRST.replace('"allocations":[', '"allocations":[-1,'), // a sign
      FIRST.replace('"allocations":[', '"allocations":[1.0,'), // a fraction
      FIRST.replace('"allocations":[', '"allocations":[01,'), // a leading zero
      FIRST.replace('"attributes":[', '"attributes":[null,'), // an attribute that is not an object
      FIRST.replace('"secondary":{', '"secondary":{"n":1,'), // a secondary value that is not a string
      FIRST.replace('"secondary":{', '"secondary":{"node":"x",'), // a key it reads twice
      FIRST.replace('"deleted":false', '"deleted":0'),
      FIRST.replace('"cidr":"', '"cidr":"x'), // a cidr that does not parse
      FIRST.slice(0, -1), // cut short
      FIRST + ' ', // trailing bytes
    ];
    for (const value of variants) {
      expect(value).not.toBe(FIRST);
      expect(
        readBlockOwners(kv(FIRST_KEY, value), blockKeyNetwork(FIRST_KEY)),
        value.slice(0, 80),
      ).toBeUndefined();
    }
  });

  it('never reads a mutated block differently from the full decoder (2,000 random edits)', () => {
    const next = mulberry32(20261207);
    const alphabet = '{}[]",:0123456789-.enultrfas\\ /';
    let fast = 0;
    for (let n = 0; n < 2000; n++) {
      let value = FIRST;
      for (let edits = 1 + randInt(next, 3); edits > 0; edits--) {
        const at = randInt(next, value.length);
        const c = alphabet[randInt(next, alphabet.length)]!;
        const op = randInt(next, 3);
        value = value.slice(0, at) + (op === 2 ? '' : c) + value.slice(op === 0 ? at : at + 1);
      }
      const read = readBlockOwners(kv(FIRST_KEY, value), blockKeyNetwork(FIRST_KEY));
      if (!read) continue;
      fast++;
      expect(owners(read), value).toEqual(decoded(value));
    }
    // Most edits land in handles, timestamps and sequence numbers and keep the usual form.
    expect(fast).toBeGreaterThan(200);
  });
});
