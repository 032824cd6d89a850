/**
 * The benefit side of the ROI: what a request answered by an approach is worth, from the spec's
 * `cost.value` (src/experiment/schema.ts `valueSchema`) and the approach's quality read as the share
 * of requests answered correctly q (a fraction in [0, 1], higher is better):
 *
 *   value per request = q x usdPerCorrect - (1 - q) x errorCost + reviewMinutesSavedPerRequest / 60 x reviewerUsdPerHour
 *   errorCost = escalatedErrorShare x usdPerEscalation + (1 - escalatedErrorShare) x usdPerError
 *
 * Net per month = value per request x V - monthly cost (src/cost/curve.ts); over the horizon, months x
 * that (the one-off costs are amortised into the monthly cost). Payback: the months until the running
 * surplus (value - recurring cost) has repaid the one-off costs.
 */
import type { z } from 'zod';
import type { valueSchema } from '../experiment/schema.js';

/** The spec's `cost.value` section. */
export type ValueSpec = z.output<typeof valueSchema>;

/** Whether any value field is set (else the ROI is on cost and quality only). */
export function hasValue(v: ValueSpec | null | undefined): v is ValueSpec {
  return !!v && Object.values(v).some((x) => x !== undefined);
}

/**
 * USD of one request answered at quality `q` (share correct, 0..1). Unset fields count 0.
 * @throws RangeError when q is outside [0, 1].
 */
export function valuePerRequest(q: number, v: ValueSpec): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quality must be a share in [0, 1] to value requests, got ${q}`);
  const esc = v.escalatedErrorShare ?? 0;
  const errorCost = esc * (v.usdPerEscalation ?? 0) + (1 - esc) * (v.usdPerError ?? 0);
  const review = ((v.reviewMinutesSavedPerRequest ?? 0) / 60) * (v.reviewerUsdPerHour ?? 0);
  return q * (v.usdPerCorrect ?? 0) - (1 - q) * errorCost + review;
}

/**
 * Months until a running monthly surplus repays a one-off: oneOff / surplus. 0 when there is nothing
 * to repay and the surplus is not negative; null (never) when the surplus is not positive and there is
 * something to repay.
 */
export function paybackMonths(oneOffUsd: number, monthlySurplusUsd: number): number | null {
  if (oneOffUsd <= 0) return monthlySurplusUsd >= 0 ? 0 : null;
  return monthlySurplusUsd > 0 ? oneOffUsd / monthlySurplusUsd : null;
}
