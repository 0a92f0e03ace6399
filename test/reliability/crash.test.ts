/**
 * SIGKILL at 100 random moments of a write-heavy run of the embedded store: afterwards the store
 * always opens, passes SQLite's integrity check, holds exactly the state some prefix of the writes
 * produced, and has lost no write the killed process had seen committed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

import { createDatastore } from '../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../src/datastore/embedded/backend.js';
import { COUNTER, checkWriteLoopState } from './workers/write-loop.js';
import { tempDir } from '../helpers/temp.js';
import { mulberry32, randInt } from './prng.js';
import { bundleWorker } from './workers/bundle.js';

const CHAINS = 2;
const KILLS_PER_CHAIN = 50;
const SEED = 0x5eed;

let worker: string;
const dir = tempDir('calicoctl-ts-crash-');

beforeAll(async () => {
  worker = await bundleWorker('test/reliability/workers/write-loop-worker.ts');
});

interface Round {
  /** The last n the worker printed before it was killed (-1: it never opened the store). */
  acknowledged: number;
  killedAfterMs: number;
  phase: 'start-up' | 'writing';
}

/**
 * Starts the worker and SIGKILLs it: from spawn (start-up, opening the store) or while it writes.
 * A writing round waits for the worker's first write before its random delay, so every one of them
 * kills a process that is writing, however slowly a loaded machine runs it.
 */
async function killRound(path: string, next: () => number): Promise<Round> {
  const phase = randInt(next, 4) === 0 ? 'start-up' : 'writing';
  const delay = phase === 'start-up' ? randInt(next, 400) : randInt(next, 150);
  const child = spawn(process.execPath, [worker, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_c, sig) => resolve(sig)),
  );
  const writing = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/^\d+$/m.test(out)) resolve();
    });
  });
  // A worker that dies before it writes is reported below, by its exit.
  if (phase === 'writing') await Promise.race([writing, exited]);
  await new Promise((r) => setTimeout(r, delay));
  child.kill('SIGKILL');
  expect(await exited, stderr).toBe('SIGKILL');
  const numbers = out.match(/^\d+$/gm) ?? [];
  const startLine = /^started (\d+)$/m.exec(out);
  const acknowledged = numbers.length > 0 ? Number(numbers.at(-1)) : startLine ? Number(startLine[1]) : -1;
  return { acknowledged, killedAfterMs: delay, phase };
}

async function inspect(path: string): Promise<number> {
  // Read-write, as every real reader opens the store: a process killed while it switched a new store
  // to WAL can leave a hot rollback journal, which only a writable connection may roll back
  // (a read-only one fails with SQLITE_READONLY_ROLLBACK, "attempt to write a readonly database").
  const db = new Database(path, { fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
  const ds = createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
  try {
    const n = await checkWriteLoopState(ds);
    // Every write of the loop is one transaction, so the store's revision is the counter's.
    expect(await ds.currentRevision()).toBe((await ds.get(COUNTER))?.modRevision ?? 0);
    return n;
  } finally {
    await ds.close();
  }
}

/**
 * The test's own allowance: a hundred worker processes started one after another (two chains side
 * by side), each a node start-up, on a machine other tests load; not a measure of the store.
 */
const ALLOWANCE_MS = 300_000;

describe('embedded store under SIGKILL', () => {
  it(
    `${CHAINS * KILLS_PER_CHAIN} kills at random moments: always readable, a prefix, nothing acknowledged lost`,
    { timeout: ALLOWANCE_MS },
    async () => {
      const figures = { kills: 0, startUpKills: 0, maxWrites: 0, unacknowledgedCommits: 0 };
      const chain = async (c: number): Promise<void> => {
        const path = join(dir, `chain-${c}`, 'datastore.db');
        const next = mulberry32(SEED + c);
        let last = 0;
        for (let round = 0; round < KILLS_PER_CHAIN; round++) {
          const r = await killRound(path, next);
          figures.kills++;
          if (r.phase === 'start-up') figures.startUpKills++;
          let n = 0;
          try {
            n = await inspect(path);
          } catch (err) {
            if ((err as { code?: string }).code === 'SQLITE_CANTOPEN' && r.acknowledged < 0) continue;
            throw new Error(`chain ${c} round ${round} (${r.phase}, ${r.killedAfterMs} ms): ${String(err)}`);
          }
          // Nothing the worker saw committed is lost; at most one commit was not yet printed.
          expect(n, `chain ${c} round ${round}`).toBeGreaterThanOrEqual(Math.max(last, r.acknowledged));
          expect(n).toBeLessThanOrEqual(Math.max(last, r.acknowledged) + 1);
          if (n > Math.max(last, r.acknowledged)) figures.unacknowledgedCommits++;
          last = n;
        }
        figures.maxWrites = Math.max(figures.maxWrites, last);
      };
      await Promise.all(Array.from({ length: CHAINS }, (_, c) => chain(c)));
      console.log(`crash test: ${JSON.stringify(figures)}`);
      expect(figures.kills).toBe(CHAINS * KILLS_PER_CHAIN);
      // Every writing round (the seeded draw makes most of them so) added at least its first write.
      expect(figures.maxWrites).toBeGreaterThanOrEqual((figures.kills - figures.startUpKills) / CHAINS);
    },
  );
});
