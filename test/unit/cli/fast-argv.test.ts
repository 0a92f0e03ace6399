/**
 * The fast path's argv parser against oclif's own: for every argv in the corpus, the fast parser
 * either declines or returns exactly the flags and arguments oclif's Parser returns. Specs are built
 * from the command classes the same way scripts/fast-path.js builds them at build time.
 */
import { Args, Flags, Parser } from '@oclif/core';
import { afterEach, describe, expect, it } from 'vitest';

import NodeCheck from '../../../commands/node/check.js';
import NodeStatus from '../../../commands/node/status.js';
import Validate from '../../../commands/validate.js';
import Version from '../../../commands/version.js';
import { parseArgv, type ParseContext } from '../../../src/cli/fast/argv.js';
import { fastCommandSpec, type FastCommand, type SourceCommand } from '../../../src/cli/fast/spec.js';

const plainParses = new Set([String(Flags.string().parse), String(Args.string().parse)]);
const isPlainParse = (parse: unknown): boolean => parse === undefined || plainParses.has(String(parse));

interface CommandClass {
  flags?: Record<string, unknown>;
  args?: Record<string, unknown>;
  strict?: boolean;
}

function specOf(id: string, cls: CommandClass): FastCommand {
  const spec = fastCommandSpec(
    { id, flags: cls.flags ?? {}, args: cls.args ?? {}, strict: cls.strict } as SourceCommand,
    isPlainParse,
  );
  if ('unsupported' in spec) throw new Error(`${id}: ${spec.unsupported}`);
  return spec;
}

type Outcome = { flags: Record<string, unknown>; args: Record<string, unknown> } | { error: string };

async function oclifParse(cls: CommandClass, argv: string[]): Promise<Outcome> {
  try {
    const out = await Parser.parse(argv, {
      flags: cls.flags as never,
      args: cls.args as never,
      strict: cls.strict ?? true,
      context: undefined,
    });
    return { flags: out.flags, args: out.args };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

// stdin is not a terminal in the test runner, which is the case that matters: an argument that
// does not ignore stdin would be read from it.
const context = (): ParseContext => ({ env: process.env, stdinIsTTY: () => Boolean(process.stdin.isTTY) });

/** [argv, whether the fast parser must take it]: declining a valid argv is allowed but wanted rarely. */
type Case = [string[], 'fast' | 'decline'];

const corpus: Record<string, { cls: CommandClass; cases: Case[] }> = {
  version: {
    cls: Version,
    cases: [
      [[], 'fast'],
      [['--client'], 'fast'],
      [['--client', '--client'], 'fast'],
      [['--client', '-o', 'json'], 'fast'],
      [['-ojson', '--client'], 'fast'],
      [['-o=json'], 'fast'],
      [['--output=json'], 'fast'],
      [['--output', 'text'], 'fast'],
      [['-c', '/etc/calico/x.cfg', '--timeout', '2s'], 'fast'],
      [['-c/etc/x.cfg'], 'fast'],
      [['--config='], 'fast'],
      [['--config', ''], 'fast'],
      [['--allow-version-mismatch'], 'fast'],
      [['--client', '--'], 'fast'],
      [['--output', 'yaml'], 'decline'],
      [['-o'], 'decline'],
      [['--output'], 'decline'],
      [['-o', 'json', '-o', 'json'], 'decline'],
      [['--client=true'], 'decline'],
      [['--clien'], 'decline'],
      [['--no-client'], 'decline'],
      [['-x'], 'decline'],
      [['extra'], 'decline'],
      [['--', '--client'], 'decline'],
      [['-c', '--client'], 'decline'],
      [['-c', '-x'], 'decline'],
      [['-1'], 'decline'],
      [['--timeout', '-5s'], 'decline'],
    ],
  },
  validate: {
    cls: Validate,
    cases: [
      [['-f', 'pool.yaml'], 'fast'],
      [['-fpool.yaml'], 'fast'],
      [['-f=pool.yaml'], 'fast'],
      [['--filename', 'dir/', '-R'], 'fast'],
      [['-Rf', 'dir/'], 'fast'],
      [['-Rfdir/'], 'fast'],
      [['-f', '-'], 'fast'],
      [['-f', 'x', '--skip-empty', '-n', 'ns1', '-o', 'json'], 'fast'],
      [['-f', 'x', '-R', '-R'], 'fast'],
      [[], 'fast'],
      [['-f', 'a', '-f', 'b'], 'decline'],
      [['-f', 'a', 'extra'], 'decline'],
      [['-fR'], 'fast'],
      [['-R=x'], 'decline'],
      [['-Rx'], 'decline'],
      [['-f', 'x', '-o', 'yaml'], 'decline'],
      [['--recursive=false', '-f', 'x'], 'decline'],
      [['-f'], 'decline'],
      [['-f', '-R'], 'decline'],
    ],
  },
  'node:status': {
    cls: NodeStatus,
    cases: [
      [[], 'fast'],
      [['10.0.0.1'], 'fast'],
      [['--socket', '/run/bird.ctl'], 'fast'],
      [['--socket=/run/bird.ctl', '--socket6', '/run/bird6.ctl', 'Mesh_10_0_0_1'], 'fast'],
      [['--detail', '-o', 'json', '--timeout', '1s'], 'fast'],
      [['-w'], 'fast'],
      [['-wojson'], 'fast'],
      [['--', '-peer'], 'fast'],
      [['-', '--detail'], 'fast'],
      [['--debug'], 'fast'],
      [[''], 'fast'],
      [['a', 'b'], 'decline'],
      [['--socket'], 'decline'],
      [['--socket', '--detail'], 'decline'],
      [['--detail=yes'], 'decline'],
      [['-W'], 'decline'],
      [['-w=x'], 'decline'],
      [['--output', 'table'], 'decline'],
      [['-1'], 'decline'],
    ],
  },
  'node:check': {
    cls: NodeCheck,
    cases: [
      [[], 'fast'],
      [['--node', 'n1', '-o', 'json'], 'fast'],
      [['--load', 'n1.json'], 'fast'],
      [['--load', 'n1.json', '--load', 'n2.json', '--load=n3.json'], 'fast'],
      [['--load', 'n1.json', '-o', 'json', '--load', 'n2.json'], 'fast'],
      [['--load', 'n1.json', '--watch', '--load', 'n2.json'], 'fast'],
      [['--save', 's.json', '--timeout', '2s', '--bird-socket', '/run/bird.ctl'], 'fast'],
      [['--load', '-'], 'fast'],
      // oclif gives the words after a repeatable flag's value to it as well.
      [['--load', 'n1.json', 'n2.json'], 'decline'],
      [['--load', 'n1.json', '--watch', 'n2.json'], 'decline'],
      [['--load'], 'decline'],
      [['--load', '--watch'], 'decline'],
      [['--node', 'a', '--node', 'b'], 'decline'],
      [['--', 'n1.json'], 'decline'],
    ],
  },
  'a command with a repeatable flag and an argument': {
    cls: {
      flags: { tag: Flags.string({ multiple: true, options: ['a', 'b'] }), plain: Flags.string() },
      args: { name: Args.string({ ignoreStdin: true }) },
    },
    cases: [
      [['x'], 'fast'],
      [['x', '--tag', 'a', '--tag', 'b'], 'fast'],
      [['--tag', 'a', '--plain', 'p', 'x'], 'fast'],
      [['--tag', 'a', '--', 'x'], 'fast'],
      [['--tag', 'a', 'x'], 'decline'],
      [['--tag', 'c'], 'decline'],
    ],
  },
};

describe.each(Object.entries(corpus))('fast argv parser for %s', (id, { cls, cases }) => {
  const spec = specOf(id, cls);

  it.each(cases.map(([argv, expected]) => [JSON.stringify(argv), argv, expected] as const))(
    '%s',
    async (_name, argv, expected) => {
      const fast = parseArgv(spec, argv, context());
      const oclif = await oclifParse(cls, [...argv]);
      if (expected === 'fast') {
        expect(fast).toBeDefined();
        expect(fast).toEqual(oclif);
      } else {
        expect(fast).toBeUndefined();
      }
    },
  );
});

describe('fast argv parser and the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each([
    [{ CALICO_BIRD_SOCKET: '/env/bird.ctl' }, []],
    [{ CALICO_BIRD_SOCKET: '/env/bird.ctl' }, ['--socket', '/flag/bird.ctl']],
    [{ CALICO_BIRD_SOCKET: '', CALICO_BIRD6_SOCKET: '/env/bird6.ctl' }, []],
  ])('reads flags from %j as oclif does (argv %j)', async (env, argv) => {
    Object.assign(process.env, env);
    const fast = parseArgv(specOf('node:status', NodeStatus), argv, context());
    expect(fast).toBeDefined();
    expect(fast).toEqual(await oclifParse(NodeStatus, [...argv]));
  });

  it('declines a missing argument oclif would read from a piped stdin', () => {
    const spec: FastCommand = {
      id: 'x',
      flags: [],
      args: [{ name: 'a', required: false, ignoreStdin: false }],
    };
    expect(parseArgv(spec, [], { env: {}, stdinIsTTY: () => false })).toBeUndefined();
    expect(parseArgv(spec, [], { env: {}, stdinIsTTY: () => true })).toEqual({ flags: {}, args: {} });
  });

  it('looks at stdin only for a missing argument that reads it (creating process.stdin is slow)', () => {
    const unasked = (): boolean => {
      throw new Error('stdin looked at');
    };
    const args = (ignoreStdin: boolean): FastCommand => ({
      id: 'x',
      flags: [],
      args: [{ name: 'a', required: false, ignoreStdin }],
    });
    expect(parseArgv(args(true), [], { env: {}, stdinIsTTY: unasked })).toEqual({ flags: {}, args: {} });
    expect(parseArgv(args(false), ['A'], { env: {}, stdinIsTTY: unasked })).toEqual({
      flags: {},
      args: { a: 'A' },
    });
  });

  it('declines when a required flag or argument is missing', () => {
    const spec: FastCommand = {
      id: 'x',
      flags: [{ name: 'f', type: 'option', required: true }],
      args: [{ name: 'a', required: true, ignoreStdin: true }],
    };
    expect(parseArgv(spec, ['A'], { env: {}, stdinIsTTY: () => true })).toBeUndefined();
    expect(parseArgv(spec, ['--f', 'v'], { env: {}, stdinIsTTY: () => true })).toBeUndefined();
    expect(parseArgv(spec, ['--f', 'v', 'A'], { env: {}, stdinIsTTY: () => true })).toEqual({
      flags: { f: 'v' },
      args: { a: 'A' },
    });
  });
});

describe('fastCommandSpec', () => {
  it('leaves out commands using flag features the fast parser does not reproduce', () => {
    const source = (flag: Record<string, unknown>): SourceCommand => ({
      id: 'x',
      flags: { f: { type: 'option', ...flag } },
      args: {},
    });
    expect(fastCommandSpec(source({ multiple: true, delimiter: ',' }), isPlainParse)).toEqual({
      unsupported: '--f uses delimiter',
    });
    expect(fastCommandSpec(source({ multiple: true, multipleNonGreedy: true }), isPlainParse)).toEqual({
      unsupported: '--f uses multipleNonGreedy',
    });
    expect(fastCommandSpec(source({ multiple: true, env: 'F' }), isPlainParse)).toHaveProperty('unsupported');
    expect(fastCommandSpec(source({ multiple: true, default: 'x' }), isPlainParse)).toHaveProperty(
      'unsupported',
    );
    expect(fastCommandSpec(source({ exclusive: ['g'] }), isPlainParse)).toEqual({
      unsupported: '--f uses exclusive',
    });
    expect(fastCommandSpec(source({ parse: Flags.integer().parse }), isPlainParse)).toEqual({
      unsupported: '--f has its own parse',
    });
    expect(fastCommandSpec(source({ default: () => 'x' }), isPlainParse)).toHaveProperty('unsupported');
    expect(fastCommandSpec({ ...source({}), strict: false }, isPlainParse)).toHaveProperty('unsupported');
  });
});
