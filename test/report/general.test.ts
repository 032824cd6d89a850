import { describe, expect, it } from 'vitest';
import { generalForgetting, generalText, signedPct, type GeneralRowLike } from '../../src/report/general.js';

const row = (subject: string, metric: string, value: number, extra: Partial<GeneralRowLike> = {}): GeneralRowLike => ({ subject, slice: 'general', metric, perturbation: 'none', split: 'test', value, n: 128, ...extra });

describe('forgetting in words', () => {
  it('reads the general slice of one subject, with the change vs base and its p-value', () => {
    const rows = [
      row('finetuned', 'perplexity', 3.2, { ciLow: 3.0, ciHigh: 3.4 }),
      row('finetuned', 'bits_per_byte', 1.7),
      row('finetuned', 'perplexity_change', 0.0312, { ciLow: -0.012, ciHigh: 0.074 }),
      row('finetuned', 'perplexity_change_p', 0.04),
      row('finetuned', 'perplexity', 99, { slice: 'all' }),
      row('base', 'perplexity', 3.1),
    ];
    const g = generalForgetting(rows, 'finetuned')!;
    expect(g.perplexity).toEqual({ value: 3.2, ciLow: 3.0, ciHigh: 3.4, n: 128 });
    expect(g.pValue).toBe(0.04);
    expect(generalText(g, 3.1)).toBe('general text perplexity +3.1% vs base [−1.2%, +7.4%] (p = 0.04, n = 128 passages): 3.2 vs 3.1');
    expect(generalText(generalForgetting(rows, 'base')!)).toBe('general text perplexity 3.1 (n = 128 passages)');
    expect(generalForgetting(rows, 'rag')).toBeNull();
  });

  it('signed percentages', () => {
    expect(signedPct(0.0312)).toBe('+3.1%');
    expect(signedPct(-0.0052)).toBe('−0.52%');
    expect(signedPct(0)).toBe('±0%');
  });
});

describe('human review in the report summary', () => {
  it('reviewText: rubric means with intervals, the blind preference rate with its Wilson interval', async () => {
    const { reviewText } = await import('../../src/report/sections/summary.js');
    const { summarizeReviews } = await import('../../src/review/summary.js');
    const rubric = JSON.stringify({ items: [{ name: 'correct', question: '', min: 1, max: 5 }] });
    const r = (id: string, run: number, base: number, preference: 'run' | 'baseline' | 'tie') => ({
      runId: 'r', exampleId: id, reviewer: 'ann', seq: 0, rubricJson: rubric, baselineSubject: 'base', baselineRunId: 's:baselines', runPosition: 'A' as const,
      runScores: { correct: run }, baselineScores: { correct: base }, preference, note: null, complete: true, source: 'terminal' as const,
    });
    const s = summarizeReviews('r', [r('1', 4, 2, 'run'), r('2', 4, 2, 'run'), r('3', 4, 3, 'tie')]);
    expect(reviewText(s)).toBe('correct 4.00 [4.00, 4.00] vs baseline 2.33 [2.00, 3.00]; preferred over base (blind) in 2 of 2 decided (100% [34%, 100%], Wilson 95%; 1 tie); 3 of 3 examples complete, by ann');
  });
});
