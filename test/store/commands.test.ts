/**
 * End-to-end: the built CLI (`node bin/run.js`) against a seeded store file, as a user runs it.
 * Builds dist/ first when any of the store's sources is newer than its output.
 */
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFile } from './seed-db.js';
import { openStore } from '../../src/store/open.js';
import { outcome, PARAMS, seed } from './fixtures.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir: string;
let db: string;

function ensureBuilt(): void {
  const pairs = ['store/writer', 'store/open', 'store/queries', 'store/sql', 'store/export', 'store/render', 'commands/runs', 'commands/show', 'commands/query', 'commands/export'];
  const stale = pairs.some((p) => {
    const out = path.join(root, 'dist', `${p}.js`);
    return !fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(path.join(root, 'src', `${p}.ts`)).mtimeMs;
  });
  // tsc emits even when another stage's files have type errors; those are not this test's concern.
  if (stale) {
    spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
    // The CLI reads flags from oclif.manifest.json (written at build): refresh it with the code.
    spawnSync(process.execPath, [path.join(root, 'scripts/oclif-manifest.mjs')], { cwd: root });
  }
}

function fte(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args, '--db', db], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function json(args: string[]): unknown {
  const r = fte([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-cli-'));
  db = path.join(dir, 'fte.duckdb');
  await seedFile(db);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fte runs', () => {
  it('--json lists run records with params and metrics', () => {
    const out = json(['runs', '--sort', 'objective']) as { total: number; sort: unknown; runs: Record<string, unknown>[] };
    expect(out.total).toBe(3);
    expect(out.sort).toEqual({ key: 'objective', order: 'asc', source: 'objective' });
    expect(out.runs.map((r) => r.runId)).toEqual(['r-b', 'r-a', 'r-c']);
    expect(out.runs[0]).toEqual({
      runId: 'r-b', sweepId: 's1', kind: 'variant', experimentId: 'demo', experiment: 'demo', variantKey: 'key-r-b', method: 'lora',
      status: 'completed', startedAt: '2026-11-29T07:01:00.000Z', finishedAt: '2026-11-29T07:01:30.000Z', wallSeconds: 90, device: 'cpu', backend: 'cpu', host: 'box-1',
      params: { alpha: 16, epochs: 3, learningRate: 2e-4, rank: 8, schedule: 'cosine', targetModules: ['c_attn'], useRslora: false },
      steps: 20, plannedSteps: null, bestStep: 19, stoppedEarly: false, bestValLoss: 2.9, finalValLoss: 2.95, perplexity: 12.5,
      objective: { metric: 'bleu', goal: 'maximize', value: 35, split: 'test' }, tokensTrained: 12345, trainableParams: 1000, totalParams: 100000,
      adapterBytes: 4096, peakMemoryBytes: 8000000, estimatedMemoryBytes: 6500000, baseWeightBytes: 400000, usd: 0.01, divergenceReason: null, error: null, sortValue: 35,
    });
  });

  it('filters by status and limits; prints a table without --json', () => {
    const out = json(['runs', '--status', 'failed']) as { total: number; runs: { runId: string; error: string }[] };
    expect(out.runs.map((r) => [r.runId, r.error])).toEqual([['r-c', 'worker exited with code 1']]);
    expect((json(['runs', '--limit', '1']) as { total: number; runs: unknown[] }).runs).toHaveLength(1);
    const text = fte(['runs', '--sweep', 'latest']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ run +│ status +│ method +│ host +│ learningRate │ rank │ val loss │ ppl +│ objective bleu ↑ │/);
    expect(text.stdout).toMatch(/│ r-a +│ completed │ lora +│ box-1 │/);
    expect(text.stdout).toContain('3 of 3 runs, in start order');
  });

  it('notes runs left running by a process that no longer holds the database', async () => {
    const { openStore } = await import('../../src/store/open.js');
    const { PARAMS } = await import('./fixtures.js');
    const other = path.join(dir, 'stale.duckdb');
    await seedFile(other);
    const s = await openStore(other);
    await s.startRun({ runId: 'r-dead', sweepId: 's1', variantKey: 'k', method: 'lora', params: PARAMS });
    await s.close(); // as if the process died: nothing marks the run interrupted
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'runs', '--status', 'running', '--db', other], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual([
      '1 of 1 runs, in start order',
      'note: 1 run is running/queued but no process holds the database; the next `fte sweep` marks it interrupted',
    ]);
  });

  it('rejects an unknown sweep or sort key with one line and exit 2', () => {
    const a = fte(['runs', '--sweep', 'nope']);
    expect([a.code, a.stderr]).toEqual([2, "fte: unknown sweep 'nope' in " + db + "; recent: s1 (or 'latest')\n"]);
    const b = fte(['runs', '--sort', 'zzz']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^fte: unknown sort key 'zzz'; known: objective, run_id, sweep_id, .*bleu, classify\/f1_macro, perplexity\n$/);
  });
});

describe('fte show', () => {
  it('--json gives params, curves, metrics (own, then baselines), costs and artifacts', () => {
    const out = json(['show', 'r-a']) as Record<string, any>;
    expect(Object.keys(out)).toEqual(['run', 'curves', 'evals', 'confusion', 'costs', 'artifacts', 'subjects']);
    expect(out.run.runId).toBe('r-a');
    expect(out.curves).toEqual([
      { split: 'val', name: 'loss', points: 4, firstStep: 4, lastStep: 19, first: 3.16, last: 3.01, min: 3.01, minStep: 19, max: 3.16, maxStep: 4 },
      { split: 'train', name: 'learning_rate', points: 20, firstStep: 0, lastStep: 19, first: 2e-4, last: 2e-4, min: 2e-4, minStep: 0, max: 2e-4, maxStep: 0 },
      { split: 'train', name: 'loss', points: 20, firstStep: 0, lastStep: 19, first: 3, last: 2.81, min: 2.81, minStep: 19, max: 3, maxStep: 0 },
    ].map((c) => ({ ...c, first: expect.closeTo(c.first, 9), last: expect.closeTo(c.last, 9), min: expect.closeTo(c.min, 9), max: expect.closeTo(c.max, 9) })));
    expect(out.evals.map((e: any) => `${e.kind}:${e.subject}/${e.perturbation}/${e.slice}/${e.metric}=${e.value}`)).toEqual([
      'variant:finetuned/none/all/bleu=20', 'variant:finetuned/none/all/perplexity=12.5', 'variant:finetuned/none/classify/f1_macro=0.8',
      'variant:finetuned/typos/all/bleu=25', 'baselines:base/none/all/bleu=5', 'baselines:rag/none/all/bleu=25',
    ]);
    expect(out.costs).toEqual([{ runId: 'r-a', sweepId: 's1', kind: 'variant', component: 'train', device: 'cpu', hours: 0.025, tokens: 12345, usd: 0.01, priceSource: 'test' }]);
    expect(out.artifacts).toEqual([{ runId: 'r-a', sweepId: 's1', kind: 'adapter', path: '/tmp/ckpt/r-a/adapter_model.safetensors', bytes: 4096, sha256: 'ab'.repeat(32) }]);
  });

  it('resolves the baselines pseudo-run and reports an unknown run in one line', () => {
    expect((json(['show', 's1:baselines']) as any).run.kind).toBe('baselines');
    const r = fte(['show', 'zz']);
    expect([r.code, r.stderr]).toEqual([2, `fte: no run 'zz' in ${db}; \`fte runs\` lists them\n`]);
  });
});

describe('fte query', () => {
  it('--json gives columns, rows, rowCount, statements', () => {
    expect(json(['query', 'select run_id, rank from run_summary order by run_id limit 2'])).toEqual({
      columns: [{ name: 'run_id', type: 'VARCHAR' }, { name: 'rank', type: 'DOUBLE' }],
      rows: [{ run_id: 'r-a', rank: 4 }, { run_id: 'r-b', rank: 8 }],
      rowCount: 2,
      statements: 1,
      limit: 1000,
      truncated: false,
    });
  });

  it('--csv prints RFC 4180 CSV', () => {
    const r = fte(['query', `select 'a,b' as x, 1 as n`, '--csv']);
    expect(r.stdout).toBe('x,n\r\n"a,b",1\r\n');
  });

  it('refuses DELETE without --write (exit 2, file unchanged) and runs it with --write', () => {
    const before = fs.readFileSync(db);
    const r = fte(['query', "delete from runs where status = 'failed'"]);
    expect([r.code, r.stderr]).toEqual([2, 'fte: statement 1 is DELETE, which modifies the store; fte query is read-only unless --write is given\n']);
    expect(fs.readFileSync(db).equals(before)).toBe(true);
    const bad = fte(['query', 'selec 1']);
    expect([bad.code, bad.stderr]).toEqual([2, 'fte: invalid SQL: Parser Error: syntax error at or near "selec" (line 1)\n']);
    const w = json(['query', "create table notes as select 1 as x; select count(*) as n from notes", '--write']);
    expect(w).toMatchObject({ rows: [{ n: 1 }], statements: 2 });
  });

  it('says to run fte sweep when the database is missing', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'runs', '--db', path.join(dir, 'none.duckdb')], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([2, `fte: no database at ${path.join(dir, 'none.duckdb')}; run \`fte sweep\` first, or point --db / FTE_DB at an existing file\n`]);
    expect(fs.existsSync(path.join(dir, 'none.duckdb'))).toBe(false);
  });
});

describe('fte export', () => {
  it('--json lists the files written; parquet reads back through fte query', () => {
    const out = json(['export', '--format', 'parquet', '--table', 'eval_results', '--out', path.join(dir, 'eval.parquet')]);
    expect(out).toEqual({ format: 'parquet', out: path.join(dir, 'eval.parquet'), tables: [{ table: 'eval_results', path: path.join(dir, 'eval.parquet'), rows: 10 }] });
    const back = json(['query', `select count(*) as n from read_parquet('${path.join(dir, 'eval.parquet')}')`]) as { rows: { n: number }[] };
    expect(back.rows).toEqual([{ n: 10 }]);
    const all = json(['export', '--format', 'csv', '--out', path.join(dir, 'csv')]) as { tables: { table: string }[] };
    expect(all.tables).toHaveLength(10);
    expect(execFileSync('head', ['-1', path.join(dir, 'csv', 'runs.csv')], { encoding: 'utf8' })).toMatch(/^run_id,run_seq,sweep_id,kind,/);
  });
});

describe('store-open and export errors: one line, exit 2 for user-caused cases (QA)', () => {
  const run = (args: string[], dbPath: string) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args, '--db', dbPath], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
  };

  it.each([
    ['a missing file', () => path.join(dir, 'qa-none.duckdb'), /^fte: no database at .*qa-none\.duckdb/],
    ['a corrupt file', () => { const f = path.join(dir, 'qa-corrupt.duckdb'); fs.writeFileSync(f, 'not a database\n'.repeat(300)); return f; }, /^fte: database .*qa-corrupt\.duckdb is not a valid DuckDB file/],
    ['a folder', () => { const f = path.join(dir, 'qa-folder'); fs.mkdirSync(f, { recursive: true }); return f; }, /^fte: database .*qa-folder is a folder, not a DuckDB file/],
  ])('runs / show / query / export on %s: exit 2, one line naming the file', (_name, make, message) => {
    const file = make();
    for (const args of [['runs'], ['show', 'r-a'], ['query', 'select 1'], ['export', '--format', 'csv', '--out', path.join(dir, 'qa-out')]]) {
      const r = run(args, file);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/IO Error/);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });

  it('a locked file (another process writing) exits 1 with one line naming the file and PID', async () => {
    const file = path.join(dir, 'qa-locked.duckdb');
    fs.copyFileSync(db, file);
    const holder = spawn(process.execPath, [path.join(root, 'test/store/children/hold-lock.mjs'), file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      for (const args of [['runs'], ['query', 'select 1', '--write']]) {
        const r = run(args, file);
        expect([r.code, r.stderr], args.join(' ')).toEqual([1, `fte: database ${file} is locked by another fte process (PID ${holder.pid}); wait for it or use --db\n`]);
      }
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a newer schema exits 2 with one line', async () => {
    const file = path.join(dir, 'qa-newer.duckdb');
    fs.copyFileSync(db, file);
    const w = run(['query', `insert into schema_version values (99, 'future', TIMESTAMP '2030-01-01')`, '--write'], file);
    expect(w.code).toBe(0);
    const r = run(['runs'], file);
    expect([r.code, r.stderr]).toEqual([2, `fte: database ${file} has schema version 99, newer than this fte supports (${SCHEMA_VERSION}); upgrade fte to read it\n`]);
  });

  it('export to an unwritable place (/proc) fails fast with one line, exit 2', () => {
    for (const args of [['export', '--format', 'parquet', '--out', '/proc/fte-qa-x'], ['export', '--format', 'parquet', '--out', '/proc/fte-qa-x/y/z'], ['export', '--format', 'csv', '--table', 'runs', '--out', '/proc/fte-qa.csv']]) {
      const r = run(args, db);
      expect(r.signal, args.join(' ')).toBeNull();
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^fte: (cannot create folder|cannot write) \/proc\/fte-qa/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it.each([
    [`COPY runs TO '${'OUT'}'`, 'COPY'],
    [`COPY (select 1 as x) TO '${'OUT'}' (FORMAT csv)`, 'COPY'],
    [`EXPORT DATABASE '${'OUTDIR'}'`, 'EXPORT'],
  ])('query refuses %s without --write (no file written)', (sql, type) => {
    const out = path.join(dir, `qa-copy-${type}.csv`);
    const outDir = path.join(dir, `qa-export-db`);
    const r = run(['query', sql.replace('OUTDIR', outDir).replace('OUT', out)], db);
    expect(r.code).toBe(2);
    // DuckDB's statement type of a file-writing statement is only known once bound, and binding EXPORT
    // creates its folder: the probe that names statements has no file access, so DuckDB's error is quoted.
    expect(r.stderr, type).toMatch(/^fte: statement 1 is not a SELECT and reaches files \(Permission Error: .*\); fte query runs only SELECT statements unless --write is given\n$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(outDir)).toBe(false);
  });
});

describe('fte show metric filters (QA)', () => {
  it('default: finetuned + base on clean inputs, then a robustness summary; --json keeps every row', () => {
    const r = fte(['show', 'r-a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('metrics (perturbation none; subjects finetuned, base)');
    expect(r.stdout).not.toMatch(/│ rag /);
    expect(r.stdout).toMatch(/robustness[^\n]*\n(?:[^\n]*\n){3}│ finetuned +│ typos +│ 20 +│ 25 +│ -5 /);
    expect(r.stdout).toContain('4 of 6 metric rows shown');
    expect((json(['show', 'r-a', '--subject', 'rag']) as { evals: unknown[] }).evals).toHaveLength(6);
  });

  it('--subject / --perturbation / --all filter; unknown names exit 2 in one line', () => {
    expect(fte(['show', 'r-a', '--subject', 'rag']).stdout).toMatch(/│ rag +│ all +│ bleu +│ 25 /);
    expect(fte(['show', 'r-a', '--perturbation', 'typos']).stdout).toMatch(/│ finetuned +│ all +│ bleu +│ 25 /);
    expect(fte(['show', 'r-a', '--all']).stdout).toContain('│ rag ');
    const bad = fte(['show', 'r-a', '--perturbation', 'typo']);
    expect([bad.code, bad.stderr]).toEqual([2, "fte: unknown perturbation 'typo'; known: none, typos, all\n"]);
  });
});

describe('fte show robustness over the changed inputs (HELM)', () => {
  it('prints clean and perturbed over the inputs the perturbation changed, the drop and the changed count', async () => {
    const file = path.join(dir, 'robust.duckdb');
    const store = await openStore(file);
    try {
      const { sweepId } = await seed(store, { metric: 'bleu', goal: 'maximize' });
      await store.startRun({ runId: 'r-h', sweepId, variantKey: 'key-r-h', method: 'lora', params: PARAMS, startedAt: '2026-11-29T07:00:00.000Z' });
      const o = outcome('r-h');
      // typos changed 4 of 10 inputs: clean 28 -> perturbed 20 on those 4 (a drop of 8; over all 10 it read 30 - 26.8).
      o.evalRows = [
        { subject: 'finetuned', perturbation: 'none', slice: 'all', metric: 'bleu', value: 30, n: 10 },
        { subject: 'finetuned', perturbation: 'typos', slice: 'all', metric: 'bleu', value: 20, n: 4 },
        { subject: 'finetuned', perturbation: 'typos:original', slice: 'all', metric: 'bleu', value: 28, n: 4 },
        { subject: 'finetuned', perturbation: 'typos', slice: 'all', metric: 'input_change_rate', value: 0.4, n: 10 },
        { subject: 'finetuned', perturbation: 'typos', slice: 'all', metric: 'consistency', value: 0.25, n: 4 },
      ];
      await store.writeRunOutcome(o);
      await store.finishSweep(sweepId, 'completed');
    } finally {
      await store.close();
    }
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'show', 'r-h', '--db', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/robustness \(slice all, test split; clean and perturbed over the inputs each perturbation changed/);
    expect(r.stdout).toMatch(/│ subject +│ perturbation +│ bleu clean +│ perturbed +│ drop +│ changed +│ consistency \(n\) +│/);
    expect(r.stdout).toMatch(/│ finetuned +│ typos +│ 28 +│ 20 +│ 8 +│ 4 of 10 +│ 0.25 \(4\) +│/);
  });
});
