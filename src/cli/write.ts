/**
 * Writing to stdout and stderr without creating process.stdout / process.stderr (emit.ts and the
 * fast start-up path print through here).
 */
import { writeSync } from 'node:fs';

import { ExitCode, isClosedPipe, OutputClosedError } from '../errors.js';

/** Descriptors whose writes go through their stream (after a direct write failed). */
const streamed = new Set<number>();
/** Set once stdout's reader has gone: nothing more is written there. */
let stdoutClosed = false;

/**
 * Writes text to stdout (1) or stderr (2) with write(2) directly: process.stdout and process.stderr
 * load Node's stream machinery when first touched, about 1.5 ms of a command's start-up, and on
 * Linux they write files, pipes and terminals synchronously too, so the bytes and their order are
 * the same. A write that fails (EAGAIN on a non-blocking pipe that is full, ...) hands the rest, and
 * every later write, to the stream, which deals with it as it always did; EPIPE on stdout (its reader
 * has gone) throws OutputClosedError, which the printer does not print.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  if (fd === 1 && stdoutClosed) throw new OutputClosedError();
  let rest: string | Buffer = text;
  if (!streamed.has(fd)) {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(fd, bytes, done);
      return;
    } catch (err) {
      if (isClosedPipe(err)) {
        // A closed stderr only loses the diagnostics; a closed stdout ends the command.
        if (fd === 2) return;
        stdoutClosed = true;
        throw new OutputClosedError();
      }
      streamed.add(fd);
      rest = bytes.subarray(done);
      // The stream reports a reader that goes away later as an 'error' event, not a throw: the
      // exit status still says so.
      (fd === 1 ? process.stdout : process.stderr).on('error', (e) => {
        if (!isClosedPipe(e)) throw e;
        if (fd === 1) {
          stdoutClosed = true;
          process.exitCode = ExitCode.OutputClosed;
        }
      });
    }
  }
  (fd === 1 ? process.stdout : process.stderr).write(rest);
}
