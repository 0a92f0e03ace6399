/**
 * The etcd v3 backend: the KVBackend contract (range, txn) over etcd's KV service, with etcd's own
 * semantics, because the contract is etcd's.
 *
 * Every call goes through one failover loop (call-budget.ts) that gives it its deadline, tries the
 * members in order (a member that failed goes last) and decides, from how an attempt failed, whether
 * the call may move on: a hung member costs one attempt budget, a refused one nothing, a member
 * without a leader a short wait; a write whose answer was lost is never resent here (the datastore
 * resolves it by reading, datastore.ts).
 *
 * Reads (Range) go through range-reader.ts, a lean client over node:http2, one per member; writes go
 * through etcd3, one client per member. etcd3 (and with it gRPC, ~190 ms to load) is imported here
 * and only here, dynamically, on the first write, so commands that only read never load it. Its
 * defaults are wrong for a CLI and are replaced: its retry policy and circuit breaker (a minute of
 * retries on an unreachable host) by one attempt per member; its 4 MiB response cap by 256 MiB.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

import type { Etcd3, IKeyValue, IOptions, IRequestOp, IResponseOp, ICompare } from 'etcd3';

import type { EtcdConfig } from '../../config/types.js';
import { InputError } from '../../errors.js';
import {
  prefixEnd,
  type Compare,
  type KVBackend,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type TxnOp,
  type TxnOpResult,
  type TxnRequest,
  type TxnResponse,
} from '../contract.js';
import {
  etcdCallBudget,
  MemberOrder,
  runOnMembers,
  type EtcdCallBudget,
  type EtcdTrace,
  type MemberCall,
} from './call-budget.js';
import { withOwnSockets } from './client-sockets.js';
import { resolveEndpoints } from './discovery.js';
import { describeCallFailure, isAuthNotEnabled, type FailureContext } from './failures.js';
import { openRangeReader, RangeDeadlineError, type RangeReader } from './range-reader.js';

export interface EtcdBackendOptions {
  /** --timeout: what one etcd call may take in all, every attempt included (call-budget.ts). */
  timeoutMs: number;
  /** Where the configuration came from, for messages: "environment", "config file /etc/calico/calicoctl.cfg". */
  source: string;
  /** --debug: one line per attempt of every call (method, key, member, time, outcome). */
  trace?: EtcdTrace;
}

const MAX_RECEIVE_BYTES = 256 * 1024 * 1024;

type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

export async function openEtcdBackend(cfg: EtcdConfig, opts: EtcdBackendOptions): Promise<KVBackend> {
  const endpoints = await resolveEndpoints(cfg, opts);
  const tls = endpoints.some((e) => e.startsWith('https://'));
  const credentials = tls ? readCredentials(cfg, opts.source) : undefined;
  const ctx: FailureContext = {
    endpoints,
    source: opts.source,
    timeoutMs: opts.timeoutMs,
    tls,
    settingNames: cfg.settingNames,
    clientCert: cfg.certFile !== undefined || cfg.cert !== undefined,
    caCert: cfg.caCertFile !== undefined || cfg.caCert !== undefined,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
  };
  const members = new MemberOrder(endpoints);
  const budget = (): EtcdCallBudget => etcdCallBudget(opts.timeoutMs, endpoints.length);
  const run = async <T>(call: MemberCall<T>): Promise<T> => {
    try {
      return await runOnMembers(members, budget(), call, opts.trace);
    } catch (err) {
      throw await describeCallFailure(err, ctx);
    }
  };

  // Reads go through the lean range reader, one per member (its auth token is the member's own);
  // writes through etcd3, loaded on first use (a read-only command never loads gRPC), one client
  // per member so that the failover loop, not etcd3, chooses where each attempt goes.
  const readers = new Map<string, RangeReader>();
  const reader = (member: string): RangeReader => {
    let r = readers.get(member);
    if (!r) {
      r = openRangeReader({
        endpoint: member,
        ...(credentials ? { tls: tlsOptions(credentials) } : {}),
        ...(cfg.username !== undefined && cfg.password !== undefined
          ? { auth: { username: cfg.username, password: cfg.password } }
          : {}),
      });
      readers.set(member, r);
    }
    return r;
  };
  const writers = new Map<string, Promise<GrpcMember>>();
  const writer = (member: string): Promise<GrpcMember> => {
    let w = writers.get(member);
    if (!w) {
      w = openGrpcMember(cfg, member, credentials);
      writers.set(member, w);
    }
    return w;
  };

  const range = (req: RangeRequest): Promise<RangeResponse> =>
    run({
      what: `Range ${describeRange(req)}`,
      write: false,
      ...(req.serializable ? { serializable: true } : {}),
      attempt: (member, ms) => reader(member).range(req, keyBytes(req.key), rangeEndOf(req), ms),
      summary: (res) => `${req.countOnly ? res.count : res.kvs.length} keys, revision ${res.revision}`,
    });

  // A streamed range goes on, on whichever member takes over, from the last key it handed over and
  // at the revision it was read at, so no key is handed over twice. A member whose stream fails
  // other than by its deadline (a cut connection, or an error the streaming client cannot tell: it
  // does not decode error headers) is asked the rest in one unary call, which reports etcd's answer.
  const unstreamable = new Set<string>();
  const streamRange = (req: RangeRequest, onKeyValue: (kv: KeyValue) => void): Promise<RangeResponse> => {
    let handed = 0;
    let last: string | undefined;
    const progress = { revision: 0 };
    const take = (kv: KeyValue): void => {
      onKeyValue(kv);
      handed++;
      last = kv.key;
    };
    const rest = (): RangeRequest =>
      last === undefined
        ? req
        : {
            ...req,
            key: last + '\0',
            revision: req.revision || progress.revision,
            ...(req.limit ? { limit: req.limit - handed } : {}),
          };
    const attempt = async (member: string, ms: number): Promise<RangeResponse> => {
      if (req.limit && handed >= req.limit) {
        // Everything asked for arrived, but not the end of the answer: is there more?
        const more = await reader(member).range(
          { ...rest(), limit: 0, countOnly: true },
          keyBytes(last! + '\0'),
          rangeEndOf(req),
          ms,
        );
        return { kvs: [], more: more.count > 0, count: handed + more.count, revision: more.revision };
      }
      const from = rest();
      const before = handed;
      if (!unstreamable.has(member)) {
        try {
          const res = await reader(member).streamRange(
            from,
            keyBytes(from.key),
            rangeEndOf(from),
            take,
            progress,
            ms,
          );
          return { ...res, count: before + res.count };
        } catch (err) {
          if (err instanceof RangeDeadlineError) throw err;
          unstreamable.add(member);
        }
      }
      const again = rest();
      const res = await reader(member).range(again, keyBytes(again.key), rangeEndOf(again), ms);
      const counted = handed;
      res.kvs.forEach(take);
      return { ...res, kvs: [], count: counted + res.count };
    };
    return run({
      what: `Range ${describeRange(req)} (streamed)`,
      write: false,
      ...(req.serializable ? { serializable: true } : {}),
      attempt,
      summary: (res) => `${handed} keys, revision ${res.revision}`,
    });
  };

  const txn = (req: TxnRequest): Promise<TxnResponse> =>
    run({
      what: `Txn ${describeTxn(req)}`,
      write: writes(req),
      attempt: async (member, ms) => (await writer(member)).txn(req, ms),
      summary: (res) => `${res.succeeded ? 'succeeded' : 'compare failed'}, revision ${res.revision}`,
    });

  let closed = false;
  return withOwnSockets({
    info: { type: 'etcdv3', endpoints, source: opts.source },
    range,
    streamRange,
    txn,
    watch: async (req, onChanges) =>
      (await import('./watch.js')).watchEtcd(
        { cfg, endpoints, credentials, timeoutMs: opts.timeoutMs, failure: ctx, patch: patchTransport },
        req,
        onChanges,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const r of readers.values()) r.close();
      await Promise.all([...writers.values()].map(async (w) => (await w.catch(() => undefined))?.close()));
    },
  });
}

/** For --debug: the key, or the range as "prefix P" when it is one. */
function describeRange(req: RangeRequest): string {
  if (req.rangeEnd === undefined) return req.key;
  const flags = [
    req.countOnly ? 'count' : '',
    req.keysOnly ? 'keys only' : '',
    req.limit ? `limit ${req.limit}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const what =
    prefixEnd(req.key) === req.rangeEnd
      ? `prefix ${req.key}`
      : `[${req.key}, ${JSON.stringify(req.rangeEnd)})`;
  return flags ? `${what} (${flags})` : what;
}

/** For --debug: the keys a transaction compares and writes; never a value. */
function describeTxn(req: TxnRequest): string {
  const ops = req.success.map((op) => `${op.type} ${op.key}`);
  const shown = ops.slice(0, 3).join(', ') + (ops.length > 3 ? ` and ${ops.length - 3} more` : '');
  return `${req.compare.length} compare(s), ${shown || 'no ops'}`;
}

/** The same key material etcd3 gets, for node:tls. */
function tlsOptions(credentials: NonNullable<IOptions['credentials']>): {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
} {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  if (credentials.rootCertificate) out.ca = credentials.rootCertificate;
  if (credentials.certChain && credentials.privateKey) {
    out.cert = credentials.certChain;
    out.key = credentials.privateKey;
  }
  return out;
}

interface GrpcMember {
  txn(req: TxnRequest, timeoutMs: number): Promise<TxnResponse>;
  close(): void;
}

/** etcd3 on one member: every attempt once, within its own deadline; failures thrown as they come. */
async function openGrpcMember(
  cfg: EtcdConfig,
  member: string,
  credentials: IOptions['credentials'] | undefined,
): Promise<GrpcMember> {
  const { Etcd3: Etcd3Class } = await import('etcd3');

  // The password-to-token exchange shares the deadline of the call that triggered it.
  let deadline = Date.now();
  const makeClient = (withAuth: boolean): Etcd3 => {
    const options: IOptions = {
      hosts: [member],
      grpcOptions: {
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
        'grpc.max_send_message_length': MAX_RECEIVE_BYTES,
        // Subchannels (and their sockets, destroyed on close) belong to this client alone.
        'grpc.use_local_subchannel_pool': 1,
      },
      faultHandling: { host: () => oncePolicy(), global: oncePolicy() },
      defaultCallOptions: () => ({ deadline }),
    };
    if (credentials) options.credentials = credentials;
    if (withAuth && cfg.username !== undefined && cfg.password !== undefined) {
      options.auth = {
        username: cfg.username,
        password: cfg.password,
        callOptions: () => ({ deadline }),
      };
    }
    const client = new Etcd3Class(options);
    patchTransport(client);
    return client;
  };

  let client = makeClient(true);
  let authFallbackDone = cfg.username === undefined;

  return {
    async txn(req, timeoutMs) {
      deadline = Date.now() + timeoutMs;
      const send = async (): Promise<TxnResponse> => {
        const res = await client.kv.txn(toTxnRequest(req), { deadline });
        return {
          succeeded: res.succeeded,
          revision: Number(res.header.revision),
          results: fromTxnResponses(res.succeeded ? req.success : (req.failure ?? []), res.responses),
        };
      };
      try {
        return await send();
      } catch (err) {
        // calicoctl's Go client carries on without a token when the server has auth disabled.
        if (authFallbackDone || !isAuthNotEnabled(err)) throw err;
        authFallbackDone = true;
        client.close();
        client = makeClient(false);
        return await send();
      }
    },
    close: () => client.close(),
  };
}

function readCredentials(cfg: EtcdConfig, source: string): NonNullable<IOptions['credentials']> {
  const read = (
    file: string | undefined,
    inline: string | undefined,
    setting: string,
  ): Buffer | undefined => {
    if (inline !== undefined) return Buffer.from(inline);
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new InputError(
        `cannot read ${file} (${setting} from ${source}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        { code: 'InvalidConfig' },
      );
    }
  };
  const names = cfg.settingNames;
  const ca = read(
    cfg.caCertFile,
    cfg.caCert,
    cfg.caCert !== undefined ? names.etcdCACert : names.etcdCACertFile,
  );
  const cert = read(cfg.certFile, cfg.cert, cfg.cert !== undefined ? names.etcdCert : names.etcdCertFile);
  const key = read(cfg.keyFile, cfg.key, cfg.key !== undefined ? names.etcdKey : names.etcdKeyFile);
  // gRPC wants a root certificate buffer; null means the system's trust store.
  const credentials = { rootCertificate: ca ?? (null as unknown as Buffer) } as NonNullable<
    IOptions['credentials']
  >;
  if (cert && key) {
    credentials.certChain = cert;
    credentials.privateKey = key;
  }
  return credentials;
}

/**
 * A cockatiel-compatible policy that runs the call once: etcd3's own retries and circuit breakers
 * are replaced by the failover loop (call-budget.ts), which knows the call's deadline and whether
 * a failed write may be resent.
 */
function oncePolicy(): GlobalPolicy {
  const noEvent = () => ({ dispose: () => undefined });
  const policy = {
    onSuccess: noEvent,
    onFailure: noEvent,
    execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal) {
      return Promise.resolve(fn({ signal: signal ?? new AbortController().signal }));
    },
  };
  return policy as unknown as GlobalPolicy;
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

/** A transaction that puts or deletes in either branch (one that only reads is a read). */
function writes(req: TxnRequest): boolean {
  return [...req.success, ...(req.failure ?? [])].some((op) => op.type !== 'get');
}

// --- contract <-> etcd wire format -----------------------------------------------------------

/** Keys are UTF-8; a range end made by prefixEnd() holds raw bytes as latin1 (it may not be UTF-8). */
function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

function rangeEndOf(req: RangeRequest): Buffer | undefined {
  return req.rangeEnd !== undefined ? rangeEndBytes(req.rangeEnd) : undefined;
}

export function rangeEndBytes(end: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(end) ? Buffer.from(end, 'latin1') : Buffer.from(end, 'utf8');
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

const COMPARE_RESULT = { '==': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;

function toCompare(c: Compare): ICompare {
  const base = { key: keyBytes(c.key), result: COMPARE_RESULT[c.op] };
  switch (c.target) {
    case 'version':
      return { ...base, target: 'Version', version: Number(c.value) };
    case 'createRevision':
      return { ...base, target: 'Create', create_revision: Number(c.value) };
    case 'modRevision':
      return { ...base, target: 'Mod', mod_revision: Number(c.value) };
    case 'value':
      return { ...base, target: 'Value', value: Buffer.from(String(c.value), 'utf8') };
  }
}

function toRequestOp(op: TxnOp): IRequestOp {
  switch (op.type) {
    case 'put':
      return { request_put: { key: keyBytes(op.key), value: Buffer.from(op.value, 'utf8') } };
    case 'delete':
      return {
        request_delete_range: {
          key: keyBytes(op.key),
          ...(op.rangeEnd !== undefined ? { range_end: rangeEndBytes(op.rangeEnd) } : {}),
        },
      };
    case 'get':
      return {
        request_range: {
          key: keyBytes(op.key),
          ...(op.rangeEnd !== undefined ? { range_end: rangeEndBytes(op.rangeEnd) } : {}),
        },
      };
  }
}

function toTxnRequest(req: TxnRequest) {
  return {
    compare: req.compare.map(toCompare),
    success: req.success.map(toRequestOp),
    failure: (req.failure ?? []).map(toRequestOp),
  };
}

function fromTxnResponses(ops: TxnOp[], responses: IResponseOp[]): TxnOpResult[] {
  return ops.map((op, i): TxnOpResult => {
    const res = responses[i];
    switch (op.type) {
      case 'put':
        return { type: 'put' };
      case 'delete':
        return { type: 'delete', deleted: Number(res?.response_delete_range?.deleted ?? 0) };
      case 'get':
        return { type: 'get', kvs: (res?.response_range?.kvs ?? []).map(fromKeyValue) };
    }
  });
}
