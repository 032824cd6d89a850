import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roiForSweep } from '../../src/report/roi.js';
import { writeReport } from '../../src/report/report.js';
import type { ReportData } from '../../src/report/data.js';
import { loadReportData } from '../../src/report/load.js';
import { parseObjective } from '../../src/report/objective.js';
import { buildReportViewModel, orderSubjects, sweptParams, type ReportViewModel } from '../../src/report/view-model.js';
import { openStore, type Store } from '../../src/store/index.js';
import { buildFixtureDb, MAIN_SWEEP_ID, VAL_LOSS_SWEEP_ID } from './db-fixture.js';
import { API_ENDPOINT, API_SUBJECT, EVAL_ID, fixtureEvalOnlyData, fixtureOutcomes, fixtureReportData, fixtureSubjectBaselines, fixtureSubjectsData, SUBJECTS_SPEC, SWEEP_ID, SWEEP_INFO } from './fixture.js';

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

  it('says how the variants were trained: flat text, or the chat template by model folder/file and sha256; not recorded for older runs', () => {
    const withFormat = (params: Record<string, string>): ReportData => ({ ...data, runs: data.runs.map((r) => ({ ...r, params: { ...r.params, ...params } })) });
    const flat = buildReportViewModel(withFormat({ promptFormat: 'flat' })).summary;
    expect(flat.best?.why).toContain('Training format: flat text (no chat template).');
    expect(flat.facts).toContainEqual({ label: 'Training format', value: 'flat text (no chat template)' });
    expect(flat.best?.params.map((p) => p.label)).not.toContain('promptFormat');
    const template = 'tiny-llama/tokenizer_config.json sha256:0123456789ab';
    const chat = buildReportViewModel(withFormat({ promptFormat: 'chat_template', chatTemplate: template })).summary;
    expect(chat.best?.why).toContain(`Training format: chat template ${template}.`);
    expect(chat.facts).toContainEqual({ label: 'Training format', value: `chat template ${template}` });
    expect(chat.best?.params.map((p) => p.label)).not.toContain('chatTemplate');
    // the fixture's runs were stored without it
    expect(vm.summary.best?.why).toContain('Training format: not recorded.');
    expect(vm.summary.facts).toContainEqual({ label: 'Training format', value: 'not recorded' });
    // a sweep whose runs differ says each with its count
    const mixed: ReportData = { ...data, runs: data.runs.map((r, i) => ({ ...r, params: { ...r.params, promptFormat: i < 2 ? 'flat' : 'chat_template', ...(i < 2 ? {} : { chatTemplate: template }) } })) };
    expect(buildReportViewModel(mixed).summary.facts).toContainEqual({ label: 'Training format', value: `flat text (no chat template) (2 runs); chat template ${template} (4 runs)` });
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

  it('sweep table: measured peak memory with the estimate below; a run stored before measurement shows its estimate, labelled', () => {
    const d = fixtureReportData();
    d.runs = d.runs.map((r, i) => (i === 0 ? { ...r, estimatedMemoryBytes: undefined, peakMemoryBytes: 30 * 2 ** 20 } : { ...r, peakMemoryBytes: 50 * 2 ** 20, estimatedMemoryBytes: 40 * 2 ** 20 }));
    const v = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    const col = v.sweepTable.columns.findIndex((c) => c.label === 'Peak memory');
    expect(col).toBeGreaterThan(0);
    expect(v.sweepTable.columns[col]!.title).toMatch(/measured/);
    const cell = (runId: string) => v.sweepTable.rows.find((r) => r.runId === runId)!.cells[col]!;
    expect(cell(d.runs[1]!.runId)).toMatchObject({ text: '50 MiB', sort: String(50 * 2 ** 20), sub: 'est. 40 MiB' });
    expect(cell(d.runs[0]!.runId)).toMatchObject({ text: '30 MiB', sub: 'estimate (not measured)' });
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

  it('orderSubjects: built-in subjects first, named baselines and extra models as first seen, the majority class last', () => {
    expect(orderSubjects(['majority', 'gpt-mini', 'rag', 'hosted-ft', 'finetuned', 'gpt-mini', 'base'])).toEqual(['finetuned', 'base', 'rag', 'gpt-mini', 'hosted-ft', 'majority']);
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

describe('subjects: provider / model, named baselines and extra models', () => {
  const v = buildReportViewModel(fixtureSubjectsData(), { generatedAt: '2026-11-29T08:00:00.000Z' });

  it('the Subjects table: every subject with its provider / model, prompt, tokens per answered request, errors, cache hits, truncation', () => {
    expect(v.subjects.rows.map((r) => [r.label, r.provider, r.prompt])).toEqual([
      ['Fine-tuned (run-4)', `local .fte/sweeps/${SWEEP_ID}/run-4`, 'zero-shot'],
      ['Base model', 'local fte-tiny-base', 'zero-shot'],
      ['Prompting', 'local fte-tiny-base', 'few-shot (k = 4)'],
      ['RAG', 'local fte-tiny-base', 'RAG BM25 (k = 3)'],
      [API_SUBJECT, `openai gpt-4o-mini @ ${API_ENDPOINT}`, 'few-shot (k = 4)'],
    ]);
    const api = v.subjects.rows.find((r) => r.subject === API_SUBJECT)!;
    // Tokens over the 77 answered requests, not the 80 examples.
    expect(api).toMatchObject({ value: '0.71', ci: '[0.61, 0.81]', examples: '80', tokensIn: '900', tokensOut: '5', errors: '3 of 400', errorsCls: 'bad', cached: '40 of 400', truncation: 'none' });
    expect(api.errorsTitle).toContain('HTTP 503');
    expect(v.subjects.rows.find((r) => r.subject === 'prompting')).toMatchObject({ truncation: 'no demonstrations (k = 4)', truncationCls: 'bad' });
    expect(v.subjects.rows.find((r) => r.subject === 'rag')).toMatchObject({ truncation: '10 of 80 lost demonstrations', truncationCls: 'warn' });
    expect(v.subjects.metric).toBe('classify/f1_macro (test)');
  });

  it('the prompt column says how each subject read its prompts where the store records it (chat template, flat text, chat messages)', () => {
    const d = fixtureSubjectsData();
    const template = 'tiny-llama/tokenizer_config.json sha256:0123456789ab';
    const format = (s: string) => (s === API_SUBJECT ? { promptFormat: 'messages' as const } : s === 'prompting' || s === 'rag' ? { promptFormat: 'flat' as const } : { promptFormat: 'chat_template' as const, chatTemplate: template });
    const withFormats: ReportData = {
      ...d,
      runs: d.runs.map((r) => ({ ...r, subjects: r.subjects?.map((x) => ({ ...x, ...format(x.subject) })) })),
      baselines: { ...d.baselines, subjects: d.baselines.subjects?.map((x) => ({ ...x, ...format(x.subject) })) },
    };
    expect(buildReportViewModel(withFormats).subjects.rows.map((r) => [r.subject, r.prompt])).toEqual([
      ['finetuned', `zero-shot, chat template ${template}`],
      ['base', `zero-shot, chat template ${template}`],
      ['prompting', 'few-shot (k = 4), flat text'],
      ['rag', 'RAG BM25 (k = 3), flat text'],
      [API_SUBJECT, 'few-shot (k = 4), chat messages'],
    ]);
  });

  it('the plain notes of every subject, and the severe ones (no demonstrations at all, failed requests) under the headline', () => {
    expect(v.subjects.notes).toEqual([
      'base (local fte-tiny-base): 2 of 80 inputs were cut from the left to fit the model\'s context.',
      'prompting (local fte-tiny-base) saw no demonstrations at all: the model\'s context could not hold any of its 4 on any of the 80 examples, so it was effectively zero-shot.',
      'rag (local fte-tiny-base): 10 of 80 examples lost demonstrations to the model\'s context.',
      `${API_SUBJECT} (openai gpt-4o-mini @ ${API_ENDPOINT}): 3 of 400 requests failed after retries and were scored as empty answers (first: HTTP 503 <b>upstream</b> unavailable).`,
    ]);
    expect(v.summary.caveats).toEqual([v.subjects.notes[1], v.subjects.notes[3]]);
    // The ordinary fixture has no subjects rows: no table, no notes, no caveats.
    expect(vm.subjects).toEqual({ metric: 'classify/f1_macro (test)', rows: [], notes: [] });
    expect(vm.summary.caveats).toEqual([]);
  });

  it('the extra model is compared wherever the built-in baselines are: verdicts, tiles, tables, charts, samples', () => {
    expect(v.summary.verdicts.map((x) => x.against)).toEqual(['base', 'run:run-2', 'prompting', 'rag', API_SUBJECT]);
    expect(v.summary.verdicts.at(-1)!.text).toMatch(new RegExp(`^(significantly (better|worse) than|not distinguishable from) ${API_SUBJECT} \\(`));
    expect(v.summary.best!.why.join(' ')).toContain(`test classify/f1_macro 0.788 vs 0.71.`);
    // gpt-mini (0.71) is now the best alternative, above RAG (0.65).
    expect(v.summary.tiles[1]!.label).toBe(`vs ${API_SUBJECT} (best alternative)`);
    const f1 = v.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!;
    expect(f1.cells.map((c) => c.subject)).toEqual(['finetuned', 'base', 'prompting', 'rag', API_SUBJECT]);
    expect(f1.cells.at(-1)).toMatchObject({ text: '0.71', ci: '[0.61, 0.81]', delta: '+0.33' });
    expect(v.baselines[1]!.chart.some((c) => c.subject === API_SUBJECT)).toBe(true);
    expect(v.robustness[0]!.subjects).toEqual(['Fine-tuned', 'Base model', 'Prompting', 'RAG', API_SUBJECT]);
    expect(v.robustness[0]!.chart.some((c) => c.subject === API_SUBJECT)).toBe(true);
    expect(v.samples.items[0]!.outputs.map((o) => o.subject)).toEqual(['Fine-tuned', 'Base model', 'Prompting', 'RAG', API_SUBJECT]);
    expect(v.baselinesIntro).toMatchObject({ title: `Fine-tuned vs base vs prompting vs RAG vs ${API_SUBJECT}`, reference: 'the base model' });
    // The ordinary sweep keeps its heading and lede.
    expect(vm.baselinesIntro.title).toBe('Fine-tuned vs base vs prompting vs RAG');
    expect(vm.baselinesIntro.lede).toMatch(/^Best variant against the untuned base model/);
  });

  it('a spec\'s named baselines without a base model: deltas against the first of them; missing subjects named', () => {
    const d = fixtureSubjectsData();
    const drop = (s: string): boolean => s === 'base' || s === 'prompting';
    d.baselines = { ...d.baselines, evalRows: d.baselines.evalRows.filter((r) => !drop(r.subject)), predictions: d.baselines.predictions.filter((p) => !drop(p.subject)) };
    d.runs = d.runs.map((r) => ({ ...r, evalRows: r.evalRows.filter((e) => !drop(e.subject)) }));
    const w = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(w.warnings).toContain('Missing baseline results: base, prompting.');
    const f1 = w.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!;
    expect(f1.cells.map((c) => c.subject)).toEqual(['finetuned', 'rag', API_SUBJECT]);
    expect(f1.cells.find((c) => c.subject === 'rag')!.delta).toBe('');
    expect(f1.cells.find((c) => c.subject === API_SUBJECT)!.deltaTitle).toMatch(/^paired test vs RAG: /);
    expect(w.samples.versus).toBe('RAG');
    // A spec that names its baselines expects only those.
    const named = { ...SUBJECTS_SPEC, evaluate: { ...SUBJECTS_SPEC.evaluate, baselines: [{ kind: 'rag' }] } };
    expect(buildReportViewModel({ ...d, sweep: { ...d.sweep, spec: named } }).warnings).toEqual([]);
  });
});

describe('an evaluation without training (fte eval: no runs, no best run)', () => {
  const v = buildReportViewModel(fixtureEvalOnlyData(), { generatedAt: '2026-11-29T08:00:00.000Z' });

  it('compares the subjects among themselves: the best one, paired tests against every other, no warnings about missing runs', () => {
    expect(v.evalOnly).toBe(true);
    expect(v.warnings).toEqual([]);
    expect(v.summary.best).toBeNull();
    expect(v.summary.top).toMatchObject({ subject: API_SUBJECT, provider: `openai gpt-4o-mini @ ${API_ENDPOINT}`, metric: 'classify/f1_macro', valueText: '0.71', ci: '[0.61, 0.81]' });
    // Against every other subject but the majority class (no predictions to pair), next best first.
    expect(v.summary.verdicts.map((x) => [x.against, x.split, x.metric])).toEqual([
      ['rag', 'test', 'classify/f1_macro'],
      ['prompting', 'test', 'classify/f1_macro'],
      ['base', 'test', 'classify/f1_macro'],
    ]);
    expect(v.summary.verdicts.every((x) => x.test !== null && x.pValue !== null)).toBe(true);
    expect(v.summary.headline).toMatch(new RegExp(`^No variants were trained\\. ${API_SUBJECT} has the highest test classify/f1_macro of the 4 evaluated subjects \\(0\\.71\\); against the next best it is .* than RAG \\(.*\\): 0\\.71 vs 0\\.65\\.$`));
    expect(v.summary.caveats).toHaveLength(2);
    expect(v.summary.facts.find((f) => f.label === 'Evaluation')!.value).toContain(EVAL_ID);
    expect(v.summary.facts.some((f) => f.label === 'Runs')).toBe(false);
  });

  it('keeps the subjects table, the metrics with their intervals, robustness and samples', () => {
    expect(v.subjects.rows.map((r) => r.subject)).toEqual(['base', 'prompting', 'rag', API_SUBJECT]);
    const f1 = v.baselines[1]!.rows.find((r) => r.metric === 'f1_macro')!;
    expect(f1.cells.map((c) => c.subject)).toEqual(['base', 'prompting', 'rag', API_SUBJECT]);
    expect(f1.cells.every((c) => /^\[[\d.]+, [\d.]+\]$/.test(c.ci))).toBe(true);
    expect(f1.cells.filter((c) => c.best).map((c) => c.subject)).toEqual([API_SUBJECT]);
    expect(v.baselinesIntro.title).toBe(`Base vs prompting vs RAG vs ${API_SUBJECT}`);
    expect(v.robustness[0]!.subjects).toEqual(['Base model', 'Prompting', 'RAG', API_SUBJECT]);
    expect(v.samples.items.length).toBe(10);
    expect(v.samples.items[0]!.outputs.map((o) => o.subject)).toEqual([API_SUBJECT, 'Base model', 'Prompting', 'RAG']);
    expect(v.samples.note).toMatch(new RegExp(`^10 of 80 test examples of ${API_SUBJECT}, ordered by .* vs the base model`));
    expect(v.sweepTable.rows).toEqual([]);
    expect(v.heatmap).toBeNull();
    expect(v.cost.runs).toEqual([]);
  });

  it('loads from the store as fte eval writes it, and writes its report', async () => {
    const file = join(dir, 'eval-only.duckdb');
    const w = await openStore(file);
    try {
      await w.upsertExperiment({ name: SUBJECTS_SPEC.name, specPath: 'experiments/lora-rank.ts', specHash: 'e1', objective: { metric: 'classify/f1_macro', goal: 'maximize' } });
      await w.createSweep({ experimentId: SUBJECTS_SPEC.name, sweepId: EVAL_ID, specJson: SUBJECTS_SPEC, limits: {}, baseModel: 'models/fte-tiny-base', startedAt: SWEEP_INFO.startedAt });
      const b = fixtureSubjectBaselines();
      await w.writeBaselineResults(EVAL_ID, b.evalRows, b.predictions, b.costs, [], b.subjects);
      await w.finishSweep(EVAL_ID, 'completed');
    } finally {
      await w.close();
    }
    const r = await openStore(file, { readOnly: true });
    let d: ReportData;
    try {
      d = await loadReportData(r.db);
    } finally {
      await r.close();
    }
    expect(d.runs).toEqual([]);
    expect(d.bestRunId).toBeNull();
    expect(d.baselines.subjects!.map((x) => x.subject)).toEqual(['base', 'prompting', 'rag', API_SUBJECT]);
    const lv = buildReportViewModel(d, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(lv.summary.top?.subject).toBe(API_SUBJECT);
    expect(lv.subjects.rows.map((x) => x.provider)).toEqual([...Array(3).fill('local fte-tiny-base'), `openai gpt-4o-mini @ ${API_ENDPOINT}`]);
    const out = join(dir, 'eval-only.html');
    const res = await writeReport({ db: file, out, generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(res).toMatchObject({ sweepId: EVAL_ID, bestRunId: null });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-testid="top-subject"');
    expect(html).toContain('saw no demonstrations at all');
  });
});
