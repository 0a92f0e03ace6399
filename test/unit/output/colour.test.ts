import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { colourWanted, paletteFor, PLAIN } from '../../../src/output/colour.js';
import { startProgress, withProgress, type ProgressStream } from '../../../src/output/spinner.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('colourWanted', () => {
  it('colours a terminal when nothing says otherwise', () => {
    expect(colourWanted(tty, {})).toBe(true);
  });

  it('never colours a pipe or file, even with FORCE_COLOR', () => {
    expect(colourWanted(pipe, {})).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
    expect(colourWanted(pipe, { FORCE_COLOR: '1' })).toBe(false);
    expect(colourWanted(pipe, { FORCE_COLOR: '3' })).toBe(false);
  });

  it('respects NO_COLOR when set to anything non-empty', () => {
    expect(colourWanted(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(tty, { NO_COLOR: 'false' })).toBe(false);
    expect(colourWanted(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('respects FORCE_COLOR=0/false and TERM=dumb', () => {
    expect(colourWanted(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colourWanted(tty, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted(tty, { TERM: 'xterm-256color' })).toBe(true);
  });
});

describe('paletteFor', () => {
  it('returns escape codes only for a terminal', async () => {
    const tty16 = await paletteFor(tty, {});
    expect(tty16.critical('x')).toBe('\x1b[31mx\x1b[39m');
    expect(tty16.ok('x')).toBe('\x1b[32mx\x1b[39m');
    expect(tty16.warning('x')).toBe('\x1b[33mx\x1b[39m');
    expect(await paletteFor(pipe, {})).toBe(PLAIN);
    expect(await paletteFor(tty, { NO_COLOR: '1' })).toBe(PLAIN);
    expect(PLAIN.critical('x')).toBe('x');
  });
});

class FakeStream implements ProgressStream {
  output = '';
  constructor(public isTTY: boolean) {}
  write(text: string): boolean {
    this.output += text;
    return true;
  }
}

describe('startProgress / withProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws nothing for work shorter than the delay', () => {
    const stream = new FakeStream(true);
    const progress = startProgress('reading blocks', { stream, env: {} });
    vi.advanceTimersByTime(999);
    progress.stop();
    vi.advanceTimersByTime(5000);
    expect(stream.output).toBe('');
  });

  it('draws after 1 s, animates, follows update() and erases the line on stop()', () => {
    const stream = new FakeStream(true);
    const progress = startProgress('reading blocks', { stream, env: {} });
    vi.advanceTimersByTime(1000);
    expect(stream.output).toBe('\r\x1b[K⠋ reading blocks');
    progress.update('reading blocks (12 of 40)');
    vi.advanceTimersByTime(100);
    expect(stream.output.endsWith('\r\x1b[K⠙ reading blocks (12 of 40)')).toBe(true);
    progress.stop();
    expect(stream.output.endsWith('\r\x1b[K')).toBe(true);
    const length = stream.output.length;
    vi.advanceTimersByTime(5000);
    progress.stop();
    expect(stream.output.length).toBe(length);
  });

  it('never draws on a pipe or with NO_COLOR', () => {
    for (const [stream, env] of [
      [new FakeStream(false), {}],
      [new FakeStream(true), { NO_COLOR: '1' }],
    ] as const) {
      const progress = startProgress('x', { stream, env });
      vi.advanceTimersByTime(10_000);
      progress.stop();
      expect(stream.output).toBe('');
    }
  });

  it('erases the line before returning a result or rethrowing an error', async () => {
    const stream = new FakeStream(true);
    const slow = withProgress(
      'checking',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return 42;
      },
      { stream, env: {} },
    );
    await vi.advanceTimersByTimeAsync(1500);
    await expect(slow).resolves.toBe(42);
    expect(stream.output.startsWith('\r\x1b[K⠋ checking')).toBe(true);
    expect(stream.output.endsWith('\r\x1b[K')).toBe(true);

    const failing = new FakeStream(true);
    const failed = withProgress(
      'checking',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        throw new Error('boom');
      },
      { stream: failing, env: {} },
    );
    const assertion = expect(failed).rejects.toThrow('boom');
    await vi.advanceTimersByTimeAsync(1200);
    await assertion;
    expect(failing.output.endsWith('\r\x1b[K')).toBe(true);
  });
});
