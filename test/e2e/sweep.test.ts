/**
 * The main job through the built CLI, as a user runs it: a limited sweep of the default experiment,
 * then the database is checked; plus the fault paths (SIGINT + resume, a killed worker, the lock).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/run.js');
const LIMITS = ['--max-steps', '3', '--limit-train', '16', '--limit-eval', '4'];

function fte(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000 });
}

function startFte(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, stderr: () => err, exited };
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function query<T = Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('fte sweep (limited, two variants) end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-e2e-'));
  const db = join(dir, 'fte.duckdb');
  let out: ReturnType<typeof fte>;

  beforeAll(() => {
    out = fte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '2', '--parallel', '2', ...LIMITS, '--json']);
  }, 600_000);

  it('exits 0 with a JSON summary naming the best variant', () => {
    expect(out.stderr).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(out.status).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result.experiment).toBe('lora-rank');
    expect(result.variants).toHaveLength(2);
    expect(result.variants.every((v: { status: string }) => v.status === 'completed')).toBe(true);
    expect(result.best).not.toBeNull();
  });

  it('stores runs, curves, every subject x perturbation x metric, and costs', async () => {
    const runs = await query<{ status: string; n: number }>(db, `SELECT status, count(*)::INT AS n FROM runs WHERE kind = 'variant' GROUP BY status`);
    expect(runs).toEqual([{ status: 'completed', n: 2 }]);
    const steps = await query<{ split: string; name: string }>(db, `SELECT DISTINCT split, name FROM step_metrics ORDER BY 1, 2`);
    expect(steps).toEqual(expect.arrayContaining([{ split: 'train', name: 'loss' }, { split: 'train', name: 'learning_rate' }, { split: 'val', name: 'loss' }]));
    const subjects = await query<{ subject: string }>(db, `SELECT DISTINCT subject FROM eval_results ORDER BY 1`);
    expect(subjects.map((r) => r.subject)).toEqual(['base', 'finetuned', 'majority', 'prompting', 'rag']);
    const perturbations = (await query<{ p: string }>(db, `SELECT DISTINCT perturbation AS p FROM eval_results WHERE subject = 'finetuned'`)).map((r) => r.p);
    for (const p of ['none', 'typos', 'lowercase', 'spaces', 'contractions']) expect(perturbations).toContain(p);
    // every model subject has the same (perturbation, slice, metric) grid on test (majority: classification, clean only)
    const grid = await query<{ subject: string; n: number }>(
      db,
      `SELECT subject, count(DISTINCT (perturbation, slice, metric))::INT AS n FROM eval_results WHERE split = 'test' AND subject <> 'majority' AND slice <> 'general' GROUP BY subject ORDER BY subject`,
    );
    const counts = new Set(grid.map((g) => g.n));
    expect(counts.size).toBe(1);
    const metrics = (await query<{ m: string }>(db, `SELECT DISTINCT slice || '/' || metric AS m FROM eval_results WHERE perturbation = 'none'`)).map((r) => r.m);
    for (const m of ['classify/f1_macro', 'classify/accuracy', 'subject/rougeL', 'subject/bleu', 'all/perplexity']) expect(metrics).toContain(m);
    const costs = await query<{ component: string; price_source: string }>(db, `SELECT component, price_source FROM costs`);
    expect(costs.map((c) => c.component)).toEqual(expect.arrayContaining(['train', 'eval']));
    expect(costs.every((c) => c.price_source.length > 0)).toBe(true);
    const preds = await query<{ n: number }>(db, `SELECT count(*)::INT AS n FROM predictions WHERE subject = 'finetuned' AND perturbation = 'none'`);
    expect(preds[0]!.n).toBeGreaterThan(0);
  });

  it('scores forgetting: the base model and every variant on general held-out text, with the change vs base', async () => {
    const rows = await query<{ run_id: string; subject: string; metric: string; value: number; n: number; ci_low: number | null; ci_high: number | null }>(
      db,
      `SELECT run_id, subject, metric, value, n, ci_low, ci_high FROM eval_results WHERE slice = 'general' AND split = 'test' AND perturbation = 'none' ORDER BY ALL`,
    );
    const base = rows.filter((r) => r.subject === 'base');
    expect(base.map((r) => r.metric).sort()).toEqual(['bits_per_byte', 'perplexity']);
    const ft = rows.filter((r) => r.subject === 'finetuned');
    expect(new Set(ft.map((r) => r.run_id)).size).toBe(2);
    for (const m of ['perplexity', 'bits_per_byte', 'perplexity_change', 'perplexity_change_p']) expect(ft.filter((r) => r.metric === m)).toHaveLength(2);
    for (const r of rows.filter((x) => x.metric !== 'perplexity_change_p')) {
      expect(r.n).toBe(128);
      expect(r.ci_low!).toBeLessThanOrEqual(r.value + 1e-9);
      expect(r.ci_high!).toBeGreaterThanOrEqual(r.value - 1e-9);
    }
    const basePpl = base.find((r) => r.metric === 'perplexity')!.value;
    for (const c of ft.filter((r) => r.metric === 'perplexity_change')) {
      const ppl = ft.find((r) => r.run_id === c.run_id && r.metric === 'perplexity')!.value;
      expect(c.value).toBeCloseTo(ppl / basePpl - 1, 6);
    }
    const result = JSON.parse(out.stdout);
    expect(result.general.base.perplexity.value).toBeCloseTo(basePpl, 6);
    expect(result.general.runs).toHaveLength(2);
  });

  it("scores every subject on the e-mail suite's out-of-distribution examples (split ood), beside test", async () => {
    const rows = await query<{ subject: string; runs: number; slices: string; perturbations: number }>(
      db,
      `SELECT subject, count(DISTINCT run_id)::INT AS runs, string_agg(DISTINCT slice, ',' ORDER BY slice) AS slices, count(DISTINCT perturbation)::INT AS perturbations
         FROM eval_results WHERE split = 'ood' GROUP BY subject ORDER BY subject`,
    );
    expect(rows.map((r) => r.subject)).toEqual(['base', 'finetuned', 'majority', 'prompting', 'rag']);
    expect(rows.find((r) => r.subject === 'finetuned')!.runs).toBe(2);
    expect(rows.find((r) => r.subject === 'finetuned')!.slices).toBe('all,classify,subject');
    expect(rows.find((r) => r.subject === 'finetuned')!.perturbations).toBeGreaterThan(5); // robustness out of distribution too
    const preds = await query<{ split: string; n: number; ids: number }>(db, `SELECT split, count(*)::INT AS n, count(DISTINCT example_id)::INT AS ids FROM predictions WHERE subject = 'base' AND perturbation = 'none' GROUP BY split ORDER BY split`);
    expect(preds).toEqual([{ split: 'ood', n: 4, ids: 4 }, { split: 'test', n: 4, ids: 4 }]);
    const overlap = await query<{ n: number }>(db, `SELECT count(*)::INT AS n FROM predictions a JOIN predictions b ON a.input = b.input WHERE a.split = 'ood' AND b.split = 'test'`);
    expect(overlap[0]!.n).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result.ood.description).toMatch(/second collections/);
    expect(result.ood.verdict.split).toBe('ood');
    expect(result.ood.verdict.test.n).toBe(2);
    expect(result.ood.verdict.comparisons.map((c: { against: string }) => c.against)).toEqual(['base', 'prompting', 'rag']);
  });

  it('selects on validation, reports on test: the objective is the val number, test metrics stored separately', async () => {
    const splits = await query<{ subject: string; split: string; p: string }>(
      db,
      `SELECT DISTINCT subject, split, CASE WHEN perturbation = 'none' THEN 'none' ELSE 'perturbed' END AS p FROM eval_results ORDER BY ALL`,
    );
    expect(splits.filter((r) => r.subject === 'finetuned')).toEqual([
      { subject: 'finetuned', split: 'ood', p: 'none' },
      { subject: 'finetuned', split: 'ood', p: 'perturbed' },
      { subject: 'finetuned', split: 'test', p: 'none' },
      { subject: 'finetuned', split: 'test', p: 'perturbed' },
      { subject: 'finetuned', split: 'val', p: 'none' },
    ]);
    expect(splits.filter((r) => r.subject !== 'finetuned').every((r) => r.split !== 'val')).toBe(true); // baselines are not selected
    const objective = await query<{ run_id: string; objective: number; objective_split: string; val: number; test: number }>(
      db,
      `SELECT s.run_id, s.objective, s.objective_split, v.value AS val, t.value AS test FROM run_summary s
       JOIN eval_results v ON v.run_id = s.run_id AND v.split = 'val' AND v.subject = 'finetuned' AND v.perturbation = 'none' AND v.slice = 'classify' AND v.metric = 'f1_macro'
       JOIN eval_results t ON t.run_id = s.run_id AND t.split = 'test' AND t.subject = 'finetuned' AND t.perturbation = 'none' AND t.slice = 'classify' AND t.metric = 'f1_macro'`,
    );
    expect(objective).toHaveLength(2);
    for (const r of objective) {
      expect(r.objective_split).toBe('val');
      expect(r.objective).toBe(r.val);
    }
  });

  it('stores a 95% interval with every metric, the majority baseline and confusion matrices', async () => {
    const rows = await query<{ value: number; ci_low: number | null; ci_high: number | null; ci_signature: string | null; n: number; metric: string }>(
      db,
      `SELECT value, ci_low, ci_high, ci_signature, n, metric FROM eval_results WHERE value IS NOT NULL AND n > 0 AND slice <> 'general'`,
    );
    const withCi = rows.filter((r) => r.ci_low !== null);
    expect(withCi.length / rows.length).toBeGreaterThan(0.95);
    for (const r of withCi) {
      expect(r.ci_low!, r.metric).toBeLessThanOrEqual(r.value + 1e-9);
      expect(r.ci_high!, r.metric).toBeGreaterThanOrEqual(r.value - 1e-9);
      expect(r.ci_signature).toMatch(/^bootstrap-percentile:1000:seed=12345:ci=0\.95\|over:examples\|level:(corpus|mean)$/);
    }
    const majority = await query<{ metric: string }>(db, `SELECT metric FROM eval_results WHERE subject = 'majority' AND slice = 'classify' ORDER BY metric`);
    expect(majority.map((r) => r.metric)).toEqual(expect.arrayContaining(['accuracy', 'f1_macro', 'invalid_rate']));
    const cells = await query<{ total: number; n: number }>(
      db,
      `SELECT sum(c.count)::INT AS total, any_value(e.n)::INT AS n FROM confusion_matrix c
       JOIN eval_results e ON e.run_id = c.run_id AND e.subject = c.subject AND e.split = c.split AND e.slice = c.slice AND e.perturbation = 'none' AND e.metric = 'accuracy'
       WHERE c.subject = 'finetuned' AND c.split = 'test' AND c.slice = 'classify' GROUP BY c.run_id`,
    );
    expect(cells).toHaveLength(2);
    for (const c of cells) expect(c.total).toBe(c.n);
    const runId = (await query<{ run_id: string }>(db, `SELECT run_id FROM run_summary LIMIT 1`))[0]!.run_id;
    const show = fte(['show', runId, '--db', db]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/│ subject +│ slice +│ metric +│ value +│ 95% CI +│ n +│ scale +│ split +│/);
    expect(show.stdout).toMatch(/│ finetuned +│ classify +│ f1_macro +│[^│]+│ \[[^│]+\] +│ \d+ +│ 0-1 +│ val +│/);
    expect(show.stdout).toMatch(/objective classify\/f1_macro ↑ = [^ ]+ \(val split\)/);
    expect(show.stdout).toContain('confusion matrix (finetuned | test | slice classify; clean inputs)');
    // the built-in GPT-2 byte model has no chat template: trained and evaluated on flat text
    expect(show.stdout).toContain('training format flat text (no chat template)');
    expect(show.stdout).toMatch(/│ finetuned +│ local [^│]+│ zero-shot, flat text +│/);
    expect(await query(db, `SELECT DISTINCT value_text FROM run_params WHERE name = 'promptFormat'`)).toEqual([{ value_text: 'flat' }]);
    expect(await query(db, `SELECT count(*)::INT AS n FROM run_params WHERE name = 'chatTemplate'`)).toEqual([{ n: 0 }]);
  });

  it('skips completed variants on a re-run (resume)', () => {
    const again = fte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '2', ...LIMITS, '--json']);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/skip [0-9a-f]{16}/);
    const result = JSON.parse(again.stdout);
    expect(result.variants.every((v: { skipped: boolean }) => v.skipped)).toBe(true);
    // Reused runs show their own metrics.
    expect(result.variants.every((v: { objective: number | null; finalValLoss: number | null }) => v.objective !== null && v.finalValLoss !== null)).toBe(true);
  }, 600_000);

  it('the read commands work on the database', () => {
    const runs = fte(['runs', '--db', db, '--json']);
    expect(runs.status).toBe(0);
    const report = fte(['report', '--db', db, '--out', join(dir, 'report.html')]);
    expect(report.status, report.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<li>Training format: flat text (no chat template).</li>');
    expect(html).toContain('<dt>Training format</dt><dd>flat text (no chat template)</dd>');
    const compare = fte(['compare', '--db', db]);
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stdout).toContain('<!-- fte:compare -->');
    const roi = fte(['roi', '--db', db, '--json']);
    expect(roi.status, roi.stderr).toBe(0);
  }, 300_000);
});

describe('fte sweep faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-faults-'));
  afterAll(() => undefined);

  it('SIGINT mid-sweep leaves interrupted runs, exit 130, and a second sweep resumes', async () => {
    const db = join(dir, 'sigint.duckdb');
    const run = startFte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '2', '--parallel', '2', '--max-steps', '400', '--limit-train', '16', '--limit-eval', '4']);
    await waitFor(() => /start #2/.test(run.stderr()) && /start #1/.test(run.stderr()), 120_000, 'both variants to start');
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const runs = await query<{ status: string }>(db, `SELECT status FROM runs WHERE kind = 'variant'`);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.status === 'interrupted' || r.status === 'completed')).toBe(true);
    expect(runs.some((r) => r.status === 'interrupted')).toBe(true);
    const sweeps = await query<{ status: string }>(db, `SELECT status FROM sweeps`);
    expect(sweeps).toEqual([{ status: 'interrupted' }]);

    const again = fte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '2', '--parallel', '2', '--max-steps', '400', '--limit-train', '16', '--limit-eval', '4']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming sweep/);
    const after = await query<{ status: string; n: number }>(db, `SELECT r.status, count(*)::INT AS n FROM runs r JOIN sweeps s USING (sweep_id) WHERE r.kind = 'variant' GROUP BY r.status ORDER BY 1`);
    expect(after.find((r) => r.status === 'completed')?.n).toBe(2);
    expect((await query(db, `SELECT status FROM sweeps`))).toEqual([{ status: 'completed' }]);
  }, 900_000);

  it('a killed worker fails only its run; the others complete; a second sweep on the same db gets the lock error', async () => {
    const db = join(dir, 'kill.duckdb');
    const run = startFte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '3', '--parallel', '2', '--max-steps', '60', '--limit-train', '16', '--limit-eval', '4']);
    await waitFor(() => /training on \S+ \(worker pid \d+\)/.test(run.stderr()), 120_000, 'a variant to start training');

    const locked = fte(['sweep', 'experiments/lora-rank.ts', '--db', db, '--run-cap', '1', ...LIMITS]);
    expect(locked.status).not.toBe(0);
    expect(locked.stderr.trim().split('\n')).toHaveLength(1);
    expect(locked.stderr).toMatch(/locked by another .*process \(PID \d+\)/);

    const pid = Number(/training on \S+ \(worker pid (\d+)\)/.exec(run.stderr())![1]);
    process.kill(pid, 'SIGKILL');
    const code = await run.exited;
    expect(code).toBe(1);
    const runs = await query<{ status: string; error: string | null }>(db, `SELECT status, error FROM runs WHERE kind = 'variant' ORDER BY run_seq`);
    expect(runs).toHaveLength(3);
    const failed = runs.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(/killed by SIGKILL/);
    expect(runs.filter((r) => r.status === 'completed')).toHaveLength(2);
  }, 900_000);
});
