/**
 * `ippool migrate OLD ... --wait [--wait-timeout D]`: the step asked for, then the wait for the
 * pool being drained (src/pools/wait.ts), with its progress on the terminal, as plain lines or as
 * JSON lines (wait-report.ts). Ctrl-C stops the wait: nothing more is written, to the datastore or
 * the output, and the exit code is 130.
 */
import { ExitCode } from '../../errors.js';
import { migrateAndWait } from '../../pools/wait.js';
import type { MigrateRequest, MigrateResult } from '../../pools/migrate.js';
import { watchOutageMs, withDatastore, type DatastoreFlags } from '../datastore-session.js';
import { parseDuration } from '../duration.js';
import type { CommandResult } from '../emit.js';
import { toJsonLine } from '../json.js';
import { waitReporter } from '../wait-report.js';

export interface WaitFlags extends DatastoreFlags {
  output: string;
  'wait-timeout'?: string;
}

export async function runMigrateWait(
  flags: WaitFlags,
  req: MigrateRequest,
  render: (result: MigrateResult) => string,
): Promise<CommandResult<MigrateResult | undefined>> {
  const json = flags.output === 'json';
  const waitTimeout = flags['wait-timeout'];
  const timeout =
    waitTimeout === undefined
      ? undefined
      : { text: waitTimeout, ms: parseDuration(waitTimeout, '--wait-timeout') };
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const reporter = waitReporter(json);
  try {
    const outcome = await withDatastore(flags, (ds) =>
      migrateAndWait(ds, req, {
        ...(timeout ? { timeout } : {}),
        outageMs: watchOutageMs(flags),
        signal: interrupt.signal,
        onProgress: (p) => reporter.progress(p),
      }),
    );
    reporter.stop();
    if (outcome.kind === 'interrupted') return { data: undefined, text: '', exitCode: ExitCode.Interrupted };
    const result = outcome.result;
    // Under -o json the stream is JSON lines: the result is its last line.
    return json ? { data: result, text: toJsonLine(result) } : { data: result, text: render(result) };
  } finally {
    reporter.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
}
