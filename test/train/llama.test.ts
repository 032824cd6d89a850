/**
 * Fine-tuning a Llama-architecture model through src/train: the tiny model folder
 * scripts/make-tiny-llama.ts writes (BF16 weights, tokenizer.json, chat template), chat rows rendered
 * with the template, LoRA on all-linear / QLoRA / full; the checkpoints load back for inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyLlama } from '../../scripts/make-tiny-llama.js';
import { normalizeRow } from '../../src/data/formats.js';
import type { Example } from '../../src/data/example.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { type TrainEvent, loadForInference, trainVariant } from '../../src/train/index.js';
import { generate } from '../../src/eval/generate.js';
import { params, tmp } from './helpers.js';
import { readConfig } from '../../src/model/config.js';
import { estimateTrainingMemory, loraParamCount, nf4BaseBytes } from '../../src/train/memory.js';

const chat = (user: string, answer: string): Example => {
  const r = normalizeRow({ messages: [{ role: 'system', content: 'Answer in one word.' }, { role: 'user', content: user }, { role: 'assistant', content: answer }] }, 1);
  if (!r.ok) throw new Error(r.error.message);
  return { ...r.example, id: user };
};
const DATA = [chat('Is this spam? Win a prize now!', 'spam'), chat('Is this spam? Lunch on Tuesday?', 'ham'), chat('Sky colour?', 'blue'), chat('Capital of France?', 'Paris')];

let base: string;
beforeAll(async () => {
  base = tmp('fte-tiny-llama-');
  await makeTinyLlama(base, { seed: 1 });
});

async function run(method: 'full' | 'lora' | 'qlora', over: Parameters<typeof params>[0], maxSteps?: number) {
  const events: TrainEvent[] = [];
  const outDir = tmp();
  const summary = await trainVariant({
    baseModelDir: base, method, params: params(over), train: DATA, val: DATA,
    earlyStopping: { patience: 100, minDelta: 0 }, outDir, backend: 'wasm', ...(maxSteps ? { maxSteps } : {}),
    onEvent: (e) => events.push(e),
  });
  return { summary, losses: events.flatMap((e) => (e.type === 'step' ? [e.loss] : [])), outDir };
}

describe('training a Llama-architecture model', () => {
  it('LoRA on all-linear learns the chat rows (loss on assistant turns) and saves a PEFT adapter', async () => {
    const { summary, losses } = await run('lora', { learningRate: 1e-2, epochs: 150, warmupSteps: 10, batchSize: 4, rank: 8, targetModules: ['all-linear'], evalEvery: 20 });
    expect(summary.status).toBe('completed');
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 4);
    const ckpt = summary.checkpointPath;
    const cfg = JSON.parse(readFileSync(join(ckpt, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    const { tensors } = await readSafetensors(join(ckpt, 'adapter_model.safetensors'));
    expect([...tensors.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(JSON.parse(readFileSync(join(ckpt, 'trainer_state.json'), 'utf8')).promptFormat).toBe('chat_template');

    // The adapter merged for inference answers the training prompts (rendered with the template) and stops at <|im_end|>.
    const lm = await loadForInference(base, ckpt, 'wasm');
    expect(lm.kind).toBe('lora');
    const template = lm.tokenizer.chatTemplate!;
    // the summary (stored with the run) and the checkpoint name the template the run trained with
    expect(summary).toMatchObject({ promptFormat: 'chat_template', chatTemplate: template.label });
    expect(JSON.parse(readFileSync(join(ckpt, 'trainer_state.json'), 'utf8')).chatTemplate).toBe(template.label);
    const prompts = DATA.map((d) => template.render((d.meta!.chatMessages as { role: string; content: string }[]).slice(0, -1), true));
    const gens = await generate(lm.model, lm.tokenizer, prompts, { maxNewTokens: 8 });
    expect(gens.map((g) => g.text)).toEqual(['spam', 'ham', 'blue', 'Paris']);
    expect(gens.every((g) => g.finishReason === 'eos')).toBe(true);
    lm.dispose();
  }, 120_000);

  it('QLoRA and full fine-tuning run; a full checkpoint is a Hugging Face Llama folder that loads back', async () => {
    const q = await run('qlora', { learningRate: 1e-2, epochs: 1, batchSize: 2, rank: 4, targetModules: ['q_proj', 'v_proj'] });
    expect(q.summary.status).toBe('completed');
    expect(q.losses).toHaveLength(2);
    const f = await run('full', { learningRate: 1e-3, epochs: 1, batchSize: 4 });
    expect(f.summary.status).toBe('completed');
    const ckpt = f.summary.checkpointPath;
    expect(existsSync(join(ckpt, 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'llama', torch_dtype: 'float32' });
    const { tensors } = await readSafetensors(join(ckpt, 'model.safetensors'));
    expect(tensors.get('model.layers.0.mlp.up_proj.weight')!.shape).toEqual([128, 64]); // [out, in] as transformers stores it
    const lm = await loadForInference(base, ckpt, 'wasm');
    expect(lm.kind).toBe('full');
    const l = tf.tidy(() => lm.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')).logits);
    expect(l.shape).toEqual([1, 3, lm.config.vocabSize]);
    l.dispose();
    lm.dispose();
  }, 120_000);
});

describe('memory estimate of a Llama-architecture model', () => {
  it('counts adapter parameters over the seven modules (all-linear) and NF4 bytes of the block linears', async () => {
    const c = await readConfig(base);
    // hidden 64, 4 heads x 16, 2 KV heads, intermediate 128: q/o 64x64, k/v 64x32, gate/up 64x128, down 128x64
    const perLayer = 8 * ((64 + 64) * 2 + (64 + 32) * 2 + (64 + 128) * 3);
    expect(loraParamCount(c, 8, ['all-linear'])).toBe(2 * perLayer);
    expect(loraParamCount(c, 8, ['q_proj', 'v_proj'])).toBe(2 * 8 * (128 + 96));
    const n = (await import('../../src/model/config.js')).countParams(c);
    expect(nf4BaseBytes(c, true)).toBeLessThan(4 * n);
    const m = estimateTrainingMemory(c, 'lora', { rank: 8, targetModules: ['all-linear'], batchSize: 4, seqLen: 64 });
    expect(m.trainableParams).toBe(2 * perLayer);
    expect(m.activationBytes).toBeGreaterThan(0);
  });
});
