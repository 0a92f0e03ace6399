/**
 * Writing to stdout and stderr without creating process.stdout / process.stderr (emit.ts and the
 * fast start-up path print through here).
 */
import { writeSync } from 'node:fs';

import { ExitCode, OutputClosedError } from '../errors.js';

/** Descriptors whose writes go through their stream (after a direct write failed). */
const streamed = new Set<number>();
/** Set once stdout's reader has gone: nothing more is written there. */
let stdoutClosed = false;

/**
 * Whether err says a write found the reading end of the pipe closed. Node ignores SIGPIPE, so a
 * write gets EPIPE where a Go program (calicoctl) would be killed silently: the command stops the
 * same way, through OutputClosedError, which the printer does not print.
 */
export function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * Writes text to stdout (1) or stderr (2) with write(2) directly: process.stdout and process.stderr
 * load Node's stream machinery when first touched, about 1.5 ms of a command's start-up, and on
 * Linux they write files, pipes and terminals synchronously too, so the bytes and their order are
 * the same. A write that fails (EAGAIN on a non-blocking pipe that is full, EPIPE, ...) hands the
 * rest, and every later write, to the stream, which deals with it as it always did.
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
      if (isClosedPipe(err)) return closed(fd);
      streamed.add(fd);
      rest = bytes.subarray(done);
      // The stream reports a reader that goes away later as an 'error' event, not a throw.
      (fd === 1 ? process.stdout : process.stderr).on('error', (e) => {
        if (isClosedPipe(e)) closedLater(fd);
        else throw e;
      });
    }
  }
  (fd === 1 ? process.stdout : process.stderr).write(rest);
}

/** A closed stdout ends the command; a closed stderr only loses the diagnostics. */
function closed(fd: 1 | 2): void {
  if (fd === 2) return;
  stdoutClosed = true;
  throw new OutputClosedError();
}

/** The same, found by the stream after writeOut returned: the exit status still says so. */
function closedLater(fd: 1 | 2): void {
  if (fd === 2) return;
  stdoutClosed = true;
  process.exitCode = ExitCode.OutputClosed;
}
