/**
 * Pretraining of a byte-level GPT-2 from scratch on the built-in corpus (src/train/corpus.ts): the
 * recipe of `models/fte-tiny-base`. Language-model loss on every token of random windows of
 * nCtx + 1 tokens, AdamW, linear warmup + cosine decay over `steps`, global-norm clipping, held-out
 * loss every `evalEvery` steps, checkpoint (config.json + model.safetensors) of the best held-out
 * loss every `checkpointEvery` steps and at the end, and a wall-time budget after which it stops
 * early (still saving). Deterministic for a seed and backend.
 *
 * Result: held-out bits per byte of the final model next to the unigram (byte-frequency) baseline
 * on the same held-out bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GPT2Config, countParams } from '../model/config.js';
import { GPT2 } from '../model/gpt2.js';
import { weightedCrossEntropy, tokenNll } from '../model/ops.js';
import { Rng } from '../random.js';
import { initBackend } from './backend.js';
import { loadPretrainCorpus, unigramBitsPerByte, type Corpus } from './corpus.js';
import { AdamW, clipByGlobalNorm } from './optimizer.js';
import { learningRateAt } from './schedule.js';

export interface PretrainOptions {
  outDir: string;
  config: GPT2Config;
  /**
   * Optimizer steps (the cosine schedule spans them). 0 = as many as fit in `timeBudgetSeconds`,
   * with the cosine following wall-time progress instead (the steps done are in the result).
   */
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  /** Final LR as a fraction of the peak. */
  minLrRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Stop after this many seconds of training (0 = no limit). */
  timeBudgetSeconds: number;
  /** Held-out windows for the periodic validation loss. */
  evalWindows: number;
  /** Held-out windows for the final bits-per-byte figure. */
  finalEvalWindows: number;
  backend: string;
  log?: (line: Record<string, unknown>) => void;
}

export const PRETRAIN_DEFAULTS: Omit<PretrainOptions, 'outDir' | 'config' | 'log'> = {
  steps: 1200,
  batchSize: 8,
  learningRate: 3e-3,
  warmupSteps: 50,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  maxGradNorm: 1,
  seed: 1337,
  evalEvery: 100,
  checkpointEvery: 100,
  timeBudgetSeconds: 0,
  evalWindows: 16,
  finalEvalWindows: 256,
  backend: 'auto',
};

export interface PretrainResult {
  config: GPT2Config;
  params: number;
  stepsDone: number;
  /** How the learning rate decayed. */
  schedule: string;
  stoppedByBudget: boolean;
  tokensSeen: number;
  wallSeconds: number;
  backend: string;
  device: string;
  bestValLoss: number;
  bestStep: number;
  heldOutBitsPerByte: number;
  unigramBitsPerByte: number;
  heldOutBytesEvaluated: number;
  corpus: Corpus['sources'];
  options: Omit<PretrainOptions, 'log'>;
}

/** Windows [n, T+1] starting at `starts` from a token stream. */
function windows(stream: Uint16Array, starts: number[], T: number): Int32Array {
  const out = new Int32Array(starts.length * (T + 1));
  starts.forEach((s, i) => out.set(stream.subarray(s, s + T + 1), i * (T + 1)));
  return out;
}

/** Split a [n, T+1] window batch into inputs [n, T] and targets [n*T] tensors. */
function toTensors(w: Int32Array, n: number, T: number): { ids: tf.Tensor2D; targets: tf.Tensor1D } {
  const ids = new Int32Array(n * T);
  const tg = new Int32Array(n * T);
  for (let i = 0; i < n; i++) {
    ids.set(w.subarray(i * (T + 1), i * (T + 1) + T), i * T);
    tg.set(w.subarray(i * (T + 1) + 1, (i + 1) * (T + 1)), i * T);
  }
  return { ids: tf.tensor2d(ids, [n, T], 'int32'), targets: tf.tensor1d(tg, 'int32') };
}

/** Mean NLL (nats) over non-eos targets of held-out windows, in chunks of `chunk` windows. */
function heldOutNll(model: GPT2, w: Int32Array, n: number, T: number, chunk = 8): { nats: number; count: number } {
  let nats = 0;
  let count = 0;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const { ids, targets } = toTensors(w.subarray(s * (T + 1), (s + m) * (T + 1)), m, T);
    const nll = tf.tidy(() => tokenNll(model.logitsFromHidden(model.hidden(ids).hidden), targets));
    const v = nll.dataSync();
    const t = targets.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (t[i] === 256) continue;
      nats += v[i]!;
      count++;
    }
    tf.dispose([nll, ids, targets]);
  }
  return { nats: nats / count, count };
}

export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const log = o.log ?? (() => {});
  const be = await initBackend(o.backend);
  const T = o.config.nCtx;
  const corpus = loadPretrainCorpus();
  log({ event: 'corpus', sources: corpus.sources, trainTokens: corpus.train.length, valTokens: corpus.val.length });

  // 1. Fixed held-out windows: evenly spaced, non-overlapping.
  const maxVal = Math.floor((corpus.val.length - 1) / (T + 1));
  const nFinal = Math.min(o.finalEvalWindows, maxVal);
  const stride = Math.floor((corpus.val.length - T - 1) / nFinal);
  const finalStarts = Array.from({ length: nFinal }, (_, i) => i * stride);
  const finalW = windows(corpus.val, finalStarts, T);
  const evalN = Math.min(o.evalWindows, nFinal);
  const evalW = windows(corpus.val, finalStarts.filter((_, i) => i % Math.floor(nFinal / evalN) === 0).slice(0, evalN), T);

  // 2. Model and optimizer.
  const model = GPT2.random(o.config, o.seed);
  const opt = new AdamW(model.params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: o.weightDecay });
  const vars = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  const rng = new Rng(o.seed);
  await mkdir(o.outDir, { recursive: true });

  const t0 = performance.now();
  let bestVal = Infinity;
  let bestStep = -1;
  let step = 0;
  let stoppedByBudget = false;
  const evalNow = (): number => heldOutNll(model, evalW, evalN, T).nats;
  const saveIfBest = async (val: number) => {
    if (val < bestVal) {
      bestVal = val;
      bestStep = step;
      await model.save(o.outDir, { fte_step: String(step), fte_val_loss: String(val) });
      log({ event: 'checkpoint', step, valLoss: val, dir: o.outDir });
    }
  };

  // 3. Loop. With steps = 0 the cosine follows wall-time progress (elapsed / budget) instead of
  // step / steps, so the learning rate is fully decayed when the budget ends however busy the
  // machine is; the steps actually done are recorded.
  const timeBased = o.steps <= 0;
  if (timeBased && !(o.timeBudgetSeconds > 0)) throw new Error('pretrain: steps 0 (time-based schedule) needs a time budget');
  const totalSteps = timeBased ? Number.MAX_SAFE_INTEGER : o.steps;
  const progressSteps = 1_000_000; // resolution of the time-based progress
  for (; step < totalSteps; step++) {
    const ts = performance.now();
    const starts = Array.from({ length: o.batchSize }, () => rng.int(corpus.train.length - T - 1));
    const { ids, targets } = toTensors(windows(corpus.train, starts, T), o.batchSize, T);
    const w = tf.fill([o.batchSize * T], 1 / (o.batchSize * T)) as tf.Tensor1D;
    const lr = timeBased
      ? step < o.warmupSteps
        ? learningRateAt(step, { peak: o.learningRate, warmupSteps: o.warmupSteps, totalSteps: 1, kind: 'cosine' })
        : learningRateAt(Math.round(Math.min(1, (performance.now() - t0) / 1000 / o.timeBudgetSeconds) * progressSteps), { peak: o.learningRate, warmupSteps: 0, totalSteps: progressSteps, kind: 'cosine', minRatio: o.minLrRatio })
      : learningRateAt(step, { peak: o.learningRate, warmupSteps: o.warmupSteps, totalSteps: o.steps, kind: 'cosine', minRatio: o.minLrRatio });
    const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logitsFromHidden(model.hidden(ids).hidden), targets, w), vars);
    const named: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) named[nameOf.get(k)!] = g;
    const { grads: clipped, norm } = clipByGlobalNorm(named, o.maxGradNorm);
    const [loss, gnorm] = [value.dataSync()[0]!, norm.dataSync()[0]!];
    if (Number.isFinite(loss) && Number.isFinite(gnorm)) opt.step(clipped, lr);
    tf.dispose([value, norm, ids, targets, w, ...Object.values(grads), ...Object.values(clipped)]);
    const stepMs = performance.now() - ts;
    if (!Number.isFinite(loss)) {
      log({ event: 'diverged', step, loss });
      break;
    }
    if (step % 10 === 0) log({ event: 'step', step, loss, lr, gradNorm: gnorm, tokensPerSecond: (o.batchSize * T) / (stepMs / 1000), elapsed: (performance.now() - t0) / 1000, tensors: tf.memory().numTensors });
    const last = step === totalSteps - 1;
    const over = o.timeBudgetSeconds > 0 && (performance.now() - t0) / 1000 > o.timeBudgetSeconds;
    if ((step + 1) % o.evalEvery === 0 || last || over) {
      const val = evalNow();
      log({ event: 'eval', step, valLoss: val, valBitsPerByte: val / Math.LN2 });
      if ((step + 1) % o.checkpointEvery === 0 || last || over) await saveIfBest(val);
    }
    if (over) {
      stoppedByBudget = true;
      step++;
      break;
    }
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  // 4. Final held-out bits per byte of the saved (best) checkpoint's weights: reload them.
  model.dispose();
  opt.dispose();
  const { loadGPT2 } = await import('../model/gpt2.js');
  const best = await loadGPT2(o.outDir);
  const { nats, count } = heldOutNll(best, finalW, nFinal, T);
  best.dispose();
  const targetsOnly: number[] = [];
  for (let i = 0; i < nFinal; i++) for (let j = 1; j <= T; j++) targetsOnly.push(finalW[i * (T + 1) + j]!);
  const result: PretrainResult = {
    config: o.config,
    params: countParams(o.config),
    stepsDone: step,
    schedule: timeBased ? `cosine over wall time (${o.timeBudgetSeconds} s) after ${o.warmupSteps} warmup steps` : `cosine over ${o.steps} steps after ${o.warmupSteps} warmup steps`,
    stoppedByBudget,
    tokensSeen: step * o.batchSize * T,
    wallSeconds,
    backend: be.name,
    device: be.device,
    bestValLoss: bestVal,
    bestStep,
    heldOutBitsPerByte: nats / Math.LN2,
    unigramBitsPerByte: unigramBitsPerByte(corpus.train, targetsOnly),
    heldOutBytesEvaluated: count,
    corpus: corpus.sources,
    options: Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'log')) as Omit<PretrainOptions, 'log'>,
  };
  await writeFile(join(o.outDir, 'pretrain_result.json'), JSON.stringify(result, null, 2) + '\n');
  log({ event: 'end', ...result });
  return result;
}
