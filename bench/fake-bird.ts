/**
 * A stand-in BIRD control socket for timing `node status` (a benchmark may use one; tests use real
 * BIRD). It replays a real BIRD 1.6.8 transcript: the greeting on connect, then the recorded reply
 * to every command line it receives.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeBird {
  path: string;
  close(): Promise<void>;
}

/** transcript: a recorded session, its first line the greeting, the rest one reply. */
export async function startFakeBird(path: string, transcript: string): Promise<FakeBird> {
  const text = readFileSync(transcript, 'utf8');
  const newline = text.indexOf('\n') + 1;
  const greeting = text.slice(0, newline);
  const reply = text.slice(newline);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(greeting);
    let pending = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      let end: number;
      while ((end = pending.indexOf('\n')) >= 0) {
        pending = pending.slice(end + 1);
        socket.write(reply);
      }
    });
  });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
