/**
 * One gRPC unary call over a node:http2 session (gRPC's 5-byte length prefix, `grpc-status` in the
 * trailers), for the lean etcd client (kv-client.ts). Failures are worded as grpc-js words them,
 * so that one classification (call-budget.ts) and one description (failures.ts) serve both clients.
 */
import { constants, type ClientHttp2Session } from 'node:http2';

import { GrpcMessage, type ChunkReader } from './protobuf.js';

/** A call that got no complete answer within its deadline (grpc-js words it the same way). */
export class CallDeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`4 DEADLINE_EXCEEDED: Deadline exceeded after ${timeoutMs} ms`);
  }
}

/**
 * Metadata sent with every call: a member that knows no leader answers "etcdserver: no leader" at
 * once (etcd's gRPC interceptor) instead of waiting for an election it cannot know the end of.
 */
export const REQUIRE_LEADER = { hasleader: 'true' } as const;

/**
 * One gRPC unary call of frame (the request message with its gRPC prefix: grpcFrame, or an encoder
 * that writes the prefix itself): the response message, or an Error worded as grpc-js words it.
 */
export function unary(
  session: ClientHttp2Session,
  path: string,
  frame: Buffer,
  metadata: Record<string, string>,
  timeoutMs: number,
): Promise<ChunkReader> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
      ...metadata,
    });
    const received = new GrpcMessage();
    let status: string | undefined;
    let statusMessage = '';
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new CallDeadlineError(timeoutMs));
    }, timeoutMs);
    const take = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined)
        statusMessage = decodeURIComponent(String(headers['grpc-message']));
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', (chunk: Buffer) => received.add(chunk));
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('close', () => {
      clearTimeout(timer);
      if (status === undefined) {
        reject(new Error(`14 UNAVAILABLE: stream closed without a gRPC status (${stream.rstCode ?? 0})`));
        return;
      }
      if (status !== '0') {
        reject(new Error(`${status} ${GRPC_CODES[Number(status)] ?? 'UNKNOWN'}: ${statusMessage}`));
        return;
      }
      const message = received.body();
      if (!message) {
        reject(new Error('13 INTERNAL: malformed gRPC response framing'));
        return;
      }
      resolve(message);
    });
    stream.end(frame);
  });
}

const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]; // prettier-ignore
