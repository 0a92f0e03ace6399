/**
 * One datastore session per command: load the client config, open the datastore it selects, run
 * calicoctl's version-mismatch check, run the command's work, and always close, so the process
 * exits as soon as the work is done (an open gRPC channel would keep it alive).
 */
import { loadClientConfig } from '../config/load.js';
import type { ClientConfig } from '../config/types.js';
import type { Datastore } from '../datastore/contract.js';
import { openDatastore } from '../datastore/open.js';
import { clientVersion } from '../version/client-version.js';
import { checkVersionMismatch } from './cluster-info.js';
import { parseDuration } from './duration.js';

export interface DatastoreFlags {
  config?: string;
  timeout: string;
  'allow-version-mismatch'?: boolean;
  debug?: boolean;
  /** --context: calicoctl sets K8S_CURRENT_CONTEXT from it. */
  context?: string;
}

export interface SessionOptions {
  /** Run the version-mismatch check first (default true; `version` and `validate` turn it off). */
  versionCheck?: boolean;
  /** The environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export async function withDatastore<T>(
  flags: DatastoreFlags,
  fn: (ds: Datastore, config: ClientConfig) => Promise<T>,
  opts: SessionOptions = {},
): Promise<T> {
  const timeoutMs = parseDuration(flags.timeout);
  const baseEnv = opts.env ?? process.env;
  const env = flags.context !== undefined ? { ...baseEnv, K8S_CURRENT_CONTEXT: flags.context } : baseEnv;
  const config = loadClientConfig({
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    env,
  });
  for (const warning of config.warnings ?? []) process.stderr.write(`${warning}\n`);
  const ds = await openDatastore(config, {
    timeoutMs,
    env,
    warn: (line: string) => process.stderr.write(`${line}\n`),
    ...(flags.debug ? { trace: (line: string) => process.stderr.write(`debug: ${line}\n`) } : {}),
  });
  try {
    if ((opts.versionCheck ?? true) && !flags['allow-version-mismatch']) {
      await checkVersionMismatch(ds, clientVersion());
    }
    return await fn(ds, config);
  } finally {
    await ds.close();
  }
}

/** While watching, the datastore may stay unreachable this many times --timeout in a row. */
export const OUTAGE_TIMEOUTS = 6;

/** How long a watch may stay without its datastore before the command fails (exit 3). */
export function watchOutageMs(flags: Pick<DatastoreFlags, 'timeout'>): number {
  return OUTAGE_TIMEOUTS * parseDuration(flags.timeout);
}
