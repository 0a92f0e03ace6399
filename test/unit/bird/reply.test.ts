import { readdirSync } from 'node:fs';

import { describe, expect, test } from 'vitest';

import { BirdProtocolError, MAX_LINE_BYTES, ReplyAssembler, type Reply } from '../../../src/bird/reply.js';
import { FIXTURES, fixture, splitReplies } from './fixtures.js';

const transcripts = readdirSync(FIXTURES).filter((f) => /^bird[12]-.*\.txt$/.test(f));

function feed(chunks: Buffer[]): { replies: Reply[]; midReply: boolean } {
  const assembler = new ReplyAssembler();
  const replies = chunks.flatMap((c) => assembler.push(c));
  return { replies, midReply: assembler.midReply };
}

describe('ReplyAssembler on the real transcripts', () => {
  test.each(transcripts)('%s: every reply is complete and starts with the greeting', (name) => {
    const { replies, complete } = splitReplies(fixture(name));
    expect(complete, name).toBe(true);
    expect(replies[0]?.finalCode).toBe(1);
    expect(replies[0]?.lines[0]?.text).toMatch(/^BIRD (1\.6\.8|2\.0\.12) ready\.$/);
  });

  test.each([
    'bird1-show-protocols.txt',
    'bird2-show-protocols.txt',
    'bird2-show-protocols-v6.txt',
    'bird1-timeformat-iso-long.txt',
    'bird1-err-not-a-protocol.txt',
  ])('%s split at every byte boundary gives the same replies', (name) => {
    const data = fixture(name);
    const whole = feed([data]);
    for (let i = 0; i <= data.length; i++) {
      expect(feed([data.subarray(0, i), data.subarray(i)])).toEqual(whole);
    }
    const bytes = [...data].map((b) => Buffer.from([b]));
    expect(feed(bytes)).toEqual(whole);
  });

  test('show protocols: heading, rows with continuation lines, final 0000', () => {
    const { replies } = splitReplies(fixture('bird1-show-protocols.txt'));
    const reply = replies[1]!;
    expect(reply.finalCode).toBe(0);
    expect(reply.lines[0]).toEqual({
      code: 2002,
      text: 'name     proto    table    state  since       info',
    });
    expect(reply.lines[1]).toEqual({ code: 1002, text: 'static1  Static   master   up     21:06:26    ' });
    // A continuation line carries the code of the line before it.
    expect(reply.lines[5]).toEqual({
      code: 1002,
      text: 'Global_10_213_0_13 BGP      master   start  21:10:33    Idle          BGP Error: Bad peer AS',
    });
    expect(reply.lines.at(-1)).toEqual({ code: 0, text: '' });
  });

  test('show protocols all: 1006 detail lines and the empty ` ` line', () => {
    const reply = splitReplies(fixture('bird2-show-protocols-all-v6.txt')).replies[1]!;
    expect(reply.lines).toContainEqual({ code: 1006, text: '' });
    expect(reply.lines).toContainEqual({ code: 1006, text: '  Channel ipv6' });
  });

  test('error replies are a single final line', () => {
    const reply = splitReplies(fixture('bird2-err-unknown-name.txt')).replies[1]!;
    expect(reply).toEqual({
      finalCode: 9001,
      lines: [
        {
          code: 9001,
          text: 'syntax error, unexpected CF_SYM_UNDEFINED, expecting END or CF_SYM_KNOWN or TEXT or ALL',
        },
      ],
    });
  });
});

describe('ReplyAssembler on malformed input', () => {
  test('asynchronous + lines are skipped', () => {
    const { replies } = feed([
      Buffer.from('0001 BIRD 1.6.8 ready.\n+log message\n0013 Daemon is up and running\n'),
    ]);
    expect(replies.map((r) => r.finalCode)).toEqual([1, 13]);
  });

  test('a line that is not BIRD protocol is an error naming the line', () => {
    const assembler = new ReplyAssembler();
    let err: unknown;
    try {
      assembler.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BirdProtocolError);
    expect((err as BirdProtocolError).message).toBe('unexpected output line from BIRD');
    expect((err as BirdProtocolError).line).toBe('HTTP/1.1 400 Bad Request');
  });

  test('a continuation line before any coded line is an error', () => {
    expect(() => new ReplyAssembler().push(Buffer.from(' orphan\n'))).toThrow(BirdProtocolError);
  });

  test('a reply cut off mid-line or mid-reply is reported as unfinished', () => {
    expect(feed([Buffer.from('0001 BIRD 1.6.8 ready.\n2002-name proto')]).midReply).toBe(true);
    expect(feed([Buffer.from('0001 BIRD 1.6.8 ready.\n2002-name proto\n')]).midReply).toBe(true);
    expect(feed([Buffer.from('0001 BIRD 1.6.8 ready.\n')]).midReply).toBe(false);
  });

  test('a UTF-8 character split across reads is decoded whole', () => {
    const data = Buffer.from('1002-Descr ü\n0000 \n');
    const at = data.indexOf(0xc3) + 1;
    const { replies } = feed([data.subarray(0, at), data.subarray(at)]);
    expect(replies[0]?.lines[0]?.text).toBe('Descr ü');
  });

  test('a CR before the newline is dropped as Go bufio.ScanLines drops it', () => {
    expect(feed([Buffer.from('0001 BIRD 1.6.8 ready.\r\n')]).replies[0]?.lines[0]?.text).toBe(
      'BIRD 1.6.8 ready.',
    );
  });

  test('an endless line is refused instead of buffered without bound', () => {
    const assembler = new ReplyAssembler();
    assembler.push(Buffer.alloc(MAX_LINE_BYTES, 0x41));
    expect(() => assembler.push(Buffer.from('A'))).toThrow(/longer than 65536 bytes/);
  });
});
