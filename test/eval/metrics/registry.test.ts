import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../../src/errors.js';
import { DEFAULT_METRICS, METRIC_NAMES, getMetric } from '../../../src/eval/metrics/registry.js';
import { metrics } from '../../../src/index.js';

describe('metric registry', () => {
  it('lists the names the harness reports', () => {
    for (const n of ['token_f1', 'bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum', 'exact_match', 'f1', 'accuracy', 'f1_macro', 'f1_micro', 'f1_weighted', 'precision_macro', 'recall_macro', 'perplexity']) {
      expect(METRIC_NAMES).toContain(n);
    }
    for (const names of Object.values(DEFAULT_METRICS)) for (const n of names) expect(() => getMetric(n)).not.toThrow();
  });
  it('throws UnknownNameError listing the valid names', () => {
    expect(() => getMetric('blue')).toThrow(UnknownNameError);
    expect(() => getMetric('blue')).toThrow(/known: bleu, chrf/);
  });
  const preds = [' spam', 'ham ', ' ham'];
  const refs = [[' spam'], [' spam'], [' ham']];
  it.each([
    ['accuracy', 2 / 3],
    ['f1_micro', 2 / 3],
    ['f1_macro', metrics.classification(['spam', 'spam', 'ham'], ['spam', 'ham', 'ham']).f1.macro],
  ])('classification metric %s trims labels', (name, expected) => {
    expect(getMetric(name).compute({ predictions: preds, references: refs }).value).toBeCloseTo(expected, 12);
  });
  it.each([
    ['bleu', metrics.corpusBleu(['the cat sat on the mat'], [['the cat sat on a mat']]).score],
    ['chrf', metrics.chrf(['the cat sat on the mat'], [['the cat sat on a mat']]).score],
    ['rougeL', metrics.rouge('the cat sat on the mat', 'the cat sat on a mat', { useStemmer: true }).rougeL.fmeasure],
    ['exact_match', 100], // 'the' and 'a' are both articles: SQuAD normalises them away
    ['f1', metrics.squadF1(['the cat sat on the mat'], [['the cat sat on a mat']])],
  ])('generation metric %s equals the metric function', (name, expected) => {
    const m = getMetric(name);
    const v = m.compute({ predictions: ['the cat sat on the mat'], references: [['the cat sat on a mat']] });
    expect(v.value).toBeCloseTo(expected, 12);
    expect(v.signature).toBe(m.signature);
  });
  it('perplexity reads token NLLs', () => {
    const v = getMetric('perplexity').compute({ predictions: [], references: [], tokenNll: [Math.log(3), Math.log(3)] });
    expect(v.value).toBeCloseTo(3, 12);
    expect(v.n).toBe(2);
  });
});
