/**
 * The read-only copy of the store that a running sweep publishes for readers (`<file>.snapshot`):
 * DuckDB lets no other process open a file while one writes it, so `fte runs` / `fte show` read the
 * snapshot instead while a sweep runs (see `OpenStoreOptions.onSnapshot` in ./open.ts).
 */
import fs from 'node:fs';
import { quoteIdent, type Db } from './db.js';

/**
 * The snapshot path of the store at `file` (`<file>.snapshot`, e.g. `.fte/fte.duckdb.snapshot`).
 */
export function snapshotPath(file: string): string {
  return `${file}.snapshot`;
}

/** A SQL string literal (a file path for ATTACH, which cannot be bound). */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Copy every table, view and sequence of `db` (`ATTACH` + `COPY FROM DATABASE`, in one transaction
 * of its connection) into a temporary file beside `target`, then rename it over `target` (readers
 * that have the old file open keep reading it). Cost: one full copy of the store.
 * @returns `target`
 */
export async function copyDatabase(db: Db, target: string): Promise<string> {
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.rmSync(`${tmp}.wal`, { force: true });
  await db.exclusive(async (tx) => {
    const [{ name }] = (await tx.all<{ name: string }>(`SELECT current_database() AS name`)) as [{ name: string }];
    await tx.run(`ATTACH ${sqlString(tmp)} AS fte_snapshot`);
    try {
      await tx.run(`COPY FROM DATABASE ${quoteIdent(name)} TO fte_snapshot`);
    } finally {
      await tx.run(`DETACH fte_snapshot`);
    }
  });
  fs.renameSync(tmp, target);
  return target;
}
