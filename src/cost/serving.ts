/**
 * Which device a self-hosted model is served on when the spec does not say (`cost.servingDevice`
 * unset): one that fits the model's size.
 *
 * - Up to `cost.cpuServingMaxParams` parameters (default 1e8): one CPU core (`cpu-core`). A 100 M
 *   parameter model needs 2 x 1e8 = 2e8 FLOP per token (Kaplan et al. 2020), so a 96 GFLOP/s core at
 *   the serving MFU of 0.1 serves ~48 tokens/s; below that size a GPU mostly idles. The built-in
 *   1 M-parameter model is far below.
 * - Larger: the cheapest device per hour in the price table whose memory holds the weights plus
 *   headroom: params x `cost.servingBytesPerParam` (default 2: BF16/FP16 weights) x (1 +
 *   `cost.servingMemoryOverhead`) (default 0.2: KV cache and activations for modest batches and
 *   contexts, the usual rule of thumb for inference sizing). A 7 B model needs 16.8 GB: an L4 (24 GB).
 * - Too large for any single device: the device with the most memory, and a note (set
 *   `cost.servingDevice` and `cost.servingAlwaysOnDevices` for a multi-device deployment).
 *
 * Utilisation: the throughput a device gives a model is measured where the evaluation ran on it,
 * else `peakFlops x cost.servingMfu / (2 x params)` (src/cost/flops.ts; default MFU 0.1: decoding
 * reads every weight once per generated token, so batched serving reaches about a tenth of peak).
 */
import type { CostSpec } from './spec.js';
import { devicePrice, type DevicePrice, type PriceTable } from './prices.js';

/** A serving device and why it was chosen. */
export interface ServingChoice {
  /** Price-table key. */
  key: string;
  /** `spec`: cost.servingDevice; `size`: chosen by model size; `what-if`: a --serving-device flag; `target`: model size unknown, the target device. */
  basis: 'spec' | 'size' | 'what-if' | 'target';
  /** In words, for the notes. */
  why: string;
}

const fmtParams = (n: number): string => (n >= 1e9 ? `${Number((n / 1e9).toPrecision(3))} B` : n >= 1e6 ? `${Number((n / 1e6).toPrecision(3))} M` : `${Math.round(n).toLocaleString('en-US')}`);

/** GB a model of `totalParams` needs to be served: params x bytes per param x (1 + overhead) / 1e9. */
export function servingMemoryGb(totalParams: number, cost: Pick<CostSpec, 'servingBytesPerParam' | 'servingMemoryOverhead'>): number {
  return (totalParams * cost.servingBytesPerParam * (1 + cost.servingMemoryOverhead)) / 1e9;
}

/**
 * The serving device: `whatIf` (a flag), else `cost.servingDevice`, else by model size (module
 * comment); `totalParams` unknown (0) falls back to `cost.targetDevice`.
 * @throws UnknownNameError for an unknown device name.
 */
export function servingDevice(cost: CostSpec, prices: PriceTable, totalParams: number, whatIf?: string): ServingChoice {
  if (whatIf) return { key: devicePrice(prices, whatIf).key, basis: 'what-if', why: `what-if --serving-device ${whatIf}` };
  if (cost.servingDevice) return { key: devicePrice(prices, cost.servingDevice).key, basis: 'spec', why: 'cost.servingDevice in the spec' };
  if (!(totalParams > 0)) return { key: devicePrice(prices, cost.targetDevice).key, basis: 'target', why: `the model size is unknown, so the target device (cost.targetDevice)` };
  if (totalParams <= cost.cpuServingMaxParams) {
    return { key: devicePrice(prices, 'cpu-core').key, basis: 'size', why: `a ${fmtParams(totalParams)}-parameter model is served on one CPU core (up to cost.cpuServingMaxParams = ${fmtParams(cost.cpuServingMaxParams)})` };
  }
  const need = servingMemoryGb(totalParams, cost);
  const gpus = Object.entries(prices)
    .filter((e): e is [string, DevicePrice] => e[1].kind === 'device' && e[1].memoryGb !== undefined)
    .map(([key, e]) => ({ key, ...e }));
  const fits = gpus.filter((g) => g.memoryGb! >= need).sort((a, b) => a.usdPerHour - b.usdPerHour);
  const what = `${fmtParams(totalParams)} parameters need ${Number(need.toPrecision(3))} GB (${cost.servingBytesPerParam} bytes per parameter + ${cost.servingMemoryOverhead * 100}% for the KV cache)`;
  if (fits.length) return { key: fits[0]!.key, basis: 'size', why: `${what}: the cheapest device that holds them` };
  const biggest = gpus.sort((a, b) => b.memoryGb! - a.memoryGb!)[0];
  if (!biggest) return { key: devicePrice(prices, cost.targetDevice).key, basis: 'target', why: `${what}, and no device in the price table lists its memory: the target device` };
  return { key: biggest.key, basis: 'size', why: `${what}, more than any single device holds: priced as one ${biggest.key} (${biggest.memoryGb} GB); set cost.servingDevice and cost.servingAlwaysOnDevices for a multi-device deployment` };
}
