import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../src/train/schedule.js';

/**
 * Expected values: Hugging Face transformers' schedule lambdas (src/transformers/optimization.py,
 * `_get_cosine_schedule_with_warmup_lr_lambda` with num_cycles 0.5,
 * `_get_linear_schedule_with_warmup_lr_lambda`, `_get_constant_schedule_with_warmup_lr_lambda`),
 * transcribed to plain Python and evaluated with python3 for W = 3 warmup steps, N = 10 total steps,
 * peak 1, steps 0..N (printed with repr, pasted here). E.g. cosine:
 *   if s < W: return s / max(1, W)
 *   p = (s - W) / max(1, N - W); return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * p)))
 */
const HF = {
  cosine: [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 0.9504844339512095, 0.8117449009293668, 0.6112604669781572, 0.38873953302184283, 0.18825509907063326, 0.04951556604879048, 0.0],
  linear: [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 0.8571428571428571, 0.7142857142857143, 0.5714285714285714, 0.42857142857142855, 0.2857142857142857, 0.14285714285714285, 0.0],
  constant: [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
} as const;
/** The same cosine without warmup (W = 0, N = 4). */
const HF_COSINE_NO_WARMUP = [1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0];

describe('learning-rate schedule = Hugging Face get_*_schedule_with_warmup', () => {
  const rows = (Object.keys(HF) as (keyof typeof HF)[]).flatMap((kind) => HF[kind].map((lr, step) => [kind, step, lr] as const));
  it.each(rows)('%s, step %i: %f', (kind, step, lr) => {
    expect(learningRateAt(step, { peak: 1, warmupSteps: 3, totalSteps: 10, kind })).toBeCloseTo(lr, 14);
  });
  it.each(HF_COSINE_NO_WARMUP.map((lr, step) => [step, lr] as const))('cosine without warmup, step %i: %f', (step, lr) => {
    expect(learningRateAt(step, { peak: 1, warmupSteps: 0, totalSteps: 4, kind: 'cosine' })).toBeCloseTo(lr, 14);
  });
  it('warmup starts at 0 and reaches the peak at step W (not one step early)', () => {
    const o = { peak: 2e-3, warmupSteps: 3, totalSteps: 10, kind: 'linear' as const };
    expect([0, 1, 2, 3].map((s) => learningRateAt(s, o))).toEqual([0, 2e-3 / 3, (2 * 2e-3) / 3, 2e-3]);
  });
  it('scales by peak and decays to minRatio * peak', () => {
    expect(learningRateAt(5, { peak: 3, warmupSteps: 3, totalSteps: 10, kind: 'cosine' })).toBeCloseTo(3 * HF.cosine[5], 14);
    expect(learningRateAt(10, { peak: 1, warmupSteps: 3, totalSteps: 10, kind: 'cosine', minRatio: 0.1 })).toBeCloseTo(0.1, 12);
  });
  it('holds the floor past totalSteps (documented difference: HF cosine would rise again)', () => {
    expect(learningRateAt(14, { peak: 1, warmupSteps: 3, totalSteps: 10, kind: 'cosine' })).toBe(0);
  });
});
