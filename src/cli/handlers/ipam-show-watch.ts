/**
 * `ipam show --watch` (also with --show-blocks or --by-node): the table redrawn on the terminal each
 * time the data changes, or with -o json one JSON document per line per change; until Ctrl-C,
 * which ends it with exit 0. The data is kept current by src/ipam/show-watch.ts.
 */
import { follow } from '../../datastore/follow.js';
import { InputError } from '../../errors.js';
import { IpamShowView, SHOW_PREFIXES, type ShowVariant } from '../../ipam/show-watch.js';
import type { Palette } from '../../output/colour.js';
import { isTerminal } from '../../output/terminal.js';
import { watchOutageMs, withDatastore, type DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';
import { toJsonLine } from '../json.js';
import { writeOut } from '../write.js';
import { nodeUsageResult, utilizationResult } from './ipam-show.js';

/** Clear the screen and go home, then draw. */
const REDRAW = '\x1b[H\x1b[2J';

export async function watchIpamShow(
  flags: DatastoreFlags & { output: string },
  variant: ShowVariant,
  palette: Palette,
): Promise<CommandResult<unknown>> {
  const json = flags.output === 'json';
  if (!json && !isTerminal(1))
    throw new InputError('ipam show --watch redraws a table on a terminal, and stdout is not a terminal', {
      code: 'InvalidFlag',
      hint: 'use -o json with --watch for one JSON document per line per change',
    });
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  try {
    await withDatastore(flags, async (ds) => {
      const view = new IpamShowView(ds, variant);
      const draw = (): boolean => {
        const result =
          variant === 'by-node'
            ? (({ report, config }) => nodeUsageResult(report, config, json, palette))(view.nodeUsage())
            : utilizationResult(
                view.utilization(),
                { showBlocks: variant === 'blocks', output: flags.output },
                palette,
              );
        if (json) writeOut(1, toJsonLine(result.data));
        else {
          const at = new Date().toISOString().slice(11, 19);
          writeOut(
            1,
            `${REDRAW}${result.text ?? ''}${result.stderr ?? ''}\nrevision ${view.revision()} at ${at} UTC; Ctrl-C to stop\n`,
          );
        }
        return false;
      };
      await follow(ds, SHOW_PREFIXES, view, {
        outageMs: watchOutageMs(flags),
        done: draw,
        signal: interrupt.signal,
      });
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  return { data: undefined, text: '' };
}
