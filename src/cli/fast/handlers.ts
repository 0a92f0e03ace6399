/**
 * The commands the fast start-up path runs without oclif, by oclif id. Each loads its handler only
 * when called; the oclif command classes call the same handlers.
 */
import type { NodeStatusArgs, NodeStatusFlags } from '../handlers/node-status.js';
import type { ValidateFlags } from '../handlers/validate.js';
import type { VersionFlags } from '../handlers/version.js';
import type { CommandResult } from '../emit.js';
import type { FlagValues } from './argv.js';

export type FastHandler = (
  flags: FlagValues,
  args: Record<string, string>,
) => Promise<CommandResult<unknown>>;

export const FAST_HANDLERS: Record<string, FastHandler> = {
  version: async (flags) =>
    (await import('../handlers/version.js')).runVersion(flags as unknown as VersionFlags),
  validate: async (flags) =>
    (await import('../handlers/validate.js')).runValidate(flags as unknown as ValidateFlags),
  'node:status': async (flags, args) =>
    (await import('../handlers/node-status.js')).runNodeStatus(
      flags as unknown as NodeStatusFlags,
      args as NodeStatusArgs,
    ),
};
