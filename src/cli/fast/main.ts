/**
 * The fast start-up path (docs/architecture.md, "Start-up"): help and the commands in
 * FAST_HANDLERS run here without loading oclif. runFast returns false, having printed nothing,
 * whenever it cannot be sure to behave exactly as oclif would; bin/run.js then runs oclif.
 */
import { readFileSync } from 'node:fs';

import { emitError, emitResult, reportFor, wantsJson } from '../emit.js';
import { parseArgv } from './argv.js';
import { FAST_HANDLERS } from './handlers.js';
import { helpText } from './help.js';
import type { FastCommand, FastData } from './spec.js';

/** dataFile: dist/fast-path.json, written by scripts/fast-path.js. */
export async function runFast(argv: readonly string[], dataFile: URL): Promise<boolean> {
  const { env } = process;
  // oclif prints its debug log under these, and a warning when the working directory is gone.
  if (env.DEBUG || env.CALICOCTL_TS_DEBUG || !cwdExists()) return false;
  const data = loadFastData(dataFile);
  if (!data) return false;

  const help = helpText(data, argv, env, Boolean(process.stdout.isTTY));
  if (help !== undefined) {
    trace('help');
    process.stdout.write(help);
    return true;
  }

  const command = Object.values(data.commands).find((c) => startsWithWords(argv, c.id.split(':')));
  const handler = command && FAST_HANDLERS[command.id];
  if (!command || !handler) return false;
  const rest = argv.slice(command.id.split(':').length);
  // Help oclif renders differently, and --debug (stack traces name the code path) stay with oclif.
  if (asksForHelp(rest) || rest.includes('--debug')) return false;
  const parsed = parseArgv(command as FastCommand, rest, { env, stdinIsTTY: Boolean(process.stdin.isTTY) });
  if (!parsed) return false;

  trace(command.id);
  try {
    emitResult(await handler(parsed.flags, parsed.args));
  } catch (err) {
    emitError(reportFor(err), { json: wantsJson(rest) });
  }
  return true;
}

function loadFastData(file: URL): FastData | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FastData;
  } catch {
    return undefined;
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
  if (process.env.CALICOCTL_TS_TRACE_STARTUP === '1') process.stderr.write(`start-up: fast (${what})\n`);
}
