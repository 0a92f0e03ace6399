import { afterEach, describe, expect, it, vi } from 'vitest';

// writeOut writes with fs.writeSync; here the descriptor behaves like a full non-blocking pipe.
const writeSync = vi.hoisted(() => vi.fn());
vi.mock('node:fs', async (importOriginal) => ({ ...(await importOriginal<object>()), writeSync }));

const { writeOut } = await import('../../../src/cli/write.js');

describe('writeOut', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    writeSync.mockReset();
  });

  it('writes the UTF-8 bytes with write(2), across partial writes', () => {
    const seen: string[] = [];
    writeSync.mockImplementation((_fd: number, bytes: Buffer, offset: number) => {
      const n = Math.min(3, bytes.length - offset);
      seen.push(bytes.subarray(offset, offset + n).toString('latin1'));
      return n;
    });
    writeOut(2, 'héllo\n');
    expect(Buffer.from(seen.join(''), 'latin1').toString('utf8')).toBe('héllo\n');
    expect(writeSync.mock.calls.every(([fd]) => fd === 2)).toBe(true);
  });

  it('hands the rest, and every later write, to the stream when a write fails (EAGAIN)', () => {
    const streamed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      streamed.push(Buffer.from(chunk).toString('utf8'));
      return true;
    });
    writeSync
      .mockImplementationOnce(() => 4)
      .mockImplementationOnce(() => {
        throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });
      });
    writeOut(1, 'first line\n');
    writeOut(1, 'second\n');
    expect(streamed).toEqual(['t line\n', 'second\n']);
    expect(writeSync).toHaveBeenCalledTimes(2);
  });
});
