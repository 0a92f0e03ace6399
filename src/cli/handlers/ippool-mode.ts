/**
 * `ippool mode`: switch the encapsulation of IP pools in place, after the checks allow it.
 */
import { refusal, runOnDatastore } from '../datastore-command.js';
import { paletteFor } from '../../output/colour.js';
import { blockingChecks } from '../../pools/checks.js';
import { parseEncapRequest } from '../../pools/encap.js';
import { setPoolModes, type ModeResult } from '../../pools/mode.js';
import { modeText } from '../render/pools.js';
import type { DatastoreFlags } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';

export interface IppoolModeFlags extends DatastoreFlags {
  ipip?: string;
  vxlan?: string;
  all: boolean;
  force: boolean;
  'dry-run': boolean;
  output: string;
}

export async function runIppoolMode(
  flags: IppoolModeFlags,
  names: readonly string[],
): Promise<CommandResult<ModeResult>> {
  const encap = parseEncapRequest({ ipip: flags.ipip, vxlan: flags.vxlan });
  const palette = await paletteFor();
  const done = await runOnDatastore(
    flags,
    (ds) =>
      setPoolModes(ds, {
        names: [...names],
        all: flags.all,
        encap,
        dryRun: flags['dry-run'],
        force: flags.force,
      }),
    (r) => modeText(r, palette),
  );
  const result = done.data;
  if (result.outcome !== 'refused') return done;
  const blocking = blockingChecks(result.checks, flags.force).length;
  return {
    ...done,
    ...refusal(
      flags.output,
      `ippool mode refused by ${blocking} check(s); nothing was written`,
      'fix what the checks name; --force accepts warnings, never errors',
    ),
  };
}
