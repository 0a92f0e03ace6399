/**
 * The TCP sockets one etcd backend's gRPC calls open, so that closing the backend can destroy them.
 *
 * grpc-js does not abort a TCP connect in progress when its channel is closed
 * (Http2SubchannelConnector.tcpConnect keeps the socket to itself), and to an address that drops
 * packets the kernel retries the connect for about two minutes: the socket keeps the process alive
 * long after the command has finished (node:http2 has the same gap: destroying a session whose
 * socket is still connecting leaves the connect pending). Node announces every client socket it creates on the
 * `net.client.socket` diagnostics channel; a socket announced while a call of this backend runs
 * (an AsyncLocalStorage context, which the promises, ticks and timers of gRPC and http2 carry
 * along) is this backend's. Public Node APIs only: nothing here depends on grpc-js internals.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

import type { KVBackend } from '../contract.js';

const owner = new AsyncLocalStorage<Set<Socket>>();
let subscribed = false;

function onClientSocket(message: unknown): void {
  const sockets = owner.getStore();
  const socket = (message as { socket?: Socket } | undefined)?.socket;
  if (!sockets || !socket) return;
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
}

/**
 * The backend with each call run under its own socket tracker, and every socket it opened (for gRPC
 * or the range reader, connected or still connecting) destroyed once it is closed.
 */
export function withOwnSockets(backend: KVBackend): KVBackend {
  const sockets = trackClientSockets();
  const streamRange = backend.streamRange?.bind(backend);
  const watch = backend.watch?.bind(backend);
  return {
    info: backend.info,
    range: (req) => sockets.run(() => backend.range(req)),
    ...(streamRange
      ? {
          streamRange: (req, onKeyValue, turn) => sockets.run(() => streamRange(req, onKeyValue, turn)),
        }
      : {}),
    txn: (req) => sockets.run(() => backend.txn(req)),
    ...(watch ? { watch: (req, onChanges) => sockets.run(() => watch(req, onChanges)) } : {}),
    close: async () => {
      try {
        await backend.close();
      } finally {
        sockets.destroyAll();
      }
    },
  };
}

interface ClientSockets {
  /** Runs fn so that the sockets it (and what it sets off) opens are tracked. */
  run<T>(fn: () => T): T;
  /** Destroys every tracked socket still open, connected or still connecting. */
  destroyAll(): void;
}

function trackClientSockets(): ClientSockets {
  if (!subscribed) {
    subscribe('net.client.socket', onClientSocket);
    subscribed = true;
  }
  const sockets = new Set<Socket>();
  return {
    run: (fn) => owner.run(sockets, fn),
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}
