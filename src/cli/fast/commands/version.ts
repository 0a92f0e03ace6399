import { runVersion, type VersionFlags } from '../../handlers/version.js';
import { runAndEmit, type FastRun } from '../run.js';

export const run: FastRun = (flags, _args, argv) =>
  runAndEmit(() => runVersion(flags as unknown as VersionFlags), argv);
