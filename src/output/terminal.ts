/**
 * Whether stdout or stderr is a terminal, without creating process.stdout / process.stderr where
 * the answer is certain from fstat: creating them loads Node's stream machinery, about 1.5 ms of a
 * command's start-up (docs/performance.md, "Start-up"). A terminal is a character device, so a
 * file, pipe or socket is not one; on Linux neither is a memory device (major 1: /dev/null,
 * /dev/zero, /dev/full). Any other character device is asked of the stream, as before.
 */
import { fstatSync } from 'node:fs';

const LINUX_MEMORY_DEVICES = 1;

export function isTerminal(fd: 1 | 2): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    if (process.platform === 'linux' && Math.floor(stat.rdev / 256) % 4096 === LINUX_MEMORY_DEVICES)
      return false;
  } catch {
    // no such descriptor: the stream knows what Node made of it
  }
  return Boolean((fd === 1 ? process.stdout : process.stderr).isTTY);
}

/** stdout as colour decisions see it (src/output/colour.ts), asked only when needed. */
export const STDOUT: { readonly isTTY: boolean } = {
  get isTTY() {
    return isTerminal(1);
  },
};
