/**
 * Writing to stdout and stderr without creating process.stdout / process.stderr (emit.ts and the
 * fast start-up path print through here).
 */
import { writeSync } from 'node:fs';

/** Descriptors whose writes go through their stream (after a direct write failed). */
const streamed = new Set<number>();

/**
 * Writes text to stdout (1) or stderr (2) with write(2) directly: process.stdout and process.stderr
 * load Node's stream machinery when first touched, about 1.5 ms of a command's start-up, and on
 * Linux they write files, pipes and terminals synchronously too, so the bytes and their order are
 * the same. A write that fails (EAGAIN on a non-blocking pipe that is full, EPIPE, ...) hands the
 * rest, and every later write, to the stream, which deals with it as it always did.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  let rest: string | Buffer = text;
  if (!streamed.has(fd)) {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(fd, bytes, done);
      return;
    } catch {
      streamed.add(fd);
      rest = bytes.subarray(done);
    }
  }
  (fd === 1 ? process.stdout : process.stderr).write(rest);
}
