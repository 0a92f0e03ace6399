/**
 * Fuzzing with a seeded PRNG (deterministic, bounded): random bytes and mutations of real inputs
 * into the manifest parser, the BIRD reply parser and the IPAM block decoder. Each must return a
 * result or throw its own documented error type — never another exception, never hang (each input
 * is timed), and never hold on to memory (heap growth over the run is bounded).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { bgpPeers, parseProtocolTable } from '../../src/bird/protocols.js';
import { BirdProtocolError, ReplyAssembler } from '../../src/bird/reply.js';
import { isCalicoError } from '../../src/errors.js';
import { attributeOf, CorruptBlockError, decodeBlock } from '../../src/ipam/block.js';
import { summarizeBlock } from '../../src/ipam/block-summary.js';
import { parseText } from '../../src/resources/manifest.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { BLOCKS } from '../unit/ipam/fixtures.js';
import { mulberry32, randInt } from './prng.js';

const ITERATIONS = 5000;
/**
 * A single input taking this much CPU means something runs away (the real ones take well under
 * 10 ms). CPU time, not the clock: other processes on a loaded machine stretch the one, not the other.
 */
const MAX_INPUT_CPU_MS = 1000;
const MAX_HEAP_GROWTH = 200 * 1024 * 1024;

type Rng = () => number;

const YAML_TOKENS = [
  '[',
  ']',
  '{',
  '}',
  ':',
  ': ',
  '- ',
  '---\n',
  '&a ',
  '*a',
  '!!str ',
  '!!binary ',
  '"',
  "'",
  '\t',
  '\n  ',
  '#',
  '%YAML 1.2\n',
  '? ',
  '|\n',
  '>-\n',
  '~',
  'null',
  '1e999',
  '0x1F',
  '\u0000',
  '\uFEFF',
  '\\u12',
];
const BIRD_TOKENS = [
  '0001 ',
  '1002-',
  '2002-',
  '1006-',
  '0000 ',
  '9001 ',
  '8001 ',
  '+',
  ' ',
  '\n',
  '\r\n',
  'BGP',
  'Mesh_10_0_0_1',
  'Node_fd00__1',
  'Global_10_213_0_13',
  'Established',
  'up',
  'Routes: 1 imported',
  '\u00e9',
  '\xff',
];

function randomString(next: Rng, maxLength: number): string {
  const bytes = Buffer.from(Array.from({ length: randInt(next, maxLength) }, () => randInt(next, 256)));
  return bytes.toString(next() < 0.5 ? 'utf8' : 'latin1');
}

/** One to four byte-level edits of text: flip, insert a token, delete or duplicate a range, splice. */
function mutate(next: Rng, text: string, tokens: readonly string[], corpus: readonly string[]): string {
  let out = text;
  for (let edits = 1 + randInt(next, 4); edits > 0; edits--) {
    const at = randInt(next, out.length + 1);
    const len = randInt(next, Math.min(64, out.length - at) + 1);
    switch (randInt(next, 6)) {
      case 0:
        out = out.slice(0, at) + String.fromCharCode(randInt(next, 256)) + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + tokens[randInt(next, tokens.length)]! + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + len);
        break;
      case 3:
        out = out.slice(0, at) + out.slice(at, at + len).repeat(1 + randInt(next, 8)) + out.slice(at);
        break;
      case 4: {
        const other = corpus[randInt(next, corpus.length)]!;
        out = out.slice(0, at) + other.slice(randInt(next, other.length + 1));
        break;
      }
      default:
        out = out.slice(0, at) + '\n' + out.slice(at);
    }
  }
  return out;
}

interface FuzzFigures {
  inputs: number;
  accepted: number;
  rejected: number;
  slowestMs: number;
  heapGrowthMB: number;
}

/** Runs target on every input; an exception that is not `expected` fails with the seed and input. */
function fuzz(
  name: string,
  inputs: (next: Rng, i: number) => string,
  target: (input: string) => void,
  expected: (err: unknown) => boolean,
  seed: number,
): FuzzFigures {
  const next = mulberry32(seed);
  const heapBefore = process.memoryUsage().heapUsed;
  const figures: FuzzFigures = { inputs: 0, accepted: 0, rejected: 0, slowestMs: 0, heapGrowthMB: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const input = inputs(next, i);
    const started = process.cpuUsage();
    try {
      target(input);
      figures.accepted++;
    } catch (err) {
      if (!expected(err)) {
        throw new Error(
          `${name}: input ${i} (seed ${seed}) threw ${String(err)}\ninput: ${JSON.stringify(input.slice(0, 2000))}`,
        );
      }
      figures.rejected++;
    }
    const used = process.cpuUsage(started);
    const ms = (used.user + used.system) / 1000;
    figures.slowestMs = Math.max(figures.slowestMs, Math.round(ms));
    expect(ms, `${name}: input ${i} (seed ${seed}) took ${ms} ms of CPU`).toBeLessThan(MAX_INPUT_CPU_MS);
    figures.inputs++;
  }
  const growth = process.memoryUsage().heapUsed - heapBefore;
  figures.heapGrowthMB = Math.round(growth / 1024 / 1024);
  expect(growth).toBeLessThan(MAX_HEAP_GROWTH);
  console.log(`fuzz ${name}: ${JSON.stringify(figures)}`);
  return figures;
}

const manifestCorpus = [
  ...readdirSync(join(REPO_ROOT, 'test/fixtures/bad-input'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => readFileSync(join(REPO_ROOT, 'test/fixtures/bad-input', f), 'utf8')),
  `apiVersion: projectcalico.org/v3
kind: IPPoolList
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata: {name: a, labels: {x: y}}
  spec: {cidr: 10.0.0.0/24, ipipMode: Always, natOutgoing: true, blockSize: 28, allowedUses: [Workload]}
- apiVersion: projectcalico.org/v3
  kind: BGPPeer
  metadata: {name: p}
  spec: {peerIP: 10.0.0.1, asNumber: 64512, nodeSelector: all()}
`,
  `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow
spec:
  selector: all()
  ingress:
  - action: Allow
    source: {nets: [10.0.0.0/8]}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1}
spec: {bgp: {ipv4Address: 10.0.0.1/24, asNumber: 64512}}
`,
];

const birdCorpus = readdirSync(join(REPO_ROOT, 'test/fixtures/bird'))
  .filter((f) => /^(bird|synthetic)/.test(f))
  .map((f) => readFileSync(join(REPO_ROOT, 'test/fixtures/bird', f), 'latin1'));

const blockCorpus = Object.entries(BLOCKS);

describe('fuzzing', () => {
  it('the manifest parser returns resources or throws a CalicoError', () => {
    const f = fuzz(
      'manifest parser',
      (next, i) =>
        i % 5 === 0
          ? randomString(next, 2048)
          : mutate(next, manifestCorpus[randInt(next, manifestCorpus.length)]!, YAML_TOKENS, manifestCorpus),
      (input) => {
        parseText(input, 'fuzz.yaml');
      },
      isCalicoError,
      0xa11ce,
    );
    expect(f.accepted).toBeGreaterThan(0);
    expect(f.rejected).toBeGreaterThan(0);
  });

  it('the BIRD reply parser, fed in random chunks, returns replies or throws BirdProtocolError', () => {
    const f = fuzz(
      'BIRD reply parser',
      (next, i) =>
        i % 5 === 0
          ? randomString(next, 4096)
          : mutate(next, birdCorpus[randInt(next, birdCorpus.length)]!, BIRD_TOKENS, birdCorpus),
      (input) => {
        const bytes = Buffer.from(input, 'latin1');
        const assembler = new ReplyAssembler();
        const next = mulberry32(bytes.length);
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + randInt(next, 700);
          for (const reply of assembler.push(bytes.subarray(at, at + size))) {
            // The greeting (0001) is read by the client before it sends a command.
            if (reply.finalCode === 1) continue;
            const table = parseProtocolTable(reply);
            bgpPeers(table, 4);
            bgpPeers(table, 6);
          }
          at += size;
        }
      },
      (err) => err instanceof BirdProtocolError || isCalicoError(err),
      0xb12d,
    );
    expect(f.accepted).toBeGreaterThan(0);
    expect(f.rejected).toBeGreaterThan(0);
  });

  it('the IPAM block decoder returns a block or throws CorruptBlockError', () => {
    const f = fuzz(
      'IPAM block decoder',
      (next, i) => {
        if (i % 5 === 0) return randomString(next, 1024);
        const [, value] = blockCorpus[randInt(next, blockCorpus.length)]!;
        return i % 2 === 0
          ? mutateJson(next, value)
          : mutate(
              next,
              value,
              ['"', ',', '[', ']', '{', '}', 'null', '-1', '18446744073709551616', '1e400', 'true'],
              blockCorpus.map(([, v]) => v),
            );
      },
      (value) => {
        const kv = { key: blockCorpus[0]![0], value, createRevision: 1, modRevision: 2, version: 1 };
        summarizeBlock(kv);
        for (const exact of [false, true]) {
          const block = decodeBlock(kv, { exact });
          const size = block.value.allocations?.length ?? 0;
          for (let ord = 0; ord < size; ord++) attributeOf(block, ord);
        }
      },
      (err) => err instanceof CorruptBlockError,
      0xb10c,
    );
    expect(f.accepted).toBeGreaterThan(0);
    expect(f.rejected).toBeGreaterThan(0);
  });
});

/** Structure-aware mutation of a JSON value: retype, drop, add or blow up one field somewhere. */
function mutateJson(next: Rng, text: string): string {
  const root = JSON.parse(text) as unknown;
  const replacements: unknown[] = [
    null,
    -1,
    1.5,
    2 ** 53 + 1,
    '18446744073709551616',
    'x',
    true,
    [],
    {},
    [[[]]],
    { a: 1 },
    Array(5000).fill(0),
    'host:' + 'n'.repeat(300),
  ];
  const containers: Array<Record<string, unknown> | unknown[]> = [];
  const walk = (v: unknown): void => {
    if (v && typeof v === 'object') {
      containers.push(v as Record<string, unknown>);
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(root);
  for (let edits = 1 + randInt(next, 3); edits > 0; edits--) {
    const target = containers[randInt(next, containers.length)]!;
    const keys = Object.keys(target);
    const key =
      keys.length > 0 && next() < 0.8 ? keys[randInt(next, keys.length)]! : `extra${randInt(next, 9)}`;
    const action = randInt(next, 3);
    if (action === 0 && !Array.isArray(target)) Reflect.deleteProperty(target, key);
    else (target as Record<string, unknown>)[key] = replacements[randInt(next, replacements.length)];
  }
  return JSON.stringify(root);
}
