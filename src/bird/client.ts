/**
 * The BIRD control-socket client: the only code that opens sockets. One connection per query:
 * connect, send one command right away (BIRD still greets first, bird.md §2.2), read the greeting
 * and the command's reply, close. Every read has a deadline per line; nothing waits forever.
 *
 * Errors use the wording of Go's net package, which calicoctl prints (bird.md §4.5), e.g.
 * `dial unix /run/bird/bird.ctl: connect: no such file or directory`.
 */
import { createConnection } from 'node:net';

import { OperationError, UnreachableError } from '../errors.js';
import { BirdProtocolError, ReplyAssembler, type Reply } from './reply.js';

export interface BirdAnswer {
  path: string;
  /** The version from the greeting `0001 BIRD <version> ready.` */
  version: string;
  reply: Reply;
}

/** The error code of a socket that could not be connected to (missing, refused, denied, silent). */
export const SOCKET_UNREACHABLE = 'BirdSocketUnreachable';

/** BIRD drops a client that has 1024 bytes or more of unprocessed input (bird.md §2.3). */
const MAX_COMMAND_BYTES = 1023;
/** sun_path holds 108 bytes including the terminating NUL; Node would silently truncate. */
const MAX_SOCKET_PATH_BYTES = 107;
const GREETING = /^BIRD (\S+) ready\.$/;

/** Go's texts for the errno values a unix-socket dial or read can meet. */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EAGAIN: 'resource temporarily unavailable',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'broken pipe',
  EINVAL: 'invalid argument',
};

/** Sends one command to the BIRD control socket at path and returns its reply. */
export function queryBird(path: string, command: string, timeoutMs: number): Promise<BirdAnswer> {
  const request = Buffer.from(command + '\n', 'utf8');
  if (request.length > MAX_COMMAND_BYTES || command.includes('\n')) {
    return Promise.reject(
      new OperationError(
        `refusing to send a BIRD command longer than one line of ${MAX_COMMAND_BYTES} bytes`,
      ),
    );
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return Promise.reject(dialError(path, 'invalid argument'));
  }

  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const assembler = new ReplyAssembler();
    const replies: Reply[] = [];
    let connected = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (err: Error | undefined, answer?: BirdAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(
          connected
            ? new UnreachableError(`error executing command: read unix @->${path}: i/o timeout`, {
                code: 'BirdTimeout',
                hint: `BIRD at ${path} sent nothing for ${timeoutMs} ms; check the daemon or raise --timeout`,
              })
            : dialError(path, 'i/o timeout', false),
        );
      }, timeoutMs);
    };

    arm();
    socket.on('connect', () => {
      connected = true;
      arm();
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      let completed: Reply[];
      try {
        completed = assembler.push(chunk);
      } catch (err) {
        finish(unusableAnswer(path, err));
        return;
      }
      if (chunk.includes(0x0a)) arm();
      replies.push(...completed);
      const greeting = replies[0];
      if (greeting && !isGreeting(greeting)) {
        finish(
          unusableAnswer(
            path,
            new BirdProtocolError('unexpected output line from BIRD', renderLine(greeting)),
            'expected the greeting "0001 BIRD <version> ready."',
          ),
        );
        return;
      }
      const reply = replies[1];
      if (greeting && reply) {
        finish(undefined, { path, version: GREETING.exec(greeting.lines[0]!.text)![1]!, reply });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const text = GO_ERRNO_TEXT[err.code ?? ''] ?? err.message;
      if (!connected) finish(dialError(path, text));
      else
        finish(
          new UnreachableError(`error executing command: read unix @->${path}: read: ${text}`, {
            code: 'BirdConnectionLost',
            hint: 'BIRD closed the control connection; check that the daemon is still running',
          }),
        );
    });
    socket.on('end', () => {
      finish(
        new OperationError(
          `error executing command: BIRD at ${path} closed the connection before the end of its ${
            replies.length === 0 ? 'greeting' : 'reply'
          }`,
          {
            code: 'BirdUnusableReply',
            hint: assembler.midReply ? 'the last line was cut off' : 'is the path a BIRD control socket?',
          },
        ),
      );
    });
  });
}

function isGreeting(reply: Reply): boolean {
  const first = reply.lines[0];
  return (
    reply.lines.length === 1 && reply.finalCode === 1 && first !== undefined && GREETING.test(first.text)
  );
}

function renderLine(reply: Reply): string {
  const first = reply.lines[0];
  return first ? `${String(first.code).padStart(4, '0')} ${first.text}` : '';
}

function dialError(path: string, text: string, connectPrefix = true): UnreachableError {
  return new UnreachableError(`dial unix ${path}: ${connectPrefix ? 'connect: ' : ''}${text}`, {
    code: SOCKET_UNREACHABLE,
  });
}

/** Turns a framing or parsing failure into calicoctl's message and a hint naming the socket. */
export function unusableAnswer(path: string, err: unknown, expected?: string): Error {
  if (!(err instanceof BirdProtocolError)) return err instanceof Error ? err : new Error(String(err));
  const saw = err.line === '' ? '' : ` sent ${JSON.stringify(err.line.slice(0, 120))}`;
  return new OperationError(`error executing command: ${err.message}`, {
    code: 'BirdUnusableReply',
    hint: `${path}${saw || ' sent something else'}${expected ? `; ${expected}` : ''}; is it a BIRD control socket?`,
  });
}
