/**
 * Cost of one run: what it measurably cost on the device it ran on, what the same work would cost
 * on the spec's target device, and the inference cost per request of each evaluated subject.
 */
import { availableParallelism } from 'node:os';
import type { Method } from '../experiment/schema.js';
import type { CostRow } from '../cost/types.js';
import type { Subject } from '../eval/types.js';
import type { TrainSummary } from '../train/types.js';
import type { CostSpec } from './spec.js';
import { inferenceFlops, secondsForFlops, trainingFlops } from './flops.js';
import { meanTokens, requestCost, requestCostRows, type UsageTotals } from './inference.js';
import { apiPrice, devicePrice, priceSourceLabel, resolvePrices, type PriceTable } from './prices.js';
import { servingDevice } from './serving.js';
import { UnknownNameError, UserInputError } from '../errors.js';

/** A subject's evaluation usage (src/eval/evaluate.ts's `EvaluateSubjectResult` and the protocol's `SubjectUsage` fit). */
export type EvalUsage = UsageTotals & { wallSeconds?: number; evalPromptTokens?: number; evalCompletionTokens?: number };

/** What a run measured, as the cost stage needs it. */
export interface RunCostInput {
  method: Method;
  /** The trainer's summary (wall time, tokens, parameter counts, device, backend). Absent: no training rows. */
  train?: Pick<TrainSummary, 'wallSeconds' | 'tokensTrained' | 'trainableParams' | 'totalParams' | 'device' | 'backend'>;
  /**
   * Evaluation wall time (s) and tokens processed (prompt + generated, all subjects). Default: summed
   * from `usage` when every entry has `wallSeconds`: tokens = `evalPromptTokens + evalCompletionTokens`
   * (everything processed, perturbed inputs and the NLL pass included, as src/eval/evaluate.ts reports
   * them), else `promptTokens + completionTokens`.
   */
  eval?: { wallSeconds: number; tokens: number };
  /** Measured token totals per evaluated subject (the eval stage's `SubjectUsage`; drives the per-request rows). */
  usage?: Partial<Record<Subject, EvalUsage>>;
  /** Subjects evaluated through an API whose model has a price entry: priced at that model (`requestCost`'s `apiModel`). */
  apiModels?: Partial<Record<Subject, string>>;
  /**
   * The provider each subject was evaluated through (`local`, `openai`): a `local` subject without an
   * API model is priced as served on the serving device, like with like. Absent: the default by
   * subject (prompting and RAG at `cost.apiModel`).
   */
  providers?: Partial<Record<Subject, string>>;
  /** Parameters of the served model when `train` is absent (e.g. baselines only). */
  totalParams?: number;
  cost: CostSpec;
  /** Price table; default `resolvePrices(cost.prices)` (built-in prices with the spec's overrides). */
  prices?: PriceTable;
  /** Devices used on the measured device (cores for `cpu-core`). Default: `cost.deviceCount`, else see `measuredDevice`. */
  deviceCount?: number;
}

/** `key` or `key xN`: the `costs.device` value of a row that used N devices. */
export function deviceLabel(key: string, count: number): string {
  return count === 1 ? key : `${key} x${count}`;
}

/** Inverse of `deviceLabel`. */
export function parseDeviceLabel(label: string): { key: string; count: number } {
  const m = /^(.*) x(\d+)$/.exec(label);
  return m ? { key: m[1]!, count: Number(m[2]) } : { key: label, count: 1 };
}

const CPU_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow', 'node', 'tfjs-node']);

/**
 * The price-table device a run used and how many: `cost.device` when the spec names one; else the
 * trainer's device string when it names a known device (`NVIDIA H200` -> `H200`, `A100-SXM4-80GB` ->
 * `A100-80GB`); else `cpu-core` for the CPU backends, with 1 core for the single-threaded tfjs `cpu`
 * and `wasm` backends and `os.availableParallelism()` for tfjs-node (multi-threaded).
 * @throws UserInputError when a GPU device is not in the table (set `cost.device`); UnknownNameError
 *   for any other unknown device.
 */
export function measuredDevice(
  train: Pick<TrainSummary, 'device' | 'backend'> | undefined,
  cost: Pick<CostSpec, 'device' | 'deviceCount'>,
  prices: PriceTable,
): { key: string; count: number } {
  const backend = (train?.backend ?? 'cpu').toLowerCase();
  const defaultCount = backend.includes('tensorflow') || backend.includes('node') ? availableParallelism() : 1;
  if (cost.device) return { key: devicePrice(prices, cost.device).key, count: cost.deviceCount ?? 1 };
  const dev = (train?.device ?? '').toString();
  const gpu = matchGpu(dev, prices);
  if (gpu) return { key: gpu, count: cost.deviceCount ?? 1 };
  const known = Object.keys(prices).filter((k) => prices[k]!.kind === 'device');
  if (/gpu|cuda|nvidia|tpu/i.test(dev) || /gpu|webgl|webgpu/i.test(backend)) {
    throw new UserInputError(`device '${dev || backend}' is not in the price table; set cost.device in the spec to one of: ${known.join(', ')} (or add it with cost.prices)`);
  }
  if (CPU_BACKENDS.has(backend) || /cpu/i.test(dev) || dev === '') return { key: devicePrice(prices, 'cpu-core').key, count: cost.deviceCount ?? defaultCount };
  throw new UnknownNameError('device', dev, known);
}

function matchGpu(dev: string, prices: PriceTable): string | undefined {
  const d = dev.toUpperCase().replace(/[\s_]+/g, '-');
  if (!d) return undefined;
  const keys = Object.keys(prices).filter((k) => prices[k]!.kind === 'device' && k !== 'cpu-core');
  // A100 comes in two memory sizes; pick by the memory in the name (40GB when stated, else 80GB).
  if (/A100/.test(d)) return /40G/.test(d) ? keys.find((k) => k === 'A100-40GB') : keys.find((k) => k === 'A100-80GB');
  return keys
    .sort((a, b) => b.length - a.length)
    .find((k) => new RegExp(`(^|[^A-Z0-9])${k.toUpperCase().replace(/[-]/g, '-?')}([^A-Z0-9]|$)`).test(d));
}

/**
 * Tokens/s per device the evaluation measured for a subject: its own everything-processed tokens /
 * wall seconds when it reports them (`evalPromptTokens`); else the run's whole evaluation (`eval`,
 * the same model on the same device); else its clean tokens / wall seconds (an underestimate when
 * the wall time also covers perturbed inputs). Undefined when nothing was timed.
 */
export function measuredThroughput(u: EvalUsage, evalWork: { wallSeconds: number; tokens: number } | undefined, device: string, deviceCount: number): { device: string; tokensPerSecond: number } | undefined {
  const per = (tokens: number, seconds: number): { device: string; tokensPerSecond: number } => ({ device, tokensPerSecond: tokens / seconds / deviceCount });
  if (u.evalPromptTokens !== undefined && u.wallSeconds && u.wallSeconds > 0) return per(u.evalPromptTokens + (u.evalCompletionTokens ?? u.completionTokens), u.wallSeconds);
  if (evalWork && evalWork.wallSeconds > 0 && evalWork.tokens > 0) return per(evalWork.tokens, evalWork.wallSeconds);
  if (u.wallSeconds && u.wallSeconds > 0) return per(u.promptTokens + u.completionTokens, u.wallSeconds);
  return undefined;
}

/**
 * The `costs` rows of one run. Components:
 * - `train`, `eval`: measured wall time on the measured device; `hours` = wall hours, `usd` =
 *   hours x device count x USD/device-hour; `device` = `deviceLabel(key, count)`.
 * - `train_target_device`, `eval_target_device`: the same work on `cost.targetDevice` x
 *   `targetDeviceCount`, time = FLOPs / (peak x `trainingMfu` x count), FLOPs from src/cost/flops.ts
 *   (training 4N + 2n per token, i.e. 6N for full; evaluation 2N per token).
 * - `train_hosted`: tokens trained x the hosted fine-tuning price, when `cost.hostedFinetunedModel` is set.
 * - `inference_input_per_request_<subject>`, `inference_output_per_request_<subject>`: see
 *   `requestCostRows`; a self-hosted subject served on the measured device is priced at the
 *   throughput its evaluation measured (tokens processed / wall seconds / device count).
 * Every row's `priceSource` is the price entry's `source (date)`; target-device rows add the MFU
 * assumption; `flops` is set on rows priced from FLOPs.
 * @throws UnknownNameError for an unknown device or model; RangeError for negative measurements.
 */
export function costOfRun(input: RunCostInput): CostRow[] {
  const { cost, train } = input;
  const prices = input.prices ?? resolvePrices(cost.prices);
  const rows: CostRow[] = [];
  const measured = measuredDevice(train, { device: cost.device, deviceCount: input.deviceCount ?? cost.deviceCount }, prices);
  const mDev = devicePrice(prices, measured.key);
  const target = devicePrice(prices, cost.targetDevice);
  const tCount = cost.targetDeviceCount;
  const totalParams = train?.totalParams ?? input.totalParams;
  // Self-hosted requests are priced on the serving device: the spec's, else one that fits the model.
  const serving: CostSpec = { ...cost, servingDevice: servingDevice(cost, prices, totalParams ?? 0).key };

  const measuredRow = (component: string, wallSeconds: number, tokens: number, flops?: number): CostRow => {
    if (!(wallSeconds >= 0) || !(tokens >= 0)) throw new RangeError(`${component}: wall seconds and tokens must be >= 0`);
    const hours = wallSeconds / 3600;
    return { component, device: deviceLabel(mDev.key, measured.count), hours, tokens, usd: hours * measured.count * mDev.usdPerHour, priceSource: priceSourceLabel(mDev), ...(flops !== undefined ? { flops } : {}) };
  };
  const targetRow = (component: string, flops: number, tokens: number): CostRow => {
    const hours = secondsForFlops(flops, target.peakFlops, cost.trainingMfu, tCount) / 3600;
    return {
      component,
      device: deviceLabel(target.key, tCount),
      hours,
      tokens,
      usd: hours * tCount * target.usdPerHour,
      priceSource: `${priceSourceLabel(target)}; time = FLOPs / (${target.peakFlops.toExponential(3)} FLOP/s x MFU ${cost.trainingMfu} x ${tCount})`,
      flops,
    };
  };

  if (train) {
    const flops = trainingFlops(input.method, train.totalParams, train.trainableParams, train.tokensTrained);
    rows.push(measuredRow('train', train.wallSeconds, train.tokensTrained, flops));
    rows.push(targetRow('train_target_device', flops, train.tokensTrained));
    if (cost.hostedFinetunedModel) {
      const m = apiPrice(prices, cost.hostedFinetunedModel);
      if (m.trainingUsdPerMTokens !== undefined) {
        rows.push({ component: 'train_hosted', device: m.key, hours: 0, tokens: train.tokensTrained, usd: (train.tokensTrained * m.trainingUsdPerMTokens) / 1e6, priceSource: priceSourceLabel(m) });
      }
    }
  }
  const usages = Object.values(input.usage ?? {}).filter((u): u is EvalUsage => u !== undefined);
  const processed = (u: EvalUsage): number => (u.evalPromptTokens ?? u.promptTokens) + (u.evalCompletionTokens ?? u.completionTokens);
  const evalWork =
    input.eval ??
    (usages.length > 0 && usages.every((u) => typeof u.wallSeconds === 'number')
      ? { wallSeconds: usages.reduce((s, u) => s + u.wallSeconds!, 0), tokens: usages.reduce((s, u) => s + processed(u), 0) }
      : undefined);
  if (evalWork) {
    const flops = totalParams ? inferenceFlops(totalParams, evalWork.tokens) : undefined;
    rows.push(measuredRow('eval', evalWork.wallSeconds, evalWork.tokens, flops));
    if (flops !== undefined) rows.push(targetRow('eval_target_device', flops, evalWork.tokens));
  }
  for (const [subject, t] of Object.entries(input.usage ?? {}) as [Subject, EvalUsage | undefined][]) {
    if (!t || !(t.examples > 0)) continue;
    const apiModel = input.apiModels?.[subject];
    const local = !apiModel && input.providers?.[subject] === 'local';
    const selfHosted = !apiModel && (local || subject === 'base' || (subject === 'finetuned' && !cost.hostedFinetunedModel));
    // A self-hosted subject needs the model size for its throughput unless the spec gives one.
    const measuredTp = selfHosted ? measuredThroughput(t, input.eval, mDev.key, measured.count) : undefined;
    if (selfHosted && !totalParams && !cost.servingThroughputTokensPerSecond && !measuredTp) continue;
    rows.push(...requestCostRows(requestCost(subject, meanTokens(t), serving, prices, totalParams ?? 1, measuredTp, apiModel ? { apiModel } : { selfHosted: local })));
  }
  return rows;
}
