import { describe, expect, it } from 'vitest';
import { fmtDuration, fmtUsd, paramLabel, sameUsd, sameUsdWords, variantLabel } from '../src/format.js';

describe('fmtDuration', () => {
  it.each([
    [12.34, '12.3 s'],
    [119.6, '2m 00s'], // rounds before splitting: never "1m 60s"
    [125, '2m 05s'],
    [3599.7, '1h 00m'],
    [3725, '1h 02m'],
  ])('%s s -> %s', (s, text) => {
    expect(fmtDuration(s)).toBe(text);
  });
});

describe('one style per quantity', () => {
  it.each([
    [0, '$0'],
    [0.000412, '$0.000412'],
    [11, '$11.00'],
    [12.345, '$12.35'],
    [587.5, '$588'],
    [1234, '$1,234'],
    [-2.5, '-$2.50'],
    [null, '—'],
  ])('fmtUsd(%s) -> %s', (v, text) => {
    expect(fmtUsd(v)).toBe(text);
  });

  it.each([
    [32.58, 32.583, true, 'to the cent'], // differ by < $0.005: print as $32.58 both
    [32.58, 32.586, false, 'to the cent'], // $32.58 vs $32.59
    [132.4, 132.2, true, 'to the dollar'], // whole dollars from $100
    [0.000412, 0.0004121, true, 'to 3 significant figures'],
    [0.000412, 0.000413, false, 'to 3 significant figures'],
    [-0.001, 0.001, false, 'to 3 significant figures'],
  ])('sameUsd(%s, %s) = %s: the figures fmtUsd prints are equal, %s', (a, b, same, words) => {
    expect(sameUsd(a, b)).toBe(same);
    expect(sameUsdWords(a)).toBe(words);
  });

  it('parameter labels: one short-name map for the sweep log and the report', () => {
    expect(paramLabel({ rank: 8, learningRate: 2e-4, alpha: 16, gradientAccumulation: 4, targetModules: ['q', 'v'] })).toBe('r=8 lr=2e-4 alpha=16 accum=4 targetModules=q,v');
    expect(variantLabel({ rank: 8, learningRate: 3e-4, dropout: 0.05 }, ['rank', 'learningRate'], 'x')).toBe('r=8 lr=3e-4');
    expect(variantLabel({ rank: 8 }, [], 'fallback')).toBe('fallback');
  });
});
