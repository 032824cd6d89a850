/**
 * Training throughput of fte's TensorFlow.js trainer: tokens/s of full, LoRA and QLoRA training
 * steps on the built-in model (models/fte-tiny-base config) and on the reference config of issue 4
 * (d_model 128, 2 layers, 4 heads, context 64, batch 8, vocab 512), on every tfjs backend that loads
 * here, median of repeated steps, with the time split into data / forward / backward / optimizer.
 *
 *   npx jiti bench/llama-throughput.ts [--repeats 7] [--backends wasm,cpu] [--configs builtin,reference,smollm2] [--train-seq N] [--json]
 *
 * "forward" is a forward-only loss; "backward" is (forward + backward under tf.variableGrads) minus
 * it; "optimizer" is global-norm clipping + the AdamW update; "data" builds the batch tensors.
 * tokens/s = batch tokens / (data + forward-and-backward + optimizer). Everything is synchronous on
 * the CPU backends (a dataSync ends each phase).
 *
 * Where Python's torch imports (Debian: apt-get install python3-torch), the same script runs
 * bench/llama-throughput.py on an identical PyTorch model (same shapes, AdamW, LoRA) in the same run
 * and prints fte's tokens/s as a ratio of PyTorch's.
 *
 * `--configs smollm2` (not in the default list: minutes per backend) measures a Llama-architecture
 * model shaped as SmolLM2-135M (random weights: d 576, 30 layers, 9 heads, 3 KV heads, head_dim 64,
 * MLP 1536, vocab 49,152, tied embeddings, context 512) on wasm / tensorflow (tfjs's plain-JS cpu
 * backend is skipped: minutes per forward): forward tokens/s (batch 1 x 512), LoRA training tokens/s
 * (all-linear, r 8, batch 1 x 128 (see LLAMA_CASES), AdamW), generation tokens/s (greedy with the KV cache, 64 new
 * tokens after a 64-token prompt; prefill timed apart), and peak resident memory of the process; the
 * PyTorch twin (bench/llama-throughput.py, `llama` cases) runs the same shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { type GPT2Config, fromHfConfig } from '../src/model/config.js';
import { GPT2 } from '../src/model/gpt2.js';
import { Llama } from '../src/model/llama.js';
import { type LlamaConfig, llamaFromHfConfig } from '../src/model/llama-config.js';
import { decodeIds } from '../src/eval/generate.js';
import { prepareMethod } from '../src/model/methods.js';
import { weightedCrossEntropy } from '../src/model/ops.js';
import { Rng } from '../src/random.js';
import { initBackend } from '../src/train/backend.js';
import { AdamW, clipByGlobalNorm } from '../src/train/optimizer.js';

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '7' },
    backends: { type: 'string', default: 'tensorflow,wasm,cpu' },
    configs: { type: 'string', default: 'builtin,reference' },
    methods: { type: 'string', default: 'full,lora,qlora' },
    'train-seq': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

interface Case { name: string; config: GPT2Config; batch: number; seq: number }
const builtinConfig = existsSync('models/fte-tiny-base/config.json')
  ? fromHfConfig(JSON.parse(readFileSync('models/fte-tiny-base/config.json', 'utf8')))
  : { vocabSize: 257, nCtx: 256, nEmbd: 160, nLayer: 3, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' as const };
const CASES: Record<string, Case> = {
  builtin: { name: `built-in (d${builtinConfig.nEmbd}/${builtinConfig.nLayer}L/${builtinConfig.nHead}H, batch 8 x 256)`, config: builtinConfig, batch: 8, seq: 256 },
  reference: { name: 'reference (d128/2L/4H, vocab 512, batch 8 x 64)', config: { vocabSize: 512, nCtx: 64, nEmbd: 128, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-5, tokenizer: 'byte' }, batch: 8, seq: 64 },
};

/** SmolLM2-135M's config.json shape (HuggingFaceTB/SmolLM2-135M), context cut to 512 for the bench. */
const SMOLLM2: LlamaConfig = llamaFromHfConfig({
  model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true, hidden_act: 'silu',
});
/**
 * `trainSeq` (`--train-seq`, default 128): LoRA training at 1 x 512 and at 1 x 256 aborts the
 * WebAssembly backend (out of its heap: tfjs's tape keeps every intermediate tensor of the forward
 * pass, for 30 layers and seven adapters each, until the gradients are computed), so training
 * tokens/s are measured on shorter sequences.
 */
const LLAMA_CASES: Record<string, { name: string; config: LlamaConfig; seq: number; trainSeq: number; prompt: number; newTokens: number }> = {
  smollm2: { name: 'SmolLM2-135M shape (d576/30L/9H/3KV, vocab 49152)', config: SMOLLM2, seq: 512, trainSeq: 128, prompt: 64, newTokens: 64 },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row { backend: string; case: string; method: string; tokensPerSecond: number; ms: { data: number; forward: number; backward: number; optimizer: number; step: number }; trainableParams: number }

async function measure(backend: string, c: Case, method: string, repeats: number): Promise<Row> {
  const model = GPT2.random(c.config, 1);
  const prep = await prepareMethod(method, model, { lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false }, seed: 1, baseModelName: 'bench' });
  const vars = [...prep.trainable.values()];
  const nameOf = new Map([...prep.trainable].map(([n, v]) => [v.name, n]));
  const opt = new AdamW(prep.trainable, { weightDecay: 0.01 });
  const rng = new Rng(2);
  const { batch: B, seq: T } = c;
  const n = B * T;
  const phases = { data: [] as number[], forward: [] as number[], backward: [] as number[], optimizer: [] as number[], step: [] as number[] };
  for (let r = 0; r < repeats + 1; r++) {
    let t = performance.now();
    const idsArr = Int32Array.from({ length: n }, () => rng.int(c.config.vocabSize - 1));
    const ids = tf.tensor2d(idsArr, [B, T], 'int32');
    const targets = tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(c.config.vocabSize - 1)), 'int32');
    const weights = tf.fill([n], 1 / n) as tf.Tensor1D;
    const tData = performance.now() - t;
    const loss = () => weightedCrossEntropy(model.logitsFromHidden(model.hidden(ids, { training: true }).hidden), targets, weights);
    t = performance.now();
    const l0 = tf.tidy(loss);
    l0.dataSync();
    l0.dispose();
    const tFwd = performance.now() - t;
    t = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dataSync();
    const tFwdBwd = performance.now() - t;
    t = performance.now();
    const named: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) named[nameOf.get(k)!] = g;
    const { grads: clipped, norm } = clipByGlobalNorm(named, 1);
    norm.dataSync();
    opt.step(clipped, 1e-4);
    vars[0]!.dataSync();
    const tOpt = performance.now() - t;
    tf.dispose([ids, targets, weights, value, norm, ...Object.values(grads), ...Object.values(clipped)]);
    if (r === 0) continue; // warm-up (kernel setup, wasm heap growth)
    phases.data.push(tData);
    phases.forward.push(tFwd);
    phases.backward.push(tFwdBwd - tFwd);
    phases.optimizer.push(tOpt);
    phases.step.push(tData + tFwdBwd + tOpt);
  }
  opt.dispose();
  model.dispose();
  const ms = { data: median(phases.data), forward: median(phases.forward), backward: median(phases.backward), optimizer: median(phases.optimizer), step: median(phases.step) };
  return { backend, case: c.name, method, tokensPerSecond: n / (ms.step / 1000), ms, trainableParams: prep.trainableParams };
}

interface LlamaRow {
  backend: string;
  case: string;
  params: number;
  forwardTokensPerSecond: number;
  loraTrainTokensPerSecond: number;
  loraTrainableParams: number;
  prefillTokensPerSecond: number;
  generateTokensPerSecond: number;
  peakRssBytes: number;
}

/** Forward, LoRA training and generation of a Llama-architecture case (see the module comment). */
async function measureLlama(backend: string, key: string, repeats: number): Promise<LlamaRow> {
  const c = LLAMA_CASES[key]!;
  let peak = process.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const model = Llama.random(c.config, 1);
  const rng = new Rng(3);
  const V = c.config.vocabSize;
  const T = c.seq;
  const randomIds = (n: number) => Int32Array.from({ length: n }, () => rng.int(V - 1));
  // 1. Forward (logits of every position), batch 1 x T.
  const fwd: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const ids = tf.tensor2d(randomIds(T), [1, T], 'int32');
    const t = performance.now();
    const l = tf.tidy(() => model.forward(ids).logits);
    l.dataSync();
    sample();
    if (r > 0) fwd.push(performance.now() - t);
    tf.dispose([l, ids]);
  }
  // 2. Generation: prefill a prompt, then one token at a time with the KV cache (greedy).
  const prefill: number[] = [];
  const gen: number[] = [];
  for (let r = 0; r < 2; r++) {
    const prompt = Array.from(randomIds(c.prompt));
    let t = performance.now();
    await decodeIds(model, prompt, { maxNewTokens: 1, stopIds: [] });
    const tPrefill = performance.now() - t;
    t = performance.now();
    const out = await decodeIds(model, prompt, { maxNewTokens: c.newTokens, stopIds: [] });
    const tAll = performance.now() - t;
    sample();
    if (r > 0) {
      prefill.push(tPrefill);
      gen.push((tAll - tPrefill) / (out.ids.length - 1));
    }
  }
  if (!args.json) process.stderr.write(`${backend} ${c.name}: forward ${(T / (median(fwd) / 1000)).toFixed(0)} tok/s, prefill ${(c.prompt / (median(prefill) / 1000)).toFixed(0)} tok/s, generate ${(1000 / median(gen)).toFixed(1)} tok/s\n`);
  // 3. LoRA training steps on all-linear, r 8, batch 1 x trainSeq.
  const TT = args['train-seq'] ? Number(args['train-seq']) : c.trainSeq;
  const prep = await prepareMethod('lora', model, { lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['all-linear'], useRslora: false }, seed: 1, baseModelName: 'bench' });
  const vars = [...prep.trainable.values()];
  const nameOf = new Map([...prep.trainable].map(([n, v]) => [v.name, n]));
  const opt = new AdamW(prep.trainable, { weightDecay: 0.01 });
  const steps: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t = performance.now();
    const ids = tf.tensor2d(randomIds(TT), [1, TT], 'int32');
    const targets = tf.tensor1d(randomIds(TT), 'int32');
    const weights = tf.fill([TT], 1 / TT) as tf.Tensor1D;
    const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logitsFromHidden(model.hidden(ids, { training: true }).hidden), targets, weights), vars);
    value.dataSync();
    sample();
    const named: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) named[nameOf.get(k)!] = g;
    const { grads: clipped, norm } = clipByGlobalNorm(named, 1);
    opt.step(clipped, 1e-4);
    vars[0]!.dataSync();
    tf.dispose([ids, targets, weights, value, norm, ...Object.values(grads), ...Object.values(clipped)]);
    if (r > 0) steps.push(performance.now() - t);
  }
  opt.dispose();
  model.dispose();
  return {
    backend,
    case: c.name,
    params: model.numParams,
    forwardTokensPerSecond: T / (median(fwd) / 1000),
    loraTrainTokensPerSecond: TT / (median(steps) / 1000),
    loraTrainableParams: prep.trainableParams,
    prefillTokensPerSecond: c.prompt / (median(prefill) / 1000),
    generateTokensPerSecond: 1000 / median(gen),
    peakRssBytes: peak,
  };
}

/** A python3 whose torch imports: `python3` on PATH, else Debian's /usr/bin/python3 (python3-torch). */
function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch {
      // next
    }
  }
  return null;
}

function torchRows(caseNames: string[], methods: string[], repeats: number): { available: boolean; rows: { case: string; method: string; tokensPerSecond: number }[]; note: string } {
  const py = torchPython();
  if (!py) return { available: false, rows: [], note: 'python3 torch is not installed here (Debian: apt-get install python3-torch); no PyTorch comparison in this run' };
  if (caseNames.length === 0) return { available: true, rows: [], note: 'no GPT-2 cases asked' };
  const spec = caseNames.map((k) => ({ key: k, name: CASES[k]!.name, ...CASES[k]!.config, batch: CASES[k]!.batch, seq: CASES[k]!.seq }));
  const out = execFileSync(py, [new URL('./llama-throughput.py', import.meta.url).pathname, JSON.stringify({ cases: spec, methods: methods.filter((m) => m !== 'qlora'), repeats })], { encoding: 'utf8' });
  return { available: true, rows: JSON.parse(out), note: 'PyTorch CPU (torch.set_num_threads(1)), same shapes; QLoRA needs bitsandbytes (CUDA) and is not compared' };
}

/** The PyTorch twin of `measureLlama` (bench/llama-throughput.py `llama` cases). */
function torchLlamaRows(keys: string[], repeats: number): Record<string, unknown>[] {
  const py = torchPython();
  if (!py || keys.length === 0) return [];
  const spec = keys.map((k) => ({ name: LLAMA_CASES[k]!.name, hf: LLAMA_CASES[k]!.config.hf, seq: LLAMA_CASES[k]!.seq, trainSeq: args['train-seq'] ? Number(args['train-seq']) : LLAMA_CASES[k]!.trainSeq, prompt: LLAMA_CASES[k]!.prompt, newTokens: LLAMA_CASES[k]!.newTokens }));
  const out = execFileSync(py, [new URL('./llama-throughput.py', import.meta.url).pathname, JSON.stringify({ llama: spec, repeats })], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out);
}

const repeats = Number(args.repeats);
const configKeys = args.configs.split(',');
const gpt2Keys = configKeys.filter((k) => k in CASES);
const llamaKeys = configKeys.filter((k) => k in LLAMA_CASES);
for (const k of configKeys) if (!(k in CASES) && !(k in LLAMA_CASES)) throw new Error(`unknown config '${k}'; known: ${[...Object.keys(CASES), ...Object.keys(LLAMA_CASES)].join(', ')}`);
const llamaRows: LlamaRow[] = [];
const rows: Row[] = [];
const skipped: string[] = [];
for (const b of args.backends.split(',')) {
  try {
    const info = await initBackend(b);
    if (info.name !== b) throw new Error(`got ${info.name}`);
  } catch (e) {
    skipped.push(`${b}: ${(e as Error).message}`);
    continue;
  }
  for (const lk of llamaKeys) {
    if (b === 'cpu') {
      skipped.push(`cpu: ${lk} skipped (tfjs's plain-JS backend needs minutes per forward at this size)`);
      continue;
    }
    const row = await measureLlama(b, lk, Math.min(repeats, 3));
    llamaRows.push(row);
    if (!args.json) process.stderr.write(`${b.padEnd(6)} ${row.case}: forward ${row.forwardTokensPerSecond.toFixed(0)} tok/s, LoRA train ${row.loraTrainTokensPerSecond.toFixed(1)} tok/s, prefill ${row.prefillTokensPerSecond.toFixed(0)} tok/s, generate ${row.generateTokensPerSecond.toFixed(1)} tok/s, peak RSS ${(row.peakRssBytes / 2 ** 30).toFixed(2)} GiB\n`);
  }
  for (const ck of gpt2Keys) {
    for (const m of args.methods.split(',')) {
      const row = await measure(b, CASES[ck]!, m, b === 'cpu' ? Math.min(repeats, 3) : repeats);
      rows.push(row);
      if (!args.json) process.stderr.write(`${b.padEnd(6)} ${m.padEnd(6)} ${row.case.padEnd(48)} ${row.tokensPerSecond.toFixed(0).padStart(6)} tok/s  data ${row.ms.data.toFixed(1)} fwd ${row.ms.forward.toFixed(0)} bwd ${row.ms.backward.toFixed(0)} opt ${row.ms.optimizer.toFixed(1)} ms\n`);
    }
  }
}
const torch = torchRows(gpt2Keys, args.methods.split(','), repeats);
const torchLlama = torchLlamaRows(llamaKeys, Math.min(repeats, 3));
const result = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  repeats,
  skippedBackends: skipped,
  rows,
  pytorch: torch,
  llama: { rows: llamaRows, pytorch: torchLlama },
  ratios: torch.rows.map((t) => {
    const ours = rows.find((r) => r.backend === 'wasm' && r.case === t.case && r.method === t.method);
    return { case: t.case, method: t.method, wasmOverPytorch: ours ? ours.tokensPerSecond / t.tokensPerSecond : null };
  }),
};
console.log(JSON.stringify(result, null, 2));
