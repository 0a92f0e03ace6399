import { runIpamShow, type IpamShowFlags } from '../../handlers/ipam-show.js';
import { runAndEmit, type FastRun } from '../run.js';

export const run: FastRun = (flags, _args, argv) =>
  runAndEmit(() => runIpamShow(flags as unknown as IpamShowFlags), argv);
