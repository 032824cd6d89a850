import { describe, expect, it } from 'vitest';
import { earlyStoppingStep, type EarlyStoppingState } from '../../src/train/early-stopping.js';

/**
 * Expected rows: Hugging Face's rule, traced by hand from transformers' source for the validation
 * loss (greater_is_better = False):
 *   EarlyStoppingCallback.check_metric_value: counter = 0 if best is None or (v < best and
 *     abs(v - best) > early_stopping_threshold) else counter + 1; stop when counter >= patience;
 *   Trainer (best model): best_metric = v, best_model_checkpoint = this one, when v < best_metric.
 * The callback runs in on_evaluate, before the Trainer updates best_metric, so both compare with the
 * best before this evaluation.
 */
function replay(losses: number[], o: { patience: number; minDelta: number }): { best: number[]; counter: number[]; stopAt: number | null } {
  let s: EarlyStoppingState = { best: null, badEvals: 0 };
  const best: number[] = [];
  const counter: number[] = [];
  for (let i = 0; i < losses.length; i++) {
    const d = earlyStoppingStep(s, losses[i]!, o);
    s = d.state;
    if (d.newBest) best.push(i);
    counter.push(s.badEvals);
    if (d.stop) return { best, counter, stopAt: i };
  }
  return { best, counter, stopAt: null };
}

describe('early stopping and the best checkpoint = HF Trainer + EarlyStoppingCallback', () => {
  it.each([
    // losses, patience, minDelta -> evaluations that became the best checkpoint, counter after each, stop index
    [[2.0, 1.9, 1.8], 2, 0, [0, 1, 2], [0, 0, 0], null],
    [[2.0, 2.1, 2.2], 2, 0, [0], [0, 1, 2], 2],
    // improvements smaller than minDelta: still the best checkpoint (HF), but they count against patience
    [[2.0, 1.99, 1.98, 1.97], 3, 0.05, [0, 1, 2, 3], [0, 1, 2, 3], 3],
    // compared with the best before this evaluation, not the last significant one: 1.99 then 1.95 (0.04 < 0.05 below 1.99)
    [[2.0, 1.99, 1.95, 1.89], 5, 0.05, [0, 1, 2, 3], [0, 1, 2, 0], null],
    // an improvement of exactly minDelta is not "more than" the threshold
    [[2.0, 1.5], 2, 0.5, [0, 1], [0, 1], null],
    [[2.0, 1.49], 2, 0.5, [0, 1], [0, 0], null],
    // a worse value in between: counter grows, best stays
    [[1.0, 1.2, 0.7, 0.75, 0.8], 2, 0.1, [0, 2], [0, 1, 0, 1, 2], 4],
    // equal to the best: not an improvement
    [[1.0, 1.0], 1, 0, [0], [0, 1], 1],
  ] as const)('losses %j, patience %i, minDelta %f', (losses, patience, minDelta, best, counter, stopAt) => {
    expect(replay([...losses], { patience, minDelta })).toEqual({ best: [...best], counter: [...counter], stopAt });
  });
});
