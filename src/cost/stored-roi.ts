/**
 * The ROI input from the costs stored when the runs ended, for a report whose sweep
 * `computeSweepRoi` cannot price (no token counts, a baseline missing...): the same `cost` section
 * defaults (the spec schema's) and the stored per-request and training rows, no re-pricing.
 */
import type { Approach, ApproachInput, RoiInput } from './roi.js';
import { APPROACHES } from './roi.js';
import { specCost } from './sweep-roi.js';
import type { CostRow } from './types.js';

/** Sum of the rows of one component (USD), null when there is none. */
export function componentUsd(rows: readonly Pick<CostRow, 'component' | 'usd'>[], component: string): number | null {
  const r = rows.filter((c) => c.component === component);
  return r.length === 0 ? null : r.reduce((s, c) => s + c.usd, 0);
}

/**
 * Stored per-request inference cost (USD/request) of a subject: the sum of its
 * `inference_input_per_request_<subject>` and `inference_output_per_request_<subject>` rows
 * (src/cost/inference.ts), or a single `inference_per_request_<subject>` row; null when none.
 */
export function perRequestUsd(rows: readonly Pick<CostRow, 'component' | 'usd'>[], subject: string): number | null {
  const r = rows.filter((c) => /^inference_(input_|output_)?per_request_/.test(c.component) && c.component.endsWith(`_per_request_${subject}`));
  return r.length === 0 ? null : r.reduce((s, c) => s + c.usd, 0);
}

/**
 * `computeRoi`'s input from stored rows: per-request cost = `perRequestUsd` over the run's and the
 * baselines' rows; fine-tuning's one-off cost = the run's training on the spec's hosted offer
 * (`train_hosted`), else on its target device (`train_target_device`), else as measured (`train`),
 * plus `cost.dataPreparationUsd`; RAG's fixed monthly cost = `cost.ragIndexMonthlyUsd`; volume and
 * horizon from the spec's `cost` section (schema defaults when absent). Approaches without a stored
 * per-request cost are left out; null when the fine-tuned model has none.
 */
export function roiInputFromStoredCosts(args: {
  /** The sweep's stored spec (its `cost` section is read). */
  spec: unknown;
  runCosts: readonly CostRow[];
  baselineCosts: readonly CostRow[];
  objective: RoiInput['objective'];
  /** Quality of each approach on the objective (null when not measured). */
  quality: (approach: Approach) => number | null;
  baseQuality: number | null;
}): RoiInput | null {
  const { cost } = specCost(args.spec);
  const allCosts = [...args.runCosts, ...args.baselineCosts];
  const trainUsd = componentUsd(args.runCosts, 'train_hosted') ?? componentUsd(args.runCosts, 'train_target_device') ?? componentUsd(args.runCosts, 'train') ?? 0;
  const approaches: ApproachInput[] = [];
  for (const a of APPROACHES) {
    const per = perRequestUsd(allCosts, a);
    if (per === null) continue;
    approaches.push({
      approach: a,
      quality: args.quality(a),
      perRequestUsd: per,
      oneOffUsd: a === 'finetuned' ? trainUsd + cost.dataPreparationUsd : 0,
      fixedMonthlyUsd: a === 'rag' ? cost.ragIndexMonthlyUsd : 0,
    });
  }
  if (!approaches.some((a) => a.approach === 'finetuned')) return null;
  return { monthlyRequests: cost.monthlyRequests, months: cost.months, objective: args.objective, approaches, baseQuality: args.baseQuality };
}
