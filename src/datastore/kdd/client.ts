/**
 * The Kubernetes API calls of the KDD backend: JSON over HTTPS to one API server, every call within
 * the command's deadline (--timeout), every failure one CalicoError naming the server (kdd.md §3.5,
 * docs/kdd.md "Errors"):
 * - no connection or no answer in time: exit 3 (UnreachableError), naming the server and the
 *   kubeconfig context it came from; a write whose answer was lost says it may have been applied;
 * - 401/403: exit 3 with calicoctl's `connection is unauthorized: <server's message>`;
 * - anything else the server answers is handed back as a KubeResponse for the backend to decide.
 *
 * Requests go through node:https with a keep-alive agent, so that a paged list goes over one
 * connection and a deadline can cut any call. Tokens, client certificates and the CA are used as
 * client-go uses them; @kubernetes/client-node's KubeConfig, loaded dynamically and only then, runs
 * the exec and auth-provider credential plugins (see ownCredentials for why only then).
 */
import { readFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type AgentOptions,
  type RequestOptions,
} from 'node:https';

import type { KubeClientSettings } from '../../config/kubeconfig.js';
import { UnreachableError, WriteOutcomeUnknownError } from '../../errors.js';
import { WRITE_OUTCOME_UNKNOWN } from '../contract.js';

export interface KubeResponse {
  status: number;
  body: string;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. `/apis/crd.projectcalico.org/v1/ippools?limit=500`. */
  path: string;
  body?: string;
  contentType?: string;
}

/** A streamed response (watch): lines as they arrive; ended when the server closes it. */
export interface KubeStream {
  readonly status: number;
  /** Resolves when the stream ends normally, rejects when it fails. */
  readonly done: Promise<void>;
  close(): void;
}

export class KubeClient {
  private constructor(
    readonly server: string,
    /** Where the settings came from, for messages: `context admin in /root/.kube/config`. */
    readonly origin: string,
    private readonly agent: HttpAgent,
    private readonly headers: OutgoingHttpHeaders,
    readonly timeoutMs: number,
  ) {}

  static async open(settings: KubeClientSettings, timeoutMs: number): Promise<KubeClient> {
    const plain = settings.server.startsWith('http://');
    let credentials: Credentials;
    try {
      credentials =
        settings.exec !== undefined || settings.authProvider !== undefined
          ? await pluginCredentials(settings)
          : ownCredentials(settings);
    } catch (err) {
      throw new UnreachableError(
        `cannot use the credentials for the Kubernetes API server ${settings.server} (${settings.origin}): ${(err as Error).message}`,
        { code: 'KubeCredentials', hint: "check the kubeconfig user's certificate, key, token or plugin" },
      );
    }
    const { headers, tls } = credentials;
    // client-go only sends credentials over TLS.
    if (plain) delete headers.authorization;
    const agent = plain
      ? new HttpAgent({ keepAlive: true })
      : new HttpsAgent({
          keepAlive: true,
          ...tls,
          ...(settings.tlsServerName !== undefined ? { servername: settings.tlsServerName } : {}),
          rejectUnauthorized: !settings.insecureSkipTLSVerify,
        });
    return new KubeClient(settings.server, settings.origin, agent, headers, timeoutMs);
  }

  /** One request, its whole answer read within the deadline. */
  async request(req: KubeRequest): Promise<KubeResponse> {
    const res = await this.requestBytes(req);
    return { status: res.status, body: res.bytes.toString('utf8') };
  }

  /** request(), the answer left as bytes (a list page: list-items.ts). */
  async requestBytes(req: KubeRequest): Promise<{ status: number; bytes: Buffer }> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const res = await this.attempt(req, deadline - Date.now());
      // 429: the API server's flow control turned it away unprocessed; it says when to come back.
      const wait = res.status === 429 ? retryAfterMs(res.retryAfter) : undefined;
      if (wait === undefined || Date.now() + wait >= deadline) return res;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** One request within ms. */
  private attempt(
    req: KubeRequest,
    ms: number,
  ): Promise<{ status: number; bytes: Buffer; retryAfter?: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const r = this.send(req, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            bytes: Buffer.concat(chunks),
            ...(retryAfter !== undefined ? { retryAfter } : {}),
          });
        });
        res.on('error', (err) => fail(err));
      });
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(this.describe(req, err, answered));
      };
      const timer = setTimeout(() => r.destroy(new DeadlineError(this.timeoutMs)), Math.max(0, ms));
      r.on('error', fail);
      r.end(req.body);
    });
  }

  /**
   * A request whose answer is read line by line as it arrives (a watch). The deadline covers the
   * connection and the response headers only. A status other than 200 is read whole and handed to
   * onLine as one line.
   */
  async stream(path: string, onLine: (line: string) => void): Promise<KubeStream> {
    const req: KubeRequest = { method: 'GET', path };
    return new Promise<KubeStream>((resolve, reject) => {
      const r = this.send(req, (res) => {
        clearTimeout(timer);
        let rest = '';
        let closed = false;
        const done = new Promise<void>((ok, failed) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            rest += chunk;
            if (res.statusCode !== 200) return;
            let nl: number;
            while ((nl = rest.indexOf('\n')) >= 0) {
              const line = rest.slice(0, nl);
              rest = rest.slice(nl + 1);
              if (line.trim() !== '' && !closed) onLine(line);
            }
          });
          res.on('end', () => {
            if (rest.trim() !== '' && !closed) onLine(rest);
            ok();
          });
          res.on('error', (err) => (closed ? ok() : failed(this.describe(req, err, true))));
          r.on('error', (err) => (closed ? ok() : failed(this.describe(req, err, true))));
        });
        done.catch(() => undefined);
        resolve({
          status: res.statusCode ?? 0,
          done,
          close: () => {
            closed = true;
            r.destroy();
          },
        });
      });
      const timer = setTimeout(() => r.destroy(new DeadlineError(this.timeoutMs)), this.timeoutMs);
      r.on('error', (err) => {
        clearTimeout(timer);
        reject(this.describe(req, err, false));
      });
      r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private send(req: KubeRequest, onResponse: (res: IncomingMessage) => void) {
    const url = new URL(req.path, this.server.endsWith('/') ? this.server : this.server + '/');
    // The server URL may carry a path prefix (a proxy): requests go under it.
    const base = new URL(this.server);
    const path = (base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '')) + req.path;
    const headers: OutgoingHttpHeaders = { ...this.headers, accept: 'application/json' };
    if (req.body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return send(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        method: req.method,
        path,
        headers,
        agent: this.agent,
      },
      onResponse,
    );
  }

  private describe(req: KubeRequest, err: Error, answered: boolean): UnreachableError {
    const what = `${req.method} ${req.path.split('?')[0]}`;
    const why =
      err instanceof DeadlineError
        ? `no answer within ${formatMs(err.ms)}`
        : (err as NodeJS.ErrnoException).code === 'ECONNRESET' && answered
          ? 'the connection was cut'
          : err.message;
    const hint = 'check that the API server runs and answers at that address, or raise --timeout';
    const message = `cannot reach the Kubernetes API server ${this.server} (${this.origin}): ${what}: ${why}`;
    const notSent =
      NOT_SENT.has((err as NodeJS.ErrnoException).code ?? '') ||
      /certificate|self.signed|SSL|TLS/i.test(err.message);
    if (req.method !== 'GET' && !notSent) {
      // Sent, but no answer: it may or may not have been applied. A read tells.
      return new WriteOutcomeUnknownError(message, true, {
        code: 'KubeUnreachable',
        hint: `${WRITE_OUTCOME_UNKNOWN}; ${hint}`,
        cause: err,
      });
    }
    return new UnreachableError(message, { code: 'KubeUnreachable', hint, cause: err });
  }
}

interface Credentials {
  headers: OutgoingHttpHeaders;
  tls: Pick<AgentOptions, 'ca' | 'cert' | 'key'>;
}

/**
 * A token, a client certificate, basic auth and the CA, as client-go uses them: what nearly every
 * kubeconfig holds. Loading @kubernetes/client-node costs 70 MB of memory (its generated API comes with
 * its KubeConfig), a third of `ipam show`'s budget (docs/kdd.md, "Client"), so it is loaded only for
 * credential plugins.
 */
function ownCredentials(settings: KubeClientSettings): Credentials {
  const pem = (data: string | undefined, file: string | undefined): Buffer | undefined =>
    data !== undefined ? Buffer.from(data, 'base64') : file !== undefined ? readFileSync(file) : undefined;
  const headers: OutgoingHttpHeaders = {};
  if (settings.token !== undefined) headers.authorization = `Bearer ${settings.token}`;
  else if (settings.username !== undefined || settings.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${settings.username ?? ''}:${settings.password ?? ''}`).toString('base64')}`;
  const ca = pem(settings.caData, settings.caFile);
  const cert = pem(settings.certData, settings.certFile);
  const key = pem(settings.keyData, settings.keyFile);
  return {
    headers,
    tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) },
  };
}

/** exec and auth-provider plugins, through @kubernetes/client-node's KubeConfig. */
async function pluginCredentials(settings: KubeClientSettings): Promise<Credentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const plain = settings.server.startsWith('http://');
  kc.loadFromOptions({
    clusters: [
      {
        name: 'calico',
        server: settings.server,
        // client-node refuses http:// unless TLS verification is off (there is no TLS to verify).
        skipTLSVerify: settings.insecureSkipTLSVerify || plain,
        ...(settings.caData !== undefined ? { caData: settings.caData } : {}),
        ...(settings.caFile !== undefined ? { caFile: settings.caFile } : {}),
      },
    ],
    users: [
      {
        name: 'calico',
        ...(settings.certData !== undefined ? { certData: settings.certData } : {}),
        ...(settings.certFile !== undefined ? { certFile: settings.certFile } : {}),
        ...(settings.keyData !== undefined ? { keyData: settings.keyData } : {}),
        ...(settings.keyFile !== undefined ? { keyFile: settings.keyFile } : {}),
        ...(settings.exec !== undefined ? { exec: settings.exec } : {}),
        ...(settings.authProvider !== undefined ? { authProvider: settings.authProvider } : {}),
      },
    ],
    contexts: [{ name: 'calico', cluster: 'calico', user: 'calico' }],
    currentContext: 'calico',
  });
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls = (opts.agent as HttpsAgent | undefined)?.options ?? {};
  return {
    headers: { ...(opts.headers as OutgoingHttpHeaders | undefined) },
    tls: {
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
    },
  };
}

/** Retry-After in ms (seconds, as kube-apiserver sends it), between 0.1 and 1 s; 1 s when absent or odd. */
function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(1000, Math.max(100, seconds * 1000)) : 1000;
}

/** Failures that happen before a request reaches the server: a write that failed so was not applied. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${formatMs(ms)}`);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
