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
 * Every call but Watch (Range, and Txn: every write) goes through kv-client.ts, a lean client
 * over node:http2 with etcd's messages encoded by hand (protobuf.ts), one per member. Watch goes
 * through etcd3 (watch.ts), loaded only by a command that watches.
 */
import { readFileSync } from 'node:fs';

import type { IOptions } from 'etcd3';

import type { EtcdConfig } from '../../config/types.js';
import { InputError } from '../../errors.js';
import {
  prefixEnd,
  rangeEndBytes,
  type KVBackend,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
} from '../contract.js';
import {
  etcdCallBudget,
  MemberOrder,
  messageOf,
  runOnMembers,
  type EtcdCallBudget,
  type EtcdTrace,
  type MadeAttempt,
  type MemberCall,
} from './call-budget.js';
import { withOwnSockets } from './client-sockets.js';
import { resolveEndpoints } from './discovery.js';
import { describeCallFailure, type FailureContext } from './failures.js';
import { openKvClient, CallDeadlineError, type KvClient } from './kv-client.js';

export interface EtcdBackendOptions {
  /** --timeout: what one etcd call may take in all, every attempt included (call-budget.ts). */
  timeoutMs: number;
  /** Where the configuration came from, for messages: "environment", "config file /etc/calico/calicoctl.cfg". */
  source: string;
  /** --debug: one line per attempt of every call (method, key, member, time, outcome). */
  trace?: EtcdTrace;
}

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
  const run = async <T>(call: MemberCall<T>, callBudget = budget(), made?: MadeAttempt): Promise<T> => {
    try {
      return await runOnMembers(members, callBudget, call, opts.trace, made);
    } catch (err) {
      throw await describeCallFailure(err, ctx);
    }
  };

  // Reads and writes go through the lean client, one per member (its auth token is the member's
  // own), so that the failover loop chooses where each attempt goes.
  const clients = new Map<string, KvClient>();
  const client = (member: string): KvClient => {
    let r = clients.get(member);
    if (!r) {
      r = openKvClient({
        endpoint: member,
        ...(credentials ? { tls: tlsOptions(credentials) } : {}),
        ...(cfg.username !== undefined && cfg.password !== undefined
          ? { auth: { username: cfg.username, password: cfg.password } }
          : {}),
      });
      clients.set(member, r);
    }
    return r;
  };
  const range = (req: RangeRequest): Promise<RangeResponse> =>
    run({
      what: `Range ${describeRange(req)}`,
      write: false,
      ...(req.serializable ? { serializable: true } : {}),
      attempt: (member, ms) => client(member).range(req, keyBytes(req.key), rangeEndOf(req), ms),
      summary: (res) => `${req.countOnly ? res.count : res.kvs.length} keys, revision ${res.revision}`,
    });

  // A streamed range goes on, on whichever member takes over, from the last key it handed over and
  // at the revision it was read at, so no key is handed over twice. A member whose stream fails
  // other than by its deadline (a cut connection, or an error the streaming client cannot tell: it
  // does not decode error headers) is asked the rest in one unary call, which reports etcd's answer.
  //
  // A call with a turn (a scan's next page) is sent at once to the first member, its response held
  // back by HTTP/2 flow control until its turn (h2-stream.ts). If it fails in any way, it goes on
  // the usual way from the last key it handed over once its turn has come, never before, so that
  // keys are handed over in order; its deadline runs from its turn, and so does the usual way's.
  const unstreamable = new Set<string>();
  const streamRange = (
    req: RangeRequest,
    onKeyValue: (kv: KeyValue) => void,
    turn?: Promise<void>,
  ): Promise<RangeResponse> => {
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
        const more = await client(member).range(
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
          const res = await client(member).streamRange(
            from,
            keyBytes(from.key),
            rangeEndOf(from),
            take,
            progress,
            ms,
          );
          return { ...res, count: before + res.count };
        } catch (err) {
          if (err instanceof CallDeadlineError) throw err;
          unstreamable.add(member);
        }
      }
      const again = rest();
      const res = await client(member).range(again, keyBytes(again.key), rangeEndOf(again), ms);
      const counted = handed;
      res.kvs.forEach(take);
      return { ...res, kvs: [], count: counted + res.count };
    };
    const call: MemberCall<RangeResponse> = {
      what: `Range ${describeRange(req)} (streamed)`,
      write: false,
      ...(req.serializable ? { serializable: true } : {}),
      attempt,
      summary: (res) => `${handed} keys, revision ${res.revision}`,
    };
    const member = members.first();
    if (!turn) return run(call);
    if (unstreamable.has(member)) return turn.then(() => run(call));
    // Its time runs from its turn (this runs before the client opens the stream's window).
    let fromTurn: EtcdCallBudget | undefined;
    turn.then(
      () => void (fromTurn = budget()),
      () => undefined,
    );
    const sent = Date.now();
    const ms = budget().perMemberMs;
    return client(member)
      .streamRange(req, keyBytes(req.key), rangeEndOf(req), take, progress, ms, turn)
      .then(
        (res) => {
          opts.trace?.(
            `etcd Range ${describeRange(req)} (sent ahead) at ${member}: ok ${Date.now() - sent} ms after it was sent (${handed} keys)`,
          );
          return res;
        },
        async (err: unknown) => {
          await turn;
          opts.trace?.(
            `etcd Range ${describeRange(req)} (sent ahead) at ${member}: ${messageOf(err).split('\n')[0]}`,
          );
          if (!(err instanceof CallDeadlineError)) {
            // As attempt() does: the member is asked the rest in one unary call.
            unstreamable.add(member);
            return run(call, fromTurn);
          }
          // It was the call's first attempt: the failover loop counts it, within the same time.
          return run(call, fromTurn, { member, error: err, budgetMs: ms });
        },
      );
  };

  const txn = (req: TxnRequest): Promise<TxnResponse> =>
    run({
      what: `Txn ${describeTxn(req)}`,
      write: writes(req),
      attempt: (member, ms) => client(member).txn(req, ms),
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
        { cfg, endpoints, credentials, timeoutMs: opts.timeoutMs, failure: ctx },
        req,
        onChanges,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const r of clients.values()) r.close();
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
