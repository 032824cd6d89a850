import { describe, expect, it } from 'vitest';
import { DIVERGENCE_RULE, checkDivergence, type LossPoint } from '../../src/train/divergence.js';

const V = 256; // ln 256 = 5.545 nats: the uniform-guess loss
const pts = (values: number[], every = 1): LossPoint[] => values.map((value, i) => ({ step: (i + 1) * every, value }));

describe('checkDivergence', () => {
  it.each([
    ['falling curves', pts([3, 2.5, 2]), pts([2.9, 2.6], 25)],
    ['no curves yet', [], []],
    ['one noisy train step above uniform', pts([3, 6, 3]), []],
    ['two train steps above uniform', pts([3, 6, 6.1]), []],
    ['val within the margin of its first value', pts([2]), pts([2.86, 3.3, 3.4], 25)],
    ['val above the margin once, then back', pts([2]), pts([2.86, 3.6, 3.0], 25)],
    ['a single val point', pts([2]), pts([3.77], 25)],
  ] as const)('%s: not diverged', (_name, train, val) => {
    expect(checkDivergence({ train, val }, V)).toBeNull();
    expect(checkDivergence({ train, val }, V, { final: true })).toBeNull();
  });

  it('NaN or infinite losses diverge at the stored step', () => {
    expect(checkDivergence({ train: pts([3, NaN]), val: [] }, V)).toMatchObject({ split: 'train', step: 2, reason: 'train loss NaN at step 2' });
    expect(checkDivergence({ train: pts([3]), val: pts([2.9, Infinity], 25) }, V)).toMatchObject({ split: 'val', step: 50, reason: 'validation loss Infinity at step 50' });
  });

  it('one train loss above 4 x uniform diverges', () => {
    const d = checkDivergence({ train: pts([3, 23]), val: [] }, V);
    expect(d).toEqual({ split: 'train', step: 2, value: 23, reason: 'train loss 23 at step 2 is above 4 x the uniform-guess loss 5.545' });
  });

  it('the train loss above uniform for trainPatience steps diverges (the lr 10 case: 8.69 > ln 256)', () => {
    const d = checkDivergence({ train: pts([3, 6.2, 7.5, 8.69]), val: [] }, V);
    expect(d).toMatchObject({ split: 'train', step: 4, value: 8.69 });
    expect(d!.reason).toBe('train loss 8.69 at step 4: above the uniform-guess loss 5.545 for 3 steps');
  });

  it('a validation loss above uniform diverges when the curve started below it (5.0 -> 5.6, 5.7 < 5.0 + 20%)', () => {
    expect(checkDivergence({ train: pts([3]), val: pts([5, 5.6], 25) }, V)).toBeNull();
    const d = checkDivergence({ train: pts([3]), val: pts([5, 5.6, 5.7], 25) }, V);
    expect(d).toEqual({ split: 'val', step: 75, value: 5.7, reason: 'validation loss 5.7 at step 75: above the uniform-guess loss 5.545 for 2 evaluations' });
  });

  it('a randomly initialised model starts above uniform: only a rise above its own start counts', () => {
    expect(checkDivergence({ train: pts([6.6, 6.5, 6.4, 6.0]), val: pts([6.6, 6.5, 5.9], 25) }, V, { final: true })).toBeNull();
    expect(checkDivergence({ train: pts([6.6, 8, 8.1, 8.2]), val: [] }, V)).toMatchObject({ step: 4, reason: 'train loss 8.2 at step 4: above 7.92 (first 6.6 +20%) for 3 steps' });
  });

  it('the validation loss rising above first * (1 + margin) for valPatience evaluations diverges (2.86 -> 3.77)', () => {
    const val = pts([2.86, 3.5, 3.77], 25);
    const d = checkDivergence({ train: pts([3]), val }, V);
    expect(d).toEqual({
      split: 'val', step: 75, value: 3.77,
      reason: 'validation loss 3.77 at step 75: above 3.432 (first 2.86 at step 25 +20%) for 2 evaluations',
    });
  });

  it('at the end of the run, one validation loss still above the margin is enough', () => {
    const val = pts([2.86, 3.77], 25);
    expect(checkDivergence({ train: [], val }, V)).toBeNull();
    expect(checkDivergence({ train: [], val }, V, { final: true })).toMatchObject({ split: 'val', step: 50, value: 3.77 });
    expect(checkDivergence({ train: [], val }, V, { final: true })!.reason).toMatch(/at the end of the run$/);
  });

  it('the margin and patience come from the rule', () => {
    const val = pts([2, 2.3, 2.3], 10);
    expect(checkDivergence({ train: [], val }, V)).toBeNull();
    expect(checkDivergence({ train: [], val }, V, { rule: { ...DIVERGENCE_RULE, valMargin: 0.1 } })).toMatchObject({ step: 30 });
  });
});
