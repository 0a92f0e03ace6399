/**
 * The bad-input cases too large or too odd to commit: written to a temporary directory at test
 * time. Each is referred to from test/fixtures/bad-input/cases.json by its "generate" name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { mulberry32 } from './prng.js';

const POOL_HEAD = 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p1\n';
const CONFIG_HEAD = 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n';

function randomBytes(seed: number, length: number): Buffer {
  const next = mulberry32(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

/** A chain of 9 anchors each listing the previous one 9 times: 9^9 strings once expanded. */
function billionLaughs(indent: string): string {
  const lines = [`a: &a [${Array(9).fill('"lol"').join(',')}]`];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]!;
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return lines.map((l) => indent + l).join('\n') + '\n';
}

const GENERATORS: Record<string, { file: string; content: () => string | Buffer }> = {
  'huge-document': {
    file: 'huge.yaml',
    content: () =>
      `${POOL_HEAD}  annotations:\n    pad: "${'x'.repeat(11 * 1024 * 1024)}"\nspec:\n  cidr: 10.50.0.0/24\n`,
  },
  'binary-manifest': { file: 'binary.yaml', content: () => randomBytes(1, 65_536) },
  'binary-manifest-no-nul': {
    file: 'binary-no-nul.yaml',
    content: () => Buffer.from(randomBytes(2, 4096).map((b) => (b === 0 ? 1 : b))),
  },
  'deep-flow-sequence': {
    file: 'deep-flow.yaml',
    content: () => `${POOL_HEAD}spec:\n  cidr: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
  },
  'deep-block-mapping': {
    file: 'deep-block.yaml',
    content: () => {
      let text = `${POOL_HEAD}spec:\n`;
      let indent = '  ';
      for (let i = 0; i < 3000; i++) {
        text += `${indent}a:\n`;
        indent += '  ';
      }
      return `${text}${indent}b: 1\n`;
    },
  },
  'deep-json-object': {
    file: 'deep.json',
    content: () =>
      '{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"p1","annotations":' +
      '{"a":'.repeat(50_000) +
      '1' +
      '}'.repeat(50_000) +
      '}}\n',
  },
  'deep-under-parser-limit': {
    file: 'deep-1200.yaml',
    content: () => `${POOL_HEAD}spec:\n  cidr: ${'['.repeat(1200)}${']'.repeat(1200)}\n`,
  },
  'billion-laughs': {
    file: 'laughs.yaml',
    content: () =>
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: lol\n' +
      `  annotations:\n${billionLaughs('    ')}spec:\n  selector: all()\n`,
  },
  'alias-cycle': {
    file: 'cycle.yaml',
    content: () => `${POOL_HEAD}  labels: &l\n    self: *l\nspec:\n  cidr: 10.0.0.0/24\n`,
  },
  'binary-config': { file: 'binary.cfg', content: () => randomBytes(3, 4096) },
  'huge-config': {
    file: 'huge.cfg',
    content: () => `${CONFIG_HEAD}  etcdEndpoints: "${'x'.repeat(20 * 1024 * 1024)}"\n`,
  },
  'deep-config': {
    file: 'deep.cfg',
    content: () => `${CONFIG_HEAD}  etcdEndpoints: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
  },
};

/** Writes the generated case into dir and returns its path. */
export function generateCase(name: string, dir: string): string {
  const gen = GENERATORS[name];
  if (!gen) throw new Error(`no generator for bad-input case '${name}'`);
  const path = join(dir, gen.file);
  writeFileSync(path, gen.content());
  return path;
}
