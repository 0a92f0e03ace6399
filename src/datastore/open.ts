/**
 * Opens the datastore a ClientConfig selects. Each backend is imported on demand, so a command on
 * the embedded store never loads etcd3/gRPC and one on etcd never loads SQLite.
 */
import type { ClientConfig } from '../config/types.js';
import { OperationError } from '../errors.js';
import type { Datastore, KVBackend } from './contract.js';
import { createDatastore } from './datastore.js';

export interface OpenOptions {
  timeoutMs: number;
  /** --debug: called with one line per datastore request attempt (etcd). */
  trace?: (line: string) => void;
}

export async function openDatastore(config: ClientConfig, opts: OpenOptions): Promise<Datastore> {
  return createDatastore(await openBackend(config, opts));
}

async function openBackend(config: ClientConfig, { timeoutMs, trace }: OpenOptions): Promise<KVBackend> {
  if (config.datastoreType === 'etcdv3' && config.etcd) {
    const { openEtcdBackend } = await import('./etcd/backend.js');
    return openEtcdBackend(config.etcd, { timeoutMs, source: config.source, ...(trace ? { trace } : {}) });
  }
  if (config.datastoreType === 'embedded' && config.embedded) {
    const { openEmbeddedBackend } = await import('./embedded/backend.js');
    return openEmbeddedBackend({ path: config.embedded.path, source: config.source, timeoutMs });
  }
  throw new OperationError(`incomplete client configuration for datastore type ${config.datastoreType}`);
}
