import { describe, expect, it } from 'vitest';
import { evaluateSchema } from '../../src/experiment/schema.js';

describe('spec evaluate.bootstrap', () => {
  it('defaults to 1000 seeded resamples and accepts overrides', () => {
    expect(evaluateSchema.parse({}).bootstrap).toEqual({ resamples: 1000, seed: 12345 });
    expect(evaluateSchema.parse({ bootstrap: { resamples: 200 } }).bootstrap).toEqual({ resamples: 200, seed: 12345 });
  });
  it('rejects a non-positive resample count and unknown keys', () => {
    expect(() => evaluateSchema.parse({ bootstrap: { resamples: 0 } })).toThrow();
    expect(() => evaluateSchema.parse({ bootstrap: { resample: 10 } })).toThrow();
  });
});
