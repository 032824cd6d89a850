import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatsInputError, holmBonferroni } from '../../src/stats/index.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/holm.json', import.meta.url), 'utf8')) as {
  cases: { pvalues: number[]; adjusted: number[] }[];
};

describe('holmBonferroni against statsmodels multipletests(method="holm")', () => {
  it.each(fixture.cases.map((k) => [JSON.stringify(k.pvalues), k] as const))('%s', (_, k) => {
    const got = holmBonferroni(k.pvalues);
    expect(got).toHaveLength(k.adjusted.length);
    got.forEach((v, i) => expect(v).toBeCloseTo(k.adjusted[i]!, 14));
  });
  it('never lowers a p-value and keeps the order of the raw p-values', () => {
    const p = [0.2, 0.001, 0.04, 0.03, 0.5];
    const adj = holmBonferroni(p);
    adj.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(p[i]!));
    const byRaw = [...p.keys()].sort((i, j) => p[i]! - p[j]!);
    for (let k = 1; k < byRaw.length; k++) expect(adj[byRaw[k]!]!).toBeGreaterThanOrEqual(adj[byRaw[k - 1]!]!);
  });
  it('throws on values outside [0, 1] or NaN', () => {
    expect(() => holmBonferroni([0.1, 1.2])).toThrow(StatsInputError);
    expect(() => holmBonferroni([NaN])).toThrow(/p-value 0/);
  });
});
