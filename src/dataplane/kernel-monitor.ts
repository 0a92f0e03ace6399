/**
 * Changes of the kernel's links, addresses, routes and neighbours (FDB entries are neighbours of
 * the bridge family, so they come too) in the current network namespace, from an `ip monitor`
 * child: each line it prints is one change. Only that something changed is reported; what changed
 * is read again by node check.
 */
import { spawn } from 'node:child_process';

import { OperationError } from '../errors.js';

const MONITOR = ['ip', 'monitor', 'link', 'address', 'route', 'neigh'] as const;

export interface KernelMonitor {
  /** Rejects when the monitor stops by itself (it never should). */
  ended: Promise<never>;
  stop(): void;
}

export function monitorKernel(onChange: () => void): KernelMonitor {
  const [file, ...args] = MONITOR;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stopping = false;
  let stderr = '';
  child.stdout.on('data', () => onChange());
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ended = new Promise<never>((_resolve, reject) => {
    const fail = (why: string): void => {
      if (!stopping)
        reject(new OperationError(`cannot follow the kernel's changes: '${MONITOR.join(' ')}' ${why}`));
    };
    child.on('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ENOENT' ? 'failed: ip is not installed' : `failed: ${err.message}`),
    );
    child.on('close', (code) => fail(`exited (${code}): ${stderr.trim()}`));
  });
  ended.catch(() => undefined); // the caller races it; nothing else waits for it
  return {
    ended,
    stop: () => {
      stopping = true;
      child.kill();
    },
  };
}
