import { describe, expect, it } from 'vitest';
import { inferenceFlops, secondsForFlops, servingTokensPerSecond, trainingFlops, trainingFlopsPerToken } from '../../src/cost/flops.js';

describe('training FLOPs (Kaplan 6N; LoRA 4N + 2n)', () => {
  it.each([
    ['full', 1e6, 1e6, 6e6],
    ['full', 1e6, 123, 6e6], // full trains every weight whatever trainableParams says
    ['lora', 1e6, 1e4, 4.02e6],
    ['qlora', 1e6, 1e4, 4.02e6],
    ['lora', 124_439_808, 294_912, 4 * 124_439_808 + 2 * 294_912],
  ] as const)('%s N=%d n=%d -> %d FLOP/token', (method, N, n, perToken) => {
    expect(trainingFlopsPerToken(method, N, n)).toBe(perToken);
    expect(trainingFlops(method, N, n, 1000)).toBeCloseTo(perToken * 1000, 6);
  });
  it('inference is 2N per token', () => expect(inferenceFlops(1e6, 50)).toBe(1e8));
});

describe('time and throughput', () => {
  it('seconds = flops / (peak x mfu x devices)', () => {
    expect(secondsForFlops(3.12e14, 312e12, 0.5, 2)).toBeCloseTo(1, 12);
    expect(secondsForFlops(9.36e13, 312e12, 0.3)).toBeCloseTo(1, 12);
  });
  it('rejects non-positive peak, mfu or device count', () => {
    expect(() => secondsForFlops(1, 0, 0.3)).toThrow(RangeError);
    expect(() => secondsForFlops(1, 1, 0)).toThrow(RangeError);
    expect(() => secondsForFlops(1, 1, 0.3, 0)).toThrow(RangeError);
  });
  it('serving tokens/s = peak x mfu / 2N', () => {
    expect(servingTokensPerSecond(1e8, 121e12, 0.1)).toBeCloseTo(60_500, 6);
    expect(() => servingTokensPerSecond(0, 1, 1)).toThrow(RangeError);
  });
});
