import { describe, expect, it } from 'vitest';
import type { EvalRow, PredictionRow } from '../../src/eval/types.js';
import { renderReportHtml } from '../../src/report/render.js';
import { intervalShift } from '../../src/report/sections/ood.js';
import { buildReportViewModel } from '../../src/report/view-model.js';
import type { ReportData } from '../../src/report/data.js';
import { fixtureReportData, HOSTILE } from './fixture.js';

/** The fixture sweep with OOD results: every subject as on test, except the fine-tuned model's clean classify slice, which drops by `drop`. */
function withOod(drop: number, description = 'E-mails from a later collection'): ReportData {
  const data = fixtureReportData();
  const best = data.runs.find((r) => r.runId === data.bestRunId)!;
  const shift = (rows: EvalRow[]): EvalRow[] =>
    rows.map((r) => {
      const d = r.subject === 'finetuned' && r.slice === 'classify' && r.perturbation === 'none' ? drop : 0;
      return { ...r, split: 'ood', value: r.value - d, ...(r.ciLow !== undefined ? { ciLow: r.ciLow - d, ciHigh: r.ciHigh! - d } : {}) };
    });
  const ood = (ps: PredictionRow[]): PredictionRow[] => ps.map((p) => ({ ...p, split: 'ood', exampleId: `ood:${p.exampleId}` }));
  data.ood = {
    baselineRows: shift(data.baselines.evalRows),
    baselinePredictions: ood(data.baselines.predictions),
    runRows: { [best.runId]: shift(best.evalRows) },
    runPredictions: { [best.runId]: ood(best.predictions) },
  };
  data.sweep = { ...data.sweep, manifest: { ...data.sweep.manifest, counts: { ...data.sweep.manifest!.counts, ood: 80 }, ood: { description, source: 'suite:email-triage' } } };
  return data;
}

describe('intervalShift: a change between two splits is clear only when the 95% intervals do not overlap', () => {
  it('higher-is-better and lower-is-better; overlap; missing intervals', () => {
    const a = { ciLow: 0.6, ciHigh: 0.8 };
    expect(intervalShift(a, { ciLow: 0.3, ciHigh: 0.55 }, false)).toBe('worse');
    expect(intervalShift(a, { ciLow: 0.85, ciHigh: 0.9 }, false)).toBe('better');
    expect(intervalShift(a, { ciLow: 0.3, ciHigh: 0.55 }, true)).toBe('better');
    expect(intervalShift(a, { ciLow: 0.5, ciHigh: 0.61 }, false)).toBe('overlap');
    expect(intervalShift(a, { ciLow: undefined, ciHigh: 0.5 }, false)).toBe('unknown');
    expect(intervalShift(undefined, a, false)).toBe('unknown');
  });
});

describe('report section 6b: out of distribution', () => {
  it('no OOD results: no section', () => {
    expect(buildReportViewModel(fixtureReportData()).ood).toBeNull();
  });

  it('puts each subject in and out of distribution side by side; a drop beyond the intervals is marked; the summary says it with the paired test vs base', () => {
    const data = withOod(0.3);
    const vm = buildReportViewModel(data);
    const ood = vm.ood!;
    expect(ood.description).toBe('E-mails from a later collection');
    const t = ood.shift.find((x) => x.title === 'classify/f1_macro')!;
    expect(t.rows.map((r) => r.subject)).toEqual(['finetuned', 'base', 'prompting', 'rag']);
    const ft = t.rows.find((r) => r.subject === 'finetuned')!;
    const best = data.runs.find((r) => r.runId === data.bestRunId)!;
    const inValue = best.evalRows.find((r) => r.subject === 'finetuned' && r.slice === 'classify' && r.metric === 'f1_macro' && r.perturbation === 'none')!.value;
    expect(Number(ft.inDist)).toBeCloseTo(inValue, 3);
    expect(Number(ft.ood)).toBeCloseTo(inValue - 0.3, 3);
    expect(ft.change).toBe('−0.3');
    expect(ft.changeCls).toBe('bad');
    // Subjects whose OOD value equals their test value: no shift, not coloured.
    for (const r of t.rows.filter((x) => x.subject !== 'finetuned')) expect([r.change, r.changeCls]).toEqual(['±0', '']);
    // The generation slice has its own table.
    expect(ood.shift.map((x) => x.title)).toContain('subject/rougeL');
    // The same comparison tables and robustness as sections 5 and 6, on the OOD rows.
    expect(ood.baselines.map((b) => b.slice)).toEqual(vm.baselines.map((b) => b.slice));
    expect(ood.robustness.length).toBeGreaterThan(0);
    const line = vm.summary.best!.why.find((w) => w.startsWith('Out of distribution:'))!;
    expect(line).toMatch(/^Out of distribution: classify\/f1_macro [\d.]+ \[[\d.]+, [\d.]+\] \(n = 40\) against [\d.]+ on the in-distribution test split \(−0\.3; clearly worse: the 95% intervals do not overlap\); there it is (significantly better than|not distinguishable from) the base model \(/);
  });

  it('a small change inside the intervals is not called a shift', () => {
    const ft = buildReportViewModel(withOod(0.02)).ood!.shift[0]!.rows.find((r) => r.subject === 'finetuned')!;
    expect(ft.changeCls).toBe('');
    expect(ft.changeTitle).toMatch(/overlap/);
  });

  it('OOD examples with no slice in common with the test split: a note naming both, no empty table', () => {
    const data = withOod(0);
    const best = data.runs.find((r) => r.runId === data.bestRunId)!;
    const rename = (rows: EvalRow[]) => rows.filter((r) => r.slice !== 'all').map((r) => ({ ...r, slice: 'emotion' }));
    data.ood = { ...data.ood!, baselineRows: rename(data.ood!.baselineRows), runRows: { [best.runId]: rename(data.ood!.runRows[best.runId]!) } };
    const ood = buildReportViewModel(data).ood!;
    expect(ood.shift).toEqual([]);
    expect(ood.note).toBe('No metric is measured both on the test split and on the out-of-distribution examples: their slices differ (out of distribution: emotion; test: classify, subject). The tables below show the OOD examples alone.');
  });

  it('renders the section with the description escaped', async () => {
    const html = await renderReportHtml(buildReportViewModel(withOod(0.3, `Later mail ${HOSTILE}`)), { version: '0.1.0' });
    expect(html).toContain('id="ood"');
    expect(html).toContain('href="#ood"');
    expect(html).toContain('data-testid="ood-shift-classify-f1_macro"');
    expect(html).toContain('data-testid="ood-baselines-classify"');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('Later mail &lt;script&gt;alert(1)&lt;/script&gt;');
    const plain = await renderReportHtml(buildReportViewModel(fixtureReportData()), { version: '0.1.0' });
    expect(plain).not.toContain('id="ood"');
  });
});
