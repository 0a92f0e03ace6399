/**
 * The byte-level readers of `ipam check` against the JSON.parse path they stand in for: the block
 * walk (check-blocks.ts) against readBlock's full decode, the handle join (check-handles.ts)
 * against string equality, and the plain-handle reader against readHandle and matchesOneAddress.
 * On Calico's own blocks (the fixtures, the benchmark's dataset, blocks with non-ASCII names,
 * IPv6, attributes with and without handles) the walk must read exactly what the full decode reads;
 * on anything else it must read the same or step aside.
 */
import { describe, expect, it } from 'vitest';

import { BLOCK_PREFIX, generateDataset } from '../../../bench/dataset.js';
import type { KeyValue } from '../../../src/datastore/contract.js';
import { TransientKeyValue, valueHead } from '../../../src/datastore/value-head.js';
import {
  fromDecoded,
  ReportTexts,
  walkBlock,
  type BlockReading,
  type CheckBlock,
} from '../../../src/ipam/check-blocks.js';
import { HandleJoin, NOT_A_HANDLE_KEY, NOT_HELD, PlainHandle } from '../../../src/ipam/check-handles.js';
import { isRejected, isUnreadable, readBlock, readHandle } from '../../../src/ipam/check-values.js';
import { matchesOneAddress } from '../../../src/ipam/consistency.js';
import { blockKeyNetwork } from '../../../src/ipam/keys.js';
import { mulberry32, randInt } from '../../reliability/prng.js';
import { CHECK_KEYS } from './check-fixtures.js';
import { BLOCKS, WORKED_EXAMPLE_BLOCK } from './fixtures.js';

const kv = (key: string, value: string): KeyValue => ({
  key,
  value,
  createRevision: 1,
  modRevision: 1,
  version: 1,
});

/** The value as etcd's streamed scan hands it over: bytes inside a larger page buffer. */
function streamed(key: string, value: string): KeyValue {
  const bytes = Buffer.from(value);
  const page = Buffer.concat([Buffer.from('{"x":"'), bytes, Buffer.from('"}],')]);
  return new TransientKeyValue(key, 1, 1, 1, page, 6, 6 + bytes.length);
}

/** What the check reads from a block, with handle entries as their IDs and the report's texts as text. */
function view(
  b: ReturnType<typeof walkBlock> | ReturnType<typeof readBlock>,
  reading: BlockReading,
): unknown {
  if (b === undefined || isRejected(b) || isUnreadable(b)) return b;
  const block = b as CheckBlock;
  const host = block.affinity?.startsWith('host:') ? block.affinity.slice(5) : '';
  return {
    key: block.key,
    net: `${block.net.network.version} ${block.net.network.value} ${block.net.prefix}`,
    cidr: block.cidr,
    affinity: block.affinity,
    allocations: block.allocations,
    unallocated: block.unallocated,
    attributes: block.attributes.map(({ handle, node, texts, ...rest }) => ({
      handle: handle < 0 ? null : reading.handles.idOf(handle),
      node: node ?? host,
      ...rest,
      ...(reading.report ? { texts: reading.report.get(texts) } : {}),
    })),
    // By ordinal: the exact number, or null where there is none.
    sequences:
      block.sequences &&
      block.sequences.high.map((high, ord) =>
        high >= 0
          ? BigInt(high) * 1_000_000_000n + BigInt(block.sequences!.low[ord]!)
          : (block.sequences!.other?.get(ord) ?? null),
      ),
  };
}

/** Both readers' views of one stored block, for the text (report false) or the report. */
function bothReadings(key: string, value: string, report: boolean) {
  const texts = () => (report ? new ReportTexts() : undefined);
  const fastReading: BlockReading = { handles: new HandleJoin(), report: texts(), attrs: false };
  const fullReading: BlockReading = { handles: new HandleJoin(), report: texts(), attrs: false };
  const keyNet = blockKeyNetwork(key)!;
  const fast = walkBlock(streamed(key, value), keyNet, fastReading);
  const decoded = readBlock(kv(key, value), report);
  const full =
    decoded === undefined || isRejected(decoded) || isUnreadable(decoded)
      ? decoded
      : fromDecoded(decoded, fullReading);
  return { fast: fast && view(fast, fastReading), full: view(full, fullReading) };
}

const dataset = [...generateDataset({ blocks: 300, leaks: true })];
const DATASET_BLOCKS = dataset.filter(([k]) => k.startsWith(BLOCK_PREFIX));
const DATASET_HANDLES = dataset.filter(([k]) => k.startsWith('/calico/ipam/v2/handle/'));

const FIXTURE_BLOCKS: [string, string][] = [
  ...Object.entries(BLOCKS),
  ['/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30', WORKED_EXAMPLE_BLOCK],
  ...Object.entries(CHECK_KEYS).filter(([k]) => k.startsWith(BLOCK_PREFIX)),
];

const [FIRST_KEY, FIRST] = DATASET_BLOCKS.find(([, v]) => v.includes('"k8s-pod-network.'))!;

/** A LoadBalancer address and names that are not ASCII, as Go writes them (raw UTF-8, no escapes). */
const UNICODE_BLOCK = FIRST.replace(
  /"secondary":\{"namespace":"[^"]*","node":"[^"]*","pod":"[^"]*"/,
  '"secondary":{"namespace":"café","node":"nœud-1","pod":"pod-日本","service":"svc-ä","type":"LoadBalancer"',
).replace(/"handle_id":"k8s-pod-network\.([0-9a-f]{8})/, '"handle_id":"k8s-pod-network.ü$1');

describe('walkBlock', () => {
  it("reads Calico's blocks exactly as the full decode does, for the text and for the report", () => {
    const blocks = [...FIXTURE_BLOCKS, ...DATASET_BLOCKS, [FIRST_KEY, UNICODE_BLOCK] as [string, string]];
    let walked = 0;
    for (const [key, value] of blocks) {
      for (const report of [false, true]) {
        const { fast, full } = bothReadings(key, value, report);
        if (fast === undefined) continue;
        walked++;
        expect(fast, `${key} report=${report}`).toEqual(full);
      }
    }
    // Everything Go wrote is walked; only the fixtures' corrupt and host-bits blocks are not.
    expect(walked).toBeGreaterThanOrEqual(2 * (blocks.length - 2));
    expect(UNICODE_BLOCK).not.toBe(FIRST);
    expect(bothReadings(FIRST_KEY, UNICODE_BLOCK, false).fast).toBeDefined();
  });

  it("steps aside where the full decode reads what it keeps differently, and not for block-owners' keys", () => {
    const refused = (value: string, report: boolean) => {
      expect(value).not.toBe(FIRST);
      return bothReadings(FIRST_KEY, value, report).fast === undefined;
    };
    // A key it keeps, twice (JSON.parse keeps the last); an unallocated ordinal past 15 digits.
    expect(refused(FIRST.replace('"secondary":{', '"secondary":{"service":"a","service":"b",'), false)).toBe(
      true,
    );
    expect(
      refused(FIRST.replace('"secondary":{', '"secondary":{"timestamp":"a","timestamp":"b",'), true),
    ).toBe(true);
    expect(refused(FIRST.replace('"unallocated":[', '"unallocated":[1234567890123456,'), false)).toBe(true);
    // A sequence number's key twice: only the report reads them.
    const seqTwice = FIRST.replace(/"sequenceNumberForAllocation":\{("\d+":\d+)/, '$&,$1');
    expect(refused(seqTwice, true)).toBe(true);
    expect(refused(seqTwice, false)).toBe(false);
    // A key only ipam show and node check keep (block-owners.ts refuses it twice): read.
    expect(
      refused(FIRST.replace('"secondary":{', '"secondary":{"vmi-name":"a","vmi-name":"b",'), false),
    ).toBe(false);
  });

  it('reads the IPv6 blocks, the attributes without a handle and the non-ASCII names', () => {
    const v6 = DATASET_BLOCKS.filter(([k]) => k.includes('/ipv6/'));
    expect(v6.length).toBeGreaterThan(0);
    const noHandle = FIXTURE_BLOCKS.find(([, v]) => v.includes('"handle_id":null'))!;
    const { fast } = bothReadings(noHandle[0], noHandle[1], true) as {
      fast: { attributes: { handle: unknown }[] };
    };
    expect(fast.attributes.some((a) => a.handle === null)).toBe(true);
    const unicode = bothReadings(FIRST_KEY, UNICODE_BLOCK, true).fast as {
      attributes: { handle: string; node: string; service?: string; type?: string }[];
    };
    expect(unicode.attributes.some((a) => a.node === 'nœud-1' && a.service === 'svc-ä')).toBe(true);
    expect(unicode.attributes.some((a) => a.handle.startsWith('k8s-pod-network.ü'))).toBe(true);
    // With the report every attribute's texts are kept, as bytes; without it none.
    const withReport = bothReadings(FIRST_KEY, UNICODE_BLOCK, true).fast as {
      attributes: { texts: { pod?: string; namespace?: string; timestamp?: string } }[];
    };
    expect(
      withReport.attributes.some((a) => a.texts.pod === 'pod-日本' && a.texts.namespace === 'café'),
    ).toBe(true);
    expect(withReport.attributes.filter((a) => a.texts.timestamp !== undefined).length).toBeGreaterThan(5);
    // Only a LoadBalancer's type and service are kept as strings.
    const text = bothReadings(FIRST_KEY, UNICODE_BLOCK, false).fast as {
      attributes: { type?: string; texts?: unknown }[];
    };
    expect(text.attributes.filter((a) => a.type !== undefined).map((a) => a.type)).toEqual(['LoadBalancer']);
    expect(text.attributes.every((a) => a.texts === undefined)).toBe(true);
  });

  it('steps aside for what Go would not write, and the full decode reads it', () => {
    const variants = [
      FIRST.replace('{"cidr"', '{ "cidr"'), // white space
      FIRST.replace('"affinity":"host:', '"affinity":"ho\\u0073t:'), // an escape
      FIRST.replace('"handle_id":"k8s', '"handle_id":"k\\u00388s'), // an escape in a handle
      FIRST.replace('"pod":"', '"pod":"\t'), // a control character JSON does not allow raw
      FIRST.replace('{"cidr"', '{"extra":1,"cidr"'), // an unknown field
      FIRST.replace('{"cidr"', '{"deleted":false,"cidr"'), // a field twice
      FIRST.replace('"allocations":[', '"allocations":[-1,'), // a sign
      FIRST.replace('"allocations":[', '"allocations":[1.0,'), // a fraction
      FIRST.replace('"allocations":[', '"allocations":[01,'), // a leading zero
      FIRST.replace('"attributes":[', '"attributes":[null,'), // an attribute that is not an object
      FIRST.replace('"secondary":{', '"secondary":{"n":1,'), // a secondary value that is not a string
      FIRST.replace('"secondary":{', '"secondary":{"node":"x",'), // a key it reads twice
      FIRST.replace('"deleted":false', '"deleted":0'),
      FIRST.replace(/"cidr":"([^"]*)"/, '"cidr":"$1 "'), // a cidr other than the key's
      FIRST.slice(0, -1), // cut short
      FIRST + ' ', // trailing bytes
    ];
    for (const value of variants) {
      expect(value).not.toBe(FIRST);
      for (const report of [false, true]) {
        expect(bothReadings(FIRST_KEY, value, report).fast, value.slice(0, 80)).toBeUndefined();
      }
    }
  });

  it('never reads a mutated block differently from the full decode (3,000 random edits)', () => {
    const next = mulberry32(20261207);
    const alphabet = '{}[]",:0123456789-.enultrfas\\ /ü\t';
    let fast = 0;
    for (let n = 0; n < 3000; n++) {
      let value = n % 2 === 0 ? FIRST : UNICODE_BLOCK;
      for (let edits = 1 + randInt(next, 3); edits > 0; edits--) {
        const at = randInt(next, value.length);
        const c = alphabet[randInt(next, alphabet.length)]!;
        const op = randInt(next, 3);
        value = value.slice(0, at) + (op === 2 ? '' : c) + value.slice(op === 0 ? at : at + 1);
      }
      const report = n % 3 === 0;
      const read = bothReadings(FIRST_KEY, value, report);
      if (read.fast === undefined) continue;
      fast++;
      expect(read.fast, value).toEqual(read.full);
    }
    // Most edits land in handles, timestamps and sequence numbers and keep the usual form.
    expect(fast).toBeGreaterThan(300);
  });
});

describe('HandleJoin', () => {
  it('finds a handle key exactly when its ID is the same string as one a block held an address for', () => {
    const join = new HandleJoin();
    const block = join.addBlock('10.0.0.0/26');
    // '\ud800' is not well-formed: it can match no key, and is not '\ufffd'.
    const ids = [
      'k8s-pod-network.abc',
      'ipip-tunnel-addr-node1',
      '',
      'pod-ü',
      'x\u2028y',
      'a'.repeat(300),
      'p\ud800',
      'p\ufffd',
    ];
    // Each ID named twice, from text and from bytes inside a larger buffer, each holding an address.
    const named = ids.flatMap((id) => {
      const bytes = Buffer.from(`xx"${id}"yy`);
      const fromBytes = wellFormed(id) ? join.addId(bytes, 3, bytes.length - 3) : join.addIdText(id);
      return [join.addIdText(id), fromBytes];
    });
    for (const n of named) join.holdOneMore(n, block);
    expect(named.map((n) => join.idOf(n))).toEqual(ids.flatMap((id) => [id, id]));
    join.seal();
    for (const id of ids.filter((i) => i !== '' && wellFormed(i))) {
      const e = join.find(`/calico/ipam/v2/handle/${id}`);
      expect(e, id).toBeGreaterThanOrEqual(0);
      // Both namings of the ID: one handle holding two addresses in the block.
      expect(join.take(e), id).toEqual(new Map([['10.0.0.0/26', 2]]));
    }
    expect(join.find('/calico/ipam/v2/handle/')).toBe(NOT_A_HANDLE_KEY);
    expect(join.find('/calico/ipam/v2/handle/a/b')).toBe(NOT_A_HANDLE_KEY);
    expect(join.find('/calico/ipam/v2/handle/pod-ü/b')).toBe(NOT_A_HANDLE_KEY);
    for (const near of [
      'k8s-pod-network.ab',
      'k8s-pod-network.abcd',
      'pod-u',
      'pod-üü',
      'a'.repeat(299),
      'p\ufffe',
      'zz',
      '!',
    ])
      expect(join.find(`/calico/ipam/v2/handle/${near}`), near).toBe(NOT_HELD);
    // The empty ID and the one that is not well-formed were never found, in the order first held.
    expect([...join.missing()]).toEqual(['', 'p\ud800']);
  });

  /** The blocks of the benchmark's dataset walked into a join, and what a Map of their IDs holds. */
  function joinDataset(): { join: HandleJoin; byString: Map<string, number> } {
    const join = new HandleJoin();
    const byString = new Map<string, number>();
    for (const [key, value] of DATASET_BLOCKS) {
      const b = walkBlock(streamed(key, value), blockKeyNetwork(key)!, {
        handles: join,
        report: undefined,
        attrs: false,
      });
      const decoded = readBlock(kv(key, value), false);
      if (!b || isRejected(b) || !decoded || isRejected(decoded) || isUnreadable(decoded))
        throw new Error(key);
      const block = join.addBlock(b.cidr);
      for (const [ord, idx] of b.allocations.entries()) {
        if (idx === null) continue;
        const e = b.attributes[idx]!.handle;
        if (e >= 0) join.holdOneMore(e, block);
        const id = decoded.value.attributes![decoded.value.allocations![ord]!]!.handle_id;
        if (typeof id === 'string') byString.set(id, (byString.get(id) ?? 0) + 1);
      }
    }
    join.seal();
    return { join, byString };
  }

  it.each([
    ['in key order', (keys: string[]) => [...keys].sort()],
    ['in reverse', (keys: string[]) => [...keys].reverse()],
    ['shuffled', (keys: string[]) => shuffled(keys, 11)],
  ])("joins the benchmark dataset's blocks and handles as a Map of strings does, keys %s", (_, arrange) => {
    const { join, byString } = joinDataset();
    const firstHeld = [...byString.keys()];
    let found = 0;
    for (const key of arrange(DATASET_HANDLES.map(([k]) => k))) {
      const id = key.slice('/calico/ipam/v2/handle/'.length);
      const held = join.take(join.find(key));
      expect(held !== undefined, id).toBe(byString.has(id));
      if (held === undefined) continue;
      found++;
      expect(typeof held === 'string' ? 1 : [...held.values()].reduce((a, b) => a + b), id).toBe(
        byString.get(id),
      );
      byString.delete(id);
    }
    expect(found).toBeGreaterThan(1000);
    // What no handle key matched, in the order the blocks first held it.
    expect([...join.missing()]).toEqual(firstHeld.filter((id) => byString.has(id)));
    expect(byString.size).toBeGreaterThan(10);
  });
});

/** Whether a string survives UTF-8 (has no lone surrogate). */
const wellFormed = (s: string): boolean => Buffer.from(s).toString() === s;

/** A copy of items in a seeded random order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randInt(next, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('PlainHandle', () => {
  /** readHandle's regular expression: a value it takes without parsing. */
  const PLAIN =
    /^\{"block":\{(?:"[^"\\]*":(?:0|[1-9][0-9]{0,17})(?:,"[^"\\]*":(?:0|[1-9][0-9]{0,17}))*)?\},"deleted":(?:false|true)\}$/;

  it('reads what readHandle reads without parsing, and answers matchesOneAddress the same', () => {
    const values = [
      ...DATASET_HANDLES.slice(0, 200).map(([, v]) => v),
      '{"block":{},"deleted":false}',
      '{"block":{"10.0.1.0/29":2},"deleted":true}',
      '{"block":{"10.0.1.0/29":1,"10.0.2.0/29":1},"deleted":false}',
      '{"block":{"fd00::/122":1},"deleted":false}',
      '{"block":{"10.0.1.0/29":1}, "deleted":false}',
      '{"block":null,"deleted":false}',
      '{"block":{"10.0.1.0/29":01},"deleted":false}',
      '{"block":{"ü":1},"deleted":false}',
    ];
    const next = mulberry32(7);
    const alphabet = '{}",:0123456789\\ ü';
    const first = values[0]!;
    for (let n = 0; n < 2000; n++) {
      let value = first;
      for (let edits = 1 + randInt(next, 2); edits > 0; edits--) {
        const at = randInt(next, value.length);
        const op = randInt(next, 3);
        const c = alphabet[randInt(next, alphabet.length)]!;
        value = value.slice(0, at) + (op === 2 ? '' : c) + value.slice(op === 0 ? at : at + 1);
      }
      values.push(value);
    }
    const plain = new PlainHandle();
    const cidr = /"block":\{"([^"]*)"/.exec(first)![1]!;
    let plainOnes = 0;
    for (const value of values) {
      const handle = streamed('/calico/ipam/v2/handle/h', value);
      const blocks = plain.read(valueHead(handle, Number.MAX_SAFE_INTEGER));
      expect(blocks >= 0, value).toBe(PLAIN.test(value));
      if (blocks < 0) continue;
      expect(readHandle(kv('/calico/ipam/v2/handle/h', value))).toBe(true);
      expect(blocks, value).toBe((value.match(/":/g) ?? []).length - 2);
      // What the blocks hold is counted under Go's CIDR text: ASCII.
      const own = /^\{"block":\{"([\x20-\x21\x23-\x5b\x5d-\x7e]*)"/.exec(value)?.[1];
      for (const held of [cidr, '10.0.1.0/29', 'fd00::/122', ...(own === undefined ? [] : [own])]) {
        const matches = blocks === 1 && plain.firstIsOne && plain.firstIs(held);
        if (matches) plainOnes++;
        expect(matches, `${value} ${held}`).toBe(matchesOneAddress(held, value));
      }
    }
    expect(plainOnes).toBeGreaterThan(250);
  });
});
