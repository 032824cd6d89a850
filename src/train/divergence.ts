/**
 * When a run has diverged: a pure function of its loss curves (train loss per optimizer step,
 * validation loss per evaluation), used by the trainer after every step and every evaluation.
 *
 * The reference point is the loss of uniform guessing, `U = ln V` nats per token (V = vocabulary
 * size): a model above it is worse than knowing nothing. A curve's *limit* is
 *   - train: U, or `first * (1 + margin)` when the curve started above U (a randomly initialised model);
 *   - validation: `first * (1 + margin)`, capped at U when the curve started below U.
 * A run has diverged when
 *   1. any train or validation loss is NaN or infinite;
 *   2. one train loss is above `trainFactor` x U (a blow-up: no point in another step);
 *   3. the train loss stays above its limit for `trainPatience` consecutive steps;
 *   4. the validation loss stays above its limit for `valPatience` consecutive evaluations, or is
 *      above it at the last evaluation of the run (`final`: the rise was never recovered).
 * Every verdict names the step and the value exactly as they are stored in the curve.
 */

/** One point of a loss curve: the optimizer step it was recorded at (as stored in `step_metrics`) and the loss in nats per token. */
export interface LossPoint {
  step: number;
  value: number;
}

/** The thresholds of the rule (defaults: `DIVERGENCE_RULE`). */
export interface DivergenceRule {
  /** Single-step train-loss ceiling, as a multiple of the uniform-guess loss. */
  trainFactor: number;
  /** Consecutive train steps above the uniform-guess loss that count as divergence. */
  trainPatience: number;
  /** Relative margin above a curve's first value (0.2 = 20 % higher); see the limits above. */
  valMargin: number;
  /** Consecutive evaluations above `first * (1 + valMargin)` that count as divergence. */
  valPatience: number;
}

/**
 * Defaults. trainFactor 4: per-token NLL is clamped at 69 nats (src/model/ops.ts), so a blown-up
 * loss stays finite; 4 x ln V is far beyond any recoverable step. trainPatience 3: one or two noisy
 * batches above the limit are tolerated, three in a row are not. valMargin 0.2 / valPatience 2: a
 * validation loss 20 % above where fine-tuning started (or above uniform guessing), twice in a row
 * or at the end of the run, is not noise; early stopping (patience on the *best* value) usually
 * stops an overfitting run well before.
 */
export const DIVERGENCE_RULE: DivergenceRule = { trainFactor: 4, trainPatience: 3, valMargin: 0.2, valPatience: 2 };

/** A divergence verdict: which curve, the stored step and value that triggered it, and a one-line reason. */
export interface Divergence {
  split: 'train' | 'val';
  step: number;
  value: number;
  reason: string;
}

/**
 * Judge the curves as they stand (their latest points decide; cost O(patience), so the trainer can
 * call it after every step).
 *
 * @param curves train loss per step and validation loss per evaluation, oldest first
 * @param vocabSize V, for the uniform-guess loss ln V (nats per token)
 * @param opts `final`: the run has ended, so a validation rise still standing at its last
 *   evaluation is divergence even before `valPatience` evaluations
 * @returns the verdict, or null when the run has not diverged
 */
export function checkDivergence(
  curves: { train: readonly LossPoint[]; val: readonly LossPoint[] },
  vocabSize: number,
  opts: { final?: boolean; rule?: DivergenceRule } = {},
): Divergence | null {
  const rule = opts.rule ?? DIVERGENCE_RULE;
  const uniform = Math.log(vocabSize);
  const u = fmt(uniform);
  const pct = `+${Math.round(rule.valMargin * 100)}%`;

  const t = curves.train.at(-1);
  const t0 = curves.train[0];
  if (t && t0) {
    if (!Number.isFinite(t.value)) return { split: 'train', step: t.step, value: t.value, reason: `train loss ${t.value} at step ${t.step}` };
    if (t.value > rule.trainFactor * uniform) {
      return { split: 'train', step: t.step, value: t.value, reason: `train loss ${fmt(t.value)} at step ${t.step} is above ${rule.trainFactor} x the uniform-guess loss ${u}` };
    }
    const [limit, what] = t0.value < uniform ? [uniform, `the uniform-guess loss ${u}`] : [t0.value * (1 + rule.valMargin), `${fmt(t0.value * (1 + rule.valMargin))} (first ${fmt(t0.value)} ${pct})`];
    const tail = curves.train.slice(-rule.trainPatience);
    if (tail.length === rule.trainPatience && tail.every((p) => p.value > limit)) {
      return { split: 'train', step: t.step, value: t.value, reason: `train loss ${fmt(t.value)} at step ${t.step}: above ${what} for ${rule.trainPatience} steps` };
    }
  }

  const v = curves.val.at(-1);
  const v0 = curves.val[0];
  if (v && v0) {
    if (!Number.isFinite(v.value)) return { split: 'val', step: v.step, value: v.value, reason: `validation loss ${v.value} at step ${v.step}` };
    const rise = v0.value * (1 + rule.valMargin);
    const [limit, what] = v0.value < uniform && uniform < rise ? [uniform, `the uniform-guess loss ${u}`] : [rise, `${fmt(rise)} (first ${fmt(v0.value)} at step ${v0.step} ${pct})`];
    if (curves.val.length > 1 && v.value > limit) {
      const tail = curves.val.slice(-rule.valPatience);
      const sustained = tail.length === rule.valPatience && tail.every((p) => p !== v0 && p.value > limit);
      if (sustained || opts.final) {
        const how = sustained ? `for ${rule.valPatience} evaluations` : 'at the end of the run';
        return { split: 'val', step: v.step, value: v.value, reason: `validation loss ${fmt(v.value)} at step ${v.step}: above ${what} ${how}` };
      }
    }
  }
  return null;
}

/** 4 significant digits, as the run tables show losses. */
function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
