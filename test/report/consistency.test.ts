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
import { renderReportHtml } from '../../src/report/render.js';
import { openStore, type Store } from '../../src/store/index.js';
import { bestRun, listRuns } from '../../src/store/queries.js';
import { summarise } from '../../src/run/sweep.js';
import { buildFixtureDb } from './db-fixture.js';
import { fixtureBaselines, fixtureOutcomes, SPEC, SWEEP_ID } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-report-qa-'));
const dbFile = join(dir, 'fte.duckdb');
const TIE = 'sw-tie';
const HB = 'sw-hb';
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

    // A hyperband sweep (objective val_loss): hb-1 completed; hb-2 and hb-3 stopped at a bracket, each
    // with a LOWER best validation loss so far than hb-1's (a stopped run is never the best, nor ranked
    // among the completed). hb-2: 60 planned, 20 trained in 40 s (2 s/step) -> 40 steps, 80 s not
    // spent; hb-3: 60 planned, 10 trained in 30 s (3 s/step) -> 50 steps, 150 s. In all: 90 steps, 230 s.
    await w.upsertExperiment({ name: 'hb-exp', specPath: 'experiments/hb.ts', specHash: 'hb', objective: { metric: 'val_loss', goal: 'minimize' } });
    const hbSpec = { ...SPEC, name: 'hb-exp', objective: { metric: 'val_loss', goal: 'minimize' }, sweep: { strategy: 'grid', earlyTerminate: { type: 'hyperband', minIter: 1, eta: 3 } } };
    await w.createSweep({ experimentId: 'hb-exp', sweepId: HB, specJson: hbSpec, limits: {}, baseModel: 'models/fte-tiny-base', startedAt: '2026-11-29T07:30:00.000Z' });
    const [done] = fixtureOutcomes().filter((x) => x.status === 'completed');
    const hbRun = async (runId: string, status: 'completed' | 'stopped', steps: number, wallSeconds: number, bestValLoss: number) => {
      await w.startRun({ runId, sweepId: HB, variantKey: `k-${runId}`, method: 'lora', params: done!.params });
      const stopped = status === 'stopped';
      await w.writeRunOutcome({
        ...done!, runId, variantKey: `k-${runId}`, status,
        train: { ...done!.train!, status, steps, plannedSteps: 60, wallSeconds, bestValLoss, finalValLoss: bestValLoss + 0.1, stoppedEarly: false },
        stepMetrics: done!.stepMetrics.filter((m) => m.step <= steps),
        ...(stopped ? { evalRows: [], predictions: [], costs: [], artifacts: [] } : {}),
      });
    };
    await hbRun('hb-1', 'completed', 60, 100, 2.0);
    await hbRun('hb-2', 'stopped', 20, 40, 1.0);
    await hbRun('hb-3', 'stopped', 10, 30, 1.5);
    await w.writeBaselineResults(HB, b.evalRows, b.predictions, b.costs);
    await w.finishSweep(HB, 'completed');
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

describe('hyperband: stopped runs and what they did not spend, the same in fte sweep and the report', () => {
  const v = (runId: string, status: string, skipped = false) => ({ runId, key: runId, status, skipped, params: {}, objective: null, finalValLoss: null, wallSeconds: null, error: null });
  const variants = () => [v('hb-1', 'completed'), v('hb-2', 'stopped'), v('hb-3', 'stopped', true)];
  it('fte sweep summary: savings from the stored runs (a kept stopped run included); the best and the table lead with completed runs', async () => {
    const result = await summarise(store, HB, 'hb-exp', { metric: 'val_loss', goal: 'minimize' }, variants(), 1000, dbFile, { earlyTerminate: true });
    expect(result.earlyTermination).toEqual({ type: 'hyperband', stopped: 2, stepsSaved: 90, wallSecondsSaved: 230, unknown: 0, kept: 1 });
    expect(result.best?.runId).toBe('hb-1');
    // A stopped run's partial validation loss does not rank it above a completed run (the report's table order too).
    expect(result.variants.map((x) => x.runId)).toEqual(['hb-1', 'hb-2', 'hb-3']);
    expect(result.variants.find((x) => x.runId === 'hb-2')).toMatchObject({ stepsSaved: 40, wallSecondsSaved: 80 });
  });
  it('report: the sweep section (view model and HTML) states runs stopped, steps not run and the estimated time saved, and how', async () => {
    const vm = buildReportViewModel(await loadReportData(store.db, HB));
    const result = await summarise(store, HB, 'hb-exp', { metric: 'val_loss', goal: 'minimize' }, variants(), 1000, dbFile, { earlyTerminate: true });
    const et = vm.sweepTable.earlyTermination!;
    expect({ stopped: et.stopped, stepsSaved: et.stepsSaved, wallSecondsSaved: et.wallSecondsSaved, unknown: et.unknown }).toEqual({
      stopped: result.earlyTermination!.stopped, stepsSaved: result.earlyTermination!.stepsSaved, wallSecondsSaved: result.earlyTermination!.wallSecondsSaved, unknown: 0,
    });
    expect(et.rule).toBe('hyperband (minIter 1, eta 3)');
    expect(et.facts).toEqual([
      { label: 'Runs stopped', value: '2 of 3' },
      { label: 'Training steps not run', value: '90' },
      { label: 'Estimated time saved', value: '3m 50s' },
    ]);
    expect(et.method).toMatch(/planned optimizer steps minus the steps it trained.*seconds per step/);
    expect(vm.sweepTable.rows.map((r) => r.runId)).toEqual(['hb-1', 'hb-2', 'hb-3']);
    const html = await renderReportHtml(vm, { version: '0.0.0' });
    const section = html.slice(html.indexOf('id="sweep"'), html.indexOf('</section>', html.indexOf('id="sweep"')));
    expect(section).toContain('data-testid="early-termination"');
    expect(section).toMatch(/<dt>Training steps not run<\/dt><dd>90<\/dd>/);
    expect(section).toMatch(/<dt>Estimated time saved<\/dt><dd>3m 50s<\/dd>/);
    // fte report --json carries the same figures
    const written = await writeReport({ db: dbFile, sweepId: HB, out: join(dir, 'hb.html') });
    expect(written.earlyTermination).toEqual({ rule: 'hyperband (minIter 1, eta 3)', stopped: 2, stepsSaved: 90, wallSecondsSaved: 230, unknown: 0 });
    expect((await writeReport({ db: dbFile, sweepId: TIE, out: join(dir, 'tie-2.html') })).earlyTermination).toBeNull();
  });
  it('report: a stopped run says where hyperband stopped it (table and curves), never "validation loss stopped improving"', async () => {
    const vm = buildReportViewModel(await loadReportData(store.db, HB));
    const status = (runId: string) => vm.sweepTable.rows.find((r) => r.runId === runId)!.cells.find((c) => c.cls?.startsWith('status-'))!;
    expect(status('hb-2')).toMatchObject({ text: 'stopped', sub: '20 of 60 steps · stopped by hyperband' });
    expect(status('hb-1').sub).toBe('40 steps'); // its curve (the fixture's first run) has 40 steps
    const label = (runId: string) => vm.sweepTable.rows.find((r) => r.runId === runId)!.label;
    expect(vm.curves.markers.filter((m) => m.kind === 'hyperband stop').map((m) => m.variant).sort()).toEqual([label('hb-2'), label('hb-3')].sort());
    expect(vm.curves.notes).toContain(`${label('hb-2')} stopped by hyperband at step 20 of 60 (its validation loss at a bracket was worse than the cut-off).`);
    expect(vm.curves.notes.join('\n')).not.toMatch(/stopped improving/);
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
