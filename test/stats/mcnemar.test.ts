import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binomialCdf } from '../../src/stats/binomial.js';
import { StatsInputError, mcnemar } from '../../src/stats/index.js';

interface Case { b: number; c: number; statistic: number; pvalue: number }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/mcnemar.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Per-example 0/1 vectors with the given cells: both right, A only (b), B only (c), both wrong. */
function vectors(both: number, b: number, c: number, neither: number): [number[], number[]] {
  const a: number[] = [];
  const y: number[] = [];
  const push = (x: number, z: number, k: number) => { for (let i = 0; i < k; i++) { a.push(x); y.push(z); } };
  push(1, 1, both); push(1, 0, b); push(0, 1, c); push(0, 0, neither);
  return [a, y];
}

describe('mcnemar (exact) against statsmodels', () => {
  it.each(fixture.cases.map((k) => [k.b, k.c, k] as const))('b=%d c=%d', (b, c, k) => {
    const [x, y] = vectors(17, b, c, 4);
    const r = mcnemar(x, y);
    expect({ ...r, pValue: 0 }).toEqual({ pValue: 0, b, c, n: 21 + b + c, statistic: k.statistic, signature: 'mcnemar-exact' });
    expect(Math.abs(r.pValue - k.pvalue)).toBeLessThan(1e-9);
    if (k.pvalue > 0) expect(Math.abs(r.pValue - k.pvalue) / k.pvalue).toBeLessThan(1e-9);
  });

  it('covers the cases the brief names', () => {
    const got = new Set(fixture.cases.map((k) => `${k.b}/${k.c}`));
    for (const want of ['0/0', '0/5', '7/3', '480/520', '5000/5100']) expect(got.has(want)).toBe(true);
    expect(fixture.cases.find((k) => k.b === 7 && k.c === 3)!.pvalue).toBeCloseTo(0.34375, 12);
  });

  it('is symmetric in the two systems and ignores example order', () => {
    const [x, y] = vectors(5, 9, 2, 3);
    const r = mcnemar(x, y);
    const s = mcnemar(y, x);
    expect(s.pValue).toBe(r.pValue);
    expect([s.b, s.c]).toEqual([r.c, r.b]);
    expect(mcnemar([...x].reverse(), [...y].reverse()).pValue).toBe(r.pValue);
  });

  it('degenerate inputs: no examples, identical systems -> p = 1', () => {
    expect(mcnemar([], [])).toEqual({ pValue: 1, b: 0, c: 0, n: 0, statistic: 0, signature: 'mcnemar-exact' });
    expect(mcnemar([1, 0, 1], [1, 0, 1]).pValue).toBe(1);
  });

  it('throws StatsInputError on unequal lengths or values other than 0/1', () => {
    expect(() => mcnemar([1, 0], [1])).toThrow(StatsInputError);
    expect(() => mcnemar([1, 0], [1])).toThrow(/same examples; got 2 and 1/);
    expect(() => mcnemar([1, 2], [1, 0])).toThrow(/0 or 1; example 1/);
    expect(() => mcnemar([0.5], [1])).toThrow(StatsInputError);
    expect(() => mcnemar([NaN], [1])).toThrow(StatsInputError);
    expect(() => mcnemar([true, false] as unknown as number[], [1, 0])).toThrow(StatsInputError);
  });
});

describe('binomialCdf', () => {
  it.each([
    [0, 0, 0.5, 1],
    [-1, 10, 0.5, 0],
    [10, 10, 0.5, 1],
    [0, 10, 0.5, 1 / 1024],
    [3, 10, 0.5, 176 / 1024],
    [1, 3, 0.3, 0.343 + 3 * 0.3 * 0.49],
    [5, 10, 0, 1],
    [5, 10, 1, 0],
  ])('P(X <= %d; n=%d, p=%d) = %d', (k, n, p, want) => {
    expect(binomialCdf(k, n, p)).toBeCloseTo(want, 14);
  });
  it('stays finite and accurate where C(n, k) overflows a double (n = 1e6)', () => {
    // symmetric: P(X <= n/2 - 1) + P(X <= n/2) = 1 for even n, p = 0.5
    const n = 1_000_000;
    expect(binomialCdf(n / 2 - 1, n, 0.5) + binomialCdf(n / 2, n, 0.5)).toBeCloseTo(1, 10);
  });
});
