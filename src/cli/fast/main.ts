/**
 * The fast start-up path (docs/architecture.md, "Start-up"): help and the commands in
 * FAST_COMMANDS run here without loading oclif. runFast returns false, having printed nothing,
 * whenever it cannot be sure to behave exactly as oclif would; bin/run.js then runs oclif.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

import { isTerminal } from '../../output/terminal.js';
import { writeOut } from '../write.js';
import { parseArgv } from './argv.js';
import { FAST_COMMANDS } from './handlers.js';
import { helpText } from './help.js';
import { runAndEmit } from './run.js';
import type { FastCommand, FastData } from './spec.js';

/** dist: the dist/ directory, with fast-path.json and fast/help.txt written by scripts/fast-path.js. */
export async function runFast(argv: readonly string[], dist: string): Promise<boolean> {
  const { env } = process;
  // oclif prints its debug log under these, and a warning when the working directory is gone.
  if (env.DEBUG || env.CALICOCTL_TS_DEBUG || !cwdExists()) return false;
  const data = loadFastData(`${dist}/fast-path.json`);
  if (!data) return false;

  const help = helpText(
    data,
    argv,
    env,
    () => isTerminal(1),
    (at) => readHelp(`${dist}/fast/help.txt`, at),
  );
  if (help !== undefined) {
    trace('help');
    writeOut(1, help);
    return true;
  }

  const command = Object.values(data.commands).find((c) => startsWithWords(argv, c.id.split(':')));
  const load = command && FAST_COMMANDS[command.id];
  if (!command || !load) return false;
  const rest = argv.slice(command.id.split(':').length);
  // Help oclif renders differently, and --debug (stack traces name the code path) stay with oclif.
  if (asksForHelp(rest) || rest.includes('--debug')) return false;
  const parsed = parseArgv(command as FastCommand, rest, {
    env,
    stdinIsTTY: () => Boolean(process.stdin.isTTY),
  });
  if (!parsed) return false;

  trace(command.id);
  const handler = await load();
  await runAndEmit(() => handler(parsed.flags, parsed.args), rest);
  return true;
}

function loadFastData(file: string): FastData | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FastData;
  } catch {
    return undefined;
  }
}

/** One help text: [byte offset, byte length] in help.txt; undefined (oclif then) if unreadable. */
function readHelp(file: string, [offset, length]: readonly [number, number]): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.allocUnsafe(length);
    if (readSync(fd, buffer, 0, length, offset) !== length) return undefined;
    return buffer.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function cwdExists(): boolean {
  try {
    process.cwd();
    return true;
  } catch {
    return false;
  }
}

function startsWithWords(argv: readonly string[], words: readonly string[]): boolean {
  return words.every((w, i) => argv[i] === w);
}

/** oclif shows help when --help comes before any `--`. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--help');
}

/** CALICOCTL_TS_TRACE_STARTUP=1 names the path taken, for tests and measurements. */
function trace(what: string): void {
  if (process.env.CALICOCTL_TS_TRACE_STARTUP === '1') writeOut(2, `start-up: fast (${what})\n`);
}
