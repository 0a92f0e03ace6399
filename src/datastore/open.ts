/**
 * Opens the datastore a ClientConfig selects. Each backend is imported on demand, so a command on
 * the embedded store never loads etcd3/gRPC or the Kubernetes client, and one on etcd never loads
 * SQLite.
 */
import type { ClientConfig } from '../config/types.js';
import { OperationError } from '../errors.js';
import type { Datastore, KVBackend } from './contract.js';
import { createDatastore } from './datastore.js';

export interface OpenOptions {
  timeoutMs: number;
  /** --debug: called with one line per datastore request attempt (etcd). */
  trace?: (line: string) => void;
  /** Problems that do not stop the command (a kubeconfig not found, an object a list skips). */
  warn?: (line: string) => void;
  /** The environment, for what Kubernetes' client configuration reads (in-cluster variables). */
  env?: NodeJS.ProcessEnv;
}

export async function openDatastore(config: ClientConfig, opts: OpenOptions): Promise<Datastore> {
  return createDatastore(await openBackend(config, opts));
}

async function openBackend(
  config: ClientConfig,
  { timeoutMs, trace, warn, env }: OpenOptions,
): Promise<KVBackend> {
  if (config.datastoreType === 'etcdv3' && config.etcd) {
    const { openEtcdBackend } = await import('./etcd/backend.js');
    return openEtcdBackend(config.etcd, { timeoutMs, source: config.source, ...(trace ? { trace } : {}) });
  }
  if (config.datastoreType === 'embedded' && config.embedded) {
    const { openEmbeddedBackend } = await import('./embedded/backend.js');
    return openEmbeddedBackend({ path: config.embedded.path, source: config.source, timeoutMs });
  }
  if (config.datastoreType === 'kubernetes' && config.kubernetes) {
    const [{ resolveKubeClient }, { openKddBackend }] = await Promise.all([
      import('../config/kubeconfig.js'),
      import('./kdd/backend.js'),
    ]);
    const settings = resolveKubeClient(config.kubernetes, { env: env ?? process.env });
    for (const line of settings.warnings) warn?.(line);
    return openKddBackend(settings, { timeoutMs, source: config.source, ...(warn ? { warn } : {}) });
  }
  throw new OperationError(`incomplete client configuration for datastore type ${config.datastoreType}`);
}
