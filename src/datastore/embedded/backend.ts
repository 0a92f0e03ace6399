/**
 * The embedded datastore: etcd v3 semantics in one SQLite file (WAL journal), shared safely by
 * any number of processes. Nothing touches the disk until the first write: reads of a store that
 * does not exist yet see an empty keyspace at revision 0. The first write creates the missing
 * directories (0700) and the database file (0600; SQLite gives its -wal and -shm files the same mode).
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Database from 'better-sqlite3';

import { InputError, OperationError, UnreachableError, isCalicoError } from '../../errors.js';
import type {
  DatastoreInfo,
  KeyValue,
  KVBackend,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  Watch,
  WatchBatch,
  WatchRequest,
} from '../contract.js';
import { createSchema, schemaState } from './schema.js';
import { SqlStore } from './store.js';
import { watchEmbedded } from './watch.js';

export interface EmbeddedOptions {
  /** The database file. */
  path: string;
  /** Where the configuration came from, for messages (e.g. "default", "env DATASTORE_PATH"). */
  source: string;
  /** How long to wait for another process's write lock before giving up. */
  timeoutMs: number;
}

export async function openEmbeddedBackend(opts: EmbeddedOptions): Promise<KVBackend> {
  const backend = new EmbeddedBackend(resolve(opts.path), opts.source, opts.timeoutMs);
  backend.openIfPresent();
  return backend;
}

class EmbeddedBackend implements KVBackend {
  readonly info: DatastoreInfo;
  private db: Database.Database | undefined;
  private store: SqlStore | undefined;
  /** Stands in for a store that does not exist yet, so reads need no special cases. */
  private empty: { db: Database.Database; store: SqlStore } | undefined;

  constructor(
    private readonly path: string,
    source: string,
    private readonly timeoutMs: number,
  ) {
    this.info = { type: 'embedded', path, source };
  }

  async range(req: RangeRequest): Promise<RangeResponse> {
    return this.guard(() => this.readable().range(req));
  }

  /** Reads in-process with nothing held per key, so scan reads all it can in one call. */
  readonly streamWholeRange = true;

  async streamRange(req: RangeRequest, onKeyValue: (kv: KeyValue) => void): Promise<RangeResponse> {
    // What the visitor throws is its own failure, not the store's: it passes through guard unchanged.
    let visitorFailure: { error: unknown } | undefined;
    const visit = (kv: KeyValue): void => {
      try {
        onKeyValue(kv);
      } catch (error) {
        visitorFailure = { error };
        throw error;
      }
    };
    try {
      return this.guard(() => this.readable().streamRange(req, visit));
    } catch (err) {
      throw visitorFailure ? visitorFailure.error : err;
    }
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    return this.guard(() => {
      const existing = this.openIfPresent();
      if (existing) return existing.txn(req);
      // No store yet: try the txn on an empty one; only if it writes is the real store created,
      // and the txn runs there afresh (another process may have created it meanwhile).
      const trial = this.emptyStore().txn(req);
      if (trial.revision === 0) return trial;
      this.dropEmptyStore();
      return this.create().txn(req);
    });
  }

  watch(req: WatchRequest, onChanges: (batch: WatchBatch) => void): Promise<Watch> {
    return watchEmbedded(this.path, this.timeoutMs, req, onChanges);
  }

  async close(): Promise<void> {
    this.dropEmptyStore();
    this.db?.close();
    this.db = undefined;
    this.store = undefined;
  }

  /** Opens the file if it exists, checking that it is a store; never creates anything. */
  openIfPresent(): SqlStore | undefined {
    if (this.store) return this.store;
    return this.guard(() => {
      const stat = statOrUndefined(this.path);
      if (!stat) return undefined;
      if (!stat.isFile()) {
        throw new InputError(`embedded datastore ${this.path} is not a regular file`, {
          hint: 'point the datastore path at a store file (it is created on the first write)',
        });
      }
      const db = new Database(this.path, { fileMustExist: true, timeout: this.timeoutMs });
      try {
        const state = schemaState(db);
        if (state === 'foreign') throw this.notAStore();
        if (state === 'uninitialised') this.initialise(db);
        return this.adopt(db);
      } catch (err) {
        db.close();
        throw err;
      }
    });
  }

  private readable(): SqlStore {
    return this.openIfPresent() ?? this.emptyStore();
  }

  private emptyStore(): SqlStore {
    if (!this.empty) {
      const db = new Database(':memory:');
      createSchema(db);
      this.empty = { db, store: new SqlStore(db) };
    }
    return this.empty.store;
  }

  private dropEmptyStore(): void {
    this.empty?.db.close();
    this.empty = undefined;
  }

  private create(): SqlStore {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    try {
      closeSync(openSync(this.path, 'wx', 0o600));
    } catch (err) {
      // Another process created it first: fine, it is initialised under the write lock below.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const store = this.openIfPresent();
    if (!store) throw new OperationError(`embedded datastore ${this.path} vanished while being created`);
    return store;
  }

  private initialise(db: Database.Database): void {
    db.pragma('journal_mode = WAL');
    db.transaction(() => {
      if (schemaState(db) === 'uninitialised') createSchema(db);
    }).immediate();
  }

  private adopt(db: Database.Database): SqlStore {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    // FULL: a committed write survives power loss, not only a killed process.
    db.pragma('synchronous = FULL');
    // Keep the WAL file from staying as large as the largest write after a checkpoint.
    db.pragma('journal_size_limit = 67108864');
    this.db = db;
    this.store = new SqlStore(db);
    return this.store;
  }

  private notAStore(): InputError {
    return new InputError(`${this.path} is not a calicoctl-ts embedded datastore`, {
      hint: 'point the datastore path at a store file, or move this file away (a new store is created on the first write)',
    });
  }

  /** Turns SQLite and file-system failures into the tool's errors, naming the store. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (isCalicoError(err)) throw err;
      const code = (err as { code?: string }).code ?? '';
      const detail = (err as Error).message;
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new UnreachableError(
          `embedded datastore ${this.path} is locked by another process: gave up after ${this.timeoutMs} ms`,
          { hint: 'another calicoctl-ts is using the store; retry, or raise --timeout', cause: err },
        );
      }
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new InputError(`embedded datastore ${this.path}: a part of the path is not a directory`, {
          hint: 'point the datastore path at a file inside a directory',
          cause: err,
        });
      }
      if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
        throw new InputError(`${this.path} is not a calicoctl-ts embedded datastore: ${detail}`, {
          hint: 'restore the store from an export (datastore import), or move this file away',
          cause: err,
        });
      }
      throw new OperationError(`embedded datastore ${this.path}: ${detail}`, {
        hint: 'check that the file and its directory are readable and writable by you',
        cause: err,
      });
    }
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
