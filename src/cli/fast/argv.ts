/**
 * A small argv parser for the fast start-up path. It reproduces what oclif's parser returns for the
 * argv shapes it accepts (`--flag value`, `--flag=value`, `-c value`, `-cvalue`, `-c=value`, bundled
 * boolean chars, `--`), and returns undefined for anything else: oclif then parses the argv itself,
 * so errors and unusual forms keep oclif's behaviour and messages.
 */
import type { FastCommand, FastFlag } from './spec.js';

export type FlagValues = Record<string, string | boolean | string[]>;

export interface ParsedArgv {
  flags: FlagValues;
  args: Record<string, string>;
}

export interface ParseContext {
  env: Record<string, string | undefined>;
  /**
   * oclif reads a piped stdin into a missing argument unless the argument ignores stdin. Asked only
   * then: creating process.stdin costs ~3 ms of start-up.
   */
  stdinIsTTY: () => boolean;
}

export function parseArgv(
  command: FastCommand,
  argv: readonly string[],
  context: ParseContext,
): ParsedArgv | undefined {
  const byName = new Map(command.flags.map((f) => [f.name, f]));
  const byChar = new Map(command.flags.filter((f) => f.char !== undefined).map((f) => [f.char, f]));
  const given = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const queue = [...argv];
  let flagsEnded = false;
  // oclif gives a word after a repeatable flag's value to that flag too (until the next option flag).
  let lastOption: FastFlag | undefined;

  while (queue.length > 0) {
    const token = queue.shift()!;
    if (flagsEnded || !token.startsWith('-') || token === '-') {
      if (!flagsEnded && lastOption?.multiple) return undefined;
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      flagsEnded = true;
      continue;
    }
    let flag: FastFlag | undefined;
    let inline: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      flag = byName.get(eq < 0 ? token.slice(2) : token.slice(2, eq));
      if (flag && eq >= 0) {
        // oclif would leave the value of `--bool=x` behind as a positional argument.
        if (flag.type === 'boolean') return undefined;
        inline = token.slice(eq + 1);
      }
    } else {
      flag = byChar.get(token[1]);
      if (flag && token.length > 2) {
        // Bundled chars: `-wR` is `-w -R`; an option char takes the rest as its value.
        if (flag.type === 'boolean') queue.unshift(`-${token.slice(2)}`);
        else inline = token.slice(token[2] === '=' ? 3 : 2);
      }
    }
    // Unknown flags and negative numbers: oclif's errors (or its positional rules) apply.
    if (!flag) return undefined;
    if (flag.type === 'boolean') {
      given.set(flag.name, true);
      continue;
    }
    if (given.has(flag.name) && !flag.multiple) return undefined;
    const value = inline ?? queue.shift();
    // oclif refuses a value that is one of the command's flags; anything dash-led is left to it.
    if (value === undefined || (value.startsWith('-') && value !== '-')) return undefined;
    lastOption = flag;
    if (flag.multiple) {
      if (flag.options && !flag.options.includes(value)) return undefined;
      const values = given.get(flag.name);
      if (Array.isArray(values)) values.push(value);
      else given.set(flag.name, [value]);
    } else {
      given.set(flag.name, value);
    }
  }

  const flags: FlagValues = {};
  for (const flag of command.flags) {
    let value: string | boolean | string[] | undefined = given.get(flag.name);
    if (value === undefined && flag.env !== undefined && context.env[flag.env]) value = context.env[flag.env];
    if (value === undefined) value = flag.default;
    if (value === undefined) {
      if (flag.required) return undefined;
      continue;
    }
    if (flag.options && typeof value === 'string' && !flag.options.includes(value)) return undefined;
    flags[flag.name] = value;
  }

  if (positionals.length > command.args.length) return undefined;
  const args: Record<string, string> = {};
  for (const [i, arg] of command.args.entries()) {
    const value = positionals[i];
    if (value !== undefined) args[arg.name] = value;
    else if (arg.required || (!arg.ignoreStdin && !context.stdinIsTTY())) return undefined;
  }
  return { flags, args };
}
