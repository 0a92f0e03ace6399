/**
 * The on-disk layout of the embedded store (one SQLite database in WAL mode).
 *
 * `kv` holds the live keys. `history` holds superseded versions of keys (overwritten or deleted),
 * each valid for revisions [mod_rev, superseded_rev), so reads at a recent older revision work
 * while other processes write. `revisions` records when each write revision happened, which is
 * what the retention window (see docs/architecture.md, "Embedded datastore") is measured on.
 * Values are stored last in each row so that reading revisions and counting never touch the
 * overflow pages that hold large values.
 */
import type { Database } from 'better-sqlite3';

/** "CTKV" in PRAGMA application_id marks a file as this tool's store. */
export const APPLICATION_ID = 0x43544b56;
export const SCHEMA_VERSION = 1;

/** Live keys by mod revision: what a watch reads (embedded/watch.ts adds it to older stores). */
export const MOD_REV_INDEX = 'CREATE INDEX IF NOT EXISTS kv_by_mod_rev ON kv (mod_rev)';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  value TEXT NOT NULL
);
${MOD_REV_INDEX};
CREATE TABLE IF NOT EXISTS history (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  superseded_rev INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_key ON history (key, mod_rev);
CREATE INDEX IF NOT EXISTS history_by_superseded ON history (superseded_rev);
CREATE TABLE IF NOT EXISTS revisions (
  rev INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compact_revision', 0);
`;

export type SchemaState = 'ready' | 'uninitialised' | 'foreign';

/** Whether db is this tool's store, an empty database not yet initialised, or something else. */
export function schemaState(db: Database): SchemaState {
  // One snapshot for both reads: another process may be creating the schema right now.
  return db.transaction((): SchemaState => {
    const appId = db.pragma('application_id', { simple: true });
    if (appId === APPLICATION_ID) return 'ready';
    const objects = db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() as number;
    return appId === 0 && objects === 0 ? 'uninitialised' : 'foreign';
  })();
}

/** Creates the tables; run inside a write transaction so concurrent first writers agree. */
export function createSchema(db: Database): void {
  db.exec(SCHEMA);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
