/**
 * A progress line on stderr for work that may take a while. It is drawn only when stderr is a
 * terminal (and colour is allowed there: NO_COLOR, FORCE_COLOR=0 and TERM=dumb switch it off
 * too), only once the work has lasted longer than a delay (1 s), and it is erased when the work
 * ends, so quick commands and piped or captured output never show it.
 */
import { colourWanted, type TerminalStream } from './colour.js';

export interface ProgressStream extends TerminalStream {
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Where to draw; process.stderr by default. */
  stream?: ProgressStream;
  env?: NodeJS.ProcessEnv;
  /** How long the work must last before anything is drawn. */
  delayMs?: number;
  /** Time between animation frames. */
  intervalMs?: number;
}

export interface Progress {
  /** Replaces the label, e.g. with a count of items done. */
  update(label: string): void;
  /** Erases the line (if one was drawn) and stops the timers; safe to call more than once. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

/** Starts a progress line; call stop() when the work is done, also on failure. */
export function startProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!colourWanted(stream, options.env ?? process.env))
    return { update: () => undefined, stop: () => undefined };

  let text = label;
  let frame = 0;
  let drawn = false;
  let interval: NodeJS.Timeout | undefined;
  const draw = (): void => {
    stream.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${text}`);
    frame++;
    drawn = true;
  };
  // Timers are unref'd: a forgotten stop() must not keep the process alive.
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 100);
    interval.unref();
  }, options.delayMs ?? 1000);
  delay.unref();

  return {
    update(next: string): void {
      text = next;
    },
    stop(): void {
      clearTimeout(delay);
      if (interval) clearInterval(interval);
      interval = undefined;
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** Runs work with a progress line that is erased before the result (or error) comes back. */
export async function withProgress<T>(
  label: string,
  work: (progress: Progress) => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  const progress = startProgress(label, options);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
