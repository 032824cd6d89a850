/**
 * Inference cost per request for each approach, from the token counts the evaluation measured.
 *
 * - fine-tuned (and the untuned base), self-hosted: a request occupies the serving device for
 *   `(inputTokens + outputTokens) / throughput` seconds, at the device's hourly price:
 *   `usd = (in + out) / tokensPerSecond * usdPerHour / 3600`. Throughput is the spec's
 *   `servingThroughputTokensPerSecond`; else, when the model is served on the device the evaluation
 *   ran on, the throughput the evaluation measured there (tokens processed / wall seconds / devices);
 *   else `peakFlops * servingMfu / (2 * totalParams)` (src/cost/flops.ts). Prefill and decode tokens
 *   are charged alike (both 2N FLOP per token).
 * - fine-tuned, hosted (`cost.hostedFinetunedModel`): the hosted fine-tuned model's token prices.
 * - prompting and RAG: `(systemPromptTokens + in) * inputPrice + out * outputPrice` at the spec's
 *   `apiModel` (prices per million tokens). `in` is the measured prompt: k few-shot examples or the
 *   retrieved context, plus the input. RAG's index cost is a monthly fixed cost, not per request.
 */
import type { CostRow } from '../cost/types.js';
import type { Subject } from '../eval/types.js';
import type { CostSpec } from './spec.js';
import { servingTokensPerSecond } from './flops.js';
import { apiPrice, devicePrice, priceSourceLabel, type PriceTable } from './prices.js';

/**
 * Token totals the evaluation measured for one subject over its test requests (structurally the
 * `SubjectUsage` of src/run/protocol.ts, whose extra fields are ignored).
 */
export interface UsageTotals {
  /** Requests (test examples) the totals are over; > 0. */
  examples: number;
  /** Prompt tokens summed over the requests (few-shot examples or retrieved context included). */
  promptTokens: number;
  /** Generated tokens summed over the requests. */
  completionTokens: number;
}

/** Cost of one request of one approach. */
export interface RequestCost {
  subject: Subject;
  /** Mean prompt tokens per request as measured (system prompt excluded). */
  inputTokens: number;
  /** System-prompt tokens added per request (`cost.systemPromptTokens`, prompting and RAG only). */
  systemPromptTokens: number;
  /** Mean generated tokens per request. */
  outputTokens: number;
  /** USD per request for the input side. */
  inputUsd: number;
  /** USD per request for the output side. */
  outputUsd: number;
  /** USD per request. */
  usd: number;
  /** What it is priced as: a price-table key, `self-hosted` or `api`. */
  pricing: 'self-hosted' | 'api';
  /** Price-table key (device or API model). */
  priceKey: string;
  /** Serving throughput used (self-hosted only), tokens/s. */
  tokensPerSecond?: number;
  /** `source (date)` of the price, plus the throughput assumption for self-hosted serving. */
  priceSource: string;
}

/**
 * Mean tokens per request of a subject: totals / examples.
 * @throws RangeError when `examples` is not positive.
 */
export function meanTokens(t: UsageTotals): { inputTokens: number; outputTokens: number } {
  if (!(t.examples > 0)) throw new RangeError('usage.examples must be > 0');
  return { inputTokens: t.promptTokens / t.examples, outputTokens: t.completionTokens / t.examples };
}

/** Throughput the evaluation measured on a device: tokens/s per device. */
export interface MeasuredThroughput {
  /** Price-table key of the device the evaluation ran on. */
  device: string;
  tokensPerSecond: number;
}

/**
 * Serving throughput of the self-hosted model, tokens/s per device: the spec's figure; else the
 * measured one when `measured.device` is the serving device; else from FLOPs.
 * @throws UnknownNameError for an unknown serving device.
 */
export function servingThroughput(cost: CostSpec, prices: PriceTable, totalParams: number, measured?: MeasuredThroughput): { tokensPerSecond: number; basis: string } {
  if (cost.servingThroughputTokensPerSecond) return { tokensPerSecond: cost.servingThroughputTokensPerSecond, basis: 'spec servingThroughputTokensPerSecond' };
  const key = devicePrice(prices, cost.servingDevice ?? cost.targetDevice).key;
  if (measured && measured.tokensPerSecond > 0 && devicePrice(prices, measured.device).key === key) {
    return { tokensPerSecond: measured.tokensPerSecond, basis: `measured by the evaluation on ${key}` };
  }
  const dev = devicePrice(prices, cost.servingDevice ?? cost.targetDevice);
  return {
    tokensPerSecond: servingTokensPerSecond(totalParams, dev.peakFlops, cost.servingMfu),
    basis: `peak ${dev.peakFlops.toExponential(3)} FLOP/s x MFU ${cost.servingMfu} / (2 x ${totalParams} params)`,
  };
}

/**
 * How a subject is served for `requestCost`: `apiModel` names the API model it is priced at (one it
 * was evaluated on, or a what-if); `selfHosted` prices it as served on the serving device (a subject
 * evaluated in-process: the local model, prompted or not). A string is `{ apiModel }`. Neither: the
 * default by subject (finetuned and base self-hosted, or finetuned hosted when
 * `cost.hostedFinetunedModel` is set; prompting and RAG at `cost.apiModel`).
 */
export type ServedAs = string | { apiModel?: string; selfHosted?: boolean };

/**
 * Cost per request for a subject, served as `via` says (see `ServedAs`). `tokens` are per-request
 * means. `totalParams` is the served model's parameter count; `measured` the throughput the
 * evaluation measured (used when it ran on the serving device). The serving device is
 * `cost.servingDevice` (callers resolve the default by model size first, src/cost/serving.ts), else
 * `cost.targetDevice`. A self-hosted prompting or RAG subject carries no system prompt beyond what was
 * measured (its prompt is what the local model was fed).
 * @throws UnknownNameError for an unknown device or API model.
 */
export function requestCost(
  subject: Subject,
  tokens: { inputTokens: number; outputTokens: number },
  cost: CostSpec,
  prices: PriceTable,
  totalParams: number,
  measured?: MeasuredThroughput,
  via: ServedAs = {},
): RequestCost {
  const { apiModel, selfHosted: local } = typeof via === 'string' ? { apiModel: via, selfHosted: false } : via;
  const selfHosted = !apiModel && (local === true || subject === 'base' || (subject === 'finetuned' && !cost.hostedFinetunedModel));
  if (selfHosted) {
    const dev = devicePrice(prices, cost.servingDevice ?? cost.targetDevice);
    const tp = servingThroughput(cost, prices, totalParams, measured);
    const usdPerToken = dev.usdPerHour / 3600 / tp.tokensPerSecond;
    const inputUsd = tokens.inputTokens * usdPerToken;
    const outputUsd = tokens.outputTokens * usdPerToken;
    return {
      subject,
      ...tokens,
      systemPromptTokens: 0,
      inputUsd,
      outputUsd,
      usd: inputUsd + outputUsd,
      pricing: 'self-hosted',
      priceKey: dev.key,
      tokensPerSecond: tp.tokensPerSecond,
      priceSource: `${priceSourceLabel(dev)}; ${Math.round(tp.tokensPerSecond)} tokens/s (${tp.basis})`,
    };
  }
  const model = apiPrice(prices, apiModel ?? (subject === 'finetuned' ? cost.hostedFinetunedModel! : cost.apiModel));
  const systemPromptTokens = subject === 'finetuned' ? 0 : cost.systemPromptTokens;
  const inputUsd = ((tokens.inputTokens + systemPromptTokens) * model.inputUsdPerMTokens) / 1e6;
  const outputUsd = (tokens.outputTokens * model.outputUsdPerMTokens) / 1e6;
  return {
    subject,
    inputTokens: tokens.inputTokens,
    systemPromptTokens,
    outputTokens: tokens.outputTokens,
    inputUsd,
    outputUsd,
    usd: inputUsd + outputUsd,
    pricing: 'api',
    priceKey: model.key,
    priceSource: priceSourceLabel(model),
  };
}

/**
 * The two `costs` rows of a request cost: `inference_input_per_request_<subject>` and
 * `inference_output_per_request_<subject>`, with `tokens` = measured mean tokens per request (system
 * prompt excluded) and `usd` per request (system prompt included), so that the ROI can re-price them
 * later with other prices.
 */
export function requestCostRows(rc: RequestCost): CostRow[] {
  const hours = (t: number): number => (rc.tokensPerSecond ? t / rc.tokensPerSecond / 3600 : 0);
  return [
    { component: `inference_input_per_request_${rc.subject}`, device: rc.priceKey, hours: hours(rc.inputTokens), tokens: rc.inputTokens, usd: rc.inputUsd, priceSource: rc.priceSource },
    { component: `inference_output_per_request_${rc.subject}`, device: rc.priceKey, hours: hours(rc.outputTokens), tokens: rc.outputTokens, usd: rc.outputUsd, priceSource: rc.priceSource },
  ];
}
