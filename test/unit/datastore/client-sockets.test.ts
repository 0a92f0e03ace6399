/**
 * withOwnSockets: the sockets a backend's calls open (directly or from a timer or promise they set
 * off, as gRPC does) are destroyed when the backend is closed; sockets opened elsewhere are not.
 * The case it exists for, a connect to an address that drops packets, is proven end to end by
 * test/reliability/outages.test.ts ("drops every packet").
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KVBackend, RangeResponse } from '../../../src/datastore/contract.js';
import { withOwnSockets } from '../../../src/datastore/etcd/client-sockets.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.close();
});

const closed = (s: Socket): Promise<void> => new Promise((r) => s.once('close', () => r()));
const empty: RangeResponse = { kvs: [], more: false, count: 0, revision: 1 };

/** A backend whose calls open a socket the way gRPC does: later, from a timer inside a promise. */
function fakeBackend(opened: Socket[]): KVBackend {
  const open = (): Promise<void> =>
    Promise.resolve().then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            const s = connect(port, '127.0.0.1', () => resolve());
            opened.push(s);
          }, 1),
        ),
    );
  return {
    info: { type: 'etcdv3', endpoints: [`http://127.0.0.1:${port}`], source: 'test' },
    range: async () => {
      await open();
      return empty;
    },
    txn: async () => {
      await open();
      return { succeeded: true, revision: 2, results: [] };
    },
    close: async () => undefined,
  };
}

describe('withOwnSockets', () => {
  it("destroys the sockets its calls opened on close, and no one else's", async () => {
    const opened: Socket[] = [];
    const backend = withOwnSockets(fakeBackend(opened));
    await backend.range({ key: 'a' });
    await backend.txn({ compare: [], success: [] });
    const outside = connect(port, '127.0.0.1');
    await new Promise((r) => outside.once('connect', r));
    expect(opened).toHaveLength(2);
    expect(opened.every((s) => !s.destroyed)).toBe(true);

    const gone = Promise.all(opened.map(closed));
    await backend.close();
    await gone;
    expect(opened.every((s) => s.destroyed)).toBe(true);
    expect(outside.destroyed).toBe(false);
    outside.destroy();
  });

  it('two backends open at once: closing one leaves the sockets of the other', async () => {
    const openedA: Socket[] = [];
    const openedB: Socket[] = [];
    const a = withOwnSockets(fakeBackend(openedA));
    const b = withOwnSockets(fakeBackend(openedB));
    await Promise.all([a.range({ key: 'a' }), b.range({ key: 'b' })]);
    await a.close();
    await Promise.all(openedA.map((s) => (s.destroyed ? undefined : closed(s))));
    expect(openedB.every((s) => !s.destroyed)).toBe(true);
    await b.close();
    expect(openedB.every((s) => s.destroyed)).toBe(true);
  });
});
