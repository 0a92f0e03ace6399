/**
 * Watching the embedded store: its own SQLite connection asks `PRAGMA data_version` every
 * POLL_MS (it changes when another connection commits; a read of the WAL index, no table touched),
 * and only when it changed reads what changed since the last revision it reported: live keys by
 * their mod revision (index kv_by_mod_rev) and deleted or overwritten ones by their superseded
 * revision (index history_by_superseded), so a change costs work proportional to the change.
 * Changes between two polls arrive as one batch at the newest revision. A store that does not
 * exist yet is waited for (it is created by its first write).
 */
import { statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { UnreachableError, WatchCompactedError } from '../../errors.js';
import type { Watch, WatchBatch, WatchEvent, WatchRequest } from '../contract.js';
import { MOD_REV_INDEX, schemaState } from './schema.js';
import { bound, toKeyValue, type Row } from './store.js';

/** How often the store is asked whether anything was committed: the longest a change waits. */
export const POLL_MS = 200;

export async function watchEmbedded(
  path: string,
  timeoutMs: number,
  req: WatchRequest,
  onChanges: (batch: WatchBatch) => void,
): Promise<Watch> {
  let db: Database.Database | undefined;
  let last = req.startRevision - 1;
  let seenVersion: unknown;
  let unreachableSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let fail!: (err: Error) => void;
  const ended = new Promise<never>((_, reject) => (fail = reject));
  ended.catch(() => undefined);

  const range = bound(req.key, req.rangeEnd);

  const open = (): Database.Database | undefined => {
    if (db) return db;
    if (!statSync(path, { throwIfNoEntry: false })) return undefined;
    const opened = new Database(path, { fileMustExist: true, timeout: timeoutMs });
    if (schemaState(opened) !== 'ready') {
      opened.close();
      return undefined;
    }
    const indexed = opened.prepare("SELECT 1 FROM sqlite_master WHERE name = 'kv_by_mod_rev'").get();
    // Stores made before the index existed get it once (a write: it waits for the write lock).
    if (!indexed) opened.exec(MOD_REV_INDEX);
    return (db = opened);
  };

  const statements = (conn: Database.Database) => ({
    meta: conn.prepare('SELECT value FROM meta WHERE name = ?').pluck(),
    // INDEXED BY: the key range alone would look cheaper to the planner and read every row.
    puts: conn.prepare(
      `SELECT key, create_rev, mod_rev, version, value FROM kv INDEXED BY kv_by_mod_rev
       WHERE mod_rev > ? AND ${range.sql} ORDER BY mod_rev, key`,
    ),
    gone: conn.prepare(
      `SELECT key, max(superseded_rev) AS mod_rev FROM history INDEXED BY history_by_superseded
       WHERE superseded_rev > ? AND ${range.sql} AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = history.key)
       GROUP BY key ORDER BY mod_rev, key`,
    ),
  });
  let prepared: ReturnType<typeof statements> | undefined;

  const changesSince = (sql: ReturnType<typeof statements>): WatchBatch | undefined => {
    const current = sql.meta.get('revision') as number;
    if (current <= last) return undefined;
    if (last < (sql.meta.get('compact_revision') as number))
      throw new WatchCompactedError(`the embedded store no longer holds the changes after revision ${last}`);
    const puts = sql.puts.all(last, ...range.params) as Row[];
    const gone = sql.gone.all(last, ...range.params) as { key: string; mod_rev: number }[];
    const events: WatchEvent[] = [
      ...gone.map((g): WatchEvent => ({ type: 'delete', key: g.key, modRevision: g.mod_rev })),
      ...puts.map((r): WatchEvent => ({ type: 'put', kv: toKeyValue(r) })),
    ];
    return { revision: current, events };
  };

  const poll = (): void => {
    try {
      const conn = open();
      if (conn) {
        const version = conn.pragma('data_version', { simple: true });
        if (version !== seenVersion) {
          seenVersion = version;
          prepared ??= statements(conn);
          const sql = prepared;
          const batch = conn.transaction(() => changesSince(sql)).deferred();
          if (batch) {
            last = batch.revision;
            if (batch.events.length > 0) onChanges(batch);
          }
        }
      }
      unreachableSince = undefined;
    } catch (err) {
      if (err instanceof WatchCompactedError) return stop(err);
      const code = (err as { code?: string }).code ?? '';
      // A lock held by a writer past the busy timeout is an outage; anything else ends the watch.
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED'))
        return stop(
          new UnreachableError(`embedded datastore ${path}: ${(err as Error).message}`, { cause: err }),
        );
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > req.outageMs)
        return stop(
          new UnreachableError(
            `embedded datastore ${path} stayed locked by another process for over ${req.outageMs} ms`,
            {
              hint: 'another calicoctl-ts is holding the store; retry, or raise --timeout',
              cause: err,
            },
          ),
        );
    }
    timer = setTimeout(poll, POLL_MS);
  };

  const stop = (err?: Error): void => {
    clearTimeout(timer);
    timer = undefined;
    db?.close();
    db = undefined;
    prepared = undefined;
    if (err) fail(err);
  };

  poll();
  return { ended, close: async () => stop() };
}
