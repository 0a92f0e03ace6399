/** What both resource-command suites need: a real etcd for the file, and a CLI with a scratch dir. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll } from 'vitest';

import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';

/** Starts etcd before the file's tests and stops it after; call the result inside tests only. */
export function useEtcd(): () => EtcdServer {
  let etcd: EtcdServer | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  return () => {
    if (!etcd) throw new Error('etcd is not running');
    return etcd;
  };
}

export interface CliSession {
  dir: string;
  /** Writes a file into the session's directory and returns its path. */
  file(name: string, text: string): string;
  /** Runs the built CLI with the backend's environment, stdin from input when given. */
  cli(args: string[], input?: string): Promise<CliResult>;
}

export function cliSession(env: () => Record<string, string>): CliSession {
  const dir = tempDir();
  return {
    dir,
    file: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cli: (args, input) => runCli(args, { env: env(), ...(input !== undefined ? { input } : {}) }),
  };
}
