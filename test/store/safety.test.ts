import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { openStore, type Store } from '../../src/store/index.js';
import { StoreCorruptError, StoreLockedError, StoreMissingError, StoreVersionError } from '../../src/store/errors.js';
import { runSql } from '../../src/store/sql.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { exportStore } from '../../src/store/export.js';
import { seedFile } from './seed-db.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const jiti = path.resolve(here, '../../node_modules/jiti/lib/jiti-cli.mjs');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-store-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const count = async (s: Store, sql: string) => (await s.db.all<{ n: number }>(sql))[0]!.n;

describe('crash safety', () => {
  it('a crash inside writeRunOutcome leaves no partial rows; the run becomes interrupted on the next open', async () => {
    const file = path.join(dir, 'crash.duckdb');
    const child = spawnSync(process.execPath, [jiti, path.join(here, 'children/crash-mid-outcome.ts'), file], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).not.toContain('not reached');
    const store = await openStore(file);
    try {
      expect(store.interruptedOnOpen).toBe(1);
      const run = (await store.db.all(`SELECT status, finished_at IS NOT NULL AS finished, final_val_loss, error FROM runs WHERE run_id = 'r1'`))[0];
      expect(run).toEqual({ status: 'interrupted', finished: true, final_val_loss: null, error: null });
      for (const t of ['eval_results', 'predictions', 'costs', 'artifacts']) {
        expect(await count(store, `SELECT count(*) AS n FROM ${t}`), t).toBe(0);
      }
      // the step metrics appended during the run are kept; the outcome's remaining ones are not
      expect(await count(store, `SELECT count(*) AS n FROM step_metrics WHERE run_id = 'r1' AND split = 'train'`)).toBe(20);
      expect(await count(store, `SELECT max(step) AS n FROM step_metrics WHERE run_id = 'r1'`)).toBe(9);
      expect((await store.listSweeps())[0]!.status).toBe('interrupted');
      expect((await store.listRuns({ status: 'interrupted' })).total).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a failing outcome rolls back everything it wrote and leaves the run running', async () => {
    const store = await openStore(':memory:');
    try {
      const { seed, outcome, PARAMS } = await import('./fixtures.js');
      const { sweepId } = await seed(store);
      await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
      const bad = outcome('r1');
      bad.artifacts = [{ kind: 'adapter', path: null as unknown as string, bytes: 1, sha256: 'x' }]; // violates NOT NULL
      await expect(store.writeRunOutcome(bad)).rejects.toThrow();
      expect(await count(store, `SELECT count(*) AS n FROM eval_results`)).toBe(0);
      expect(await count(store, `SELECT count(*) AS n FROM costs`)).toBe(0);
      expect((await store.db.all(`SELECT status FROM runs`))[0]).toEqual({ status: 'running' });
      expect(await store.markInterrupted(['r1'])).toBe(1);
      expect(await store.markInterrupted(['r1'])).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('bad database files', () => {
  it('names the file and the holding PID when another process has it open', async () => {
    const file = path.join(dir, 'locked.duckdb');
    await seedFile(file);
    const holder = spawn(process.execPath, [path.join(here, 'children/hold-lock.mjs'), file], { cwd: path.resolve(here, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      for (const readOnly of [false, true]) {
        const err = await openStore(file, { readOnly }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StoreLockedError);
        expect((err as Error).message).toBe(`database ${file} is locked by another fte process (PID ${holder.pid}); wait for it or use --db`);
        expect((err as StoreLockedError).pid).toBe(holder.pid);
      }
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses a missing file read-only, without creating it', async () => {
    const file = path.join(dir, 'missing.duckdb');
    await expect(openStore(file, { readOnly: true })).rejects.toBeInstanceOf(StoreMissingError);
    expect(fs.existsSync(file)).toBe(false);
  });

  it.each([false, true])('refuses a corrupt file and leaves it untouched (readOnly=%s)', async (readOnly) => {
    const file = path.join(dir, `corrupt-${readOnly}.duckdb`);
    fs.writeFileSync(file, 'not a database\n'.repeat(300));
    const before = sha(file);
    await expect(openStore(file, { readOnly })).rejects.toBeInstanceOf(StoreCorruptError);
    expect(sha(file)).toBe(before);
    expect(fs.existsSync(`${file}.wal`)).toBe(false);
  });

  it('refuses a DuckDB file that is not an fte store when reading', async () => {
    const file = path.join(dir, 'foreign.duckdb');
    const inst = await DuckDBInstance.create(file);
    (await inst.connect()).closeSync();
    inst.closeSync();
    await expect(openStore(file, { readOnly: true })).rejects.toThrow(/is not an fte store/);
  });

  it.each([false, true])('refuses a newer schema version and leaves the file untouched (readOnly=%s)', async (readOnly) => {
    const file = path.join(dir, `newer-${readOnly}.duckdb`);
    await seedFile(file);
    const inst = await DuckDBInstance.create(file);
    const c = await inst.connect();
    await c.run(`INSERT INTO schema_version VALUES (99, 'from the future', TIMESTAMP '2030-01-01')`);
    await c.run('CHECKPOINT');
    c.closeSync();
    inst.closeSync();
    const before = sha(file);
    const err = await openStore(file, { readOnly }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreVersionError);
    expect((err as Error).message).toBe(`database ${file} has schema version 99, newer than this fte supports (${SCHEMA_VERSION}); upgrade fte to read it`);
    expect(sha(file)).toBe(before);
  });
});

describe('fte query engine', () => {
  it.each([
    ['DELETE FROM runs', 'DELETE'],
    ['drop table runs', 'DROP'],
    ["update runs set status = 'failed'", 'UPDATE'],
    ["insert into experiments (experiment_id, name, created_at) values ('x', 'x', now())", 'INSERT'],
    ['alter table runs add column x int', 'ALTER'],
    ['create table t (a int)', 'CREATE'],
    ['select 1; delete from runs', 'DELETE'],
  ])('refuses %s without --write, before running anything', async (sql, kind) => {
    const file = path.join(dir, 'ro.duckdb');
    if (!fs.existsSync(file)) await seedFile(file);
    const before = sha(file);
    const store = await openStore(file, { readOnly: true });
    try {
      await expect(runSql(store.db, sql)).rejects.toThrow(new RegExp(`is ${kind}, which modifies the store; fte query is read-only unless --write`));
    } finally {
      await store.close();
    }
    expect(sha(file)).toBe(before);
  });

  it('runs reads, reports invalid SQL in one line, and writes with --write', async () => {
    const store = await openStore(':memory:');
    try {
      const res = await runSql(store.db, `SELECT 1::BIGINT AS one, 'a' AS s, TIMESTAMP '2026-01-02 03:04:05' AS t`);
      expect(res).toEqual({
        columns: [{ name: 'one', type: 'BIGINT' }, { name: 's', type: 'VARCHAR' }, { name: 't', type: 'TIMESTAMP' }],
        rows: [{ one: 1, s: 'a', t: '2026-01-02T03:04:05.000Z' }],
        rowCount: 1,
        statements: 1,
        limit: 1000,
        truncated: false,
      });
      await expect(runSql(store.db, 'selec 1')).rejects.toThrow(/^invalid SQL: Parser Error: syntax error at or near "selec" \(line 1\)$/);
      await expect(runSql(store.db, 'select * from nope')).rejects.toThrow(/Table with name nope does not exist/);
      await runSql(store.db, `CREATE TABLE notes (x INT); INSERT INTO notes VALUES (1)`, { write: true });
      expect((await runSql(store.db, 'select count(*) AS n from notes')).rows).toEqual([{ n: 1 }]);
    } finally {
      await store.close();
    }
  });
});

describe('export', () => {
  it.each(['parquet', 'csv', 'json'])('round-trips every table through %s (DuckDB reads back the same rows)', async (format) => {
    const file = path.join(dir, `export-${format}.duckdb`);
    await seedFile(file);
    const out = path.join(dir, `out-${format}`);
    const store = await openStore(file, { readOnly: true });
    try {
      const res = await exportStore(store.db, { format, out });
      expect(res.tables.map((t) => t.table)).toEqual(['experiments', 'sweeps', 'runs', 'run_params', 'step_metrics', 'eval_results', 'predictions', 'costs', 'artifacts', 'run_summary']);
      const reader = { parquet: 'read_parquet', csv: 'read_csv_auto', json: 'read_json_auto' }[format]!;
      for (const t of res.tables) {
        const n = await count(store, `SELECT count(*) AS n FROM ${t.table}`);
        expect(t.rows, t.table).toBe(n);
        if (format !== 'parquet') continue;
        // same rows, same values (a symmetric difference of zero rows)
        const diff = await store.db.all<{ n: number }>(
          `SELECT count(*) AS n FROM ((SELECT * FROM ${t.table} EXCEPT ALL SELECT * FROM ${reader}($1)) UNION ALL (SELECT * FROM ${reader}($1) EXCEPT ALL SELECT * FROM ${t.table}))`,
          [t.path],
        );
        expect(diff[0]!.n, t.table).toBe(0);
      }
      if (format !== 'parquet') {
        const back = await store.db.all<{ n: number }>(`SELECT count(*) AS n FROM ${reader}($1)`, [path.join(out, `eval_results.${format}`)]);
        expect(back[0]!.n).toBe(10);
      }
      await expect(exportStore(store.db, { format, out: path.join(dir, 'x'), table: 'nope' })).rejects.toThrow(/unknown table 'nope'; known: artifacts, confusion_matrix, costs/);
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown format, a missing folder, and a file where a folder is needed', async () => {
    const store = await openStore(':memory:');
    try {
      await expect(exportStore(store.db, { format: 'xlsx', out: dir })).rejects.toThrow("unknown export format 'xlsx'; known: parquet, csv, json");
      const missing = path.join(dir, 'no', 'such', 'runs.csv');
      await expect(exportStore(store.db, { format: 'csv', out: missing, table: 'runs' })).rejects.toThrow(`folder ${path.dirname(missing)} does not exist (for --out ${missing})`);
      const file = path.join(dir, 'a-file');
      fs.writeFileSync(file, '');
      await expect(exportStore(store.db, { format: 'csv', out: file })).rejects.toThrow(`--out ${file} is a file; exporting every table needs a folder (or pass --table)`);
    } finally {
      await store.close();
    }
  });
});

describe('several stores on one file in one process', () => {
  it('share one DuckDB instance; a second writable open does not interrupt the first one\'s runs', async () => {
    const file = path.join(dir, 'shared.duckdb');
    const a = await openStore(file);
    const { seed, PARAMS } = await import('./fixtures.js');
    const { sweepId } = await seed(a);
    await a.startRun({ runId: 'live', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    const b = await openStore(file);
    const c = await openStore(file, { readOnly: true });
    try {
      expect(b.interruptedOnOpen).toBe(0);
      expect(c.noLiveWriter).toBe(false);
      expect((await c.listRuns()).runs.map((r) => r.status)).toEqual(['running']);
      await expect(c.startRun({ runId: 'x', sweepId, variantKey: 'k', method: 'lora', params: {} })).rejects.toThrow(/is open read-only/);
    } finally {
      await c.close();
      await b.close();
      await a.close();
    }
    const d = await openStore(file);
    expect(d.interruptedOnOpen).toBe(1);
    await d.close();
  });

  it('reads a file a crashed writer left with a WAL, read-only, without changing it', async () => {
    const file = path.join(dir, 'crash-ro.duckdb');
    const child = spawnSync(process.execPath, [jiti, path.join(here, 'children/crash-mid-outcome.ts'), file], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const files = () => fs.readdirSync(dir).filter((f) => f.startsWith('crash-ro')).map((f) => [f, sha(path.join(dir, f))]);
    const before = files();
    const store = await openStore(file, { readOnly: true });
    try {
      expect((await store.listRuns()).runs.map((r) => [r.runId, r.status])).toEqual([['r1', 'running']]);
      expect(store.noLiveWriter).toBe(true);
      expect(await count(store, `SELECT count(*) AS n FROM eval_results`)).toBe(0);
    } finally {
      await store.close();
    }
    expect(files()).toEqual(before);
  });
});
