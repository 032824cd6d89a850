/**
 * Issue 18, item 1: a user-named output (`fte report --out`, `fte export --out`, `fte compare --out`)
 * never replaces the store, its WAL or any existing file without --force; outputs are written to a
 * temporary file and renamed. Through the built CLI; the store and victims are byte-identical after.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureDb } from './db-fixture.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir: string;
const db = (): string => path.join(dir, 's.duckdb');
const sha = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function fte(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FTE_DB: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
/** Files of the folder (names, no temporaries left behind). */
const listing = (): string[] => fs.readdirSync(dir).sort();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-out-'));
  await buildFixtureDb(db());
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('an output equal to the store is refused, even with --force', () => {
  it.each([
    ['report', ['report', '--db', 's.duckdb', '--out', 's.duckdb']],
    ['report --force', ['report', '--db', 's.duckdb', '--out', 's.duckdb', '--force']],
    ['report via ./', ['report', '--db', 's.duckdb', '--out', './s.duckdb', '--force']],
    ['report to the WAL', ['report', '--db', 's.duckdb', '--out', 's.duckdb.wal', '--force']],
    ['export csv', ['export', '--db', 's.duckdb', '--table', 'runs', '--format', 'csv', '--out', 's.duckdb']],
    ['export csv --force', ['export', '--db', 's.duckdb', '--table', 'runs', '--format', 'csv', '--out', 's.duckdb', '--force']],
    ['export to the WAL', ['export', '--db', 's.duckdb', '--table', 'runs', '--format', 'csv', '--out', 's.duckdb.wal', '--force']],
    // every table into a FOLDER named like the WAL would break the store's next open
    ['export every table into the WAL', ['export', '--db', 's.duckdb', '--format', 'csv', '--out', 's.duckdb.wal']],
    ['export every table into the WAL --force', ['export', '--db', 's.duckdb', '--format', 'csv', '--out', 's.duckdb.wal', '--force']],
    ['compare', ['compare', '--db', 's.duckdb', '--head', 'sw-main', '--out', 's.duckdb', '--force']],
  ])('%s', (_name, args) => {
    const before = sha(db());
    const files = listing();
    const r = fte(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fte: --out \.?\/?s\.duckdb(\.wal)? is the store/);
    expect(sha(db())).toBe(before);
    expect(listing()).toEqual(files);
  });

  it('a symbolic link or a hard link to the store is refused too', () => {
    fs.symlinkSync(db(), path.join(dir, 'link.html'));
    fs.linkSync(db(), path.join(dir, 'hard.csv'));
    const before = sha(db());
    for (const args of [
      ['report', '--db', 's.duckdb', '--out', 'link.html', '--force'],
      ['export', '--db', 's.duckdb', '--table', 'runs', '--format', 'csv', '--out', 'hard.csv', '--force'],
      ['report', '--db', path.join(dir, 'link.html'), '--out', 's.duckdb', '--force'],
    ]) {
      const r = fte(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/is the store/);
    }
    expect(sha(db())).toBe(before);
    fs.rmSync(path.join(dir, 'link.html'));
    fs.rmSync(path.join(dir, 'hard.csv'));
  });
});

describe('an existing file is only replaced with --force', () => {
  it.each([
    ['report', ['report', '--db', 's.duckdb', '--out', 'victim.txt']],
    ['export', ['export', '--db', 's.duckdb', '--table', 'runs', '--format', 'csv', '--out', 'victim.txt']],
    ['compare', ['compare', '--db', 's.duckdb', '--head', 'sw-main', '--out', 'victim.txt']],
  ])('%s', (_name, args) => {
    fs.writeFileSync(path.join(dir, 'victim.txt'), 'precious\n');
    const before = [sha(db()), sha(path.join(dir, 'victim.txt'))];
    const files = listing();
    const r = fte(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fte: --out victim.txt already exists; pass --force to replace it\n');
    expect([sha(db()), sha(path.join(dir, 'victim.txt'))]).toEqual(before);
    expect(listing()).toEqual(files);

    const forced = fte([...args, '--force']);
    expect(forced.stderr).not.toMatch(/^fte: /m);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'victim.txt'), 'utf8')).not.toBe('precious\n');
    expect(sha(db())).toBe(before[0]);
    expect(listing()).toEqual(files); // no temporary file left behind
  });

  it('a whole-store export refuses before writing any file when one table file exists', () => {
    fs.mkdirSync(path.join(dir, 'exp'));
    fs.writeFileSync(path.join(dir, 'exp', 'runs.csv'), 'mine\n');
    const r = fte(['export', '--db', 's.duckdb', '--format', 'csv', '--out', 'exp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fte: export file exp\/runs\.csv already exists; pass --force to replace it\n$/);
    expect(fs.readdirSync(path.join(dir, 'exp'))).toEqual(['runs.csv']);
    expect(fs.readFileSync(path.join(dir, 'exp', 'runs.csv'), 'utf8')).toBe('mine\n');
  });
});
