import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roiForSweep } from '../../src/report/roi.js';
import type { ReportData } from '../../src/report/data.js';
import { loadReportData } from '../../src/report/load.js';
import { parseObjective } from '../../src/report/objective.js';
import { buildReportViewModel, sweptParams, type ReportViewModel } from '../../src/report/view-model.js';
import { openStore, type Store } from '../../src/store/index.js';
import { buildFixtureDb, MAIN_SWEEP_ID, VAL_LOSS_SWEEP_ID } from './db-fixture.js';
import { fixtureOutcomes, fixtureReportData, SWEEP_ID } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-report-vm-'));
const dbFile = join(dir, 'fte.duckdb');
let store: Store;
let data: ReportData;
let vm: ReportViewModel;

beforeAll(async () => {
  await buildFixtureDb(dbFile);
  store = await openStore(dbFile, { readOnly: true });
  data = await loadReportData(store.db);
  vm = buildReportViewModel(data, { generatedAt: '2026-11-29T08:00:00.000Z' });
});
afterAll(async () => store?.close());

/** The expected best run, computed from the fixture independently of the report code. */
function expectedBest(): { runId: string; value: number } {
  let best = { runId: '', value: -Infinity };
  for (const o of fixtureOutcomes()) {
    if (o.status !== 'completed') continue;
    const v = o.evalRows.find((r) => r.subject === 'finetuned' && r.perturbation === 'none' && r.slice === 'classify' && r.metric === 'f1_macro')!.value;
    if (v > best.value) best = { runId: o.runId, value: v };
  }
  return best;
}

describe('loadReportData (through the store)', () => {
  it('loads the latest sweep with its runs, curves, eval rows, predictions, costs and baselines', () => {
    expect(data.sweep.sweepId).toBe(SWEEP_ID);
    expect(data.sweep.limits).toEqual({ maxSteps: 60 });
    expect(data.runs.map((r) => r.runId)).toEqual(['run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6']);
    const o = fixtureOutcomes()[3]!;
    const r = data.runs[3]!;
    expect(r.params).toEqual(o.params);
    expect(r.evalRows).toHaveLength(o.evalRows.length);
    expect(r.costs).toHaveLength(o.costs.length);
    // Every stored row keeps its split and 95% interval (issue 12).
    expect(r.evalRows.every((e) => e.split === 'test')).toBe(true);
    const f1 = (rows: typeof o.evalRows) => rows.find((e) => e.subject === 'finetuned' && e.perturbation === 'none' && e.slice === 'classify' && e.metric === 'f1_macro')!;
    expect(f1(r.evalRows)).toMatchObject({ ciLow: f1(o.evalRows).ciLow, ciHigh: f1(o.evalRows).ciHigh, ciSignature: f1(o.evalRows).ciSignature });
    expect(r.stoppedEarly).toBe(false);
    expect(data.runs[0]!.stoppedEarly).toBe(true);
    // The store's ranking of completed runs, as fte sweep and fte runs --sort objective print it.
    expect(data.runs.map((x) => x.storeRank)).toEqual([4, 1, 2, 0, 3, undefined]);
    expect(r.stepMetrics.filter((m) => m.name === 'loss' && m.split === 'val')).toHaveLength(6);
    expect(new Set(data.baselines.evalRows.map((e) => e.subject))).toEqual(new Set(['base', 'prompting', 'rag']));
    expect(data.baselines.predictions.length).toBeGreaterThan(0);
    expect(data.roi?.bestRun.runId).toBe(expectedBest().runId);
  });

  it('a val_loss objective: best by validation loss, ROI priced on the headline metric all approaches measured', async () => {
    const d = await loadReportData(store.db, VAL_LOSS_SWEEP_ID);
    expect(d.roi?.objective.metric).toBe('classify/f1_macro');
    const v = buildReportViewModel(d);
    const vals = d.runs.map((r) => r.bestValLoss!);
    expect(v.summary.best?.runId).toBe(d.runs[vals.indexOf(Math.min(...vals))]!.runId);
    expect(v.summary.tiles).toEqual([]);
    // Validation loss has no per-example test: the verdicts test the test split's perplexity instead.
    expect(v.summary.headline).toMatch(/^lr=\S+ r=\S+ is the best variant \(lowest validation loss [\d.]+\)\. On the test split it is significantly better than the base model \(−[\d.]+ \[.*\], p < 0\.001\): perplexity [\d.]+ vs [\d.]+\.$/);
    expect(v.summary.verdicts.every((x) => x.metric === 'perplexity' && x.split === 'test')).toBe(true);
    expect(v.cost.roi).toHaveLength(3);
  });

  it('loads a named sweep and names recent sweeps for an unknown one', async () => {
    expect((await loadReportData(store.db, MAIN_SWEEP_ID)).runs.map((r) => r.runId)).toEqual(['main-run-1']);
    await expect(loadReportData(store.db, 'nope')).rejects.toThrow(/unknown sweep 'nope'.*sw-fixture1/);
  });
});

describe('report view model', () => {
  it('says which split chose the best variant and which split its numbers are on', () => {
    const d: ReportData = { ...data, runs: data.runs.map((r) => ({ ...r, selectionObjective: 0.5, selectionSplit: 'val' as const })) };
    const why = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' }).summary.best?.why.join(' ');
    expect(why).toContain('Chosen on the validation split (classify/f1_macro 0.5');
    expect(why).toContain('every metric in this report is on the held-out test split');
  });

  it('picks the best variant by the objective and says why', () => {
    const e = expectedBest();
    expect(vm.summary.best?.runId).toBe(e.runId);
    expect(vm.summary.best?.label).toBe('r=8 lr=3e-4');
    expect(vm.summary.best).toMatchObject({ objectiveText: '0.788', objectiveSplit: 'test' });
    expect(vm.summary.objective).toMatchObject({ key: 'classify/f1_macro', goal: 'maximize' });
    // Changed by design (issue 12): verdicts come from the paired test, never a bare "beats".
    expect(vm.summary.best?.why.join(' ')).toMatch(/Significantly better than the base model \(\+0\.\d+ \[\+0\.\d+, \+0\.\d+\], p < 0\.001\): test classify\/f1_macro 0\.788 vs 0\.38\./);
    expect(vm.summary.best?.why.join(' ')).not.toMatch(/\bbeats?\b/i);
    // The fixture's runs have no validation rows (as a store from before schema 2): the report says the ranking saw test.
    expect(vm.summary.best?.why.join(' ')).toMatch(/Chosen on the test split/);
    expect(vm.summary.headline).toMatch(/^r=8 lr=3e-4 is the best variant \(ranked on classify\/f1_macro, test split\)\. On the test split it is significantly better than the base model \(.*, p < 0\.001\): classify\/f1_macro 0\.788 vs 0\.38\.$/);
    expect(vm.summary.verdicts.map((v) => [v.against, v.metric, v.split])).toEqual([
      ['base', 'classify/f1_macro', 'test'],
      ['run:run-2', 'classify/f1_macro', 'test'],
      ['prompting', 'classify/f1_macro', 'test'],
      ['rag', 'classify/f1_macro', 'test'],
    ]);
    expect(vm.summary.verdicts[0]).toMatchObject({ outcome: 'better', test: 'paired-bootstrap:1000:seed=12345' });
    expect(vm.summary.verdicts[0]!.pValue).toBeLessThan(0.001);
    expect(vm.summary.tiles.map((t) => [t.label, t.cls])).toEqual([
      ['vs base model', 'good'],
      ['vs RAG (best alternative)', 'good'],
      ['worst case (robustness)', ''],
      ['monthly cost', ''],
    ]);
    expect(vm.summary.tiles[0]!.value).toBe('+0.408');
    expect(vm.summary.tiles[0]!.sub).toBe('0.38 → 0.788 · p < 0.001');
    expect(vm.summary.recommendation).toBe(vm.cost.recommendation);
  });

  it('a runner-up the paired test cannot tell apart: "not distinguishable", with the interval and p, never "better"', () => {
    const d = fixtureReportData();
    const best = d.runs.find((r) => r.runId === 'run-4')!;
    // run-2 answers as run-4 does but for two classify examples: no significant difference.
    const flipped = new Set(['C0', 'C2']);
    d.runs = d.runs.map((r) => (r.runId !== 'run-2' ? r : { ...r, predictions: best.predictions.map((p) => (flipped.has(p.exampleId) ? { ...p, prediction: p.reference === 'spam' ? 'ham' : 'spam' } : p)) }));
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    const runnerUp = v.summary.verdicts.find((x) => x.against === 'run:run-2')!;
    expect(runnerUp.outcome).toBe('ns');
    expect(runnerUp.pValue).toBeGreaterThan(0.05);
    expect(runnerUp.text).toMatch(/^not distinguishable from the runner-up r=4 lr=3e-4 \([+−±][\d.]+ \[[+−±][\d.]+, [+−±][\d.]+\], p = 0\.\d+\)$/);
    expect(v.summary.best!.why).toContain(`Not distinguishable${runnerUp.text.slice('not distinguishable'.length)}: test classify/f1_macro 0.788 vs 0.74.`);
  });

  it('a baseline that answers exactly as the best variant: not distinguishable in the headline, no green tile', () => {
    const d = fixtureReportData();
    const best = d.runs.find((r) => r.runId === 'run-4')!;
    const same = (s: 'base' | 'rag') => best.predictions.map((p) => ({ ...p, subject: s }));
    d.baselines = { ...d.baselines, predictions: [...same('base'), ...same('rag'), ...d.baselines.predictions.filter((p) => p.subject === 'prompting')] };
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(v.summary.headline).toContain('On the test split it is not distinguishable from the base model (');
    expect(v.summary.headline).not.toMatch(/better|beats/i);
    expect(v.summary.verdicts.find((x) => x.against === 'base')).toMatchObject({ outcome: 'ns', pValue: 1 });
    // The stored values still differ (+0.408), but the delta is not coloured.
    const ft = v.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!.cells.find((c) => c.subject === 'finetuned')!;
    expect(ft).toMatchObject({ delta: '+0.408', deltaCls: '', deltaTitle: 'paired test vs the base model: p = 1, not significant' });
    expect(v.summary.tiles.map((t) => [t.label, t.cls])).toEqual([
      ['vs base model', ''],
      ['vs RAG (best alternative)', ''],
      ['worst case (robustness)', ''],
      ['monthly cost', ''],
    ]);
  });

  it('predictions on different examples: the verdict says it was not tested', () => {
    const d = fixtureReportData();
    d.baselines = { ...d.baselines, predictions: d.baselines.predictions.filter((p) => !(p.subject === 'base' && p.exampleId === 'C0')) };
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(v.summary.verdicts[0]).toMatchObject({ against: 'base', outcome: 'untested', pValue: null });
    expect(v.summary.headline).toContain('+0.408 vs the base model, not tested (scored on different examples)');
  });

  it('every table value with a stored interval shows it, in one style', () => {
    const f1 = vm.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!;
    const stored = data.baselines.evalRows.find((r) => r.subject === 'base' && r.slice === 'classify' && r.metric === 'f1_macro' && r.perturbation === 'none')!;
    expect(f1.cells.find((c) => c.subject === 'base')!.ci).toBe(`[${Number(stored.ciLow!.toPrecision(3))}, ${Number(stored.ciHigh!.toPrecision(3))}]`);
    // A subject without the metric shows no value and no interval.
    expect(vm.baselines.every((b) => b.rows.every((r) => r.cells.every((c) => (c.text === '—' ? c.ci === '' : /^\[[\d.]+, [\d.]+\]$/.test(c.ci)))))).toBe(true);
    expect(vm.baselines[1]!.chart.every((c) => c.ciLow !== undefined && c.ciHigh !== undefined && c.ciLow <= c.value && c.value <= c.ciHigh)).toBe(true);
    const best = vm.sweepTable.rows[0]!;
    const cols = vm.sweepTable.columns.map((c) => c.label);
    expect(cols).toContain('★ classify/f1_macro (test)');
    expect(best.cells[cols.indexOf('★ classify/f1_macro (test)')]).toMatchObject({ text: '0.788', ci: '[0.688, 0.888]' });
    expect(best.cells[cols.indexOf('subject/rougeL')]!.ci).toMatch(/^\[[\d.]+, [\d.]+\]$/);
    expect(vm.robustness[0]!.rows.every((r) => r.cells.every((c) => /^\[[\d.]+, [\d.]+\]$/.test(c.ci)))).toBe(true);
  });

  it('validation-ranked runs: a ★ val objective column ranks the table, the runner-up follows it, test values beside', () => {
    const d = fixtureReportData();
    // Validation says run-3 is second best (test says run-2).
    const val: Record<string, number> = { 'run-1': 0.5, 'run-2': 0.6, 'run-3': 0.7, 'run-4': 0.8, 'run-5': 0.4 };
    d.runs = d.runs.map((r) => (r.runId in val ? { ...r, selectionObjective: val[r.runId], selectionSplit: 'val' as const } : r));
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    const cols = v.sweepTable.columns.map((c) => c.label);
    expect(cols.slice(4, 6)).toEqual(['★ val objective', 'classify/f1_macro (test)']);
    expect(v.sweepTable.rows.map((r) => r.runId)).toEqual(['run-4', 'run-3', 'run-2', 'run-1', 'run-5', 'run-6']);
    expect(v.sweepTable.rows[1]!.cells[4]).toMatchObject({ text: '0.7', cls: 'objective' });
    expect(v.summary.verdicts[1]!.against).toBe('run:run-3');
    expect(v.summary.best!.why[0]).toBe('Ranked first of 5 completed runs by classify/f1_macro (higher is better) on the validation split: 0.8, runner-up run-3 0.7.');
    expect(v.summary.headline).toMatch(/^r=8 lr=3e-4 is the best variant \(ranked on classify\/f1_macro, validation split\)\. On the test split it is /);
  });

  it('the runner-up and the table order follow the store\'s ranking (storeRank) where it is known', () => {
    const d = fixtureReportData();
    // The store placed run-5 second (say, a tie broken by final validation loss), whatever the test values say.
    const rank: Record<string, number> = { 'run-4': 0, 'run-5': 1, 'run-2': 2, 'run-3': 3, 'run-1': 4 };
    d.runs = d.runs.map((r) => (r.runId in rank ? { ...r, storeRank: rank[r.runId] } : r));
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(v.sweepTable.rows.map((r) => r.runId)).toEqual(['run-4', 'run-5', 'run-2', 'run-3', 'run-1', 'run-6']);
    expect(v.summary.verdicts[1]!.against).toBe('run:run-5');
  });

  it('flags the limited sweep', () => {
    expect(vm.limited).toContain('--max-steps 60');
    expect(buildReportViewModel({ ...data, sweep: { ...data.sweep, limits: {} } }).limited).toBeNull();
  });

  it('sweep table: best first, diverged last, best highlighted, swept params as columns', () => {
    const rows = vm.sweepTable.rows;
    expect(rows[0]!.runId).toBe(expectedBest().runId);
    expect(rows[0]!.best).toBe(true);
    expect(rows.filter((r) => r.best)).toHaveLength(1);
    expect(rows.at(-1)!.status).toBe('diverged');
    expect(vm.sweepTable.columns.map((c) => c.label).slice(0, 3)).toEqual(['Variant', 'rank', 'learningRate']);
    for (const r of rows) expect(r.cells).toHaveLength(vm.sweepTable.columns.length);
  });

  it('curves mark the early stop and the divergence', () => {
    expect(vm.curves.markers.map((m) => [m.variant, m.kind])).toEqual([
      ['r=4 lr=1e-4', 'early stop'],
      ['r=16 lr=3e-4', 'diverged'],
    ]);
    expect(vm.curves.points.every((p) => Number.isFinite(p.loss))).toBe(true);
  });

  it('heat map over rank x learning rate with the best cell flagged', () => {
    expect(vm.heatmap).toMatchObject({ x: 'learningRate', y: 'rank' });
    expect(vm.heatmap!.note).toMatch(/^classify\/f1_macro on the test split \(fine-tuned, clean inputs, higher is better\) over rank × learningRate/);
    expect(vm.heatmap!.cells).toHaveLength(6);
    expect(vm.heatmap!.cells.filter((c) => c.best)).toEqual([expect.objectContaining({ x: '3e-4', y: '8' })]);
    expect(vm.heatmap!.cells.find((c) => c.x === '3e-4' && c.y === '16')).toMatchObject({ value: null, text: 'diverged' });
  });

  it('baselines per slice, every subject, best value per metric marked', () => {
    expect(vm.baselines.map((b) => b.slice)).toEqual(['all', 'classify', 'subject']);
    const f1 = vm.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!;
    expect(f1.cells.map((c) => c.subject)).toEqual(['finetuned', 'base', 'prompting', 'rag']);
    expect(f1.cells.filter((c) => c.best).map((c) => c.subject)).toEqual(['finetuned']);
    // Deltas vs base are coloured by the paired test (issue 12).
    expect(f1.cells.find((c) => c.subject === 'finetuned')).toMatchObject({ deltaCls: 'good', deltaTitle: 'paired test vs the base model: p < 0.001' });
    const ppl = vm.baselines[0]!.rows.find((r) => r.metric === 'perplexity')!;
    expect(ppl.direction).toBe('lower');
  });

  it('robustness: clean, each perturbation, worst case and consistency per subject', () => {
    expect(vm.robustness.map((r) => r.title)).toEqual(['classify/f1_macro', 'subject/rougeL']);
    const t = vm.robustness[0]!;
    expect(t.rows.map((r) => r.perturbation)).toEqual(['none (clean)', 'typos', 'lowercase', 'spaces', 'contractions', 'worst case']);
    expect(t.consistency.map((c) => c.perturbation)).toEqual(['typos', 'lowercase', 'spaces', 'contractions']);
    // The worst case is never better than clean, so every subject shows a drop there.
    expect(t.rows.at(-1)!.cells.every((c) => c.dropCls === 'bad')).toBe(true);
    expect(t.chart.length).toBe(4 * 5);
  });

  it('cost and ROI come from src/cost (same numbers as fte roi)', async () => {
    const roi = await roiForSweep(store.db, { sweepId: SWEEP_ID });
    expect(vm.cost.roi.map((r) => r.approach)).toEqual(['Fine-tuned', 'Prompting', 'RAG']);
    expect(vm.cost.recommendation).toBe(roi.recommendation);
    expect(vm.cost.volume).toBe(roi.monthlyRequests);
    expect(vm.cost.sensitivity).toHaveLength(roi.sensitivity.volume.length * 3);
    expect(vm.cost.runs).toHaveLength(6);
    expect(vm.cost.runs.filter((r) => r.best).map((r) => r.runId)).toEqual([expectedBest().runId]);
  });

  it('the cost section leads with the decision, its drivers and what moves the break-even', async () => {
    const roi = await roiForSweep(store.db, { sweepId: SWEEP_ID });
    const d = vm.cost.decision!;
    expect(d.headline).toBe(roi.recommendation);
    expect(d.drivers).toEqual(roi.decision.drivers);
    expect(d.flips.length + d.softFlips.length).toBe(roi.decision.flips.length);
    expect(d.staleWarning).toBe(roi.staleWarning);
    const t = vm.cost.sensitivityTable!;
    expect(t.rows.map((r) => r.input)).toEqual(roi.sensitivity.table.map((r) => r.label));
    expect(t.rows[0]!.breakEven).toMatch(/ → /);
    expect(vm.cost.hasValue).toBe(false);
    // every item in force says where it comes from; items not set are in the notes
    expect(vm.cost.costInputs.length).toBe(roi.costInputs.filter((p) => p.origin !== 'not set').length);
    expect(new Set(vm.cost.costInputs.map((c) => c.origin)).size).toBeGreaterThan(1);
    expect(vm.cost.prices.map((p) => p.key)).toEqual(roi.prices.map((p) => p.key));
    expect(vm.cost.roi[0]!.pricing).toBe(roi.approaches[0]!.pricing);
  });

  it('sample outputs: worst regression vs base first, every subject shown', () => {
    const items = vm.samples.items;
    expect(items.length).toBe(10); // at most 10 of the 80 test examples
    expect(items.slice(0, 6).map((i) => i.exampleId).sort()).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6']);
    const deltas = items.map((i) => Number(i.delta.replace('−', '-').replace('±', '')));
    expect([...deltas].sort((a, b) => a - b)).toEqual(deltas);
    expect(items[0]!.outputs.map((o) => o.subject)).toEqual(['Fine-tuned', 'Base model', 'Prompting', 'RAG']);
  });

  it('falls back to stored per-request costs when fte roi cannot price the sweep', () => {
    const v = buildReportViewModel({ ...fixtureReportData(), roiError: 'no token counts' });
    expect(v.cost.roi.map((r) => r.approach)).toEqual(['Fine-tuned', 'Prompting', 'RAG']);
    expect(v.cost.notes.join(' ')).toContain('no token counts');
    // the stored-cost fallback has no parts, what-ifs or prices of its own
    expect(v.cost.costInputs).toEqual([]);
    expect(v.cost.prices).toEqual([]);
    expect(v.cost.decision!.headline).toBe(v.cost.recommendation);
  });

  it('an empty sweep still renders a view model with warnings', () => {
    const v = buildReportViewModel({ ...fixtureReportData(), runs: [], baselines: { evalRows: [], predictions: [], costs: [] } });
    expect(v.summary.best).toBeNull();
    expect(v.warnings).toEqual(['This sweep has no runs yet.']);
    expect(v.heatmap).toBeNull();
  });
});

describe('objective and swept parameters', () => {
  it.each([
    [{}, { key: 'val_loss', goal: 'minimize', slice: 'all', metric: 'val_loss' }],
    [{ objective: { metric: 'classify/f1_macro', goal: 'maximize' } }, { key: 'classify/f1_macro', goal: 'maximize', slice: 'classify', metric: 'f1_macro' }],
    [{ objective: { metric: 'perplexity' } }, { key: 'perplexity', goal: 'minimize', slice: 'all', metric: 'perplexity' }],
    [{ objective: { metric: 'subject/rougeL' } }, { key: 'subject/rougeL', goal: 'maximize', slice: 'subject', metric: 'rougeL' }],
  ])('parseObjective(%j)', (spec, expected) => {
    expect(parseObjective(spec)).toEqual(expected);
  });

  it('the best variant is the store\'s bestRunId (src/store/queries.ts bestRun), whatever the objective values say', () => {
    const d = fixtureReportData();
    expect(buildReportViewModel({ ...d, bestRunId: 'run-2' }).summary.best?.runId).toBe('run-2');
    expect(buildReportViewModel({ ...d, bestRunId: null }).summary.best).toBeNull();
  });

  it.each([
    ['rank and lr swept, alpha = 2 x rank hidden', [{ rank: 4, alpha: 8, learningRate: 1e-4 }, { rank: 8, alpha: 16, learningRate: 1e-4 }, { rank: 8, alpha: 16, learningRate: 2e-4 }], ['rank', 'learningRate']],
    ['alpha swept on its own stays', [{ rank: 4, alpha: 8 }, { rank: 4, alpha: 16 }], ['alpha']],
    ['nothing swept', [{ rank: 4 }, { rank: 4 }], []],
  ])('sweptParams: %s', (_name, params, expected) => {
    expect(sweptParams(params.map((p) => ({ method: 'lora', params: p })))).toEqual(expected);
  });
});
