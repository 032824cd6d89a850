/**
 * Learning-rate schedules, exactly Hugging Face transformers' `get_cosine_schedule_with_warmup`,
 * `get_linear_schedule_with_warmup` and `get_constant_schedule_with_warmup`
 * (transformers/optimization.py, the `_get_*_lr_lambda` functions) times `peak`, for the 0-based
 * optimizer step s, W = `warmupSteps`, N = `totalSteps`:
 *   warmup    s < W:  peak * s / max(1, W)        (so the first update, s = 0, uses lr 0, as HF's
 *                                                  Trainer does: optimizer.step() runs before
 *                                                  scheduler.step())
 *   cosine    s >= W: peak * 0.5 (1 + cos(pi p)),  p = (s - W) / max(1, N - W)   (Loshchilov & Hutter
 *                                                  2017, SGDR without restarts; HF num_cycles = 0.5)
 *   linear    s >= W: peak * (1 - p)  (= peak * (N - s) / max(1, N - W))
 *   constant  s >= W: peak
 * `minRatio` (default 0, HF's value) lifts the decayed part to `minRatio * peak + (1 - minRatio) * f`.
 * One deliberate difference, off the trainer's path: past N (which the trainer never reaches) the
 * rate stays at the floor, where HF's cosine would rise again (p > 1) and its linear stays 0.
 * test/train/schedule.test.ts checks a table of values computed with HF's formulas.
 */
export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  kind: ScheduleKind;
  /** Floor as a fraction of peak after decay. Default 0. */
  minRatio?: number;
}

/** Learning rate for optimizer step `step` (0-based: the rate the (step + 1)-th update uses). */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  const minRatio = o.minRatio ?? 0;
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.peak * step) / o.warmupSteps;
  if (o.kind === 'constant') return o.peak;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
  const f = o.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return o.peak * (minRatio + (1 - minRatio) * f);
}
