import { describe, expect, it } from 'vitest';
import { ExampleMismatchError, pairedTest, type PairedExample } from '../../src/eval/paired.js';

const ex = (id: number, prediction: string, reference: string, nll?: { sum: number; tokens: number }): PairedExample => ({ exampleId: `e${id}`, prediction, reference, ...(nll ? { nll } : {}) });

/** 50 spam/ham examples: `headOnly` right only for head, `baseOnly` right only for base, the rest right for both. */
function labelled(headOnly: number, baseOnly: number, n = 50): { head: PairedExample[]; base: PairedExample[] } {
  const head: PairedExample[] = [];
  const base: PairedExample[] = [];
  for (let i = 0; i < n; i++) {
    const gold = i % 2 ? 'spam' : 'ham';
    const wrong = gold === 'spam' ? 'ham' : 'spam';
    head.push(ex(i, i < baseOnly + headOnly && i >= headOnly ? wrong : gold, gold));
    base.push(ex(i, i < headOnly ? wrong : gold, gold));
  }
  return { head, base };
}

describe('pairedTest', () => {
  it('accuracy: exact McNemar on the discordant pairs (7 vs 3 of 50: p = 0.34375, as statsmodels)', () => {
    const { head, base } = labelled(7, 3);
    const r = pairedTest('accuracy', head, [...base].reverse())!;
    expect(r.test).toBe('mcnemar-exact');
    expect(r.pValue).toBeCloseTo(0.34375, 12);
    expect(r.discordant).toEqual({ headOnly: 7, baseOnly: 3 });
    expect(r.diff).toBeCloseTo(4 / 50, 12);
    expect(r.ci95[0]).toBeLessThan(r.diff);
    expect(r.ci95[1]).toBeGreaterThan(r.diff);
    expect(r.n).toBe(50);
  });

  it('macro-F1: paired bootstrap on corpus statistics, junk answers never a class', () => {
    const { head, base } = labelled(20, 0);
    const junk = base.map((e, i) => (i < 20 ? { ...e, prediction: `junk ${i}` } : e));
    const r = pairedTest('f1_macro', head, junk, { labels: ['spam', 'ham'] })!;
    expect(r.test).toBe('paired-bootstrap:1000:seed=12345');
    // head 1.0; base: 20 invalid answers are wrong but no class: per class P = 1, R = 15/25, F1 = 0.75
    expect(r.diff).toBeCloseTo(0.25, 12);
    expect(r.pValue).toBeLessThan(0.01);
    expect(r.ci95[0]).toBeGreaterThan(0);
  });

  it('identical systems: no difference, p = 1', () => {
    const sides = Array.from({ length: 20 }, (_, i) => ex(i, `the cat sat on mat ${i}`, `the cat sat on the mat ${i}`));
    for (const metric of ['bleu', 'chrf', 'rougeL', 'exact_match']) {
      const r = pairedTest(metric, sides, sides)!;
      expect(r.diff, metric).toBe(0);
      expect(r.pValue, metric).toBe(1);
    }
  });

  it('perplexity from per-example NLL sums, lower for head', () => {
    const head = Array.from({ length: 30 }, (_, i) => ex(i, 'x', 'y', { sum: 10 + (i % 3), tokens: 10 }));
    const base = Array.from({ length: 30 }, (_, i) => ex(i, 'x', 'y', { sum: 20 + (i % 5), tokens: 10 }));
    const r = pairedTest('perplexity', head, base)!;
    expect(r.diff).toBeLessThan(0);
    expect(r.pValue).toBeLessThan(0.01);
    expect(pairedTest('perplexity', head.map(({ nll: _n, ...e }) => e), base)).toBeNull();
  });

  it('refuses sides scored on different examples, in one line', () => {
    const { head, base } = labelled(2, 1, 16);
    expect(() => pairedTest('accuracy', head, [...base, ex(99, 'spam', 'spam')])).toThrow(ExampleMismatchError);
    expect(() => pairedTest('accuracy', head.slice(0, 8), base)).toThrow(/different examples \(head 8, base 16, 8 in common\)/);
  });
});
