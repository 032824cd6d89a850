/**
 * FLOP counts for training and inference of a decoder-only transformer, and the time they take on
 * a device at a given model FLOPs utilisation (MFU).
 *
 * Sources:
 * - Kaplan et al. 2020, "Scaling Laws for Neural Language Models", Table 1 and section 2.1:
 *   forward ~ 2N FLOP per token, backward ~ 4N (2N for activation gradients, 2N for weight
 *   gradients), so full training ~ 6N per token (N = non-embedding parameters; we use all
 *   parameters, which slightly over-counts the embedding lookups, and we drop the attention
 *   context term 2 n_layer n_ctx d_model, small for short sequences).
 * - Hu et al. 2021, "LoRA" (section 4.2 and the PEFT implementation): the base weights are frozen,
 *   so no weight gradients are computed for them; the backward pass still propagates activation
 *   gradients through every layer. Per token: forward 2N + backward activation gradients 2N +
 *   weight gradients only for the trainable adapter parameters 2n = 4N + 2n.
 *   With n = N (full fine-tuning) this is 6N, Kaplan's figure. QLoRA has the same count plus the
 *   NF4 dequantisation, which we do not count (it is memory traffic, not tensor-core FLOPs).
 * - MFU as in Chowdhery et al. 2022 (PaLM, section 4.1 / appendix B): achieved model FLOP/s divided
 *   by the device's peak FLOP/s.
 */
import type { Method } from '../experiment/schema.js';

/**
 * Training FLOPs per token: `4 * totalParams + 2 * trainableParams` (for `full`, trainable = total,
 * giving 6N). Units: FLOP per token.
 */
export function trainingFlopsPerToken(method: Method, totalParams: number, trainableParams: number): number {
  const n = method === 'full' ? totalParams : trainableParams;
  return 4 * totalParams + 2 * n;
}

/** Training FLOPs for `tokens` tokens processed (all epochs): `tokens * trainingFlopsPerToken`. */
export function trainingFlops(method: Method, totalParams: number, trainableParams: number, tokens: number): number {
  return tokens * trainingFlopsPerToken(method, totalParams, trainableParams);
}

/** Inference (forward only) FLOPs: `2 * totalParams` per token (Kaplan et al. 2020, Table 1). */
export function inferenceFlops(totalParams: number, tokens: number): number {
  return 2 * totalParams * tokens;
}

/**
 * Seconds that `flops` take on `deviceCount` devices of `peakFlops` FLOP/s each at utilisation `mfu`
 * (0 < mfu <= 1): `flops / (peakFlops * mfu * deviceCount)`.
 */
export function secondsForFlops(flops: number, peakFlops: number, mfu: number, deviceCount = 1): number {
  if (!(peakFlops > 0) || !(mfu > 0) || !(deviceCount > 0)) throw new RangeError('peakFlops, mfu and deviceCount must be positive');
  return flops / (peakFlops * mfu * deviceCount);
}

/**
 * Serving throughput in tokens/s on one device from FLOPs: `peakFlops * mfu / (2 * totalParams)`.
 * Batched decoding is memory-bound, so serving MFU is low (default 0.1, see `DEFAULT_SERVING_MFU`).
 */
export function servingTokensPerSecond(totalParams: number, peakFlops: number, mfu: number): number {
  if (!(totalParams > 0)) throw new RangeError('totalParams must be positive');
  return (peakFlops * mfu) / (2 * totalParams);
}

/**
 * Default serving MFU, 0.1: autoregressive decoding reads every weight once per step, so batched
 * serving reaches roughly a tenth of peak tensor throughput.
 */
export const DEFAULT_SERVING_MFU = 0.1;
