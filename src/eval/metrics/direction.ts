/**
 * "Is lower better?" answered once, from the metric registry: a registered metric's own
 * `higherIsBetter`, plus the training-side quantities that are not evaluation metrics (losses,
 * bits per byte). Every command, the store's sort order, the report and the ROI ask this function.
 */
import { METRICS } from './registry.js';

/** Quantities outside the registry where a smaller value is better (nats/token, bits/byte; forgetting's change vs the base and its p-value, src/eval/general.ts). */
const LOWER_OUTSIDE_REGISTRY = new Set(['val_loss', 'loss', 'train_loss', 'bits_per_byte', 'perplexity_change', 'perplexity_change_p']);

/**
 * True when a smaller value of `metric` is better. Accepts `<slice>/<metric>` (`classify/f1_macro`)
 * or a bare name (`perplexity`, `val_loss`); an unknown name counts as higher-is-better.
 */
export function lowerIsBetter(metric: string): boolean {
  const name = metric.includes('/') ? metric.slice(metric.lastIndexOf('/') + 1) : metric;
  const def = METRICS.get(name);
  if (def) return !def.higherIsBetter;
  return LOWER_OUTSIDE_REGISTRY.has(name);
}

/** The objective goal implied by a metric's direction. */
export function defaultGoal(metric: string): 'minimize' | 'maximize' {
  return lowerIsBetter(metric) ? 'minimize' : 'maximize';
}
