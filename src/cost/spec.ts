/**
 * The spec's `cost` section as the cost stage uses it, and a check of the names it refers to.
 */
import type { z } from 'zod';
import { costSchema } from '../experiment/schema.js';
import { apiPrice, devicePrice, type PriceTable } from './prices.js';
import { UserInputError } from '../errors.js';

/** The resolved `cost` section of an experiment spec (defaults applied). */
export type CostSpec = z.output<typeof costSchema>;

/** A `CostSpec` with defaults for what is not given (`costSchema.parse`). */
export function costSpec(partial: z.input<typeof costSchema> = {}): CostSpec {
  return costSchema.parse(partial);
}

/**
 * Checks that every device and model the cost section names is in the price table, so a sweep fails
 * at its start rather than at its first cost row.
 * @throws UnknownNameError (listing the known names) for an unknown device or API model;
 *   UserInputError when `hostedFinetunedModel` has no training price.
 */
export function validateCostNames(cost: CostSpec, prices: PriceTable): void {
  if (cost.device) devicePrice(prices, cost.device);
  devicePrice(prices, cost.targetDevice);
  if (cost.servingDevice) devicePrice(prices, cost.servingDevice);
  apiPrice(prices, cost.apiModel);
  if (cost.hostedFinetunedModel) {
    const m = apiPrice(prices, cost.hostedFinetunedModel);
    if (m.trainingUsdPerMTokens === undefined) {
      throw new UserInputError(`cost.hostedFinetunedModel: '${m.key}' has no trainingUsdPerMTokens; pick a hosted fine-tuning offer (e.g. gpt-4o-mini-ft) or add the price`);
    }
  }
}
