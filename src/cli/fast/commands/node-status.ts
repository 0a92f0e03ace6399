import { runNodeStatus, type NodeStatusArgs, type NodeStatusFlags } from '../../handlers/node-status.js';
import { runAndEmit, type FastRun } from '../run.js';

export const run: FastRun = (flags, args, argv) =>
  runAndEmit(() => runNodeStatus(flags as unknown as NodeStatusFlags, args as NodeStatusArgs), argv);
