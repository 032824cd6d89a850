/**
 * `fte query` without --write must not write anything: not the store, not a file named in SQL, not an
 * extension download. Read-only is enforced by DuckDB (READ_ONLY access mode, locked configuration,
 * no extension auto-install) and by DuckDB's own statement types; results are streamed and capped.
 * End-to-end through the built CLI (test/store/commands.test.ts builds dist/ when stale).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFile } from './seed-db.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir: string;
let db: string;
let victim: string;
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function fte(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args, '--db', db], {
    cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', HOME: path.join(dir, 'home') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-query-ro-'));
  fs.mkdirSync(path.join(dir, 'home'));
  db = path.join(dir, 'fte.duckdb');
  await seedFile(db);
  victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'a,b\n1,2\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fte query without --write writes nothing', () => {
  it.each([
    [`set log_query_path='victim.txt'; select 1`, /^fte: statement 1 is SET, which changes settings; fte query is read-only unless --write is given\n$/],
    [`select 1; reset threads`, /^fte: statement 2 is SET, which changes settings;/],
    [`pragma enable_profiling`, /^fte: statement 1 is PRAGMA, which changes settings;/],
    [`pragma version`, /^fte: a statement is not a SELECT \(a PRAGMA\? use its table function/],
    [`explain analyze delete from runs`, /^fte: statement 1 is EXPLAIN; fte query runs only SELECT statements unless --write is given\n$/],
    [`install httpfs`, /^fte: statement 1 is LOAD, which installs or loads extensions;/],
    [`load httpfs`, /^fte: statement 1 is LOAD, which installs or loads extensions;/],
    [`attach 'other.duckdb' as o`, /^fte: statement 1 is ATTACH, which modifies the store;/],
    [`select '--'; export database 'e4'`, /^fte: statement 2 is not a SELECT and reaches files \(.*\); fte query runs only SELECT statements unless --write is given\n$/],
    [`select 1; copy runs to 'out.csv'`, /^fte: statement 2 is not a SELECT and reaches files/],
    [`copy (select 1) to 'out.csv'`, /^fte: statement 1 is not a SELECT and reaches files/],
  ])('%s: refused in one line, exit 2; store, victim and folder untouched', (sql, message) => {
    const before = [sha(db), sha(victim), fs.readdirSync(dir).sort()];
    const r = fte(['query', sql]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect([sha(db), sha(victim), fs.readdirSync(dir).sort()]).toEqual(before);
    expect(fs.readdirSync(path.join(dir, 'home'))).toEqual([]);
  });

  it('a remote file gives one line and no extension install (nothing under $HOME/.duckdb)', () => {
    const r = fte(['query', `select * from read_csv('https://example.invalid/x.csv')`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fte: Missing Extension Error: .*httpfs.*; fte does not install DuckDB extensions\n$/);
    expect(r.stderr).not.toMatch(/Autoloading|automatically install/i);
    expect(fs.readdirSync(path.join(dir, 'home'))).toEqual([]);
  });

  it('plain SELECTs still read local files; --no-external-access refuses them', () => {
    const r = fte(['query', `select * from read_csv('victim.txt')`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toEqual([{ a: 1, b: 2 }]);
    const no = fte(['query', `select * from read_csv('victim.txt')`, '--no-external-access']);
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/^fte: Permission Error: .*victim\.txt.*\n$/);
    expect(fte(['query', 'select count(*) as n from runs', '--no-external-access', '--json']).stdout).toContain('"n": 4');
  });

  it.each([[''], ['   '], [';'], ['/* nothing */']])('empty SQL %j: one line, exit 2', (sql) => {
    const r = fte(['query', sql]);
    expect([r.code, r.stderr]).toEqual([2, 'fte: empty SQL: no statement given\n']);
  });
});

describe('fte query streams and caps large results', () => {
  it('table view: first 1,000 rows and a line saying the result was cut', () => {
    const r = fte(['query', 'select range as i from range(100000000)']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('│ 999 │');
    expect(r.stdout).not.toContain('│ 1000 │');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('first 1,000 rows shown; the result was cut (use --limit N or fte export)');
  });

  it('--json and --csv: capped at --limit, said on stderr; truncated in the JSON', () => {
    const j = fte(['query', 'select range as i from range(100000000)', '--json', '--limit', '5']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ rows: [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }], rowCount: 5, truncated: true, limit: 5 });
    expect(j.stderr).toBe('fte: first 5 rows shown; the result was cut (use --limit N or fte export)\n');
    const c = fte(['query', 'select range as i from range(100000000)', '--csv', '--limit', '2']);
    expect([c.code, c.stdout, c.stderr]).toEqual([0, 'i\r\n0\r\n1\r\n', 'fte: first 2 rows shown; the result was cut (use --limit N or fte export)\n']);
    const whole = fte(['query', 'select range as i from range(3)', '--json', '--limit', '3']);
    expect([JSON.parse(whole.stdout).truncated, whole.stderr]).toEqual([false, '']);
  });
});
