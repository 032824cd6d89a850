/**
 * Opening and closing fte's DuckDB store: forward migrations, the dead-writer check (runs left
 * `running`/`queued` by a dead process become `interrupted`), and the fallback to a running
 * sweep's snapshot for read-only opens (./snapshot.ts).
 */
import fs from 'node:fs';
import { Db, openDb, sqlTimestamp } from './db.js';
import { StoreCorruptError, StoreLockedError, StoreVersionError } from './errors.js';
import { SCHEMA_VERSION, migrate, readSchemaVersion } from './schema.js';
import { snapshotPath } from './snapshot.js';
import { Store } from './writer.js';

export { snapshotPath };

export interface OpenStoreOptions {
  /** Open with DuckDB's READ_ONLY access mode: never creates or modifies the file (read commands). */
  readOnly?: boolean;
  /** With `readOnly`: false refuses every file and URL but the store (DuckDB `enable_external_access=false`). */
  externalAccess?: boolean;
  /**
   * Read-only opens: when another process holds the write lock (a running sweep) and its snapshot
   * (`snapshotPath(file)`) exists, open the snapshot instead and call this with one line for stderr:
   * `store is locked by a running sweep (pid N); showing its snapshot from HH:MM:SS` (local time of
   * the snapshot). Without it, or without a snapshot, the lock stays a `StoreLockedError`.
   */
  onSnapshot?: (line: string) => void;
}

function hhmmss(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

/**
 * Open the store at `file` (`':memory:'` for tests): applies forward migrations and marks runs left
 * `running`/`queued` by a dead process as `interrupted` (writable opens only).
 * @throws StoreLockedError another process holds the file (message names the file and its PID);
 *   StoreMissingError read-only open of a missing file; StoreCorruptError not a DuckDB file / not an
 *   fte store; StoreVersionError the file's schema is newer than this build (or older, read-only).
 *   The file is left untouched in every error case.
 */
export async function openStore(file: string, options: OpenStoreOptions = {}): Promise<Store> {
  let db: Db;
  let fromSnapshot = false;
  try {
    db = await openDb(file, { readOnly: options.readOnly, externalAccess: options.externalAccess });
  } catch (err) {
    const snap = snapshotPath(file);
    if (!(err instanceof StoreLockedError) || !options.readOnly || !options.onSnapshot || file === ':memory:' || !fs.existsSync(snap)) throw err;
    const taken = fs.statSync(snap).mtime;
    db = await openDb(snap, { readOnly: true, externalAccess: options.externalAccess });
    fromSnapshot = true;
    options.onSnapshot(`store is locked by a running sweep (pid ${err.pid ?? '?'}); showing its snapshot from ${hhmmss(taken)}`);
  }
  try {
    const version = await db.exclusive((tx) => readSchemaVersion(tx));
    if (version !== null && version > SCHEMA_VERSION) {
      throw new StoreVersionError(
        `database ${file} has schema version ${version}, newer than this fte supports (${SCHEMA_VERSION}); upgrade fte to read it`,
      );
    }
    if (db.readOnly) {
      if (version === null) throw new StoreCorruptError(file, 'is not an fte store (no schema_version table)');
      if (version < SCHEMA_VERSION) {
        throw new StoreVersionError(
          `database ${file} has schema version ${version}, older than this fte's ${SCHEMA_VERSION}; run a writing command (e.g. \`fte sweep\`) once to migrate it`,
        );
      }
    } else {
      await db.exclusive((tx) => migrate(tx, version ?? 0, sqlTimestamp(new Date())));
    }
    const store = new Store(db);
    store.fromSnapshot = fromSnapshot;
    // Only the first writer in this process may conclude that 'running' runs belong to a dead process.
    if (!db.readOnly && !db.shared) store.interruptedOnOpen = await store.markInterrupted();
    await store.loadSeries();
    return store;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** Open the store, run `fn`, close it (also when `fn` throws). */
export async function withStore<T>(file: string, options: OpenStoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(file, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
