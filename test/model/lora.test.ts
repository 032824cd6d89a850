import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2 } from '../../src/model/gpt2.js';
import { type LoraConfig, type LoraLinear, injectLora, loadLoraAdapter, loraScaling, loraVariables, saveLoraAdapter } from '../../src/model/lora.js';
import { prepareMethod } from '../../src/model/methods.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { UnknownNameError } from '../../src/errors.js';
import { TINY, ids, maxAbsDiff, useWasm } from './helpers.js';

const CFG: LoraConfig = { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'], useRslora: false };
const X = [[5, 80, 101, 32, 9, 200, 3]];

function logits(m: GPT2): tf.Tensor {
  return tf.tidy(() => m.forward(ids(X)).logits);
}

/** Give every B a non-zero value so the adapter matters. */
function randomizeB(adapters: Map<string, LoraLinear>, seed = 1): void {
  let s = seed;
  for (const a of adapters.values()) a.loraB.assign(tf.randomNormal(a.loraB.shape, 0, 0.1, 'float32', s++));
}

describe('LoRA', () => {
  beforeAll(useWasm);

  it.each([
    [{ r: 8, alpha: 16, useRslora: false }, 2],
    [{ r: 16, alpha: 16, useRslora: true }, 4],
    [{ r: 4, alpha: 1, useRslora: false }, 0.25],
  ])('scaling of %o is %f', (c, s) => expect(loraScaling(c)).toBe(s));

  it('A is Kaiming-uniform [r, in] within 1/sqrt(in), B is zeros [out, r]', () => {
    const m = GPT2.random(TINY, 1);
    const a = injectLora(m, CFG, 3).get('h.0.mlp.c_fc')!;
    expect(a.loraA.shape).toEqual([4, 16]);
    expect(a.loraB.shape).toEqual([64, 4]);
    const av = a.loraA.dataSync();
    expect(Math.max(...Array.from(av).map(Math.abs))).toBeLessThanOrEqual(1 / 4);
    expect(Array.from(a.loraB.dataSync()).every((v) => v === 0)).toBe(true);
    m.dispose();
  });

  it.each([['lora'], ['qlora']])('a zero-initialised adapter reproduces the base logits exactly (%s)', async (kind) => {
    const base = GPT2.random(TINY, 2);
    const ref = GPT2.random(TINY, 2);
    if (kind === 'qlora') {
      // QLoRA's base is the NF4-quantized model: compare against the same quantized model without adapters.
      const { quantizeModelNf4 } = await import('../../src/model/qlora.js');
      await quantizeModelNf4(ref, true);
    }
    const before = logits(ref);
    await prepareMethod(kind, base, { lora: CFG, seed: 1, baseModelName: 'tiny' });
    const after = logits(base);
    expect(maxAbsDiff(before, after)).toBe(0);
    tf.dispose([before, after]);
    base.dispose();
    ref.dispose();
  });

  it('merge gives the adapter forward; merge then unmerge restores the weights', () => {
    const m = GPT2.random(TINY, 3);
    const w0 = m.params.get('h.1.attn.c_attn.weight')!.dataSync().slice();
    const adapters = injectLora(m, CFG, 4);
    randomizeB(adapters);
    const unmerged = logits(m);
    for (const a of adapters.values()) a.merge();
    const merged = logits(m);
    expect(maxAbsDiff(unmerged, merged)).toBeLessThan(1e-4);
    const wm = m.params.get('h.1.attn.c_attn.weight')!.dataSync();
    expect(Math.max(...Array.from(wm).map((v, i) => Math.abs(v - w0[i]!)))).toBeGreaterThan(1e-4);
    for (const a of adapters.values()) a.unmerge();
    const w1 = m.params.get('h.1.attn.c_attn.weight')!.dataSync();
    for (let i = 0; i < w0.length; i++) expect(Math.abs(w1[i]! - w0[i]!)).toBeLessThan(1e-6);
    tf.dispose([unmerged, merged]);
    m.dispose();
  });

  it('deltaWeight is scaling * (B A)^T in Conv1D layout [in, out]', () => {
    const m = GPT2.random(TINY, 3);
    const a = injectLora(m, { ...CFG, targetModules: ['c_fc'] }, 4).get('h.0.mlp.c_fc')!;
    randomizeB(new Map([['x', a]]));
    const A = a.loraA.arraySync() as number[][];
    const B = a.loraB.arraySync() as number[][];
    const d = a.deltaWeight().arraySync() as number[][];
    expect([d.length, d[0]!.length]).toEqual([16, 64]);
    for (const [i, o] of [[0, 0], [3, 17], [15, 63]] as const) {
      const want = a.scaling * A.reduce((s, row, k) => s + B[o]![k]! * row[i]!, 0);
      expect(d[i]![o]).toBeCloseTo(want, 6);
    }
    m.dispose();
  });

  it('LoRA gradients match central-difference numerical gradients', () => {
    const m = GPT2.random({ ...TINY, nLayer: 1 }, 6);
    const adapters = injectLora(m, { ...CFG, targetModules: ['c_attn', 'c_fc'] }, 7);
    randomizeB(adapters, 3);
    const vars = loraVariables(adapters);
    const x = ids(X);
    const target = tf.tensor1d([80, 101, 32, 9, 200, 3, 4], 'int32');
    const lossFn = () => tf.tidy(() => tf.mean(tf.sum(tf.mul(tf.neg(tf.logSoftmax(tf.reshape(m.forward(x).logits, [7, 257]))), tf.oneHot(target, 257)), -1)) as tf.Scalar);
    const { grads } = tf.variableGrads(lossFn, [...vars.values()]);
    const h = 1e-2;
    let checked = 0;
    for (const [name, v] of vars) {
      const g = grads[v.name]!.dataSync();
      for (const idx of [0, 5, v.size - 1]) {
        const orig = v.dataSync().slice();
        const plus = orig.slice();
        plus[idx]! += h;
        v.assign(tf.tensor(plus, v.shape));
        const lp = lossFn().dataSync()[0]!;
        const minus = orig.slice();
        minus[idx]! -= h;
        v.assign(tf.tensor(minus, v.shape));
        const lm = lossFn().dataSync()[0]!;
        v.assign(tf.tensor(orig, v.shape));
        const num = (lp - lm) / (2 * h);
        expect(Math.abs(num - g[idx]!), `${name}[${idx}]: numerical ${num} analytic ${g[idx]}`).toBeLessThan(2e-3 + 0.05 * Math.abs(num));
        checked++;
      }
    }
    expect(checked).toBe(12);
    tf.dispose([x, target, ...Object.values(grads)]);
    m.dispose();
  });

  it('saves as PEFT (adapter_config.json + adapter_model.safetensors with PEFT key names) and loads back', async () => {
    const m = GPT2.random(TINY, 8);
    const adapters = injectLora(m, { ...CFG, targetModules: ['c_attn'] }, 9);
    randomizeB(adapters);
    const out = logits(m);
    const dir = mkdtempSync(join(tmpdir(), 'fte-lora-'));
    await saveLoraAdapter(dir, adapters, { ...CFG, targetModules: ['c_attn'] }, 'models/tiny');
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['c_attn'], use_rslora: false, base_model_name_or_path: 'models/tiny', bias: 'none' });
    const { tensors } = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    expect([...tensors.keys()].sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([48, 4]);
    const fresh = GPT2.random(TINY, 8);
    await loadLoraAdapter(fresh, dir);
    const back = logits(fresh);
    expect(maxAbsDiff(out, back)).toBe(0);
    tf.dispose([out, back]);
    m.dispose();
    fresh.dispose();
  });

  it('the dispatcher lists the supported methods on an unknown one', async () => {
    const m = GPT2.random(TINY, 1);
    await expect(prepareMethod('prefix-tuning', m, { lora: CFG, seed: 1, baseModelName: 'x' })).rejects.toThrow(UnknownNameError);
    await expect(prepareMethod('prefix-tuning', m, { lora: CFG, seed: 1, baseModelName: 'x' })).rejects.toThrow(/full, lora, qlora/);
    m.dispose();
  });
});
