import { describe, expect, it } from 'vitest';
import { labelSet, mapToLabel, normalizeLabel } from '../../src/eval/labels.js';
import { getMetric } from '../../src/eval/metrics/registry.js';

describe('label normalisation (HELM-style, fixed label set)', () => {
  const labels = ['ham', 'spam'];
  it.each([
    ['Spam', 'spam'],
    [' spam.', 'spam'],
    ['"ham"', 'ham'],
    ["'Ham!'", 'ham'],
    ['spam\nbecause the sender is unknown', 'spam'],
    ['\n  HAM  \nmore', 'ham'],
    ['spammy', null],
    ['I think it is spam', null],
    ['', null],
    ['...', null],
  ])('%j -> %s', (answer, expected) => {
    expect(mapToLabel(answer, labels)).toBe(expected);
  });
  it('normalises the first line only, case-folded, without surrounding punctuation and quotes', () => {
    expect(normalizeLabel('  “Needs-Reply”, \nno')).toBe('needs-reply');
  });
  it('the label set is the declared labels, else the training completions, plus every gold label', () => {
    expect(labelSet(['spam', 'ham'], [' other'])).toEqual(['ham', 'spam']);
    expect(labelSet(undefined, [' spam', ' ham', ' spam'])).toEqual(['ham', 'spam']);
    expect(labelSet(['spam'], [], [' ham', ' Spam'])).toEqual(['ham', 'spam']);
  });
});

describe('classification metrics over a fixed label set', () => {
  // 50 examples, 25 spam and 25 ham; 40 answered right (in assorted spellings), 10 distinct junk answers.
  const gold = [...Array<string>(25).fill(' spam'), ...Array<string>(25).fill(' ham')];
  const preds = gold.map((g, i) => {
    const k = i % 25;
    if (k >= 20) return `junk answer ${i}`; // 5 junk per class, 10 distinct
    return k % 3 === 0 ? g.trim().toUpperCase() : k % 3 === 1 ? `${g}.` : `"${g.trim()}"\nbecause`;
  });
  const input = { predictions: preds, references: gold.map((g) => [g]), labels: ['ham', 'spam'] };
  it('accuracy 0.80 with 10 distinct junk answers gives macro-F1 ~0.89 (junk is never a class)', () => {
    expect(new Set(preds.filter((p) => p.startsWith('junk'))).size).toBe(10);
    expect(getMetric('accuracy').compute(input).value).toBeCloseTo(0.8, 12);
    // Per class: P = 20/20, R = 20/25, F1 = 2 * 0.8 / 1.8 = 0.8889 (scikit-learn, labels=['ham', 'spam']).
    expect(getMetric('f1_macro').compute(input).value).toBeCloseTo(16 / 18, 12);
    expect(getMetric('f1_macro').compute(input).value).toBeGreaterThan(0.85);
    expect(getMetric('invalid_rate').compute(input).value).toBeCloseTo(0.2, 12);
    expect(getMetric('recall_macro').compute(input).value).toBeCloseTo(0.8, 12);
  });
  it('without a declared set the labels are the distinct true labels, never the answers', () => {
    const { labels: _, ...noLabels } = input;
    expect(getMetric('f1_macro').compute(noLabels).value).toBeCloseTo(16 / 18, 12);
  });
  it('statistics sum to the corpus value (what the bootstrap resamples)', () => {
    for (const name of ['accuracy', 'f1_macro', 'f1_weighted', 'f1_micro', 'invalid_rate']) {
      const m = getMetric(name);
      const st = m.statistics!(input);
      const summed = st.stats.reduce((a, r) => a.map((x, j) => x + r[j]!), new Array<number>(st.stats[0]!.length).fill(0));
      expect(st.aggregate(summed)).toBeCloseTo(m.compute(input).value, 12);
    }
  });
});

describe('invalid_rate direction', () => {
  it('is lower-is-better everywhere a direction is decided', async () => {
    const { lowerIsBetter } = await import('../../src/report/objective.js');
    expect(getMetric('invalid_rate').higherIsBetter).toBe(false);
    expect(lowerIsBetter('classify/invalid_rate')).toBe(true);
  });
});
