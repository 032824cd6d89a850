import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatsInputError, pairedBootstrap, pairedBootstrapCorpus, pairedBootstrapPValue } from '../../src/stats/index.js';
import { pairedReplicates } from '../../src/stats/paired.js';
import { mulberry32 } from '../../src/stats/random.js';

interface SacrebleuCase {
  name: string; kind: 'mean' | 'ratio'; seed: number; resamples: number;
  a: number[][]; b: number[][]; indices: number[][]; scoreA: number; scoreB: number; pValue: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/paired-bs.json', import.meta.url), 'utf8')) as { cases: SacrebleuCase[] };

describe("pairedBootstrapPValue: sacrebleu's definition", () => {
  // replicates [0.25, 0.75, -0.5, 0] -> |d| = [0.25, 0.75, 0.5, 0], mean 0.375, centred [-0.125, 0.375, 0.125, -0.375]
  it.each([
    [0.25, 0.4], // only 0.375 > 0.25: (1 + 1) / (4 + 1)
    [-0.25, 0.4], // the sign of the observed difference is ignored
    [0.125, 0.4], // strictly greater: the centred 0.125 does not count (>= would give 0.6)
    [0.375, 0.2], // nothing strictly greater: (0 + 1) / 5
    [0, 0.6], // 0.375 and 0.125 exceed 0
  ])('observed %d -> p = %d', (observed, p) => {
    expect(pairedBootstrapPValue(observed, [0.25, 0.75, -0.5, 0])).toBeCloseTo(p, 15);
  });
  it('no difference on any resample and none observed -> 1 (sacrebleu would say 1 / (R + 1))', () => {
    expect(pairedBootstrapPValue(0, [0, 0, 0])).toBe(1);
  });
  it('throws on no replicates or non-finite values', () => {
    expect(() => pairedBootstrapPValue(0.1, [])).toThrow(StatsInputError);
    expect(() => pairedBootstrapPValue(NaN, [0.1])).toThrow(StatsInputError);
    expect(() => pairedBootstrapPValue(0.1, [Infinity])).toThrow(StatsInputError);
  });
});

describe("paired bootstrap reproduces sacrebleu's _paired_bs_test on sacrebleu's own resample indices", () => {
  it.each(fixture.cases.map((k) => [k.name, k] as const))('%s', (_, k) => {
    const n = k.a.length;
    const aggregate = k.kind === 'mean' ? (s: number[]) => s[0]! / n : (s: number[]) => s[0]! / s[1]!;
    const r = pairedReplicates(k.a, k.b, aggregate, k.indices);
    expect(r.scoreA).toBeCloseTo(k.scoreA, 14);
    expect(r.scoreB).toBeCloseTo(k.scoreB, 14);
    const p = pairedBootstrapPValue(r.scoreA - r.scoreB, r.diffs);
    if (k.name.startsWith('identical')) {
      expect(k.pValue).toBeCloseTo(1 / (k.resamples + 1), 15); // sacrebleu's strict '>' on all-zero differences
      expect(p).toBe(1); // fte's one documented deviation
    } else {
      expect(p).toBeCloseTo(k.pValue, 15);
    }
  });
});

const rngScores = (n: number, seed: number, f: (u: number, i: number) => number) => {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => f(rng(), i));
};

describe('pairedBootstrap (mean of per-example scores)', () => {
  const base = rngScores(300, 1, (u) => u);

  it('identical systems: meanDiff 0, zero-width interval, p = 1', () => {
    expect(pairedBootstrap(base, [...base])).toEqual({
      meanDiff: 0, ci95: [0, 0], pValue: 1, n: 300, resamples: 1000, signature: 'paired-bootstrap:1000:seed=12345',
    });
  });

  it('clearly separated systems: small p, interval excludes 0 and contains meanDiff', () => {
    const better = base.map((x, i) => Math.min(1, x + 0.1 + 0.05 * Math.sin(i)));
    const r = pairedBootstrap(better, base);
    const want = better.reduce((s, x) => s + x, 0) / 300 - base.reduce((s, x) => s + x, 0) / 300;
    expect(r.meanDiff).toBeCloseTo(want, 12);
    expect(r.pValue).toBeLessThan(0.01);
    expect(r.ci95[0]).toBeGreaterThan(0);
    expect(r.ci95[0]).toBeLessThan(r.meanDiff);
    expect(r.ci95[1]).toBeGreaterThan(r.meanDiff);
  });

  it('same mean, independent noise: large p, interval contains 0', () => {
    const other = rngScores(300, 2, (u) => u);
    const r = pairedBootstrap(other, base);
    expect(Math.abs(r.meanDiff)).toBeLessThan(0.05);
    expect(r.pValue).toBeGreaterThan(0.05);
    expect(r.ci95[0]).toBeLessThan(0);
    expect(r.ci95[1]).toBeGreaterThan(0);
  });

  it('swapping the systems negates the difference and interval and keeps p', () => {
    const other = rngScores(300, 3, (u) => (u < 0.6 ? 1 : 0));
    const ab = pairedBootstrap(other, base, { seed: 5 });
    const ba = pairedBootstrap(base, other, { seed: 5 });
    expect(ba.meanDiff).toBeCloseTo(-ab.meanDiff, 14);
    expect(ba.ci95[0]).toBeCloseTo(-ab.ci95[1], 14);
    expect(ba.ci95[1]).toBeCloseTo(-ab.ci95[0], 14);
    expect(ba.pValue).toBe(ab.pValue);
  });

  it('deterministic for a seed, different across seeds; options change the signature', () => {
    const other = rngScores(300, 4, (u) => u * 1.1);
    const r = pairedBootstrap(other, base, { seed: 42, resamples: 400 });
    expect(pairedBootstrap(other, base, { seed: 42, resamples: 400 })).toEqual(r);
    expect(pairedBootstrap(other, base, { seed: 43, resamples: 400 }).ci95).not.toEqual(r.ci95);
    expect(r.signature).toBe('paired-bootstrap:400:seed=42');
    expect(r.resamples).toBe(400);
  });

  it('degenerate inputs: n = 0 -> NaN difference and interval, p = 1; n = 1 -> zero-width interval', () => {
    expect(pairedBootstrap([], [])).toEqual({
      meanDiff: NaN, ci95: [NaN, NaN], pValue: 1, n: 0, resamples: 1000, signature: 'paired-bootstrap:1000:seed=12345',
    });
    const one = pairedBootstrap([1], [0]);
    expect(one).toMatchObject({ meanDiff: 1, ci95: [1, 1], n: 1 });
    expect(one.pValue).toBeCloseTo(1 / 1001, 15); // the procedure's known small-n weakness, documented
  });

  it('throws StatsInputError on unequal lengths, non-finite scores, resamples < 1', () => {
    expect(() => pairedBootstrap([1, 0], [1])).toThrow(/same examples; got 2 and 1/);
    expect(() => pairedBootstrap([1, NaN], [1, 0])).toThrow(StatsInputError);
    expect(() => pairedBootstrap([1, 0], [1, 0], { resamples: 0 })).toThrow(/pairedBootstrap: resamples must be an integer >= 1/);
  });
});

describe('pairedBootstrapCorpus', () => {
  const ratio = (s: number[]) => s[0]! / s[1]!;
  const rng = mulberry32(21);
  const totals = Array.from({ length: 200 }, () => 1 + Math.floor(rng() * 20));
  const statsB = totals.map((t) => [Math.floor(t * 0.5 * rng() + t * 0.2), t]);
  const statsA = statsB.map(([m, t]) => [Math.min(t!, m! + (rng() < 0.5 ? 1 : 0)), t!]);

  it('differences of corpus scores from summed statistics, same indices for both systems', () => {
    const r = pairedBootstrapCorpus(statsA, statsB, ratio);
    const sum = (st: number[][], d: number) => st.reduce((s, v) => s + v[d]!, 0);
    expect(r.scoreA).toBeCloseTo(sum(statsA, 0) / sum(statsA, 1), 14);
    expect(r.scoreB).toBeCloseTo(sum(statsB, 0) / sum(statsB, 1), 14);
    expect(r.diff).toBeCloseTo(r.scoreA - r.scoreB, 15);
    expect(r.diff).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThan(0.01); // A is never worse on any example: shared indices keep every resampled difference >= 0
    expect(r.ci95[0]).toBeGreaterThan(0);
    expect(r.signature).toBe('paired-bootstrap:1000:seed=12345');
  });

  it('a system against itself: diff 0, interval [0, 0], p = 1', () => {
    expect(pairedBootstrapCorpus(statsA, statsA.map((v) => [...v]), ratio)).toMatchObject({ diff: 0, ci95: [0, 0], pValue: 1, n: 200 });
  });

  it('pairedBootstrap is the special case stats = [x], aggregate = sum / n', () => {
    const a = [0.5, 1, 0, 0.25, 1, 0.75];
    const b = [0.25, 1, 0, 0, 0.5, 1];
    const viaCorpus = pairedBootstrapCorpus(a.map((x) => [x]), b.map((x) => [x]), (s) => s[0]! / 6, { seed: 8 });
    const r = pairedBootstrap(a, b, { seed: 8 });
    expect(r).toEqual({ meanDiff: viaCorpus.diff, ci95: viaCorpus.ci95, pValue: viaCorpus.pValue, n: 6, resamples: 1000, signature: viaCorpus.signature });
  });

  it('throws on different example counts or statistic lengths, and on a non-finite aggregate', () => {
    expect(() => pairedBootstrapCorpus(statsA, statsB.slice(1), ratio)).toThrow(/same examples; got 200 and 199/);
    expect(() => pairedBootstrapCorpus([[1, 2]], [[1]], ratio)).toThrow(/differ in length/);
    expect(() => pairedBootstrapCorpus([[1, 0]], [[1, 1]], ratio)).toThrow(/aggregate returned Infinity/);
    expect(() => pairedBootstrapCorpus(statsA, statsB, ratio, { resamples: 0 })).toThrow(StatsInputError);
  });
});
