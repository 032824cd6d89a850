/**
 * Learning-rate schedules: linear warmup from 0 to `peak` over `warmupSteps`, then `cosine`
 * (Loshchilov & Hutter 2017, SGDR without restarts), `linear` decay to `minRatio * peak` at
 * `totalSteps`, or `constant`. A pure function of the optimizer step (0-based), as in HF
 * transformers' `get_cosine_schedule_with_warmup` / `get_linear_schedule_with_warmup`
 * (which decay to 0; `minRatio` defaults to 0 to match).
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

/** Learning rate for optimizer step `step` (0-based). */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  const minRatio = o.minRatio ?? 0;
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.peak * (step + 1)) / o.warmupSteps;
  if (o.kind === 'constant') return o.peak;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
  const f = o.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return o.peak * (minRatio + (1 - minRatio) * f);
}
