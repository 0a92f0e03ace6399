import { runValidate, type ValidateFlags } from '../../handlers/validate.js';
import { runAndEmit, type FastRun } from '../run.js';

export const run: FastRun = (flags, _args, argv) =>
  runAndEmit(() => runValidate(flags as unknown as ValidateFlags), argv);
