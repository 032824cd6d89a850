/**
 * Best checkpoint and early stopping on the validation loss, as Hugging Face's Trainer with
 * `EarlyStoppingCallback` (transformers/trainer_callback.py, `check_metric_value`; the best model by
 * Trainer's `metric_for_best_model` rule, lower is better for a loss):
 *   - best checkpoint: any evaluation with a loss below the best so far becomes the best (Trainer
 *     keeps `best_metric` / `best_model_checkpoint` on a plain `<`, no threshold);
 *   - patience: the counter resets when the loss beats the best *before* this evaluation by more than
 *     `minDelta` (HF: `metric < best and abs(metric - best) > early_stopping_threshold`), else it
 *     grows by one; training stops when it reaches `patience` (HF checks the callback before
 *     updating the best, so both compare with the same previous best).
 * So an improvement smaller than minDelta is kept as the best checkpoint and still counts as
 * "no improvement" for patience. The first evaluation is always the best and resets the counter.
 */
export interface EarlyStoppingState {
  /** Best validation loss so far (null before the first evaluation). */
  best: number | null;
  /** Evaluations since the last improvement larger than minDelta. */
  badEvals: number;
}

export interface EarlyStoppingDecision {
  /** This evaluation is the new best: save its checkpoint. */
  newBest: boolean;
  /** Patience ran out: stop training. */
  stop: boolean;
  state: EarlyStoppingState;
}

/** Decide on validation loss `v` given the state before it. Pure. */
export function earlyStoppingStep(s: EarlyStoppingState, v: number, o: { patience: number; minDelta: number }): EarlyStoppingDecision {
  const newBest = s.best === null || v < s.best;
  const significant = s.best === null || (v < s.best && Math.abs(v - s.best) > o.minDelta);
  const badEvals = significant ? 0 : s.badEvals + 1;
  return { newBest, stop: badEvals >= o.patience, state: { best: newBest ? v : s.best, badEvals } };
}
