/**
 * The etcd v3 backend: the KVBackend contract (range, txn) over etcd's KV service, with etcd's own
 * semantics, because the contract is etcd's.
 *
 * Reads (Range) go through range-reader.ts, a lean client over node:http2; writes, and any read
 * after the lean reader failed once, go through etcd3. etcd3 (and with it gRPC, ~190 ms to load)
 * is imported here and only here, dynamically, on the first call that needs it, so commands that
 * only read never load it. The etcd3 defaults are wrong for a CLI and are replaced:
 * - its retry policy and per-host circuit breaker turn an unreachable host into a minute of retries
 *   (dialTimeout is not honoured): we try each endpoint at most once per call, within one deadline;
 * - responses are capped at 4 MiB: raised to 256 MiB (pages of a big prefix can exceed 4 MiB);
 * - every call, and the password-to-token exchange, carries the --timeout deadline.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

import type { Etcd3, IKeyValue, IOptions, IRequestOp, IResponseOp, ICompare } from 'etcd3';

import type { EtcdConfig } from '../../config/types.js';
import { InputError } from '../../errors.js';
import type {
  Compare,
  KVBackend,
  KeyValue,
  RangeRequest,
  RangeResponse,
  TxnOp,
  TxnOpResult,
  TxnRequest,
} from '../contract.js';
import { withOwnSockets } from './client-sockets.js';
import { resolveEndpoints } from './discovery.js';
import {
  describeEtcdFailure,
  describeWriteFailure,
  isAuthNotEnabled,
  type FailureContext,
} from './failures.js';
import { openRangeReader, RangeDeadlineError, type RangeReader } from './range-reader.js';

export interface EtcdBackendOptions {
  /** Deadline of each etcd call (including failover to another endpoint and authentication). */
  timeoutMs: number;
  /** Where the configuration came from, for messages: "environment", "config file /etc/calico/calicoctl.cfg". */
  source: string;
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

  // Reads go through the lean range reader until one fails; from then on, and for every write,
  // through etcd3, loaded on first use (a read-only command never loads gRPC).
  let reader: RangeReader | undefined = openRangeReader({
    endpoint: endpoints[0]!,
    timeoutMs: opts.timeoutMs,
    ...(credentials ? { tls: tlsOptions(credentials) } : {}),
    ...(cfg.username !== undefined && cfg.password !== undefined
      ? { auth: { username: cfg.username, password: cfg.password } }
      : {}),
  });
  let grpc: Promise<KVBackend> | undefined;
  const viaGrpc = (): Promise<KVBackend> =>
    (grpc ??= openGrpcBackend(cfg, opts, endpoints, credentials, ctx));

  const range = async (req: RangeRequest): Promise<RangeResponse> => {
    if (reader) {
      try {
        return await reader.range(req, keyBytes(req.key), rangeEndOf(req));
      } catch (err) {
        // etcd3 would wait out the same deadline on the same endpoint: report it, do not wait twice.
        if (err instanceof RangeDeadlineError) throw await describeEtcdFailure(err, ctx);
        // Concurrent reads fail together: the first to get here closes the reader.
        reader?.close();
        reader = undefined;
      }
    }
    return (await viaGrpc()).range(req);
  };

  // Streamed ranges go through the reader's own connection until one fails; a failed one goes on
  // from the last key it handed over through range(), so no key is handed over twice.
  let streaming = true;
  const streamRange = async (
    req: RangeRequest,
    onKeyValue: (kv: KeyValue) => void,
  ): Promise<RangeResponse> => {
    let handed = 0;
    let last: string | undefined;
    const progress = { revision: 0 };
    if (reader && streaming) {
      try {
        return await reader.streamRange(
          req,
          keyBytes(req.key),
          rangeEndOf(req),
          (kv) => {
            onKeyValue(kv);
            handed++;
            last = kv.key;
          },
          progress,
        );
      } catch (err) {
        if (err instanceof RangeDeadlineError) throw await describeEtcdFailure(err, ctx);
        streaming = false;
      }
    }
    // The rest, after the keys already handed over and at the revision they were read at.
    const from =
      last === undefined ? req : { ...req, key: last + '\0', revision: req.revision || progress.revision };
    if (req.limit && handed >= req.limit) {
      // Everything asked for arrived, but not the end of the answer: is there more?
      const rest = await range({ ...from, limit: 0, countOnly: true });
      return { kvs: [], more: rest.count > 0, count: handed + rest.count, revision: rest.revision };
    }
    const res = await range(req.limit ? { ...from, limit: req.limit - handed } : from);
    res.kvs.forEach((kv) => onKeyValue(kv));
    return { ...res, kvs: [], count: handed + res.count };
  };

  let closed = false;
  return withOwnSockets({
    info: { type: 'etcdv3', endpoints, source: opts.source },
    range,
    streamRange,
    txn: async (req) => (await viaGrpc()).txn(req),
    watch: async (req, onChanges) =>
      (await import('./watch.js')).watchEtcd(
        { cfg, endpoints, credentials, timeoutMs: opts.timeoutMs, failure: ctx, patch: patchTransport },
        req,
        onChanges,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      reader?.close();
      if (grpc) await (await grpc.catch(() => undefined))?.close();
    },
  });
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

/** The backend over etcd3: every call through gRPC, with the fault handling described above. */
async function openGrpcBackend(
  cfg: EtcdConfig,
  opts: EtcdBackendOptions,
  endpoints: string[],
  credentials: IOptions['credentials'] | undefined,
  ctx: FailureContext,
): Promise<KVBackend> {
  const { Etcd3: Etcd3Class } = await import('etcd3');

  // The password-to-token exchange shares the deadline of the call that triggered it.
  let deadline = Date.now() + opts.timeoutMs;
  const makeClient = (withAuth: boolean): Etcd3 => {
    const options: IOptions = {
      hosts: endpoints,
      grpcOptions: {
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
        'grpc.max_send_message_length': MAX_RECEIVE_BYTES,
        // Subchannels (and their sockets, destroyed on close) belong to this client alone.
        'grpc.use_local_subchannel_pool': 1,
      },
      faultHandling: { host: () => oncePolicy(1), global: oncePolicy(endpoints.length) },
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

  const call = async <R>(fn: (c: Etcd3, opts: { deadline: number }) => Promise<R>): Promise<R> => {
    deadline = Date.now() + opts.timeoutMs;
    try {
      return await fn(client, { deadline });
    } catch (err) {
      // calicoctl's Go client carries on without a token when the server has auth disabled.
      if (!authFallbackDone && isAuthNotEnabled(err)) {
        authFallbackDone = true;
        client.close();
        client = makeClient(false);
        deadline = Date.now() + opts.timeoutMs;
        try {
          return await fn(client, { deadline });
        } catch (retryErr) {
          throw await describeEtcdFailure(retryErr, ctx);
        }
      }
      throw await describeEtcdFailure(err, ctx);
    }
  };

  let closed = false;
  return {
    info: { type: 'etcdv3', endpoints, source: opts.source },
    range: (req) => call((c, o) => c.kv.range(toRangeRequest(req), o)).then(fromRangeResponse),
    txn: (req) =>
      call((c, o) => c.kv.txn(toTxnRequest(req), o)).then(
        (res) => ({
          succeeded: res.succeeded,
          revision: Number(res.header.revision),
          results: fromTxnResponses(res.succeeded ? req.success : (req.failure ?? []), res.responses),
        }),
        (err: Error) => {
          throw writes(req) ? describeWriteFailure(err, ctx) : err;
        },
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      client.close();
    },
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
 * A cockatiel-compatible policy that runs the call up to `attempts` times, retrying only errors
 * etcd3 marks recoverable (unavailable, deadline, ...). As the global policy it moves on to the next
 * endpoint on each attempt; every attempt shares the caller's deadline, so the total stays bounded.
 */
function oncePolicy(attempts: number): GlobalPolicy {
  const noEvent = () => ({ dispose: () => undefined });
  const policy = {
    onSuccess: noEvent,
    onFailure: noEvent,
    async execute<T>(
      fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T,
      signal?: AbortSignal,
    ): Promise<T> {
      const context = { signal: signal ?? new AbortController().signal };
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(context);
        } catch (err) {
          if (attempt >= attempts || !isRecoverable(err) || isDeadlineExceeded(err)) throw err;
        }
      }
    },
  };
  return policy as unknown as GlobalPolicy;
}

function isRecoverable(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    Object.getOwnPropertySymbols(err).some((s) => s.description === 'RecoverableError')
  );
}

function isDeadlineExceeded(err: unknown): boolean {
  return err instanceof Error && /DEADLINE_EXCEEDED|Deadline exceeded/.test(err.message);
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

function toRangeRequest(req: RangeRequest) {
  return {
    key: keyBytes(req.key),
    ...(req.rangeEnd !== undefined ? { range_end: rangeEndBytes(req.rangeEnd) } : {}),
    ...(req.revision ? { revision: req.revision } : {}),
    ...(req.limit ? { limit: req.limit } : {}),
    ...(req.keysOnly ? { keys_only: true } : {}),
    ...(req.countOnly ? { count_only: true } : {}),
    ...(req.serializable ? { serializable: true } : {}),
  };
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

function fromRangeResponse(res: {
  header: { revision: string };
  kvs: IKeyValue[];
  more: boolean;
  count: string;
}): RangeResponse {
  return {
    kvs: res.kvs.map(fromKeyValue),
    more: res.more,
    count: Number(res.count),
    revision: Number(res.header.revision),
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
