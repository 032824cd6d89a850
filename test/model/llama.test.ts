/**
 * The Llama-family decoder against an independent reference: tiny random checkpoints in Hugging
 * Face layout (test/fixtures/llama, written by scripts/make-llama-fixtures.py with reference logits
 * from a plain PyTorch forward pass), covering GQA, q/k/v biases + tied head (qwen2, F16, 2 shards),
 * llama3 rope scaling (BF16), explicit head_dim + sliding window (mistral, 3 shards).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { Llama, initLlamaParams } from '../../src/model/llama.js';
import { llamaFromHfConfig, llamaParameterShapes, ropeInvFreq } from '../../src/model/llama-config.js';
import { countParams, parseModelConfig, readConfig, resolveTargetModules } from '../../src/model/config.js';
import { embeddingLookupT, rmsNorm, silu } from '../../src/model/ops.js';
import { readCheckpoint } from '../../src/model/safetensors.js';
import type { LanguageModel } from '../../src/model/model.js';
import { UserInputError } from '../../src/errors.js';
import { maxAbsDiff, useWasm } from './helpers.js';

const FIX = resolve(__dirname, '../fixtures/llama');
const CASES = ['llama', 'qwen2', 'llama3-rope', 'mistral'] as const;

interface Reference {
  input_ids: number[][];
  logits: number[][][];
  greedy: { prompt: number[]; tokens: number[] };
}
const reference = (name: string): Reference => JSON.parse(readFileSync(join(FIX, name, 'reference.json'), 'utf8'));

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

/** Greedy continuation of `prompt` by `n` tokens: with the KV cache (one token per step) or by recomputing the whole sequence each step. */
function greedy(m: LanguageModel, prompt: number[], n: number, cache: boolean): number[] {
  const V = m.config.vocabSize;
  const seq = [...prompt];
  const out: number[] = [];
  let past: { keys: tf.Tensor4D[]; values: tf.Tensor4D[]; length: number } | undefined;
  for (let i = 0; i < n; i++) {
    const input = cache && past ? [seq[seq.length - 1]!] : seq;
    const r = tf.tidy(() => {
      const { logits, present } = m.forward(ids([input]), cache ? { past, useCache: true } : {});
      const last = tf.reshape(tf.slice(logits, [0, input.length - 1, 0], [1, 1, V]), [V]);
      return { next: tf.argMax(last), present } as unknown as tf.TensorContainer;
    }) as unknown as { next: tf.Tensor; present: typeof past | null };
    if (past) tf.dispose([...past.keys, ...past.values]);
    past = r.present ?? undefined;
    const t = r.next.dataSync()[0]!;
    r.next.dispose();
    out.push(t);
    seq.push(t);
  }
  if (past) tf.dispose([...past.keys, ...past.values]);
  return out;
}

describe('Llama-family config', () => {
  it('parses the three families and counts parameters as the tensor shapes do', async () => {
    for (const name of CASES) {
      const c = await readConfig(join(FIX, name));
      const { tensors } = await readCheckpoint(join(FIX, name));
      const stored = [...tensors.values()].reduce((a, t) => a + t.data.length, 0);
      expect(countParams(c), name).toBe(stored);
    }
    const q = llamaFromHfConfig(JSON.parse(readFileSync(join(FIX, 'qwen2/config.json'), 'utf8')));
    expect(q).toMatchObject({ modelType: 'qwen2', qkvBias: true, oBias: false, tieWordEmbeddings: true, slidingWindow: null, nKvHead: 3, headDim: 8 });
    const m = llamaFromHfConfig(JSON.parse(readFileSync(join(FIX, 'mistral/config.json'), 'utf8')));
    expect(m).toMatchObject({ modelType: 'mistral', headDim: 16, slidingWindow: 5 });
    expect(llamaParameterShapes(m).find(([n]) => n === 'model.layers.0.self_attn.q_proj.weight')![1]).toEqual([64, 32]);
  });

  it('an unknown model_type names the known ones', () => {
    expect(() => parseModelConfig({ model_type: 'falcon' }, 'x/config.json')).toThrow("x/config.json: model_type 'falcon' is not supported; known: gpt2, llama, mistral, qwen2");
  });

  it.each([
    [{ num_key_value_heads: 3 }, /divisible by num_key_value_heads/],
    [{ hidden_act: 'gelu' }, /hidden_act 'gelu'/],
    [{ rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling type 'yarn'/],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /low_freq_factor/],
    [{ hidden_size: undefined }, /hidden_size/],
  ])('rejects %o', (patch, msg) => {
    const base = JSON.parse(readFileSync(join(FIX, 'llama/config.json'), 'utf8'));
    expect(() => llamaFromHfConfig({ ...base, ...patch })).toThrow(msg);
    expect(() => llamaFromHfConfig({ ...base, ...patch })).toThrow(UserInputError);
  });

  it('llama3 rope scaling keeps high frequencies, divides low ones by factor, smooths between', () => {
    const base = { headDim: 16, ropeTheta: 10000 };
    const plain = ropeInvFreq({ ...base, ropeScaling: null });
    const scaled = ropeInvFreq({ ...base, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 } });
    expect(plain[0]).toBe(1);
    expect(plain[1]).toBeCloseTo(10000 ** -(2 / 16), 7);
    expect(scaled[0]).toBe(plain[0]); // wavelength 6.3 < 32 / 4: kept
    expect(scaled[1]).toBeLessThan(plain[1]!); // 19.9: between 8 and 32, smoothed
    expect(scaled[1]).toBeGreaterThan(plain[1]! / 8);
    for (let i = 2; i < 8; i++) expect(scaled[i]).toBeCloseTo(plain[i]! / 8, 9); // > 32: / factor
  });

  it('all-linear expands to the seven PEFT module names; GPT-2 names are refused on Llama', async () => {
    const c = await readConfig(join(FIX, 'llama'));
    expect(resolveTargetModules(c, ['all-linear'])).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    expect(() => resolveTargetModules(c, ['c_attn'])).toThrow(/'c_attn' is not a linear layer of llama models; known: q_proj, .*down_proj, all-linear/);
  });
});

describe('Llama-family forward: parity with the PyTorch reference', () => {
  beforeAll(useWasm);

  it.each(CASES)('%s: logits match to 1e-4', async (name) => {
    const ref = reference(name);
    const m = await loadModel(join(FIX, name));
    const logits = tf.tidy(() => m.forward(ids(ref.input_ids)).logits);
    const want = tf.tensor3d(ref.logits);
    const diff = maxAbsDiff(logits, want);
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([logits, want]);
    m.dispose();
  });

  it.each(CASES)('%s: greedy decoding with and without the KV cache agree with the reference', async (name) => {
    const ref = reference(name);
    const m = await loadModel(join(FIX, name));
    const n = ref.greedy.tokens.length;
    expect(greedy(m, ref.greedy.prompt, n, true)).toEqual(ref.greedy.tokens);
    expect(greedy(m, ref.greedy.prompt, n, false)).toEqual(ref.greedy.tokens);
    m.dispose();
  });

  it.each(CASES)('%s: a left-padded row (attention mask) gives the unpadded logits at its real positions', async (name) => {
    const ref = reference(name);
    const m = await loadModel(join(FIX, name));
    const T = ref.input_ids[0]!.length;
    const real = 8;
    const row = [...Array(T - real).fill(0), ...ref.input_ids[0]!.slice(0, real)];
    const mask = [...Array(T - real).fill(0), ...Array(real).fill(1)];
    const got = tf.tidy(() => tf.slice(m.forward(ids([row, ref.input_ids[1]!]), { attentionMask: ids([mask, Array(T).fill(1)]) }).logits, [0, T - real, 0], [1, real, m.config.vocabSize]));
    const want = tf.tensor3d([ref.logits[0]!.slice(0, real)]);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    tf.dispose([got, want]);
    m.dispose();
  });

  it('fails on past + T beyond the context', async () => {
    const m = await loadModel(join(FIX, 'llama'));
    expect(() => tf.tidy(() => m.forward(ids([Array(65).fill(1)])).logits)).toThrow(/exceeds the model context \(64\)/);
    m.dispose();
  });
});

describe('Llama-family checkpoints', () => {
  beforeAll(useWasm);

  const copy = (name: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'fte-llama-'));
    cpSync(join(FIX, name), dir, { recursive: true });
    return dir;
  };

  it('names the first missing tensor, a wrong shape, an unexpected tensor', async () => {
    const dir = copy('mistral');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    delete index.weight_map['model.layers.1.mlp.up_proj.weight'];
    // the shard still holds the tensor but the index no longer names it: both are read, so it loads; drop the shard instead
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    rmSync(join(dir, 'model-00003-of-00003.safetensors'));
    await expect(loadModel(dir)).rejects.toThrow(/model-00003-of-00003\.safetensors: cannot read/);

    const cfgDir = copy('llama');
    const cfg = JSON.parse(readFileSync(join(cfgDir, 'config.json'), 'utf8'));
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 40 }));
    await expect(loadModel(cfgDir)).rejects.toThrow(/tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[48,32\], config\.json expects \[40,32\]/);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 1 }));
    await expect(loadModel(cfgDir)).rejects.toThrow(/unexpected tensor model\.layers\.1\./);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    await expect(loadModel(cfgDir)).rejects.toThrow(/missing tensor model\.layers\.2\.input_layernorm\.weight/);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gemma' }));
    await expect(loadModel(cfgDir)).rejects.toThrow(/model_type 'gemma' is not supported; known: gpt2, llama, mistral, qwen2/);
  });

  it('saves a full model in the same layout (names, [out, in] weights), sharded above the shard size, and loads it back identically', async () => {
    const m = await loadModel(join(FIX, 'qwen2'));
    const dir = mkdtempSync(join(tmpdir(), 'fte-llama-save-'));
    await (m as Llama).save(dir, {}, 40_000);
    const files = readdirSync(dir).sort();
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const saved = await readCheckpoint(dir);
    const orig = await readCheckpoint(join(FIX, 'qwen2'));
    expect([...saved.tensors.keys()].sort()).toEqual([...orig.tensors.keys()].sort());
    for (const [k, t] of orig.tensors) {
      expect(saved.tensors.get(k)!.shape, k).toEqual(t.shape);
      expect(Array.from(saved.tensors.get(k)!.data.slice(0, 8)), k).toEqual(Array.from(t.data.slice(0, 8)));
    }
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'qwen2', torch_dtype: 'float32', tie_word_embeddings: true, architectures: ['Qwen2ForCausalLM'] });
    const back = await loadModel(dir);
    const x = ids(reference('qwen2').input_ids);
    const [a, b] = tf.tidy(() => [m.forward(x).logits, back.forward(x).logits]);
    expect(maxAbsDiff(a!, b!)).toBe(0);
    tf.dispose([a!, b!, x]);
    // one file below the shard size; stale shards removed
    await (back as Llama).save(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    m.dispose();
    back.dispose();
  });

  it('random initialisation is deterministic per seed, in checkpoint layout', async () => {
    const c = await readConfig(join(FIX, 'llama'));
    if (!('modelType' in c)) throw new Error('expected a llama config');
    const a = initLlamaParams(c, 3).get('model.layers.0.self_attn.q_proj.weight')!;
    expect(Array.from(a.slice(0, 4))).toEqual(Array.from(initLlamaParams(c, 3).get('model.layers.0.self_attn.q_proj.weight')!.slice(0, 4)));
    expect(initLlamaParams(c, 3).get('model.norm.weight')![0]).toBe(1);
    const m = Llama.random(c, 1);
    expect(m.params.get('model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([32, 32]); // held [in, out]
    expect(m.params.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([48, 32]);
    m.dispose();
  });
});

describe('RMSNorm, SiLU and transposed-embedding gradients', () => {
  beforeAll(useWasm);

  it('match autodiff of the plain formulas', () => {
    const x = tf.randomNormal([5, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const g = tf.randomNormal([8], 1, 0.1, 'float32', 2) as tf.Tensor1D;
    const w = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
    const fused = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(silu(rmsNorm(a as tf.Tensor2D, b as tf.Tensor1D, 1e-5)), w)));
    const plain = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const n = tf.mul(tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), -1, true), 1e-5))), b);
      return tf.sum(tf.mul(tf.mul(n, tf.sigmoid(n)), w));
    });
    const [fx, fg] = fused([x, g]);
    const [px, pg] = plain([x, g]);
    expect(maxAbsDiff(fx!, px!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fg!, pg!)).toBeLessThan(1e-5);
    tf.dispose([x, g, w, fx!, fg!, px!, pg!]);
  });

  it('embeddingLookupT: gather of columns; its table gradient equals autodiff of the one-hot product', () => {
    const tableT = tf.randomNormal([6, 10], 0, 1, 'float32', 4) as tf.Tensor2D; // d 6, V 10
    const ids = tf.tensor1d([3, 0, 3, 9], 'int32');
    const w = tf.randomNormal([4, 6], 0, 1, 'float32', 5);
    const x = embeddingLookupT(tableT, ids);
    expect(x.shape).toEqual([4, 6]);
    expect(Array.from(x.dataSync().slice(0, 6))).toEqual(Array.from(tf.transpose(tableT).dataSync().slice(18, 24)));
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookupT(t as tf.Tensor2D, ids), w)))(tableT);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.oneHot(ids, 10), t, false, true), w)))(tableT);
    expect(maxAbsDiff(g1, g2)).toBeLessThan(1e-5);
    tf.dispose([tableT, ids, w, x, g1, g2]);
  });
});
