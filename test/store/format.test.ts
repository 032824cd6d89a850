import { describe, expect, it } from 'vitest';
import { StoreCorruptError, StoreLockedError, StoreMissingError, mapOpenError } from '../../src/store/errors.js';
import { oneLine, toCsv } from '../../src/store/sql.js';
import { fmt, varyingParams } from '../../src/store/render.js';
import { sqlTimestamp, toPlain } from '../../src/store/db.js';
import { snakeCase } from '../../src/store/schema.js';
import type { RunRecord } from '../../src/store/queries.js';

describe('mapOpenError', () => {
  it.each([
    [
      'IO Error: Could not set lock on file "/x/fte.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242) by user root. See also https://duckdb.org/docs/stable/connect/concurrency',
      StoreLockedError,
      'database .fte/fte.duckdb is locked by another fte process (PID 4242); wait for it or use --db',
    ],
    [
      'IO Error: Could not set lock on file "/x/fte.duckdb": Conflicting lock is held in /usr/local/bin/duckdb (PID 77) by user me.',
      StoreLockedError,
      'database .fte/fte.duckdb is locked by another process (PID 77, duckdb); wait for it or use --db',
    ],
    [
      'IO Error: The file "/x/fte.duckdb" exists, but it is not a valid DuckDB database file!',
      StoreCorruptError,
      'database .fte/fte.duckdb is not a valid DuckDB file (damaged, or another format); it was left untouched',
    ],
    [
      'IO Error: Cannot open database "/x/fte.duckdb" in read-only mode: database does not exist',
      StoreMissingError,
      'no database at .fte/fte.duckdb; run `fte sweep` first, or point --db / FTE_DB at an existing file',
    ],
  ])('%s', (duckdbMessage, cls, message) => {
    const err = mapOpenError('.fte/fte.duckdb', new Error(duckdbMessage));
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toBe(message);
  });

  it('turns other errors into one line naming the file (exit 1: not the user\'s input)', () => {
    const e = new Error('Out of Memory Error: failed to allocate\nmore detail');
    const mapped = mapOpenError('f', e) as Error & { exitCode: number };
    expect(mapped.message).toBe('database f could not be opened (Out of Memory Error: failed to allocate)');
    expect(mapped.exitCode).toBe(1);
  });
});

describe('SQL helpers', () => {
  it.each([
    ['Parser Error: syntax error at or near "selec"\n\nLINE 1: selec 1\n        ^', 'Parser Error: syntax error at or near "selec" (line 1)'],
    ['Failed to extract statements: Parser Error: x\nLINE 3: y', 'Parser Error: x (line 3)'],
    ['Catalog Error: Table with name nope does not exist!\nDid you mean "runs"?', 'Catalog Error: Table with name nope does not exist!'],
  ])('oneLine(%j)', (input, out) => expect(oneLine(input)).toBe(out));

  it('writes RFC 4180 CSV (quotes, doubled quotes, newlines, nulls, objects)', () => {
    const csv = toCsv({
      columns: [{ name: 'a', type: 'VARCHAR' }, { name: 'b', type: 'DOUBLE' }, { name: 'c', type: 'STRUCT' }],
      rows: [
        { a: 'plain', b: 1.5, c: null },
        { a: 'x,"y"\nz', b: null, c: { k: 1 } },
      ],
    });
    expect(csv).toBe('a,b,c\r\nplain,1.5,\r\n"x,""y""\nz",,"{""k"":1}"\r\n');
  });
});

describe('values', () => {
  it.each([
    [10n, 10],
    [2n ** 60n, '1152921504606846976'],
    [new Date('2026-11-29T07:00:00.000Z'), '2026-11-29T07:00:00.000Z'],
    [[1n, 'a', null], [1, 'a', null]],
    [{ x: 3n, y: { z: true } }, { x: 3, y: { z: true } }],
  ])('toPlain(%s)', (v, out) => expect(toPlain(v)).toEqual(out));

  it('binds timestamps as UTC wall-clock text', () => {
    expect(sqlTimestamp('2026-11-29T08:00:00+01:00')).toBe('2026-11-29 07:00:00.000');
    expect(() => sqlTimestamp('yesterday')).toThrow("invalid timestamp 'yesterday'");
  });

  it.each([
    [2e-4, '2.00e-4'],
    [0.123456, '0.1235'],
    [42, '42'],
    [1234.5678, '1235'],
    [null, ''],
    [['c_attn', 'c_fc'], 'c_attn,c_fc'],
  ])('fmt(%s)', (v, out) => expect(fmt(v)).toBe(out));

  it.each([
    ['learningRate', 'learning_rate'],
    ['useRslora', 'use_rslora'],
    ['rank', 'rank'],
    ['targetModules', 'target_modules'],
  ])('snakeCase(%s)', (a, b) => expect(snakeCase(a)).toBe(b));

  it('shows only the params that vary across runs', () => {
    const run = (params: Record<string, unknown>) => ({ params }) as unknown as RunRecord;
    expect(varyingParams([run({ rank: 4, lr: 1, m: ['a'] }), run({ rank: 8, lr: 1, m: ['a'] })])).toEqual(['rank']);
    expect(varyingParams([run({ rank: 4, alpha: 8, learningRate: 1, seed: 1 })])).toEqual(['rank', 'alpha', 'learningRate']);
  });
});
