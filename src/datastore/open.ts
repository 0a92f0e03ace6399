/**
 * Opens the datastore a ClientConfig selects. Each backend is imported on demand, so a command on
 * the embedded store never loads etcd3/gRPC and one on etcd never loads SQLite.
 */
import type { ClientConfig } from '../config/types.js';
import { OperationError } from '../errors.js';
import type { Datastore, KVBackend } from './contract.js';
import { createDatastore } from './datastore.js';

export async function openDatastore(config: ClientConfig, opts: { timeoutMs: number }): Promise<Datastore> {
  return createDatastore(await openBackend(config, opts.timeoutMs));
}

async function openBackend(config: ClientConfig, timeoutMs: number): Promise<KVBackend> {
  if (config.datastoreType === 'etcdv3' && config.etcd) {
    const { openEtcdBackend } = await import('./etcd/backend.js');
    return openEtcdBackend(config.etcd, { timeoutMs, source: config.source });
  }
  if (config.datastoreType === 'embedded' && config.embedded) {
    const { openEmbeddedBackend } = await import('./embedded/backend.js');
    return openEmbeddedBackend({ path: config.embedded.path, source: config.source, timeoutMs });
  }
  throw new OperationError(`incomplete client configuration for datastore type ${config.datastoreType}`);
}
