/**
 * Watching etcd through etcd3's Watch API: one bidirectional stream on a client of its own (the
 * backend's calls are not disturbed by it), events as etcd sends them, each batch at the revision
 * etcd stamped on it. No deadline can be set on the stream itself (it lives as long as the watch),
 * so the calls around it carry one (authenticating, cancelling) and the stream has a bound of its
 * own: it must be confirmed by etcd within outageMs, and may then lose its connection for at most
 * outageMs in a row. A loss is noticed when the stream breaks, or through gRPC keepalive pings when
 * the network goes silent (KEEPALIVE_MS, answered within --timeout); etcd3 reconnects every
 * RECONNECT_MS and resumes from the last revision it delivered; past the bound: exit 3.
 * A watch whose start revision etcd has compacted away is cancelled by etcd: WatchCompactedError.
 */
import { isIP } from 'node:net';

import type { Etcd3, IKeyValue, IOptions, IWatchResponse, Watcher } from 'etcd3';

import type { EtcdConfig } from '../../config/types.js';
import { OperationError, UnreachableError, WatchCompactedError } from '../../errors.js';
import {
  rangeEndBytes,
  type KeyValue,
  type Watch,
  type WatchBatch,
  type WatchEvent,
  type WatchRequest,
} from '../contract.js';
import type { FailureContext } from './failures.js';

/** etcd's default --grpc-keepalive-min-time is 5 s: pinging more often gets the connection closed. */
export const KEEPALIVE_MS = 10_000;
/** How often a broken watch stream is re-established. */
export const RECONNECT_MS = 500;

export interface EtcdWatchContext {
  cfg: EtcdConfig;
  endpoints: string[];
  credentials: IOptions['credentials'] | undefined;
  timeoutMs: number;
  failure: FailureContext;
}

/** A backoff (cockatiel's IBackoff shape) that always waits the same time. */
const constantBackoff = (ms: number) => {
  const backoff = { duration: ms, next: () => backoff };
  return backoff;
};

export async function watchEtcd(
  ctx: EtcdWatchContext,
  req: WatchRequest,
  onChanges: (batch: WatchBatch) => void,
): Promise<Watch> {
  const { Etcd3: Etcd3Class } = await import('etcd3');
  const deadline = () => ({ deadline: Date.now() + ctx.timeoutMs });
  const options: IOptions = {
    hosts: ctx.endpoints,
    grpcOptions: {
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': ctx.timeoutMs,
      'grpc.use_local_subchannel_pool': 1,
    },
    faultHandling: {
      watchBackoff: constantBackoff(RECONNECT_MS) as unknown as NonNullable<
        IOptions['faultHandling']
      >['watchBackoff'],
    },
    // The stream lives as long as the watch; every other call (authentication) has the deadline.
    defaultCallOptions: (call) => (call.isStream ? {} : deadline()),
  };
  if (ctx.credentials) options.credentials = ctx.credentials;
  if (ctx.cfg.username !== undefined && ctx.cfg.password !== undefined)
    options.auth = { username: ctx.cfg.username, password: ctx.cfg.password, callOptions: deadline };
  const client = new Etcd3Class(options);
  patchTransport(client);

  const key = Buffer.from(req.key, 'utf8');
  const builder =
    req.rangeEnd === undefined
      ? client.watch().key(key)
      : client.watch().inRange({ start: key, end: rangeEndBytes(req.rangeEnd) });
  const watcher: Watcher = builder.startRevision(String(req.startRevision)).watcher();
  let fail!: (err: Error) => void;
  const ended = new Promise<never>((_, reject) => (fail = reject));
  ended.catch(() => undefined);
  let outage: NodeJS.Timeout | undefined;
  let lastError: unknown;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(outage);
    // Closing the client leaves a running stream open: cancel the watch first (within the deadline).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      watcher.cancel().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, ctx.timeoutMs))),
    ]);
    clearTimeout(timer);
    client.close();
  };
  const stop = (err: Error): void => {
    void close();
    fail(err);
  };
  const unreachable = (): Error => {
    const why = lastError instanceof Error ? lastError.message : 'no answer';
    return new UnreachableError(
      `cannot reach etcd at ${ctx.endpoints.join(',')} (from ${ctx.failure.source}): the watch stayed disconnected for over ${req.outageMs} ms (${why})`,
      {
        code: 'EtcdUnreachable',
        hint: 'check that etcd is running and reachable, then run the command again',
        cause: lastError,
      },
    );
  };

  watcher.on('data', (res: IWatchResponse) => {
    if (res.events.length === 0) return; // a progress notification
    const events = res.events.map(
      (ev): WatchEvent =>
        ev.type === 'Delete'
          ? { type: 'delete', key: ev.kv.key.toString('utf8'), modRevision: Number(ev.kv.mod_revision) }
          : { type: 'put', kv: fromKeyValue(ev.kv) },
    );
    onChanges({ revision: Number(res.header.revision), events });
  });
  watcher.on('disconnected', (err: unknown) => {
    lastError = err;
    outage ??= setTimeout(() => stop(unreachable()), req.outageMs);
  });
  watcher.on('connected', () => {
    clearTimeout(outage);
    outage = undefined;
  });
  watcher.on('error', (err: Error) => {
    // etcd cancels a watch whose start revision is compacted (with no reason in etcd 3.4).
    const compacted = /compact/i.test(err.message) || /Watcher canceled: (undefined)?$/.test(err.message);
    stop(
      compacted
        ? new WatchCompactedError(`etcd no longer holds the changes from revision ${req.startRevision} on`, {
            cause: err,
          })
        : new OperationError(`etcd ended the watch of ${req.key}: ${err.message}`, { cause: err }),
    );
  });

  // The watch is up when etcd confirms it; until then it is in an outage like any other.
  outage = setTimeout(() => stop(unreachable()), req.outageMs);
  await Promise.race([new Promise((resolve) => watcher.once('connected', resolve)), ended]);
  return { ended, close };
}

interface SecureConnector {
  connectionOptions?: { servername?: string };
}

interface HostInternals {
  cachedServices: Record<string, { close(): void }>;
  resetAllServices(): void;
  channelCredentials?: { _createSecureConnector?: (...args: unknown[]) => SecureConnector };
}

interface PoolInternals {
  pool?: { hosts?: HostInternals[] };
}

/**
 * Works around two etcd3/grpc-js behaviours that would hold a CLI process open or make it noisy
 * (checked against etcd3 1.1.2 and @grpc/grpc-js 1.14; each patch is skipped if the internals moved):
 * - etcd3 keeps a failed channel that is still connecting open for up to a second (an old grpc-node
 *   workaround): close such channels at once;
 * - grpc-js sends an IP address as TLS SNI, which Node reports with a DeprecationWarning (DEP0123):
 *   leave SNI out for IP endpoints (the certificate is still checked against the IP).
 * Sockets still connecting, or stuck in a TLS handshake with a silent server, are destroyed on close
 * by withOwnSockets (client-sockets.ts).
 */
export function patchTransport(client: Etcd3): void {
  const patched = new Set<object>();
  for (const host of (client as unknown as PoolInternals).pool?.hosts ?? []) {
    host.resetAllServices = function (this: HostInternals) {
      for (const service of Object.values(this.cachedServices)) service.close();
      this.cachedServices = Object.create(null) as HostInternals['cachedServices'];
    };
    const creds = host.channelCredentials;
    const create = creds?._createSecureConnector;
    if (!creds || typeof create !== 'function' || patched.has(creds)) continue;
    patched.add(creds);
    creds._createSecureConnector = (...args: unknown[]) => {
      const connector = create.apply(creds, args);
      const options = connector.connectionOptions;
      if (options?.servername !== undefined && isIP(options.servername)) delete options.servername;
      return connector;
    };
  }
}

export function fromKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  };
}
