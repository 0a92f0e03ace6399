/**
 * The commands the fast start-up path runs without oclif: oclif ids, each mapped to the handler its
 * oclif command class calls (src/cli/handlers/), loaded only when called, from its own bundle
 * (scripts/fast-path.js). Adding a command here is the whole change: the build checks its flags.
 */
import type { CommandResult } from '../emit.js';
import type { FlagValues } from './argv.js';

export type FastHandler = (
  flags: FlagValues,
  args: Record<string, string>,
) => Promise<CommandResult<unknown>>;

/**
 * A handler, typed for the fast parser's output: the flags and arguments it parses come from the
 * command class's own definitions (dist/fast-path.json), so they have the shape the handler takes.
 */
function fast<F, A>(handler: (flags: F, args: A) => Promise<CommandResult<unknown>>): FastHandler {
  return handler as unknown as FastHandler;
}

export const FAST_COMMANDS: Record<string, () => Promise<FastHandler>> = {
  version: async () => fast((await import('../handlers/version.js')).runVersion),
  validate: async () => fast((await import('../handlers/validate.js')).runValidate),
  'ipam:show': async () => fast((await import('../handlers/ipam-show.js')).runIpamShow),
  // Its second parameter is where the text goes (stdout by default), not the arguments.
  'ipam:check': async () => {
    const { runIpamCheck } = await import('../handlers/ipam-check.js');
    return fast((flags: Parameters<typeof runIpamCheck>[0]) => runIpamCheck(flags));
  },
  'datastore:export': async () => fast((await import('../handlers/datastore-export.js')).runDatastoreExport),
  'datastore:import': async () => fast((await import('../handlers/datastore-import.js')).runDatastoreImport),
  'node:status': async () => fast((await import('../handlers/node-status.js')).runNodeStatus),
  // Its second parameter is the environment (the node name may come from NODENAME), not the arguments.
  'node:check': async () => {
    const { runNodeCheck } = await import('../handlers/node-check.js');
    return fast((flags: Parameters<typeof runNodeCheck>[0]) => runNodeCheck(flags));
  },
};
