/**
 * LoRA and QLoRA on the Llama-family decoder: PEFT module names (`q_proj` ... `down_proj`,
 * `all-linear`), PEFT adapter layout and key names, loading an adapter back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { type LoraConfig, type LoraLinear, injectLora, loadLoraAdapter, targetKeys } from '../../src/model/lora.js';
import { prepareMethod } from '../../src/model/methods.js';
import { dequantizeModel, quantizeModelNf4 } from '../../src/model/qlora.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import type { LanguageModel } from '../../src/model/model.js';
import { UserInputError } from '../../src/errors.js';
import { maxAbsDiff, useWasm } from './helpers.js';

const FIX = resolve(__dirname, '../fixtures/llama');
const X = [[5, 80, 11, 32, 9, 60, 3]];
const ALL: LoraConfig = { r: 4, alpha: 8, dropout: 0, targetModules: ['all-linear'], useRslora: false };

function logits(m: LanguageModel): tf.Tensor {
  return tf.tidy(() => m.forward(tf.tensor2d(X, [1, X[0]!.length], 'int32')).logits);
}

function randomizeB(adapters: Map<string, LoraLinear>): void {
  let s = 1;
  for (const a of adapters.values()) a.loraB.assign(tf.randomNormal(a.loraB.shape, 0, 0.1, 'float32', s++));
}

describe('LoRA on Llama-family models', () => {
  beforeAll(useWasm);

  it('targets PEFT module names; all-linear is every block linear (never lm_head)', async () => {
    const m = await loadModel(join(FIX, 'qwen2'));
    expect(targetKeys(m, ['q_proj', 'v_proj'])).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(targetKeys(m, ['all-linear'])).toHaveLength(2 * 7);
    expect(() => targetKeys(m, ['c_attn'])).toThrow(UserInputError);
    const a = injectLora(m, { ...ALL, targetModules: ['k_proj'] }, 1).get('model.layers.0.self_attn.k_proj')!;
    expect(a.loraA.shape).toEqual([4, 48]); // [r, in]
    expect(a.loraB.shape).toEqual([24, 4]); // [out, r]: 3 KV heads x head_dim 8
    m.dispose();
  });

  it('a fresh adapter changes nothing; merged equals unmerged (biases, GQA, tied head)', async () => {
    const m = await loadModel(join(FIX, 'qwen2'));
    const before = logits(m);
    const { trainable } = await prepareMethod('lora', m, { lora: ALL, seed: 3, baseModelName: 'qwen2' });
    expect(trainable.size).toBe(2 * 14);
    const fresh = logits(m);
    expect(maxAbsDiff(before, fresh)).toBe(0);
    const adapters = new Map([...m.linears].filter(([, l]) => 'loraA' in l)) as Map<string, LoraLinear>;
    randomizeB(adapters);
    const unmerged = logits(m);
    expect(maxAbsDiff(before, unmerged)).toBeGreaterThan(1e-3);
    for (const a of adapters.values()) a.merge();
    const merged = logits(m);
    expect(maxAbsDiff(unmerged, merged)).toBeLessThan(1e-4);
    tf.dispose([before, fresh, unmerged, merged]);
    m.dispose();
  });

  it('saves PEFT layout and key names, all-linear expanded, fan_in_fan_out false; loads back into a fresh model', async () => {
    const m = await loadModel(join(FIX, 'llama'));
    const prepared = await prepareMethod('lora', m, { lora: ALL, seed: 3, baseModelName: '/models/tiny-llama' });
    const adapters = new Map([...m.linears].filter(([, l]) => 'loraA' in l)) as Map<string, LoraLinear>;
    randomizeB(adapters);
    const want = logits(m);
    const dir = mkdtempSync(join(tmpdir(), 'fte-lora-llama-'));
    await prepared.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, fan_in_fan_out: false, base_model_name_or_path: '/models/tiny-llama' });
    expect(cfg.target_modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    const { tensors } = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    expect(tensors.has('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toBe(true);
    expect(tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')!.shape).toEqual([32, 4]);
    expect(tensors.size).toBe(2 * 2 * 7);

    const fresh = await loadModel(join(FIX, 'llama'));
    const { adapters: loaded } = await loadLoraAdapter(fresh, dir);
    expect(loaded.size).toBe(14);
    const got = logits(fresh);
    expect(maxAbsDiff(want, got)).toBe(0);
    tf.dispose([want, got]);
    m.dispose();
    fresh.dispose();
  });

  it('QLoRA: NF4 linears without biases, fresh adapter = quantized base, dequantize + merge close to unmerged', async () => {
    const m = await loadModel(join(FIX, 'mistral'));
    const base = logits(m);
    const prepared = await prepareMethod('qlora', m, { lora: { ...ALL, targetModules: ['q_proj', 'down_proj'] }, seed: 1, baseModelName: 'mistral' });
    expect(prepared.baseWeightBytes).toBeLessThan(m.numParams * 4);
    expect(m.params.has('model.layers.0.self_attn.q_proj.weight')).toBe(false); // quantized away
    const q = logits(m);
    expect(maxAbsDiff(base, q)).toBeGreaterThan(0); // NF4 rounding
    // the same model quantized without adapters: a fresh adapter adds exactly nothing
    const ref = await loadModel(join(FIX, 'mistral'));
    await quantizeModelNf4(ref, true);
    const refQ = logits(ref);
    expect(maxAbsDiff(refQ, q)).toBe(0);
    tf.dispose(refQ);
    ref.dispose();
    const adapters = new Map([...m.linears].filter(([, l]) => 'loraA' in l)) as Map<string, LoraLinear>;
    randomizeB(adapters);
    const unmerged = logits(m);
    dequantizeModel(m);
    for (const a of adapters.values()) a.merge();
    const merged = logits(m);
    expect(maxAbsDiff(unmerged, merged)).toBeLessThan(1e-4);
    const dir = mkdtempSync(join(tmpdir(), 'fte-qlora-llama-'));
    await prepared.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({ fan_in_fan_out: false, target_modules: ['q_proj', 'down_proj'], fte_base_quantization: { quant_type: 'nf4' } });
    tf.dispose([base, q, unmerged, merged]);
    m.dispose();
  });

  it('full fine-tuning trains every weight under its checkpoint name', async () => {
    const m = await loadModel(join(FIX, 'llama'));
    const prepared = await prepareMethod('full', m, { lora: ALL, seed: 1, baseModelName: 'llama' });
    expect(prepared.trainableParams).toBe(m.numParams);
    expect(prepared.trainable.has('lm_head.weight')).toBe(true);
    expect(prepared.trainable.has('model.layers.1.mlp.gate_proj.weight')).toBe(true);
    m.dispose();
  });
});
