/**
 * The commands the fast start-up path runs without oclif, by oclif id. Each is loaded only when
 * called, from its own bundle (scripts/fast-path.js); the oclif command classes call the same
 * handlers (src/cli/handlers/).
 */
import type { FastRun } from './run.js';

export const FAST_COMMANDS: Record<string, () => Promise<{ run: FastRun }>> = {
  version: () => import('./commands/version.js'),
  validate: () => import('./commands/validate.js'),
  'ipam:show': () => import('./commands/ipam-show.js'),
  'node:status': () => import('./commands/node-status.js'),
};
