/**
 * The built CLI as the benchmark sees it: which commands and flags oclif.manifest.json lists, and
 * how to spawn `node bin/run.js ...` with a clean environment (PATH and a private HOME only, plus
 * whatever datastore settings a case adds), as runCli does for the integration tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from './measure.js';
import type { Subject } from './suite.js';

interface ManifestFlag {
  name: string;
  required?: boolean;
}

export interface BuiltCli {
  /** Flag names of a command id such as "ipam:show", or undefined when the command is missing. */
  flags(commandId: string): Map<string, ManifestFlag> | undefined;
  /** A subject running the CLI; unavailable when the command is not in the build. */
  subject(label: string, commandId: string, args: readonly string[], env?: Record<string, string>): Subject;
}

export function loadBuiltCli(repoRoot: string, home: string): BuiltCli {
  const manifestPath = join(repoRoot, 'oclif.manifest.json');
  const bin = join(repoRoot, 'bin', 'run.js');
  if (!existsSync(manifestPath) || !existsSync(join(repoRoot, 'dist', 'commands'))) {
    throw new Error(`no built CLI in ${repoRoot}: run \`npm run build\` first`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    commands: Record<string, { flags?: Record<string, ManifestFlag> }>;
  };
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_STATE_HOME: join(home, '.local', 'state'),
  };
  const flags = (id: string): Map<string, ManifestFlag> | undefined => {
    const entry = manifest.commands[id];
    return entry ? new Map(Object.entries(entry.flags ?? {})) : undefined;
  };
  return {
    flags,
    subject(label, commandId, args, env = {}) {
      const command: Command = {
        argv: [process.execPath, bin, ...args],
        env: { ...baseEnv, ...env },
        cwd: home,
      };
      // `--help` at the top level is not a command of the manifest; everything else must be.
      if (commandId && !flags(commandId)) {
        return {
          label,
          command,
          unavailable: `command not available: ${commandId.replaceAll(':', ' ')}`,
        };
      }
      return { label, command };
    },
  };
}
