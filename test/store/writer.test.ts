import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, migrate, readSchemaVersion } from '../../src/store/schema.js';
import { openDb } from '../../src/store/db.js';
import { curve, outcome, seed, PARAMS } from './fixtures.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe('migrations', () => {
  it('creates every table and view from an empty database', async () => {
    store = await openStore(':memory:');
    const rows = await store.db.all<{ table_name: string; table_type: string }>(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'artifacts', 'confusion_matrix', 'costs', 'eval_results', 'experiments', 'predictions', 'reviews', 'run_params', 'run_summary', 'runs',
      'schema_version', 'step_metric_points', 'step_metrics', 'step_series', 'subjects', 'sweeps',
    ]);
    const v = await store.db.all<{ v: number }>('SELECT max(version) AS v FROM schema_version');
    expect(v[0]!.v).toBe(SCHEMA_VERSION);
  });

  it('keeps the documented columns of step_metrics and eval_results', async () => {
    store = await openStore(':memory:');
    const cols = async (t: string) => (await store!.db.all<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE ${t})`)).map((c) => c.column_name);
    expect(await cols('step_metrics')).toEqual(['run_id', 'step', 'epoch', 'split', 'name', 'value']);
    expect((await cols('eval_results')).slice(0, 7)).toEqual(['run_id', 'subject', 'perturbation', 'slice', 'metric', 'value', 'n']);
    expect((await cols('runs')).slice(0, 1)).toEqual(['run_id']);
  });
});

describe('forward migrations', () => {
  it('applies the migrations above the file\'s version, keeps the data, and records each one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig-'));
    const file = path.join(dir, 'm.duckdb');
    try {
      const s = await openStore(file);
      const { sweepId } = await seed(s);
      await s.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
      await s.close();
      const next = { version: SCHEMA_VERSION + 1, description: 'test: runs.note', statements: ['ALTER TABLE runs ADD COLUMN note VARCHAR'] };
      const db = await openDb(file);
      try {
        const applied = await db.exclusive(async (tx) => migrate(tx, (await readSchemaVersion(tx))!, '2026-11-29 08:00:00', [...MIGRATIONS, next]));
        expect(applied).toEqual([SCHEMA_VERSION + 1]);
        expect(await db.all(`SELECT version, description FROM schema_version ORDER BY version`)).toEqual([
          ...MIGRATIONS.map((m) => ({ version: m.version, description: m.description })),
          { version: SCHEMA_VERSION + 1, description: 'test: runs.note' },
        ]);
        expect(await db.all(`SELECT run_id, status, note FROM runs`)).toEqual([{ run_id: 'r1', status: 'running', note: null }]);
        expect(await db.exclusive((tx) => migrate(tx, SCHEMA_VERSION + 1, '2026-11-29 08:00:00', [...MIGRATIONS, next]))).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration: runs.host', () => {
  it('a store from before it keeps its runs (host NULL), then records the host of new runs', async () => {
    // Found by its statement: renumbering the migration at a merge changes nothing here.
    const hostMigration = MIGRATIONS.find((m) => m.statements.some((s) => /ADD COLUMN host\b/.test(s)))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig-host-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-11-01 08:00:00', MIGRATIONS.filter((m) => m.version < hostMigration.version)));
        await db.run(`INSERT INTO runs (run_id, sweep_id, status) VALUES ('old', 's', 'completed')`);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT run_id, host FROM runs`)).toEqual([{ run_id: 'old', host: null }]);
      const { sweepId } = await seed(store);
      await store.startRun({ runId: 'new', sweepId, variantKey: 'k', method: 'lora', params: PARAMS, host: 'worker-a' });
      expect(await store.db.all(`SELECT host FROM run_summary WHERE run_id = 'new'`)).toEqual([{ host: 'worker-a' }]);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration 2: eval_results split and intervals', () => {
  it('an old-schema store gets split = test on its existing rows, no intervals, and its objective falls back to test, labelled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig2-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        // Schema 1 exactly as an earlier fte wrote it (its run_summary view is dropped and rebuilt by migration 2).
        for (const st of MIGRATIONS[0]!.statements) await db.run(st);
        await db.run(`INSERT INTO schema_version VALUES (1, 'v1', '2026-11-01 08:00:00')`);
        await db.run(`CREATE VIEW run_summary AS SELECT r.run_id, e.value FROM runs r LEFT JOIN eval_results e ON e.run_id = r.run_id`);
        await db.run(`INSERT INTO experiments (experiment_id, name, created_at) VALUES ('e', 'old', '2026-11-01 08:00:00')`);
        await db.run(`INSERT INTO sweeps (sweep_id, experiment_id, status, started_at, objective_metric, objective_goal)
                      VALUES ('s', 'e', 'completed', '2026-11-01 08:00:00', 'classify/f1_macro', 'maximize')`);
        await db.run(`INSERT INTO runs (run_id, sweep_id, status) VALUES ('r', 's', 'completed')`);
        await db.run(`INSERT INTO eval_results VALUES ('r', 'finetuned', 'none', 'classify', 'f1_macro', 0.75, 20, 'sig')`);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT run_id, subject, split, value, n, signature, ci_low, ci_high, ci_signature FROM eval_results`)).toEqual([
        { run_id: 'r', subject: 'finetuned', split: 'test', value: 0.75, n: 20, signature: 'sig', ci_low: null, ci_high: null, ci_signature: null },
      ]);
      expect(await store.db.all(`SELECT max(version) AS v FROM schema_version`)).toEqual([{ v: SCHEMA_VERSION }]);
      expect(await store.db.all(`SELECT run_id, objective, objective_split FROM run_summary`)).toEqual([{ run_id: 'r', objective: 0.75, objective_split: 'test' }]);
      // The new subject is accepted after the migration.
      await store.db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n) VALUES ('r', 'majority', 'none', 'all', 'accuracy', 0.5, 20)`);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A store file as fte wrote it before `mine`: every earlier migration applied, and one subjects row
 * (`values`: subject, kind, prompt, k, provider, endpoint). Returns the file's path.
 */
async function subjectsStoreBefore(mine: (typeof MIGRATIONS)[number], values: string): Promise<string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig-')), 'old.duckdb');
  const db = await openDb(file);
  try {
    await db.exclusive((tx) => migrate(tx, 0, '2026-11-01 08:00:00', MIGRATIONS.filter((m) => m.version < mine.version)));
    await db.run(
      `INSERT INTO subjects (run_id, subject, kind, prompt, k, provider, model, endpoint, examples, answered, requests, errors, cached, demonstrations_dropped, inputs_cut, no_demonstrations, prompt_tokens, completion_tokens)
       VALUES ('old:baselines', ${values}, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0)`,
    );
  } finally {
    await db.close();
  }
  return file;
}

describe('migration: subjects.usage_not_reported', () => {
  // Found by its statement, so that renumbering it at a merge changes nothing here.
  const mine = MIGRATIONS.find((m) => m.statements.some((st) => st.includes('usage_not_reported')))!;
  it('a store from before it keeps its subjects (usage unknown: NULL), and a new row round-trips the count', async () => {
    const file = await subjectsStoreBefore(mine, `'prompting', 'prompting', 'few_shot', 2, 'openai', 'm', 'http://127.0.0.1:9/v1'`);
    try {
      store = await openStore(file);
      expect(mine.statements).toEqual(['ALTER TABLE subjects ADD COLUMN usage_not_reported INTEGER']);
      expect(await store.db.all(`SELECT subject, usage_not_reported FROM subjects`)).toEqual([{ subject: 'prompting', usage_not_reported: null }]);
      const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
      const row = {
        subject: 'gpt', kind: 'prompting' as const, prompt: 'few_shot', k: 4, provider: 'openai', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1',
        examples: 2, answered: 2, requests: 2, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0, promptTokens: 0, completionTokens: 0, wallSeconds: 1,
        usageNotReported: 2,
      };
      const runId = await store.writeBaselineResults(sweepId, [], [], [], [], [row]);
      const { subjectRecords } = await import('../../src/store/queries.js');
      expect((await subjectRecords(store.db, { runIds: [runId] }))[0]).toMatchObject({ subject: 'gpt', usageNotReported: 2 });
      // a row without the count (a local model) reads back without it
      await store.writeBaselineResults(sweepId, [], [], [], [], [{ ...row, usageNotReported: undefined }]);
      expect((await subjectRecords(store.db, { runIds: [runId] }))[0]).not.toHaveProperty('usageNotReported');
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('migration: subjects.prompt_format and chat_template', () => {
  // Found by its statement, so that renumbering it at a merge changes nothing here.
  const mine = MIGRATIONS.find((m) => m.statements.some((st) => st.includes('prompt_format')))!;
  it('a store from before it keeps its subjects (format not recorded: NULL), and new rows round-trip the format and template', async () => {
    const file = await subjectsStoreBefore(mine, `'base', 'base', 'zero_shot', 0, 'local', 'm', 'in-process'`);
    try {
      store = await openStore(file);
      expect(mine.statements).toEqual(['ALTER TABLE subjects ADD COLUMN prompt_format VARCHAR', 'ALTER TABLE subjects ADD COLUMN chat_template VARCHAR']);
      expect(await store.db.all(`SELECT subject, prompt_format, chat_template FROM subjects`)).toEqual([{ subject: 'base', prompt_format: null, chat_template: null }]);
      const { subjectRecords } = await import('../../src/store/queries.js');
      const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
      const row = {
        subject: 'base', kind: 'base' as const, prompt: 'zero_shot', k: 0, provider: 'local', model: 'tiny-llama', endpoint: 'in-process',
        examples: 2, answered: 2, requests: 2, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0, promptTokens: 10, completionTokens: 2, wallSeconds: 1,
        promptFormat: 'chat_template' as const, chatTemplate: 'tiny-llama/tokenizer_config.json sha256:0123456789ab',
      };
      const runId = await store.writeBaselineResults(sweepId, [], [], [], [], [row, { ...row, subject: 'prompting', kind: 'prompting' as const, prompt: 'few_shot', k: 2, promptFormat: 'flat' as const, chatTemplate: undefined }]);
      const [base, prompting] = await subjectRecords(store.db, { runIds: [runId] });
      expect(base).toMatchObject({ subject: 'base', promptFormat: 'chat_template', chatTemplate: 'tiny-llama/tokenizer_config.json sha256:0123456789ab' });
      expect(prompting).toMatchObject({ subject: 'prompting', promptFormat: 'flat' });
      expect(prompting).not.toHaveProperty('chatTemplate');
      // a row that does not say (majority, or a provider that cannot tell) reads back without it
      await store.writeBaselineResults(sweepId, [], [], [], [], [{ ...row, promptFormat: undefined, chatTemplate: undefined }]);
      expect((await subjectRecords(store.db, { runIds: [runId] }))[0]).not.toHaveProperty('promptFormat');
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('migration 4: subjects by name, per-request usage, errors and truncation', () => {
  it('a schema-3 store keeps its rows, accepts a named subject, and round-trips subjects and request fields', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig4-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-11-01 08:00:00', MIGRATIONS.slice(0, 3)));
        await db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n, split) VALUES ('s:baselines', 'prompting', 'none', 'all', 'accuracy', 0.5, 10, 'test')`);
        await db.run(`INSERT INTO predictions (run_id, subject, perturbation, example_id, input, reference, prediction, scores_json) VALUES ('s:baselines', 'prompting', 'none', 'L1', 'i', 'r', 'p', '{}')`);
        await expect(db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n) VALUES ('r', 'gpt-4o-mini', 'none', 'all', 'accuracy', 0.5, 10)`)).rejects.toThrow(/CHECK/i);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT max(version) AS v FROM schema_version`)).toEqual([{ v: SCHEMA_VERSION }]);
      expect(await store.db.all(`SELECT subject, value, split FROM eval_results`)).toEqual([{ subject: 'prompting', value: 0.5, split: 'test' }]);
      expect(await store.db.all(`SELECT prompt_tokens, error, cached, demonstrations FROM predictions`)).toEqual([{ prompt_tokens: null, error: null, cached: null, demonstrations: null }]);
      await store.db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n) VALUES ('r', 'gpt-4o-mini', 'none', 'all', 'accuracy', 0.5, 10)`);
      await expect(store.db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n) VALUES ('r', '', 'none', 'all', 'accuracy', 0.5, 10)`)).rejects.toThrow(/CHECK/i);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a subjects row and per-request usage with the baselines, and replaces them on a rewrite', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
    const subject = {
      subject: 'gpt', kind: 'prompting' as const, prompt: 'few_shot', k: 4, provider: 'openai', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1',
      examples: 2, answered: 1, requests: 3, errors: 1, firstError: '500 Internal Server Error after 5 attempts', cached: 1,
      demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0, promptTokens: 120, completionTokens: 4, wallSeconds: 1.5,
    };
    const preds = [
      { subject: 'gpt', perturbation: 'none', exampleId: 'L1', input: 'i', reference: ' spam', prediction: ' spam', scores: {}, promptTokens: 60, completionTokens: 2, cached: true, demonstrations: 4 },
      { subject: 'gpt', perturbation: 'none', exampleId: 'L2', input: 'i', reference: ' ham', prediction: '', scores: {}, promptTokens: 0, completionTokens: 0, error: '500 Internal Server Error after 5 attempts', demonstrations: 4, demonstrationsDropped: 1, tokensCut: 3 },
    ];
    const runId = await store.writeBaselineResults(sweepId, [], preds, [], [], [subject]);
    expect(await store.db.all(`SELECT subject, kind, prompt, k, provider, model, endpoint, examples, requests, errors, first_error, cached, prompt_tokens::INTEGER AS pt, completion_tokens::INTEGER AS ct FROM subjects WHERE run_id = $1`, [runId])).toEqual([
      { subject: 'gpt', kind: 'prompting', prompt: 'few_shot', k: 4, provider: 'openai', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1', examples: 2, requests: 3, errors: 1, first_error: subject.firstError, cached: 1, pt: 120, ct: 4 },
    ]);
    expect(await store.db.all(`SELECT example_id, prompt_tokens, completion_tokens, error, cached, demonstrations, demonstrations_dropped, tokens_cut FROM predictions WHERE run_id = $1 ORDER BY example_id`, [runId])).toEqual([
      { example_id: 'L1', prompt_tokens: 60, completion_tokens: 2, error: null, cached: true, demonstrations: 4, demonstrations_dropped: null, tokens_cut: null },
      { example_id: 'L2', prompt_tokens: 0, completion_tokens: 0, error: subject.firstError, cached: null, demonstrations: 4, demonstrations_dropped: 1, tokens_cut: 3 },
    ]);
    await store.writeBaselineResults(sweepId, [], [], [], [], []);
    expect(await store.db.all(`SELECT count(*)::INTEGER AS n FROM subjects`)).toEqual([{ n: 0 }]);
  });

  it('a per-request count outside INTEGER range is stored as NULL (unknown), never a failed write', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
    const preds = [{ subject: 'gpt', perturbation: 'none', exampleId: 'L1', input: 'i', reference: ' spam', prediction: ' spam', scores: {}, promptTokens: 1e30, completionTokens: -3e12, demonstrations: 2 ** 31 }];
    const runId = await store.writeBaselineResults(sweepId, [], preds, [], [], []);
    expect(await store.db.all(`SELECT prompt_tokens, completion_tokens, demonstrations FROM predictions WHERE run_id = $1`, [runId])).toEqual([{ prompt_tokens: null, completion_tokens: null, demonstrations: null }]);
  });
});

describe('selection on validation', () => {
  it('ranks on the val objective, never on test; stores intervals and confusion cells; reads test by default', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
    // Run a is better on test, b on validation: the ranking must follow validation.
    for (const [id, val, test] of [['a', 0.6, 0.95], ['b', 0.8, 0.7]] as const) {
      await store.startRun({ runId: id, sweepId, variantKey: id, method: 'lora', params: PARAMS });
      const o = outcome(id);
      const testRows = o.evalRows.map((r) => ({ ...r, split: 'test' as const, ...(r.metric === 'f1_macro' ? { value: test, ciLow: test - 0.1, ciHigh: Math.min(1, test + 0.05), ciSignature: 'bootstrap-percentile:1000:seed=12345:ci=0.95' } : {}) }));
      const valRows = o.evalRows.filter((r) => r.perturbation === 'none').map((r) => ({ ...r, split: 'val' as const, ...(r.metric === 'f1_macro' ? { value: val } : {}) }));
      o.evalRows = [...testRows, ...valRows];
      o.confusion = [
        { subject: 'finetuned', split: 'test', slice: 'classify', gold: 'spam', predicted: 'spam', count: 3 },
        { subject: 'finetuned', split: 'test', slice: 'classify', gold: 'spam', predicted: null, count: 1 },
      ];
      await store.writeRunOutcome(o);
    }
    const rows = await store.db.all(`SELECT run_id, objective, objective_split FROM run_summary ORDER BY run_id`);
    expect(rows).toEqual([
      { run_id: 'a', objective: 0.6, objective_split: 'val' },
      { run_id: 'b', objective: 0.8, objective_split: 'val' },
    ]);
    const best = await store.listRuns({ sort: 'objective' });
    expect(best.runs.map((r) => [r.runId, r.objective.value, r.objective.split])).toEqual([['b', 0.8, 'val'], ['a', 0.6, 'val']]);
    const test = await store.evalResults({ runIds: ['a'] });
    expect(new Set(test.map((e) => e.split))).toEqual(new Set(['test']));
    const f1 = test.find((e) => e.metric === 'f1_macro' && e.perturbation === 'none')!;
    expect([f1.value, f1.ciLow, f1.ciHigh]).toEqual([0.95, 0.95 - 0.1, 1]);
    expect(f1.ciSignature).toMatch(/^bootstrap-percentile/);
    expect((await store.evalResults({ runIds: ['a'], split: 'val' })).every((e) => e.split === 'val')).toBe(true);
    const detail = await store.getRun('a');
    expect(new Set(detail.evals.map((e) => e.split))).toEqual(new Set(['test', 'val']));
    expect(detail.confusion).toEqual([
      { runId: 'a', subject: 'finetuned', split: 'test', slice: 'classify', gold: 'spam', predicted: 'spam', count: 3 },
      { runId: 'a', subject: 'finetuned', split: 'test', slice: 'classify', gold: 'spam', predicted: null, count: 1 },
    ]);
  });
});

describe('writer', () => {
  it('writes a run from start to outcome and reads it back', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'key-r1', method: 'lora', params: PARAMS });
    await store.appendStepMetrics('r1', curve(10));
    await store.writeRunOutcome(outcome('r1', { stepMetrics: curve(20) }));
    const n = await store.db.all<{ n: number }>(`SELECT count(*) AS n FROM step_metrics WHERE run_id = 'r1'`);
    // 20 steps x 2 train series + 4 val points; the first 10 steps came from appendStepMetrics and are not duplicated
    expect(n[0]!.n).toBe(20 * 2 + 4);
    const detail = await store.getRun('r1');
    expect(detail.run).toMatchObject({
      runId: 'r1', status: 'completed', method: 'lora', bestValLoss: 2.9, finalValLoss: 2.95, perplexity: 12.5,
      objective: { metric: 'val_loss', goal: 'minimize', value: 2.9 }, usd: 0.01, tokensTrained: 12345, params: PARAMS,
    });
    expect(detail.curves.find((c) => c.split === 'train' && c.name === 'loss')).toMatchObject({ points: 20, firstStep: 0, lastStep: 19, first: 3, minStep: 19 });
    expect(detail.evals).toHaveLength(4);
    expect(detail.artifacts[0]).toMatchObject({ kind: 'adapter', bytes: 4096 });
    expect(await store.completedRunForKey('key-r1')).toBe('r1');
    expect(await store.completedRunForKey('nope')).toBeNull();
  });

  it('pivots params and computes the objective per sweep in run_summary', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store, { metric: 'classify/f1_macro', goal: 'maximize' });
    for (const [id, f1] of [['a', 0.5], ['b', 0.9], ['c', 0.7]] as const) {
      const params = { ...PARAMS, rank: f1 * 10 };
      await store.startRun({ runId: id, sweepId, variantKey: id, method: 'lora', params });
      const o = outcome(id, { params });
      o.evalRows = o.evalRows.map((r) => (r.metric === 'f1_macro' ? { ...r, value: f1 } : r));
      await store.writeRunOutcome(o);
    }
    const rows = await store.db.all<{ run_id: string; rank: number; learning_rate: number; target_modules: string; use_rslora: boolean; objective: number }>(
      `SELECT run_id, rank, learning_rate, target_modules, use_rslora, objective FROM run_summary ORDER BY run_id`,
    );
    expect(rows).toEqual([
      { run_id: 'a', rank: 5, learning_rate: 2e-4, target_modules: 'c_attn', use_rslora: false, objective: 0.5 },
      { run_id: 'b', rank: 9, learning_rate: 2e-4, target_modules: 'c_attn', use_rslora: false, objective: 0.9 },
      { run_id: 'c', rank: 7, learning_rate: 2e-4, target_modules: 'c_attn', use_rslora: false, objective: 0.7 },
    ]);
    const best = await store.listRuns({ sort: 'objective', limit: 2 });
    expect(best.total).toBe(3);
    expect(best.runs.map((r) => r.runId)).toEqual(['b', 'c']);
    const byBleu = await store.listRuns({ sort: 'bleu' });
    expect(byBleu.sort).toEqual({ key: 'bleu', order: 'desc', source: 'eval' });
    const byCol = await store.listRuns({ sort: 'rank', order: 'desc' });
    expect(byCol.runs.map((r) => r.runId)).toEqual(['b', 'c', 'a']);
    await expect(store.listRuns({ sort: 'nonsense' })).rejects.toThrow(/unknown sort key 'nonsense'; known: objective/);
    await expect(store.listRuns({ status: 'weird' as never })).rejects.toThrow(/unknown run status/);
  });

  it('stores baselines under a pseudo-run that listings ignore', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    await store.writeRunOutcome(outcome('r1'));
    const id = await store.writeBaselineResults(
      sweepId,
      [{ subject: 'base', perturbation: 'none', slice: 'all', metric: 'bleu', value: 10, n: 10 }],
      [{ subject: 'rag', perturbation: 'none', exampleId: 'L1', input: 'i', reference: 'r', prediction: 'p', scores: {} }],
      [{ component: 'inference_per_request_rag', device: 'api', hours: 0, tokens: 100, usd: 0.001, priceSource: 'x' }],
    );
    expect(id).toBe('s1:baselines');
    expect((await store.listRuns()).runs.map((r) => r.runId)).toEqual(['r1']);
    expect((await store.db.all(`SELECT run_id FROM run_summary`)).length).toBe(1);
    const evals = await store.evalResults({ sweepId });
    expect(evals.filter((e) => e.kind === 'baselines')).toHaveLength(1);
    expect(await store.evalResults({ sweepId, includeBaselines: false })).toHaveLength(4);
    expect((await store.getRun('r1')).evals.at(-1)).toMatchObject({ subject: 'base', kind: 'baselines' });
    expect(await store.predictions({ sweepId, subject: 'rag' })).toHaveLength(1);
    expect((await store.costs({ sweepId })).map((c) => c.kind)).toEqual(['variant', 'baselines']);
    const sweep = await store.getSweep('latest');
    expect(sweep).toMatchObject({ sweepId, limits: { maxSteps: 20 }, datasetManifest: { fingerprint: 'f' }, runCounts: { total: 1, completed: 1 } });
  });

  it('thins curves for charts with maxPoints', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    await store.appendStepMetrics('r1', curve(100));
    await store.flush();
    const all = await store.stepMetrics(['r1'], { split: 'train', names: ['loss'] });
    expect(all).toHaveLength(100);
    const thin = await store.stepMetrics(['r1'], { split: 'train', names: ['loss'], maxPoints: 10 });
    expect(thin.map((p) => p.step)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]);
  });

  it('reopens a sweep for resume and records where a run executes', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    expect((await store.getRun('r1')).run.host).toBe(os.hostname()); // the local machine by default
    await store.setRunDevice('r1', { backend: 'tfjs-node-gpu', device: 'H200', host: 'gpu-box-2' });
    await store.finishSweep(sweepId, 'interrupted');
    expect((await store.getSweep(sweepId)).finishedAt).not.toBeNull();
    await store.reopenSweep(sweepId);
    expect(await store.getSweep(sweepId)).toMatchObject({ status: 'running', finishedAt: null });
    expect((await store.getRun('r1')).run).toMatchObject({ backend: 'tfjs-node-gpu', device: 'H200', host: 'gpu-box-2', status: 'running' });
  });

  it('replaces results when an outcome is written twice, and clears them when a run id is started again', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    const n = async (t: string) => (await store!.db.all<{ n: number }>(`SELECT count(*) AS n FROM ${t} WHERE run_id = 'r1'`))[0]!.n;
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    await store.writeRunOutcome(outcome('r1', { stepMetrics: curve(5) }));
    await store.writeRunOutcome(outcome('r1', { params: { ...PARAMS, rank: 2 } }));
    expect([await n('eval_results'), await n('predictions'), await n('costs'), await n('artifacts'), await n('step_metrics')]).toEqual([4, 1, 1, 1, 11]);
    expect((await store.getRun('r1')).run.params.rank).toBe(2);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
    expect([await n('eval_results'), await n('predictions'), await n('costs'), await n('artifacts'), await n('step_metrics')]).toEqual([0, 0, 0, 0, 0]);
    expect((await store.getRun('r1')).run).toMatchObject({ status: 'running', params: PARAMS });
  });
});


describe('migration: measured peak memory, the estimate kept beside it', () => {
  // Found by its statement, so that renumbering it at a merge changes nothing here.
  const mine = MIGRATIONS.find((m) => m.statements.some((s) => s.includes('estimated_memory_bytes')))!;
  it('a store from before it gains runs.estimated_memory_bytes (NULL for its runs, their peak kept); outcomes store both', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-migmem-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-11-01 08:00:00', MIGRATIONS.filter((m) => m.version < mine.version)));
        await db.run(`INSERT INTO runs (run_id, sweep_id, status, peak_memory_bytes) VALUES ('old', 's0', 'completed', 123)`);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT max(version) AS v FROM schema_version`)).toEqual([{ v: SCHEMA_VERSION }]);
      expect(await store.db.all(`SELECT peak_memory_bytes::INTEGER AS peak, estimated_memory_bytes AS est FROM runs WHERE run_id = 'old'`)).toEqual([{ peak: 123, est: null }]);
      const { sweepId } = await seed(store);
      await store.startRun({ runId: 'r1', sweepId, variantKey: 'key-r1', method: 'lora', params: PARAMS });
      await store.writeRunOutcome(outcome('r1'));
      expect(await store.db.all(`SELECT peak_memory_bytes::INTEGER AS peak, estimated_memory_bytes::INTEGER AS est FROM run_summary WHERE run_id = 'r1'`)).toEqual([{ peak: 8_000_000, est: 6_500_000 }]);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration: runs.status stopped (hyperband)', () => {
  // Found by its description, so that renumbering it at a merge changes nothing here.
  const mine = MIGRATIONS.find((m) => m.description.includes("'stopped'"))!;
  it('a store from before it keeps its runs and curves, and accepts status stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig6-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-11-29 08:00:00', MIGRATIONS.filter((m) => m.version < mine.version)));
        await db.run(`INSERT INTO runs (run_id, sweep_id, variant_key, method, status) VALUES ('r1', 's1', 'k', 'lora', 'completed')`);
        await db.run(`INSERT INTO step_series VALUES (1, 'val', 'loss')`);
        await db.run(`INSERT INTO step_metric_points SELECT run_seq, 5, 1.0, 1, 2.5 FROM runs WHERE run_id = 'r1'`);
        await expect(db.run(`UPDATE runs SET status = 'stopped' WHERE run_id = 'r1'`)).rejects.toThrow(/CHECK/i);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT max(version) AS v FROM schema_version`)).toEqual([{ v: SCHEMA_VERSION }]);
      expect(await store.db.all(`SELECT run_id, status FROM runs`)).toEqual([{ run_id: 'r1', status: 'completed' }]);
      expect(await store.db.all(`SELECT run_id, step, split, name, value FROM step_metrics`)).toEqual([{ run_id: 'r1', step: 5, split: 'val', name: 'loss', value: 2.5 }]);
      await store.db.run(`INSERT INTO runs (run_id, sweep_id, variant_key, method, status) VALUES ('r2', 's1', 'k2', 'lora', 'stopped')`);
      expect(await store.db.all(`SELECT run_id, run_seq FROM runs ORDER BY run_seq`)).toEqual([{ run_id: 'r1', run_seq: 1 }, { run_id: 'r2', run_seq: 2 }]);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("migration: split 'ood'", () => {
  // Found by its description, so that renumbering it at a merge changes nothing here.
  const mine = MIGRATIONS.find((m) => m.description.includes("split 'ood'"))!;
  it('a store from before it keeps its rows (predictions become test) and accepts ood in eval_results, confusion_matrix and predictions', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig-ood-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-12-02 08:00:00', MIGRATIONS.filter((m) => m.version < mine.version)));
        await db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n, split) VALUES ('r1', 'finetuned', 'none', 'all', 'accuracy', 0.5, 10, 'test')`);
        await db.run(`INSERT INTO confusion_matrix VALUES ('r1', 'finetuned', 'test', 'all', 'spam', 'spam', 3)`);
        await db.run(`INSERT INTO predictions (run_id, subject, perturbation, example_id, input, reference, prediction, scores_json) VALUES ('r1', 'finetuned', 'none', 'L1', 'in', 'ref', 'out', '{}')`);
        await expect(db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n, split) VALUES ('r1', 'finetuned', 'none', 'all', 'accuracy', 0.4, 10, 'ood')`)).rejects.toThrow(/CHECK/i);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT max(version) AS v FROM schema_version`)).toEqual([{ v: SCHEMA_VERSION }]);
      expect(await store.db.all(`SELECT run_id, split, value FROM eval_results`)).toEqual([{ run_id: 'r1', split: 'test', value: 0.5 }]);
      expect(await store.db.all(`SELECT split, count FROM confusion_matrix`)).toEqual([{ split: 'test', count: 3 }]);
      expect(await store.db.all(`SELECT example_id, split FROM predictions`)).toEqual([{ example_id: 'L1', split: 'test' }]);
      await store.db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n, split) VALUES ('r1', 'finetuned', 'none', 'all', 'accuracy', 0.4, 10, 'ood')`);
      await store.db.run(`INSERT INTO confusion_matrix VALUES ('r1', 'finetuned', 'ood', 'all', 'spam', 'ham', 2)`);
      await expect(store.db.run(`INSERT INTO eval_results (run_id, subject, perturbation, slice, metric, value, n, split) VALUES ('r1', 'finetuned', 'none', 'all', 'accuracy', 0.4, 10, 'train')`)).rejects.toThrow(/CHECK/i);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run outcome with OOD rows and predictions is stored under split ood; queries default to test', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-ood-'));
    try {
      store = await openStore(path.join(dir, 'fte.duckdb'));
      const { sweepId } = await seed(store);
      await store.startRun({ runId: 'r1', sweepId, variantKey: 'key-r1', method: 'lora', params: PARAMS });
      const o = outcome('r1');
      const testPred = o.predictions[0]!;
      o.predictions.push({ ...testPred, split: 'ood', exampleId: 'ood:L9' });
      o.evalRows.push({ ...o.evalRows.find((r) => (r.split ?? 'test') === 'test')!, split: 'ood', value: 0.125 });
      await store.writeRunOutcome(o);
      const { predictions, evalResults } = await import('../../src/store/queries.js');
      const test = await predictions(store.db, { runIds: ['r1'] });
      const ood = await predictions(store.db, { runIds: ['r1'], split: 'ood' });
      expect(test.every((p) => p.split === 'test')).toBe(true);
      expect(test.some((p) => p.exampleId === 'ood:L9')).toBe(false);
      expect(ood.map((p) => [p.exampleId, p.split])).toEqual([['ood:L9', 'ood']]);
      expect((await evalResults(store.db, { runIds: ['r1'], split: 'ood' })).map((e) => e.value)).toEqual([0.125]);
      expect((await evalResults(store.db, { runIds: ['r1'] })).some((e) => e.split === 'ood')).toBe(false);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration: runs.planned_steps (what hyperband did not train)', () => {
  it('a store from before it keeps its runs (planned_steps NULL); a run stores the steps it would have trained, listings return them', async () => {
    // Found by its statement: renumbering the migration at a merge changes nothing here.
    const mine = MIGRATIONS.find((m) => m.statements.some((s) => /ADD COLUMN planned_steps\b/.test(s)));
    expect(mine).toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-mig-planned-'));
    const file = path.join(dir, 'old.duckdb');
    try {
      const db = await openDb(file);
      try {
        await db.exclusive((tx) => migrate(tx, 0, '2026-11-30 08:00:00', MIGRATIONS.filter((m) => m.version < mine!.version)));
        await db.run(`INSERT INTO runs (run_id, sweep_id, status, steps) VALUES ('old', 's', 'stopped', 4)`);
      } finally {
        await db.close();
      }
      store = await openStore(file);
      expect(await store.db.all(`SELECT run_id, planned_steps FROM runs`)).toEqual([{ run_id: 'old', planned_steps: null }]);
      const { sweepId } = await seed(store);
      await store.startRun({ runId: 'cut', sweepId, variantKey: 'k', method: 'lora', params: PARAMS });
      const o = outcome('cut', { status: 'stopped', evalRows: [], predictions: [], costs: [], artifacts: [] });
      await store.writeRunOutcome({ ...o, train: { ...o.train!, status: 'stopped', steps: 6, plannedSteps: 30 } });
      expect(await store.db.all(`SELECT planned_steps, steps FROM run_summary WHERE run_id = 'cut'`)).toEqual([{ planned_steps: 30, steps: 6 }]);
      const listed = await store.listRuns({ runIds: ['cut'] });
      expect(listed.runs.map((r) => [r.status, r.plannedSteps, r.steps, r.wallSeconds])).toEqual([['stopped', 30, 6, 90]]);
    } finally {
      await store?.close();
      store = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
