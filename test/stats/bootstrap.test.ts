import { describe, expect, it } from 'vitest';
import { StatsInputError, bootstrapCorpus, bootstrapInterval } from '../../src/stats/index.js';
import { mulberry32 } from '../../src/stats/random.js';
import { percentileInterval } from '../../src/stats/resample.js';

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
function bernoulli(n: number, p: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => (rng() < p ? 1 : 0));
}
function normal(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

describe('bootstrapInterval: known distributions, within Monte Carlo tolerance', () => {
  it.each([
    ['Bernoulli(0.3)', bernoulli(2000, 0.3, 1), 0.3],
    ['N(0, 1)', normal(2000, 2), 0],
    ['Bernoulli(0.9), n = 500', bernoulli(500, 0.9, 3), 0.9],
  ] as const)('%s: centred on the sample mean, near the truth, width ~ 2 * 1.96 * sd / sqrt(n)', (_, xs, truth) => {
    const r = bootstrapInterval(xs);
    expect(r.value).toBeCloseTo(mean(xs), 12);
    expect(r.n).toBe(xs.length);
    expect(r.ciLow).toBeLessThan(r.value);
    expect(r.ciHigh).toBeGreaterThan(r.value);
    // one data set may miss the truth (5% of them do); coverage is tested over many below
    expect(Math.abs(r.value - truth)).toBeLessThan((3 * sd(xs)) / Math.sqrt(xs.length));
    const normalWidth = (2 * 1.96 * sd(xs)) / Math.sqrt(xs.length);
    expect(Math.abs(r.ciHigh - r.ciLow - normalWidth) / normalWidth).toBeLessThan(0.15);
  });

  it('covers the true mean in ~95% of 200 independent Bernoulli(0.3) data sets (n = 200)', () => {
    let covered = 0;
    for (let k = 0; k < 200; k++) {
      const r = bootstrapInterval(bernoulli(200, 0.3, 1000 + k), { resamples: 500, seed: k });
      if (r.ciLow <= 0.3 && 0.3 <= r.ciHigh) covered++;
    }
    // binomial sd of the rate over 200 sets is 0.015; the percentile interval under-covers slightly at small n
    expect(covered / 200).toBeGreaterThan(0.9);
    expect(covered / 200).toBeLessThan(0.99);
  });

  it('is deterministic for a seed, differs across seeds, and names its procedure', () => {
    const xs = normal(300, 5);
    const a = bootstrapInterval(xs, { seed: 42 });
    expect(bootstrapInterval(xs, { seed: 42 })).toEqual(a);
    const b = bootstrapInterval(xs, { seed: 43 });
    expect([b.ciLow, b.ciHigh]).not.toEqual([a.ciLow, a.ciHigh]);
    expect(b.value).toBe(a.value);
    expect(a.signature).toBe('bootstrap-percentile:1000:seed=42:ci=0.95');
    expect(bootstrapInterval(xs).signature).toBe('bootstrap-percentile:1000:seed=12345:ci=0.95');
    expect(bootstrapInterval(xs, { resamples: 200, seed: 7, confidence: 0.9 }).signature).toBe('bootstrap-percentile:200:seed=7:ci=0.9');
  });

  it('a lower confidence gives a narrower interval inside the wider one', () => {
    const xs = normal(400, 9);
    const wide = bootstrapInterval(xs, { confidence: 0.99 });
    const narrow = bootstrapInterval(xs, { confidence: 0.8 });
    expect(narrow.ciLow).toBeGreaterThan(wide.ciLow);
    expect(narrow.ciHigh).toBeLessThan(wide.ciHigh);
  });

  it('degenerate inputs: n = 0 -> NaN value and interval; n = 1 and constant values -> zero width', () => {
    expect(bootstrapInterval([])).toEqual({ value: NaN, ciLow: NaN, ciHigh: NaN, n: 0, signature: 'bootstrap-percentile:1000:seed=12345:ci=0.95' });
    expect(bootstrapInterval([0.7])).toMatchObject({ value: 0.7, ciLow: 0.7, ciHigh: 0.7, n: 1 });
    expect(bootstrapInterval([1, 1, 1, 1])).toMatchObject({ value: 1, ciLow: 1, ciHigh: 1, n: 4 });
    expect(bootstrapInterval([0.5, 0.5], { resamples: 1 })).toMatchObject({ ciLow: 0.5, ciHigh: 0.5 });
  });

  it('throws StatsInputError on bad options or values', () => {
    expect(() => bootstrapInterval([1, 2], { resamples: 0 })).toThrow(StatsInputError);
    expect(() => bootstrapInterval([1, 2], { resamples: 0 })).toThrow(/bootstrapInterval: resamples must be an integer >= 1, got 0/);
    expect(() => bootstrapInterval([1, 2], { resamples: 2.5 })).toThrow(StatsInputError);
    expect(() => bootstrapInterval([1, 2], { seed: 0.5 })).toThrow(/seed/);
    expect(() => bootstrapInterval([1, 2], { confidence: 1 })).toThrow(/confidence/);
    expect(() => bootstrapInterval([1, 2], { confidence: 0 })).toThrow(StatsInputError);
    expect(() => bootstrapInterval([1, NaN])).toThrow(/non-finite/);
    expect(() => bootstrapInterval([1, Infinity])).toThrow(StatsInputError);
  });
});

describe('bootstrapCorpus: corpus-level resampling of summed statistics', () => {
  // A ratio metric (think BLEU's precision): per example [matches, total]; corpus score = sum / sum.
  const rng = mulberry32(11);
  const stats = Array.from({ length: 300 }, () => {
    const total = 1 + Math.floor(rng() * 30);
    const rate = total > 15 ? 0.8 : 0.3; // long examples score better: the two averages disagree
    return [Math.round(total * rate * (0.8 + 0.4 * rng())), total];
  });
  const ratio = (s: number[]) => s[0]! / s[1]!;

  it('the value is sum(x) / sum(y), not the mean of per-example ratios, and the interval surrounds it', () => {
    const r = bootstrapCorpus(stats, ratio);
    const sx = stats.reduce((s, v) => s + v[0]!, 0);
    const sy = stats.reduce((s, v) => s + v[1]!, 0);
    expect(r.value).toBeCloseTo(sx / sy, 14);
    const meanOfRatios = bootstrapInterval(stats.map(ratio));
    expect(Math.abs(r.value - meanOfRatios.value)).toBeGreaterThan(0.05);
    expect(r.ciLow).toBeLessThan(r.value);
    expect(r.ciHigh).toBeGreaterThan(r.value);
    // the two intervals do not even overlap: resampling at the corpus level matters
    expect(r.ciLow > meanOfRatios.ciHigh || r.ciHigh < meanOfRatios.ciLow).toBe(true);
  });

  it('bootstrapInterval is the special case stats = [x], aggregate = sum / n (same resamples, same numbers)', () => {
    const xs = normal(200, 4);
    const viaCorpus = bootstrapCorpus(xs.map((x) => [x]), (s) => s[0]! / xs.length, { seed: 3, resamples: 300 });
    expect(bootstrapInterval(xs, { seed: 3, resamples: 300 })).toEqual(viaCorpus);
  });

  it('degenerate and bad inputs', () => {
    expect(bootstrapCorpus([], ratio)).toMatchObject({ value: NaN, ciLow: NaN, ciHigh: NaN, n: 0 });
    expect(bootstrapCorpus([[3, 4]], ratio)).toMatchObject({ value: 0.75, ciLow: 0.75, ciHigh: 0.75, n: 1 });
    expect(() => bootstrapCorpus([[1, 2], [1]], ratio)).toThrow(/every example needs 2 statistics; example 1 has 1/);
    expect(() => bootstrapCorpus([[0, 0], [1, 1]], ratio)).toThrow(/aggregate returned NaN/);
    expect(() => bootstrapCorpus([[1, 2]], ratio, { resamples: -1 })).toThrow(StatsInputError);
  });
});

describe('percentileInterval', () => {
  it("uses sacrebleu estimate_ci's order statistics: 1000 replicates -> the 26th and 975th", () => {
    const reps = Array.from({ length: 1000 }, (_, i) => 999 - i);
    expect(percentileInterval(reps, 0.95)).toEqual([25, 974]);
    expect(percentileInterval(reps, 0.9)).toEqual([50, 949]);
    expect(percentileInterval([5], 0.95)).toEqual([5, 5]);
    expect(percentileInterval([], 0.95)).toEqual([NaN, NaN]);
  });
});
