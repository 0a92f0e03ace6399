/**
 * Framing of BIRD's control-socket replies (reference bird.md §2.4). Every line is `DDDD-text`
 * (more follows), `DDDD text` (the last line of a reply), ` text` (a continuation with the code of
 * the line before) or `+text` (an asynchronous message, not part of any reply). A reply ends at the
 * first line whose bytes 0-3 are digits and byte 4 is a space, the rule birdc uses.
 *
 * ReplyAssembler is pure: it is fed bytes as they arrive, in chunks of any size, and hands back
 * complete replies, so a reply split across reads (or within a UTF-8 character) is reassembled.
 */

export interface ReplyLine {
  /** The reply code; a continuation line carries the code of the line before it. */
  code: number;
  /** The text after `DDDD-`, `DDDD ` or the leading space. */
  text: string;
}

export interface Reply {
  lines: ReplyLine[];
  /** The code of the final `DDDD ` line. */
  finalCode: number;
}

/** A line that is not BIRD's protocol; `line` is what came, for the message. */
export class BirdProtocolError extends Error {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(message);
    this.name = 'BirdProtocolError';
  }
}

/** BIRD builds each line in 512 bytes; bufio.Scanner (calicoctl) gives up at 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;

const CODED = /^(\d{4})([ -])(.*)$/s;

export class ReplyAssembler {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private current: ReplyLine[] = [];
  private lastCode: number | undefined;

  /** Feeds bytes; returns the replies completed by them, in order. */
  push(chunk: Buffer): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      const bytes = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      const reply = this.line(bytes.toString('utf8'));
      if (reply) replies.push(reply);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > MAX_LINE_BYTES) {
        throw new BirdProtocolError(
          `a line longer than ${MAX_LINE_BYTES} bytes`,
          Buffer.concat([...this.pending, rest])
            .subarray(0, 80)
            .toString('utf8'),
        );
      }
      this.pending.push(Buffer.from(rest));
    }
    return replies;
  }

  /** True when bytes of an unfinished line or reply are buffered (EOF now means a cut reply). */
  get midReply(): boolean {
    return this.pendingBytes > 0 || this.current.length > 0;
  }

  private line(raw: string): Reply | undefined {
    // bufio.ScanLines drops one trailing \r; BIRD never sends it, a relay might.
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.startsWith('+')) return undefined;
    const coded = CODED.exec(text);
    if (coded) {
      const code = Number(coded[1]);
      this.lastCode = code;
      this.current.push({ code, text: coded[3] ?? '' });
      if (coded[2] === ' ') {
        const reply = { lines: this.current, finalCode: code };
        this.current = [];
        return reply;
      }
      return undefined;
    }
    if (text.startsWith(' ') && this.lastCode !== undefined) {
      this.current.push({ code: this.lastCode, text: text.slice(1) });
      return undefined;
    }
    throw new BirdProtocolError('unexpected output line from BIRD', text);
  }
}
