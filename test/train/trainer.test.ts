import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGPT2 } from '../../src/model/gpt2.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { type TrainEvent, loadForInference, trainVariant } from '../../src/train/index.js';
import { FOUR, params, tinyBase, tmp } from './helpers.js';

let base: string;
beforeAll(async () => {
  base = await tinyBase(1);
});

async function run(method: 'full' | 'lora' | 'qlora', over: Parameters<typeof params>[0], opts: { maxSteps?: number; val?: typeof FOUR; patience?: number; minDelta?: number } = {}) {
  const events: TrainEvent[] = [];
  const outDir = tmp();
  const summary = await trainVariant({
    baseModelDir: base, method, params: params(over), train: FOUR, val: opts.val ?? FOUR,
    earlyStopping: { patience: opts.patience ?? 100, minDelta: opts.minDelta ?? 0 }, outDir, backend: 'wasm', maxSteps: opts.maxSteps,
    onEvent: (e) => events.push(e),
  });
  const losses = events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
  return { summary, events, losses, outDir };
}

describe('trainer', () => {
  it('overfits a 4-example batch to near-zero loss (full fine-tuning)', async () => {
    const { summary, losses } = await run('full', { learningRate: 1e-2, epochs: 150, batchSize: 4, evalEvery: 50 });
    expect(summary.status).toBe('completed');
    expect(losses[0]).toBeGreaterThan(3);
    expect(losses.at(-1)!).toBeLessThan(0.05);
    expect(summary.bestValLoss!).toBeLessThan(0.05);
  });

  it('LoRA overfits too and its loss falls', async () => {
    const { losses } = await run('lora', { learningRate: 3e-2, epochs: 150, batchSize: 4, rank: 8, targetModules: ['c_attn', 'c_fc'] });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 3);
  });

  it.each([['full'], ['lora'], ['qlora']] as const)('the same seed gives the same losses twice (%s)', async (method) => {
    const a = await run(method, { learningRate: 1e-2, epochs: 3, batchSize: 2, seed: 7, dropout: 0.1 });
    const b = await run(method, { learningRate: 1e-2, epochs: 3, batchSize: 2, seed: 7, dropout: 0.1 });
    expect(a.losses.length).toBe(6);
    expect(b.losses).toEqual(a.losses);
    const c = await run(method, { learningRate: 1e-2, epochs: 3, batchSize: 2, seed: 8, dropout: 0.1 });
    expect(c.losses).not.toEqual(a.losses);
  });

  it('a learning rate of 1e3 ends diverged, not with an exception (full fine-tuning)', async () => {
    const { summary, events } = await run('full', { learningRate: 1e3, epochs: 50, batchSize: 4, maxGradNorm: 0 });
    expect(summary.status).toBe('diverged');
    expect(summary.divergenceReason).toMatch(/loss|norm/);
    expect(events.at(-1)!.type).toBe('end');
    // The message names the last stored step of the curve (not the step before it).
    const last = events.filter((e) => e.type === 'step').at(-1)!;
    expect(summary.divergenceReason).toContain(`at step ${last.step}`);
    expect(summary.steps).toBe(last.step);
  });

  it('the divergence message names a step and a loss that are in the stored curves (full, lr 1)', async () => {
    const { summary, events } = await run('full', { learningRate: 1, epochs: 4, batchSize: 2, evalEvery: 1 }, { patience: 100 });
    expect(summary.status).toBe('diverged');
    const m = /(\S+) at step (\d+)/.exec(summary.divergenceReason!)!;
    const [value, step] = [Number(m[1]), Number(m[2])];
    const stored = events.flatMap((e) => (e.type === 'step' || e.type === 'eval' ? e.metrics.filter((x) => x.name === 'loss') : []));
    expect(stored.some((x) => x.step === step && Number(x.value.toPrecision(4)) === Number(value.toPrecision(4)))).toBe(true);
    expect(Math.max(...stored.map((x) => x.step))).toBe(step);
  });

  it.each([['lora'], ['qlora']] as const)('a NaN loss ends diverged, not with an exception (%s)', async (method) => {
    // LoRA cannot blow the logits up (ln_f and the tied head are frozen), so poison the base instead.
    const { GPT2, initParams } = await import('../../src/model/gpt2.js');
    const w = initParams((await import('./helpers.js')).SMALL, 3);
    w.get('h.1.mlp.c_fc.bias')![5] = NaN;
    const dir = tmp('fte-nan-');
    const m = new GPT2((await import('./helpers.js')).SMALL, w);
    await m.save(dir);
    m.dispose();
    const summary = await trainVariant({ baseModelDir: dir, method, params: params({ learningRate: 1e-3, epochs: 2, batchSize: 2 }), train: FOUR, val: FOUR, earlyStopping: { patience: 3, minDelta: 0 }, outDir: tmp(), backend: 'wasm', onEvent: () => {} });
    // The step that produced NaN is stored in the curve as step 1 (no update was applied).
    expect(summary).toMatchObject({ status: 'diverged', steps: 1, checkpointPath: '' });
  });

  it.each([['lora'], ['qlora']] as const)('only adapter parameters change under %s', async (method) => {
    const { summary } = await run(method, { learningRate: 1e-2, epochs: 5, batchSize: 2, targetModules: ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'] });
    // The base folder is untouched and the checkpoint holds only adapters ...
    const { tensors } = await readSafetensors(join(summary.checkpointPath, 'adapter_model.safetensors'));
    expect([...tensors.keys()].every((k) => /lora_[AB]\.weight$/.test(k))).toBe(true);
    expect([...tensors.keys()].length).toBe(2 * 4 * 2);
    // ... B moved away from zero, and loading base + adapter changes the logits relative to the base.
    expect([...tensors].filter(([k]) => k.endsWith('lora_B.weight')).some(([, t]) => Array.from(t.data).some((v) => v !== 0))).toBe(true);
    const plain = await loadGPT2(base);
    const w = await plain.weights();
    const fresh = await loadGPT2(base);
    const w2 = await fresh.weights();
    for (const [k, v] of w) expect(Array.from(w2.get(k)!.data)).toEqual(Array.from(v.data));
    plain.dispose();
    fresh.dispose();
    expect(summary.trainableParams).toBeLessThan(summary.totalParams / 5);
  });

  it('training under LoRA leaves every base variable bit-identical (in-process check)', async () => {
    const { GPT2 } = await import('../../src/model/gpt2.js');
    const { prepareMethod } = await import('../../src/model/methods.js');
    const { runTraining } = await import('../../src/train/trainer.js');
    const { ByteTokenizer } = await import('../../src/model/tokenizer.js');
    const { initBackend } = await import('../../src/train/backend.js');
    const { estimateTrainingMemory } = await import('../../src/train/memory.js');
    const m = await loadGPT2(base);
    const before = new Map([...m.params].map(([k, v]) => [k, v.dataSync().slice()]));
    const p = params({ learningRate: 1e-2, epochs: 3, batchSize: 2, targetModules: ['c_attn', 'c_fc'] });
    const method = await prepareMethod('lora', m, { lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'c_fc'], useRslora: false }, seed: 1, baseModelName: base });
    const adaptersBefore = [...method.trainable.values()].map((v) => v.dataSync().slice());
    await runTraining({ model: m, method, tokenizer: new ByteTokenizer(), train: FOUR, val: FOUR, params: p, earlyStopping: { patience: 9, minDelta: 0 }, outDir: tmp(), backend: await initBackend('wasm'), memory: estimateTrainingMemory(m.config, 'lora', { rank: 4, targetModules: ['c_attn'], batchSize: 2, seqLen: 64 }), onEvent: () => {} });
    for (const [k, v] of m.params) expect(Array.from(v.dataSync()), k).toEqual(Array.from(before.get(k)!));
    const adaptersAfter = [...method.trainable.values()].map((v) => v.dataSync());
    expect(adaptersAfter.some((a, i) => a.some((v, j) => v !== adaptersBefore[i]![j]))).toBe(true);
    m.dispose();
    void GPT2;
  });

  it('emits step/eval/checkpoint/end events with StepMetric rows and keeps the best-validation checkpoint', async () => {
    const { summary, events, outDir } = await run('lora', { learningRate: 1e-2, epochs: 4, batchSize: 2, evalEvery: 3 });
    const kinds = new Set(events.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['checkpoint', 'end', 'eval', 'step']);
    const step = events.find((e) => e.type === 'step')!;
    expect(step.type === 'step' && step.metrics.map((m) => m.name).sort()).toEqual(['grad_norm', 'learning_rate', 'loss', 'rss_bytes', 'tensor_bytes', 'tokens_per_second']);
    // evaluated every 3 steps and at each epoch end (2 steps per epoch): steps 2, 3, 4, 6, 8
    expect(events.flatMap((e) => (e.type === 'eval' ? [e.step] : []))).toEqual([2, 3, 4, 6, 8]);
    expect(summary.checkpointPath).toBe(join(outDir, 'best'));
    const state = JSON.parse(readFileSync(join(outDir, 'best', 'trainer_state.json'), 'utf8'));
    expect(state.step).toBe(summary.bestStep);
    expect(state.bestValLoss).toBe(summary.bestValLoss);
    expect(existsSync(join(outDir, 'best', 'adapter_config.json'))).toBe(true);
    expect(summary).toMatchObject({ status: 'completed', steps: 8, backend: 'wasm' });
    // the built-in byte model has no chat template: flat prompt + completion text, said in the summary and the checkpoint
    expect(summary.promptFormat).toBe('flat');
    expect(summary).not.toHaveProperty('chatTemplate');
    expect(state.promptFormat).toBe('flat');
    expect(summary.tokensTrained).toBeGreaterThan(0);
    expect(summary.peakMemoryBytes).toBeGreaterThan(summary.baseWeightBytes);
    // the measured peak is the highest step's tensor high-water mark (or an evaluation's)
    const stepPeaks = events.flatMap((e) => (e.type === 'step' ? e.metrics.filter((m) => m.name === 'tensor_bytes').map((m) => m.value) : []));
    expect(summary.peakMemoryBytes).toBeGreaterThanOrEqual(Math.max(...stepPeaks));
    expect(summary.estimatedMemoryBytes).toBeGreaterThan(0);
  });

  it('full fine-tuning applies the checkpoint\'s dropout in training and saves it back in config.json', async () => {
    const { SMALL } = await import('./helpers.js');
    const dropBase = await tinyBase(1, { ...SMALL, attnPdrop: 0.1, residPdrop: 0.1, embdPdrop: 0.1 });
    const go = async (dir: string) => {
      const events: TrainEvent[] = [];
      const s = await trainVariant({
        baseModelDir: dir, method: 'full', params: params({ learningRate: 1e-3, epochs: 1, batchSize: 2 }), train: FOUR, val: FOUR.slice(0, 2),
        earlyStopping: { patience: 10, minDelta: 0 }, outDir: tmp(), backend: 'wasm', maxSteps: 2, onEvent: (e) => events.push(e),
      });
      return { s, losses: events.flatMap((e) => (e.type === 'step' ? [e.loss] : [])) };
    };
    const [plain, dropped, again] = [await go(base), await go(dropBase), await go(dropBase)];
    // same weights (seed 1), so the first step's loss differs only by dropout; the masks are seeded
    expect(dropped.losses[0]).not.toBeCloseTo(plain.losses[0]!, 6);
    expect(again.losses).toEqual(dropped.losses);
    const saved = JSON.parse(readFileSync(join(dropped.s.checkpointPath, 'config.json'), 'utf8'));
    expect(saved).toMatchObject({ attn_pdrop: 0.1, resid_pdrop: 0.1, embd_pdrop: 0.1 });
  });

  it('stops early when validation loss stops improving (patience)', async () => {
    // lr so high the val loss worsens after the first evaluations
    const { summary } = await run('full', { learningRate: 0.3, epochs: 40, batchSize: 2, evalEvery: 1, maxGradNorm: 1 }, { patience: 2, minDelta: 0.5 });
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.steps).toBeLessThan(80);
  });

  it('onValidation true stops the run there with status stopped, keeping the best checkpoint and the planned steps', async () => {
    const asked: [number, number][] = [];
    const summary = await trainVariant({
      baseModelDir: base, method: 'lora', params: params({ learningRate: 1e-2, epochs: 10, batchSize: 2, evalEvery: 1 }), train: FOUR, val: FOUR,
      earlyStopping: { patience: 100, minDelta: 0 }, outDir: tmp(), backend: 'wasm', onEvent: () => {},
      onValidation: async (iteration, best) => {
        asked.push([iteration, best]);
        return iteration === 3;
      },
    });
    expect(asked.map(([i]) => i)).toEqual([1, 2, 3]);
    expect(summary.status).toBe('stopped');
    expect(summary.steps).toBe(3);
    expect(summary.plannedSteps).toBe(20);
    expect(summary.bestValLoss).toBe(Math.min(...asked.map(([, b]) => b)));
    expect(existsSync(summary.checkpointPath)).toBe(true);
  });

  it('a trained full checkpoint and a LoRA adapter load for inference', async () => {
    for (const method of ['full', 'lora', 'qlora'] as const) {
      const { summary } = await run(method, { learningRate: 1e-2, epochs: 2, batchSize: 4 });
      const lm = await loadForInference(base, summary.checkpointPath, 'wasm');
      expect(lm.kind).toBe(method);
      const shape = tf.tidy(() => lm.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')).logits.shape);
      expect(shape).toEqual([1, 3, 257]);
      lm.dispose();
    }
  });

  it('an aborted signal stops training with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(trainVariant({
      baseModelDir: base, method: 'lora', params: params({ epochs: 2, batchSize: 2 }), train: FOUR, val: FOUR,
      earlyStopping: { patience: 3, minDelta: 0 }, outDir: tmp(), backend: 'wasm', signal: ac.signal, onEvent: () => {},
    })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a folder that is neither an adapter nor a model is a user error', async () => {
    await expect(loadForInference(base, tmp(), 'wasm')).rejects.toThrow(/not a checkpoint/);
  });

  it('leaks no tensors across a whole run', async () => {
    const before = tf.memory().numTensors;
    await run('qlora', { learningRate: 1e-2, epochs: 2, batchSize: 2, gradientAccumulation: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
