/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers: the worst case for a client
 * (a hung etcd member, API server or socket). Its port, and a close() that ends every connection.
 */
import { createServer, type Socket } from 'node:net';

export interface SilentServer {
  port: number;
  close(): void;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
