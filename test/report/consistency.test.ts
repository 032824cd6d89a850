/**
 * QA findings: report, compare, roi and the store agree on the best run, on the fine-tuned model's
 * monthly cost, and on whether it beats the base; --out refuses a missing folder; notes name flags.
 *
 * `sw-tie` (the latest sweep, limited to --limit-train 16 --max-steps 5): three runs whose
 * fine-tuned scores are exactly the base model's (objective classify/f1_macro tied, 0 -> 0 change
 * against the base), except a lower perplexity. Their validation losses differ: tie-1 (best 2.3,
 * final 2.3), tie-2 (best 2.0, final 2.6), tie-3 (best 2.1, final 2.2): the one rule picks tie-3.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Compare from '../../src/commands/compare.js';
import Report from '../../src/commands/report.js';
import Roi from '../../src/commands/roi.js';
import { roiForSweep } from '../../src/report/roi.js';
import { UserInputError } from '../../src/errors.js';
import { compareSides } from '../../src/report/compare.js';
import { compareRefs, resolveRef, resolveSides } from '../../src/report/compare-refs.js';
import { loadReportData } from '../../src/report/load.js';
import { writeOutputFile, writeReport } from '../../src/report/report.js';
import { buildReportViewModel } from '../../src/report/view-model.js';
import { openStore, type Store } from '../../src/store/index.js';
import { bestRun, listRuns } from '../../src/store/queries.js';
import { summarise } from '../../src/run/sweep.js';
import { buildFixtureDb } from './db-fixture.js';
import { fixtureBaselines, fixtureOutcomes, SPEC, SWEEP_ID } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-report-qa-'));
const dbFile = join(dir, 'fte.duckdb');
const TIE = 'sw-tie';
let store: Store;

beforeAll(async () => {
  await buildFixtureDb(dbFile);
  const w = await openStore(dbFile);
  try {
    await w.createSweep({ experimentId: SPEC.name, sweepId: TIE, specJson: SPEC, limits: { limitTrain: 16, maxSteps: 5 }, baseModel: 'models/fte-tiny-base', startedAt: '2026-11-29T08:00:00.000Z' });
    const b = fixtureBaselines();
    const baseRows = b.evalRows.filter((r) => r.subject === 'base').map((r) => ({ ...r, subject: 'finetuned' as const, value: r.metric === 'perplexity' ? r.value - 1 : r.value }));
    const losses: [number, number][] = [[2.3, 2.3], [2.0, 2.6], [2.1, 2.2]];
    for (const [i, o] of fixtureOutcomes().filter((x) => x.status === 'completed').slice(0, 3).entries()) {
      const runId = `tie-${i + 1}`;
      await w.startRun({ runId, sweepId: TIE, variantKey: `tie${i}`, method: 'lora', params: o.params });
      await w.writeRunOutcome({ ...o, runId, train: { ...o.train!, bestValLoss: losses[i]![0], finalValLoss: losses[i]![1] }, evalRows: baseRows, predictions: [] });
    }
    await w.writeBaselineResults(TIE, b.evalRows, b.predictions, b.costs);
    await w.finishSweep(TIE, 'completed');
  } finally {
    await w.close();
  }
  store = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => store?.close());

describe('one best run everywhere (objective, then lower final validation loss, then earlier run)', () => {
  it('store: listRuns sort objective and bestRun', async () => {
    expect((await listRuns(store.db, { sweep: TIE, sort: 'objective' })).runs.map((r) => r.runId)).toEqual(['tie-3', 'tie-1', 'tie-2']);
    expect((await bestRun(store.db, TIE))?.runId).toBe('tie-3');
  });
  it('report, its ROI section, fte roi and fte compare --head <sweep>', async () => {
    const data = await loadReportData(store.db, TIE);
    expect(buildReportViewModel(data).summary.best?.runId).toBe('tie-3');
    expect(data.roi?.bestRun.runId).toBe('tie-3');
    expect((await roiForSweep(store.db, { sweepId: TIE })).bestRun.runId).toBe('tie-3');
    expect((await resolveRef(store.db, TIE)).runId).toBe('tie-3');
    expect((await resolveSides(store.db)).head.runId).toBe('tie-3');
    const out = join(dir, 'tie.html');
    expect((await writeReport({ db: dbFile, sweepId: TIE, out })).bestRunId).toBe('tie-3');
  });
  it('fte sweep summary (variants given in start order, a reused run among them)', async () => {
    const v = (runId: string, skipped = false) => ({ runId, key: runId, status: 'completed', skipped, params: {}, objective: null, finalValLoss: null, wallSeconds: null, error: null });
    const result = await summarise(store, TIE, SPEC.name, { metric: 'classify/f1_macro', goal: 'maximize' }, [v('tie-1'), v('tie-2'), v('tie-3', true)], 1000, dbFile);
    expect(result.best?.runId).toBe('tie-3');
    expect(result.variants.map((x) => x.runId)).toEqual(['tie-3', 'tie-1', 'tie-2']);
    expect(result.variants.every((x) => x.objective !== null && x.finalValLoss !== null)).toBe(true);
  });
  it('fte sweep verdict: best vs runner-up not significant, vs the base model significantly better (paired, test split)', async () => {
    const v = (runId: string) => ({ runId, key: runId, status: runId === 'run-6' ? 'diverged' : 'completed', skipped: false, params: {}, objective: null, finalValLoss: null, wallSeconds: null, error: null });
    const result = await summarise(store, SWEEP_ID, SPEC.name, { metric: 'classify/f1_macro', goal: 'maximize' }, ['run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6'].map(v), 1000, dbFile);
    expect(result.best?.runId).toBe('run-4');
    const c = Object.fromEntries(result.verdict!.comparisons.map((x) => [x.against, x]));
    expect(c['runner-up']!.runId).toBe(result.variants[1]!.runId);
    expect(c.base!.outcome).toBe('better');
    expect(c.base!.pValue).toBeLessThan(0.001);
    expect(c.base!.n).toBe(40);
    expect(result.verdict!.test!.value).toBeCloseTo(0.788, 9);
  });
  it('the sweep table lists the best run first', async () => {
    const vm = buildReportViewModel(await loadReportData(store.db, TIE));
    expect(vm.sweepTable.rows[0]!.runId).toBe('tie-3');
    expect(vm.sweepTable.rows.filter((r) => r.best).map((r) => r.runId)).toEqual(['tie-3']);
  });
});

describe('one monthly cost: compare takes it from roiForSweep', () => {
  it('fine-tuned, prompting and RAG monthly costs equal fte roi', async () => {
    const roi = await roiForSweep(store.db, { sweepId: TIE });
    const monthly = (a: string) => roi.approaches.find((x) => x.approach === a)!.monthlyUsd;
    const perRequest = (a: string) => roi.approaches.find((x) => x.approach === a)!.perRequestUsd;
    const head = await resolveRef(store.db, TIE);
    expect(head.monthlyUsd).toBeCloseTo(monthly('finetuned'), 9);
    expect(head.perRequestUsd).toBeCloseTo(perRequest('finetuned'), 12);
    // the fixture's small model is served on one CPU core kept on 24/7 (by model size): 730 h x $0.044625
    expect(head.monthlyUsd).toBeGreaterThan(730 * 0.044625);
    expect(roi.serving).toMatchObject({ key: 'cpu-core', basis: 'size' });
    for (const s of ['prompting', 'rag'] as const) expect((await resolveRef(store.db, `${TIE}:${s}`)).monthlyUsd).toBeCloseTo(monthly(s), 9);
  });
  it('a run that is not the best is priced by the same function', async () => {
    const roi = await roiForSweep(store.db, { sweepId: TIE, runId: 'tie-1' });
    expect(roi.bestRun.runId).toBe('tie-1');
    expect((await resolveRef(store.db, 'tie-1')).monthlyUsd).toBeCloseTo(roi.approaches.find((x) => x.approach === 'finetuned')!.monthlyUsd, 9);
  });
  it('cost rows say their units', async () => {
    const c = compareSides(await resolveRef(store.db, `${TIE}:base`), await resolveRef(store.db, TIE));
    const names = c.cost.map((r) => r.name);
    expect(names).toContain('inference per request (USD/request)');
    expect(names).toContain('monthly cost at 100,000 requests/month (USD/month)');
  });
});

describe('the headline follows the objective', () => {
  it('objective 0 -> 0 and only perplexity moved: unchanged, and says why', async () => {
    const { comparison, text } = await compareRefs({ db: dbFile, head: TIE });
    expect(comparison.objective.head).toBe(comparison.objective.base);
    expect(comparison.headline).toBe('unchanged');
    expect(comparison.summary).toMatch(/^objective classify\/f1_macro unchanged; 0 of \d+ metrics significantly better, 1 changed without significance[;.]/);
    expect(text).toContain('fte compare: unchanged');
  });
});

describe('--out into a missing folder: one line naming the path, exit 2', () => {
  it.each([
    ['report', () => writeReport({ db: dbFile, out: join(dir, 'no-such-dir', 'x.html') }), join(dir, 'no-such-dir', 'x.html')],
    ['compare', async () => writeOutputFile(join(dir, 'nope', 'c.md'), 'x'), join(dir, 'nope', 'c.md')],
  ])('%s', async (_name, f, out) => {
    const err = await (f as () => Promise<unknown>)().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as UserInputError).exitCode).toBe(2);
    expect((err as Error).message).toBe(`folder ${join(out, '..')} does not exist (for --out ${out})`);
    expect(existsSync(join(out, '..'))).toBe(false);
  });
});

describe('notes name the limiting flags', () => {
  it('roi and the report cost notes', async () => {
    const roi = await roiForSweep(store.db, { sweepId: TIE });
    const note = roi.notes.find((n) => n.includes('limited'))!;
    expect(note).toContain('the sweep was limited (--limit-train 16, --max-steps 5)');
    expect(note).not.toMatch(/[{}"]/);
  });
});

describe('help examples use the real id formats', () => {
  const SWEEP = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
  const RUN = /^[0-9a-f]{8}-[0-9a-f]{6}$/;
  const ok = (ref: string): boolean => SWEEP.test(ref) || RUN.test(ref) || ref === 'best:lora-rank' || (/^(.*):(base|prompting|rag)$/.test(ref) && SWEEP.test(ref.replace(/:(base|prompting|rag)$/, '')));
  it.each([
    ['report', Report.examples],
    ['compare', Compare.examples],
    ['roi', Roi.examples],
  ])('fte %s', (_name, examples) => {
    const refs = (examples as string[]).flatMap((e) => [...e.matchAll(/--(?:sweep|base|head) (\S+)/g)].map((m) => m[1]!));
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((r) => !ok(r))).toEqual([]);
  });
});
