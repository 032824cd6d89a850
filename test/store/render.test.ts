/** `fte show` text: default view (finetuned + base, clean rows, robustness summary), filters, n = 0 shown as '-'. */
import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import type { EvalResultRecord, RunDetail, RunRecord } from '../../src/store/queries.js';
import { memoryLine, renderRunDetail, renderRunList } from '../../src/store/render.js';

const run = {
  runId: 'r1', sweepId: 's1', kind: 'variant', experimentId: null, experiment: null, variantKey: 'lora', method: 'lora', status: 'completed',
  startedAt: null, finishedAt: null, wallSeconds: null, device: null, backend: null, params: {}, steps: null, bestStep: null, stoppedEarly: null,
  bestValLoss: null, finalValLoss: null, perplexity: null, objective: { metric: 'bleu', goal: 'maximize', value: 30 }, tokensTrained: null,
  trainableParams: null, totalParams: null, adapterBytes: null, peakMemoryBytes: null, estimatedMemoryBytes: null, baseWeightBytes: null, usd: null, divergenceReason: null, error: null,
} as RunRecord;

const clean: Record<string, number> = { finetuned: 30, base: 10, prompting: 12, rag: 20 };
function evals(): EvalResultRecord[] {
  const rows: EvalResultRecord[] = [];
  const add = (subject: string, perturbation: string, slice: string, metric: string, value: number | null, n: number | null) =>
    rows.push({ runId: subject === 'finetuned' ? 'r1' : 's1:baselines', sweepId: 's1', kind: subject === 'finetuned' ? 'variant' : 'baselines', subject, perturbation, slice, metric, value, n, signature: null } as EvalResultRecord);
  for (const subject of ['finetuned', 'base', 'prompting', 'rag']) {
    for (const slice of ['all', 'summarize']) {
      add(subject, 'none', slice, 'bleu', clean[subject]!, 10);
      add(subject, 'none', slice, 'chrf', 50, 10);
      // typos changed 8 of the 10 inputs: perturbed and clean (`typos:original`) over those 8 (HELM).
      add(subject, 'typos', slice, 'bleu', clean[subject]! - 4, 8);
      add(subject, 'typos:original', slice, 'bleu', clean[subject]! - 1, 8);
      add(subject, 'typos', slice, 'consistency', 0.7, 8);
      add(subject, 'typos', slice, 'input_change_rate', 0.8, 10);
      add(subject, 'case', slice, 'bleu', clean[subject]!, 10);
      add(subject, 'case', slice, 'consistency', 1, 0);
      add(subject, 'worst_case', slice, 'bleu', clean[subject]! - 5, 10);
    }
  }
  return rows;
}
const detail = (): RunDetail => ({ run, curves: [], evals: evals(), confusion: [], costs: [], artifacts: [] });
const section = (text: string, title: string): string[] => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(title));
  expect(at, title).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > at + 1 && l === '');
  return lines.slice(at, end === -1 ? undefined : end);
};
const cells = (line: string) => line.split('│').map((c) => c.trim()).filter(Boolean);

describe('renderRunDetail metrics view', () => {
  it('default: finetuned and base, clean rows only, and a robustness summary per perturbation', () => {
    const text = renderRunDetail(detail());
    const metrics = section(text, 'metrics').filter((l) => l.startsWith('│')).map(cells);
    expect(metrics[0]).toEqual(['subject', 'slice', 'metric', 'value', '95% CI', 'n', 'scale', 'split']);
    expect(metrics[1]!.slice(-2)).toEqual(['0-100', 'test']); // bleu, a row stored without a split
    expect(metrics.slice(1).map((c) => c[0])).toEqual([...Array(4).fill('finetuned'), ...Array(4).fill('base')]);
    expect(metrics.slice(1).every((c) => c[2] === 'bleu' || c[2] === 'chrf')).toBe(true);
    const robust = section(text, 'robustness').filter((l) => l.startsWith('│')).map(cells);
    expect(robust[0]).toEqual(['subject', 'perturbation', 'bleu clean', 'perturbed', 'drop', 'changed', 'consistency (n)']);
    // typos: clean 29 and perturbed 26 over the 8 changed inputs, a drop of 3 (over all 10 it read 30 - 26 = 4).
    // case: rows stored before drops were paired (no `case:original`): clean over all inputs, changed unknown.
    expect(robust.slice(1)).toEqual([
      ['finetuned', 'typos', '29', '26', '3', '8 of 10', '0.7 (8)'],
      ['finetuned', 'case', '30', '30', '0', '-', '-'],
      ['finetuned', 'worst_case', '30', '25', '5', '-', '-'],
      ['base', 'typos', '9', '6', '3', '8 of 10', '0.7 (8)'],
      ['base', 'case', '10', '10', '0', '-', '-'],
      ['base', 'worst_case', '10', '5', '5', '-', '-'],
    ]);
    expect(section(text, 'robustness')[0]).toMatch(/over the inputs each perturbation changed/);
    expect(text.split('\n').length).toBeLessThan(60);
    expect(text).toContain('8 of 72 metric rows shown');
  });

  it.each([
    [{ subjects: ['rag'] }, ['rag'], ['none']],
    [{ subjects: ['rag', 'prompting'], perturbation: 'typos' }, ['rag', 'prompting'], ['typos']],
    [{ perturbation: 'all' }, ['finetuned', 'base'], ['none', 'typos', 'typos:original', 'case', 'worst_case']],
    [{ all: true }, ['finetuned', 'base', 'prompting', 'rag'], ['none', 'typos', 'typos:original', 'case', 'worst_case']],
  ])('%j filters subjects and perturbations', (view, subjects, perturbations) => {
    const text = renderRunDetail(detail(), view);
    const rows = section(text, 'metrics').filter((l) => l.startsWith('│')).map(cells);
    const head = rows[0]!;
    const si = head.indexOf('subject');
    const pi = head.indexOf('perturbation');
    expect(new Set(rows.slice(1).map((c) => c[si]))).toEqual(new Set(subjects));
    expect(new Set(rows.slice(1).map((c) => (pi === -1 ? perturbations[0] : c[pi])))).toEqual(new Set(perturbations));
  });

  it('shows a value measured on 0 examples as "-"', () => {
    const text = renderRunDetail(detail(), { perturbation: 'case' });
    const rows = section(text, 'metrics').filter((l) => l.startsWith('│')).map(cells);
    expect(rows.filter((c) => c.includes('consistency')).map((c) => [c[3], c[4]])).toEqual(Array(4).fill(['-', '0']));
  });

  it.each([
    [{ subjects: ['finetune'] }, /unknown subject 'finetune'; known: finetuned, base, prompting, rag/],
    [{ perturbation: 'typo' }, /unknown perturbation 'typo'; known: none, typos, typos:original, case, worst_case, all/],
  ])('%j is an UnknownNameError', (view, message) => {
    expect(() => renderRunDetail(detail(), view)).toThrow(UnknownNameError);
    expect(() => renderRunDetail(detail(), view)).toThrow(message);
  });
});

describe('renderRunList objective header', () => {
  it('labels the objective column (val) when every run was ranked on validation', () => {
    const r = { ...run, objective: { metric: 'classify/f1_macro', goal: 'maximize', value: 0.8, split: 'val' } } as RunRecord;
    const sort = { key: 'objective', order: 'asc', source: 'objective' } as const;
    expect(renderRunList({ runs: [r], total: 1, sort } as never)).toContain('objective classify/f1_macro ↑ (val)');
    const old = { ...r, objective: { ...r.objective, split: 'test' } } as RunRecord;
    expect(renderRunList({ runs: [old], total: 1, sort } as never)).not.toContain('(val)');
  });
});

describe('fte show memory line', () => {
  const rss = { split: 'train', name: 'rss_bytes', points: 3, firstStep: 1, lastStep: 3, first: 1, last: 1, min: 1, minStep: 1, max: 200 * 2 ** 20, maxStep: 2 };
  it('shows the measured peak, the RSS peak from the curve and the estimate', () => {
    expect(memoryLine({ peakMemoryBytes: 12 * 2 ** 20, estimatedMemoryBytes: 10 * 2 ** 20 }, [rss])).toMatch(/^peak memory 12(\.0)? MiB measured \(tensors; process RSS peak 200(\.0)? MiB\)   estimate 10(\.0)? MiB$/);
    expect(memoryLine({ peakMemoryBytes: 12 * 2 ** 20, estimatedMemoryBytes: 10 * 2 ** 20 }, [])).toMatch(/measured \(tensors\)   estimate/);
  });
  it('labels a run stored before fte measured memory: its peak_memory_bytes is the estimate', () => {
    expect(memoryLine({ peakMemoryBytes: 5 * 2 ** 20, estimatedMemoryBytes: null }, [])).toMatch(/^memory 5(\.0)? MiB estimated \(stored before fte measured memory\)$/);
  });
  it('appears in fte show for a trained run', () => {
    const text = renderRunDetail({ ...detail(), run: { ...run, trainableParams: 10, peakMemoryBytes: 3 * 2 ** 20, estimatedMemoryBytes: 2 * 2 ** 20 } as RunRecord });
    expect(text).toContain('peak memory 3');
    expect(text).toContain('estimate 2');
  });
});

describe('fte show training format', () => {
  const trained = { ...run, trainableParams: 10, params: { rank: 8 } } as RunRecord;
  const show = (params: Record<string, unknown>) => renderRunDetail({ ...detail(), run: { ...trained, params } as RunRecord }).split('\n');
  it('says flat text, or the chat template by model folder/file and sha256, in one line; the params table keeps only hyperparameters', () => {
    expect(show({ rank: 8, promptFormat: 'flat' })).toContain('training format flat text (no chat template)');
    const t = show({ rank: 8, promptFormat: 'chat_template', chatTemplate: 'tiny-llama/tokenizer_config.json sha256:0123456789ab' });
    expect(t).toContain('training format chat template tiny-llama/tokenizer_config.json sha256:0123456789ab');
    expect(t.filter((l) => /promptFormat|chatTemplate/.test(l))).toEqual([]);
    expect(t.some((l) => /│ rank +│ 8 +│/.test(l))).toBe(true);
    expect(show({ rank: 8, promptFormat: 'mixed', chatTemplate: 'm/chat_template.jinja sha256:ab' })).toContain('training format chat template m/chat_template.jinja sha256:ab for chat rows, flat text for the rest');
  });
  it('a run stored before fte recorded it says so; an untrained run has no such line', () => {
    expect(show({ rank: 8 })).toContain('training format not recorded');
    expect(renderRunDetail(detail())).not.toContain('training format');
  });
});

describe('renderRunDetail of a run hyperband stopped', () => {
  it('says it was stopped by the sweep\'s hyperband after how many of its planned steps, and that it was not evaluated', () => {
    const stopped = { ...run, status: 'stopped', steps: 6, plannedSteps: 30, bestValLoss: 2.5, objective: { metric: 'val_loss', goal: 'minimize', value: 2.5, split: 'val' } } as RunRecord;
    const text = renderRunDetail({ run: stopped, curves: [], evals: [], confusion: [], costs: [], artifacts: [] });
    expect(text).toContain('stopped by the sweep\'s hyperband after 6 of 30 planned optimizer steps: curves and checkpoint kept, not evaluated');
    const old = renderRunDetail({ run: { ...stopped, plannedSteps: null }, curves: [], evals: [], confusion: [], costs: [], artifacts: [] });
    expect(old).toContain('stopped by the sweep\'s hyperband after 6 optimizer steps: curves and checkpoint kept, not evaluated');
  });
});
