/**
 * Runs the built CLI twice, through the fast start-up path and through oclif
 * (CALICOCTL_TS_NO_FAST_PATH=1), and reports which path each run took (CALICOCTL_TS_TRACE_STARTUP=1).
 */
import { runCli, type CliOptions, type CliResult } from '../../helpers/cli.js';

export interface PathRun extends CliResult {
  /** "fast (<what>)" or "oclif": the line bin/run.js traced. */
  path: string;
}

async function traced(args: string[], options: CliOptions, noFastPath: boolean): Promise<PathRun> {
  const env = {
    ...options.env,
    CALICOCTL_TS_TRACE_STARTUP: '1',
    CALICOCTL_TS_NO_FAST_PATH: noFastPath ? '1' : undefined,
  };
  const run = await runCli(args, { ...options, env });
  const m = /^start-up: (.*)\n/.exec(run.stderr);
  if (!m) throw new Error(`no start-up trace for ${JSON.stringify(args)}: ${run.stderr}`);
  return { ...run, stderr: run.stderr.slice(m[0].length), path: m[1]! };
}

/** Both runs, started together so that both see the same state of the machine. */
export async function bothPaths(
  args: string[],
  options: CliOptions = {},
): Promise<{ fast: PathRun; oclif: PathRun }> {
  const [fast, oclif] = await Promise.all([traced(args, options, false), traced(args, options, true)]);
  return { fast, oclif };
}

/** What must be equal between the two paths. */
export function observable(run: CliResult): Pick<CliResult, 'stdout' | 'stderr' | 'code'> {
  return { stdout: run.stdout, stderr: run.stderr, code: run.code };
}

/** Runs fn over items, at most `limit` at a time. */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) {
    results.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  }
  return results;
}
