/**
 * The fine-tuning loop. Reads top to bottom as numbered stages:
 *   1. tokenise (prompt masked out of the loss), 2. plan steps, 3. per optimizer step: accumulate
 *   gradients over `gradientAccumulation` padded micro-batches, clip by global norm, AdamW update
 *   with the scheduled learning rate (skipped on a non-finite or blown-up loss), check the curves
 *   for divergence (./divergence.ts -> `diverged`, no exception),
 *   4. validation loss every `evalEvery` steps and at each epoch end, keep the best-validation
 *   checkpoint, early stopping on patience / minDelta (both as HF's Trainer, ./early-stopping.ts),
 *   5. summary.
 * It emits events and never writes to a database.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LanguageModel } from '../model/model.js';
import type { PreparedMethod } from '../model/methods.js';
import { weightedCrossEntropy } from '../model/ops.js';
import type { TextTokenizer } from '../model/tokenizer.js';
import type { Example } from '../data/example.js';
import type { StepMetric, TrainSummary } from '../train/types.js';
import type { Params } from '../experiment/schema.js';
import { FteError } from '../errors.js';
import type { BackendInfo } from './backend.js';
import { type Batch, type EncodedExample, encodeExample, epochBatches, evalBatches } from './data.js';
import type { MemoryEstimate } from './memory.js';
import { AdamW, clipByGlobalNorm } from './optimizer.js';
import { learningRateAt } from './schedule.js';
import { checkDivergence, type LossPoint } from './divergence.js';
import { MemoryMeter } from './memory-meter.js';
import { earlyStoppingStep } from './early-stopping.js';

export type TrainEvent =
  | { type: 'step'; step: number; epoch: number; totalSteps: number; loss: number; learningRate: number; gradNorm: number; tokensPerSecond: number; metrics: StepMetric[] }
  | { type: 'eval'; step: number; epoch: number; valLoss: number; metrics: StepMetric[] }
  | { type: 'checkpoint'; step: number; path: string; valLoss: number | null; bytes: number }
  | { type: 'end'; summary: TrainSummary; memory: MemoryEstimate };

export interface TrainerOptions {
  model: LanguageModel;
  method: PreparedMethod;
  tokenizer: TextTokenizer;
  train: Example[];
  val: Example[];
  params: Params & { alpha: number };
  earlyStopping: { patience: number; minDelta: number };
  outDir: string;
  backend: BackendInfo;
  memory: MemoryEstimate;
  maxSteps?: number;
  /** Validation examples used for the validation loss (the first N, fixed order). Default: all. */
  valLimit?: number;
  signal?: AbortSignal;
  onEvent: (e: TrainEvent) => void;
  /**
   * Asked after each validation evaluation with its 1-based count and the best validation loss so
   * far; resolving true stops the run here (early termination by the sweep, e.g. hyperband): the
   * summary's status is then `stopped`, the best checkpoint so far is kept.
   */
  onValidation?: (iteration: number, bestValLoss: number) => Promise<boolean>;
  /** Extra fields for trainer_state.json (e.g. the variant key, the resolved spec). */
  state?: Record<string, unknown>;
}


/** A batch's tensors: inputs [B, T], targets [B*T], loss weights [B*T] = mask / normaliser. */
function batchTensors(b: Batch, normaliser: number): { ids: tf.Tensor2D; targets: tf.Tensor1D; weights: tf.Tensor1D } {
  const w = new Float32Array(b.lossMask.length);
  for (let i = 0; i < w.length; i++) w[i] = b.lossMask[i]! / normaliser;
  return { ids: tf.tensor2d(b.inputs, [b.size, b.len], 'int32'), targets: tf.tensor1d(b.targets, 'int32'), weights: tf.tensor1d(w) };
}

/** Masked mean NLL (nats per completion token) over batches, no dropout, no gradient. */
export function maskedLoss(model: LanguageModel, batches: Batch[]): number {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    if (b.lossTokens === 0) continue;
    const { ids, targets, weights } = batchTensors(b, 1);
    const l = tf.tidy(() => weightedCrossEntropy(model.logitsFromHidden(model.hidden(ids).hidden), targets, weights));
    sum += l.dataSync()[0]!;
    n += b.lossTokens;
    tf.dispose([l, ids, targets, weights]);
  }
  return n > 0 ? sum / n : NaN;
}

export async function runTraining(o: TrainerOptions): Promise<TrainSummary> {
  const t0 = performance.now();
  const p = o.params;
  const { model, method } = o;
  const maxLen = Math.min(p.maxSeqLen, model.config.nCtx);
  const pad = o.tokenizer.eosId;

  // 1. Tokenise.
  const train: EncodedExample[] = o.train.map((e) => encodeExample(e, o.tokenizer, maxLen));
  const valEx = o.valLimit !== undefined ? o.val.slice(0, o.valLimit) : o.val;
  const valBatches = evalBatches(valEx.map((e) => encodeExample(e, o.tokenizer, maxLen)), Math.max(8, p.batchSize * 2), pad);
  if (train.length === 0) throw new FteError('training split is empty', 2);
  // Which prompt format the examples got: the model's chat template (chat rows on a model that has one) or fte's flat text.
  const formats = new Set(train.map((e) => e.format ?? 'flat'));
  const promptFormat: 'chat_template' | 'flat' | 'mixed' = formats.size > 1 ? 'mixed' : [...formats][0]!;
  const chatTemplate = promptFormat !== 'flat' ? o.tokenizer.chatTemplate?.label : undefined;

  // 2. Plan: optimizer steps per epoch and in total.
  const microPerEpoch = Math.ceil(train.length / p.batchSize);
  const stepsPerEpoch = Math.ceil(microPerEpoch / p.gradientAccumulation);
  const plannedSteps = p.epochs * stepsPerEpoch;
  const totalSteps = o.maxSteps !== undefined ? Math.min(plannedSteps, o.maxSteps) : plannedSteps;
  const schedule = { peak: p.learningRate, warmupSteps: p.warmupSteps, totalSteps, kind: p.schedule, minRatio: 0 } as const;

  const vars = [...method.trainable.values()];
  const nameOf = new Map([...method.trainable].map(([n, v]) => [v.name, n]));
  // Measured memory from here on (./memory-meter.ts): the model and the method are set up already.
  const meter = new MemoryMeter().start();
  const opt = new AdamW(method.trainable, { weightDecay: p.weightDecay });
  const bestDir = join(o.outDir, 'best');
  await mkdir(o.outDir, { recursive: true });

  let step = 0;
  let tokensTrained = 0;
  let bestVal: number | null = null;
  let bestStep = -1;
  let lastVal: number | null = null;
  let badEvals = 0;
  let stoppedEarly = false;
  let terminated = false;
  let evaluations = 0;
  let diverged: string | undefined;
  let adapterBytes = 0;
  let lastEvalStep = -1;
  // The curves as stored (step_metrics), for the divergence rule.
  const trainCurve: LossPoint[] = [];
  const valCurve: LossPoint[] = [];
  const vocabSize = model.config.vocabSize;

  const saveBest = async (valLoss: number | null) => {
    adapterBytes = await method.save(bestDir);
    const state = { step, epoch: Math.floor(step / stepsPerEpoch), bestValLoss: valLoss, seed: p.seed, method: method.kind, params: p, promptFormat, ...(chatTemplate ? { chatTemplate } : {}), ...o.state };
    await writeFile(join(bestDir, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
    o.onEvent({ type: 'checkpoint', step, path: bestDir, valLoss, bytes: adapterBytes });
  };

  /** 4. Validation + checkpoint + early stopping. Returns true when training should stop. */
  const evaluate = async (epoch: number): Promise<boolean> => {
    lastEvalStep = step;
    if (valBatches.length === 0) return false;
    const v = maskedLoss(model, valBatches);
    lastVal = v;
    o.onEvent({ type: 'eval', step, epoch, valLoss: v, metrics: [{ step, epoch, split: 'val', name: 'loss', value: v }] });
    valCurve.push({ step, value: v });
    const d = checkDivergence({ train: [], val: valCurve }, vocabSize, { final: step >= totalSteps });
    if (d) {
      diverged = d.reason;
      return true;
    }
    evaluations++;
    // HF Trainer + EarlyStoppingCallback (./early-stopping.ts): any improvement is the best
    // checkpoint; only one larger than minDelta resets the patience counter.
    const es = earlyStoppingStep({ best: bestVal, badEvals }, v, o.earlyStopping);
    badEvals = es.state.badEvals;
    if (es.newBest) {
      bestVal = v;
      bestStep = step;
      await saveBest(v);
    }
    // Hyperband (the sweep's early termination) judges the best validation loss so far at each bracket.
    if (o.onValidation && step < totalSteps && (await o.onValidation(evaluations, bestVal ?? v))) {
      terminated = true;
      return true;
    }
    if (es.stop) {
      // Stopping here ends the run: a rise that is still standing now is divergence, not an early stop.
      const late = checkDivergence({ train: [], val: valCurve }, vocabSize, { final: true });
      if (late) {
        diverged = late.reason;
        return true;
      }
      stoppedEarly = true;
      return true;
    }
    return false;
  };

  // 3. Optimizer steps.
  let stop = false;
  for (let epoch = 0; epoch < p.epochs && !stop && step < totalSteps; epoch++) {
    const batches = epochBatches(train, p.batchSize, p.seed, epoch, pad);
    for (let i = 0; i < batches.length && step < totalSteps; i += p.gradientAccumulation) {
      if (o.signal?.aborted) {
        opt.dispose();
        meter.stop();
        throw Object.assign(new FteError('training interrupted'), { name: 'AbortError' });
      }
      const ts = performance.now();
      meter.beginStep();
      const group = batches.slice(i, i + p.gradientAccumulation);
      const normaliser = Math.max(1, group.reduce((a, b) => a + b.lossTokens, 0));
      // 3a. Forward + backward per micro-batch, gradients summed (each already divided by the step's token count).
      let acc: Record<string, tf.Tensor> | null = null;
      let lossT: tf.Tensor | null = null;
      for (const b of group) {
        const { ids, targets, weights } = batchTensors(b, normaliser);
        const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logitsFromHidden(model.hidden(ids, { training: true }).hidden), targets, weights), vars);
        const named: Record<string, tf.Tensor> = {};
        for (const [k, g] of Object.entries(grads)) named[nameOf.get(k)!] = g;
        if (acc === null) {
          acc = named;
          lossT = value;
        } else {
          const prev: Record<string, tf.Tensor> = acc;
          acc = Object.fromEntries(Object.entries(named).map(([k, g]) => [k, tf.add(prev[k]!, g)]));
          const l2: tf.Tensor = tf.add(lossT!, value);
          tf.dispose([...Object.values(prev), ...Object.values(named), lossT!, value]);
          lossT = l2;
        }
        tf.dispose([ids, targets, weights]);
        tokensTrained += b.realTokens;
      }
      // 3b. Clip, check, update.
      const { grads: clipped, norm } = clipByGlobalNorm(acc!, p.maxGradNorm);
      const both = tf.stack([lossT as tf.Scalar, norm]);
      const [loss, gradNorm] = Array.from(both.dataSync()) as [number, number];
      const lr = learningRateAt(step, schedule);
      // 3c. The step is recorded (as `step`, 1-based, the way the curve stores it) before the check,
      // so a divergence message names a point that is in the stored curve.
      step++;
      trainCurve.push({ step, value: Number.isFinite(gradNorm) ? loss : NaN });
      const d = checkDivergence({ train: trainCurve, val: [] }, vocabSize);
      if (!d) opt.step(clipped, lr);
      tf.dispose([both, norm, lossT!, ...Object.values(acc!), ...Object.values(clipped)]);
      const real = group.reduce((a, b) => a + b.realTokens, 0);
      const tps = real / ((performance.now() - ts) / 1000);
      const mem = meter.endStep();
      const ep = epoch + Math.min(1, (i + group.length) / batches.length);
      o.onEvent({
        type: 'step', step, epoch: ep, totalSteps, loss, learningRate: lr, gradNorm, tokensPerSecond: tps,
        metrics: [
          { step, epoch: ep, split: 'train', name: 'loss', value: loss },
          { step, epoch: ep, split: 'train', name: 'learning_rate', value: lr },
          { step, epoch: ep, split: 'train', name: 'tokens_per_second', value: tps },
          { step, epoch: ep, split: 'train', name: 'grad_norm', value: gradNorm },
          { step, epoch: ep, split: 'train', name: 'tensor_bytes', value: mem.tensorBytes },
          { step, epoch: ep, split: 'train', name: 'rss_bytes', value: mem.rssBytes },
        ],
      });
      if (d) {
        diverged = Number.isFinite(gradNorm) ? d.reason : `gradient norm ${gradNorm} at step ${step} (train loss ${loss})`;
        stop = true;
        break;
      }
      const epochEnd = i + p.gradientAccumulation >= batches.length;
      if (step % p.evalEvery === 0 || epochEnd || step === totalSteps) {
        if (await evaluate(epoch + 1)) {
          stop = true;
          break;
        }
      }
    }
  }
  if (!diverged && lastEvalStep !== step) await evaluate(p.epochs);
  // No validation split: the final weights are the checkpoint.
  if (!diverged && valBatches.length === 0) await saveBest(null);
  opt.dispose();
  const peaks = meter.stop();

  const summary: TrainSummary = {
    status: diverged ? 'diverged' : terminated ? 'stopped' : 'completed',
    plannedSteps: totalSteps,
    bestStep,
    bestValLoss: bestVal,
    finalValLoss: lastVal,
    stoppedEarly,
    steps: step,
    tokensTrained,
    trainableParams: method.trainableParams,
    totalParams: method.totalParams,
    adapterBytes,
    peakMemoryBytes: peaks.tensorBytes,
    peakRssBytes: peaks.rssBytes,
    estimatedMemoryBytes: o.memory.totalBytes,
    baseWeightBytes: method.baseWeightBytes,
    wallSeconds: (performance.now() - t0) / 1000,
    backend: o.backend.name,
    device: o.backend.device,
    checkpointPath: bestStep >= 0 || valBatches.length === 0 ? bestDir : '',
    promptFormat,
    ...(chatTemplate ? { chatTemplate } : {}),
    ...(diverged ? { divergenceReason: diverged } : {}),
  };
  o.onEvent({ type: 'end', summary, memory: o.memory });
  return summary;
}
