import { describe, expect, it } from 'vitest';
import { stats } from '../../src/index.js';

describe('package root exports the stats stage (contract used by eval, report and compare)', () => {
  it('stats.mcnemar(a, b) -> { pValue, ... }', () => {
    const r = stats.mcnemar([1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect({ ...r, pValue: 0 }).toEqual({ pValue: 0, b: 7, c: 3, n: 10, statistic: 3, signature: 'mcnemar-exact' });
    expect(r.pValue).toBeCloseTo(0.34375, 14);
  });
  it('stats.pairedBootstrap(a, b, options?) -> { meanDiff, ci95: [low, high], pValue }', () => {
    const r = stats.pairedBootstrap([1, 0.5, 0.75, 1], [0.5, 0.5, 0.25, 1], { resamples: 100, seed: 1 });
    expect(r.meanDiff).toBeCloseTo(0.25, 15);
    expect(r.ci95).toHaveLength(2);
    expect(r.ci95[0]).toBeLessThanOrEqual(r.ci95[1]);
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThanOrEqual(1);
    expect(typeof stats.bootstrapInterval).toBe('function');
    expect(typeof stats.bootstrapCorpus).toBe('function');
    expect(typeof stats.pairedBootstrapCorpus).toBe('function');
    expect(typeof stats.holmBonferroni).toBe('function');
    expect(new stats.StatsInputError('x')).toBeInstanceOf(Error);
  });
});

describe('src/stats imports nothing outside itself (DESIGN.md)', () => {
  it('every import in src/stats is ./ relative', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/stats/', import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const m of text.matchAll(/\bfrom\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        expect(`${f}: ${m[1] ?? m[2]}`).toMatch(/: \.\/[\w-]+\.js$/);
      }
    }
  });
});
