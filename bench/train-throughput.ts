/**
 * Training and inference throughput of fte's TensorFlow.js models, per architecture, on every tfjs
 * backend that loads here, median of repeated measurements, against an identical PyTorch model
 * where torch imports.
 *
 *   npx jiti bench/train-throughput.ts [--configs builtin,reference] [--methods M,...] [--backends tensorflow,wasm,cpu]
 *                                      [--repeats 7] [--rounds 1] [--train-seq N] [--json]
 *
 * `--configs` picks the models (cases), each of one architecture from src/model's registry, built
 * from its config.json fields with random weights (`randomModel`); an architecture name stands for
 * all of its cases:
 *   - `builtin` (gpt2): the built-in model's config (models/fte-tiny-base), batch 8 x 256;
 *   - `reference` (gpt2): issue 4's reference config (d_model 128, 2 layers, 4 heads, context 64,
 *     vocab 512), batch 8 x 64;
 *   - `smollm2` (llama): SmolLM2-135M's shape (d 576, 30 layers, 9 heads, 3 KV heads, head_dim 64,
 *     MLP 1536, vocab 49,152, tied embeddings, context cut to 512), training batch 1 x 128 (see
 *     CASES), inference 1 x 512; not in the default list (minutes per backend), skipped on tfjs's
 *     plain-JS `cpu` backend (minutes per forward).
 *   - `gpt2` = builtin,reference; `llama` = smollm2.
 *
 * `--methods` picks the measures, run for every selected case (default: each case's own list):
 *   - `full`, `lora`, `qlora`: tokens/s of one training step (random tokens; forward, backward,
 *     global-norm clipping, AdamW), split into data (batch tensors), forward (a forward-only loss),
 *     backward (forward + backward under tf.variableGrads, minus the forward) and optimizer
 *     (clipping + AdamW); tokens/s = batch tokens / (data + forward-and-backward + optimizer). LoRA
 *     is r 8, alpha 16, dropout 0.05 on the case's target modules (GPT-2: `c_attn`, PEFT's default;
 *     Llama: `all-linear`); QLoRA the same adapter over an NF4 base. Defaults: gpt2 cases
 *     full,lora,qlora; smollm2 lora,forward,prefill,generate.
 *   - `forward`: logits of batch 1 x the case's inference length; `prefill`: a prompt into the KV
 *     cache; `generate`: greedy decoding one token at a time with the KV cache (prefill timed apart).
 * Every row carries the process's peak resident memory so far (`peakRssBytes`, the kernel's
 * high-water mark, as PyTorch's side reports it). Everything is synchronous on the CPU backends (a
 * dataSync ends each phase).
 *
 * Where Python's torch imports (Debian: apt-get install python3-torch; torch 1.13 works, attention
 * then runs explicitly), the same script runs bench/train-throughput.py on an identical PyTorch model
 * (same architecture and shapes, AdamW, LoRA) in the same run and prints fte's wasm tokens/s as a
 * ratio of PyTorch's for every measure both sides ran (QLoRA needs bitsandbytes (CUDA): not
 * compared) — a markdown table on stderr, and `ratios` in the JSON. With `--rounds N` the fte and
 * PyTorch measurements alternate N times and each ratio is the median of the N per-round ratios
 * (load on a shared machine then hits both sides alike). The interpreter is `$PYTHON` if set, else
 * the first of `python3`, `/usr/bin/python3` that imports torch (a pyenv or venv python3 on PATH
 * may not see Debian's package). Both sides run one thread: wasm is single-threaded, and the Python
 * process gets torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1. The JSON
 * records the torch version and the BLAS library PyTorch loaded (Debian's torch uses whatever
 * libblas.so.3 points to: the reference BLAS is 5-10x slower than OpenBLAS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeIds } from '../src/eval/generate.js';
import { type ModelConfig, familyOf, isLlamaConfig, parseModelConfig, toHfConfig } from '../src/model/config.js';
import { llamaToHfConfig } from '../src/model/llama-config.js';
import { randomModel } from '../src/model/load.js';
import type { LoraTarget } from '../src/model/lora.js';
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
    methods: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'train-seq': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const TRAIN_METHODS = ['full', 'lora', 'qlora'] as const;
const INFERENCE_MEASURES = ['forward', 'prefill', 'generate'] as const;
const MEASURES: readonly string[] = [...TRAIN_METHODS, ...INFERENCE_MEASURES];

/** One model to measure: an architecture's config.json fields and the shapes of each measure. */
interface Case {
  name: string;
  /** HF config.json fields; the architecture is its `model_type` (src/model/config.ts `ARCHITECTURES`). */
  hf: Record<string, unknown>;
  /** Training batch and sequence length. */
  batch: number;
  seq: number;
  targetModules: LoraTarget[];
  /** Measures run when `--methods` is not given. */
  defaults: string[];
  /** Inference shapes: forward over 1 x seq; generation of newTokens after a prompt of `prompt` tokens. */
  inference: { seq: number; prompt: number; newTokens: number };
  /** At most this many repeats (a large model takes minutes per measure). */
  maxRepeats?: number;
  /** Backends this case does not run on, and why. */
  skip?: Record<string, string>;
}

const builtinHf: Record<string, unknown> = existsSync('models/fte-tiny-base/config.json')
  ? JSON.parse(readFileSync('models/fte-tiny-base/config.json', 'utf8'))
  : toHfConfig({ vocabSize: 257, nCtx: 256, nEmbd: 160, nLayer: 3, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' });
const builtin = parseModelConfig(builtinHf);
const CASES: Record<string, Case> = {
  builtin: {
    name: `built-in (d${builtin.nEmbd}/${builtin.nLayer}L/${builtin.nHead}H, batch 8 x 256)`,
    hf: builtinHf, batch: 8, seq: 256, targetModules: ['c_attn'], defaults: [...TRAIN_METHODS],
    inference: { seq: 256, prompt: 64, newTokens: 64 },
  },
  reference: {
    name: 'reference (d128/2L/4H, vocab 512, batch 8 x 64)',
    hf: toHfConfig({ vocabSize: 512, nCtx: 64, nEmbd: 128, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-5, tokenizer: 'byte' }),
    batch: 8, seq: 64, targetModules: ['c_attn'], defaults: [...TRAIN_METHODS],
    inference: { seq: 64, prompt: 32, newTokens: 32 },
  },
  /**
   * SmolLM2-135M's config.json shape (HuggingFaceTB/SmolLM2-135M), context cut to 512. Training on
   * 1 x 128: LoRA training at 1 x 512 and at 1 x 256 aborts the WebAssembly backend (out of its
   * heap: tfjs's tape keeps every intermediate tensor of the forward pass, for 30 layers and seven
   * adapters each, until the gradients are computed).
   */
  smollm2: {
    name: 'SmolLM2-135M shape (d576/30L/9H/3KV, vocab 49152)',
    hf: {
      model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
      num_key_value_heads: 3, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true, hidden_act: 'silu',
    },
    batch: 1, seq: 128, targetModules: ['all-linear'], defaults: ['lora', ...INFERENCE_MEASURES],
    inference: { seq: 512, prompt: 64, newTokens: 64 }, maxRepeats: 3,
    skip: { cpu: "tfjs's plain-JS backend needs minutes per forward at this size" },
  },
};
const ARCH_ALIASES: Record<string, string[]> = { gpt2: ['builtin', 'reference'], llama: ['smollm2'] };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** One measurement: a training method (with its phase split) or an inference measure, on one backend. */
interface Row {
  backend: string;
  arch: 'gpt2' | 'llama';
  case: string;
  measure: string;
  tokensPerSecond: number;
  params: number;
  /** Training only: median ms per phase, and the trainable parameters of the method. */
  ms?: { data: number; forward: number; backward: number; optimizer: number; step: number };
  trainableParams?: number;
  peakRssBytes: number;
}

function randomIds(rng: Rng, vocab: number, n: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(vocab - 1));
}

/** Training steps of `method` on a fresh random model of the case (see the module comment). */
async function measureTrain(backend: string, c: Case, config: ModelConfig, method: string, repeats: number): Promise<Row> {
  const model = randomModel(config, 1);
  const prep = await prepareMethod(method, model, { lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: c.targetModules, useRslora: false }, seed: 1, baseModelName: 'bench' });
  const vars = [...prep.trainable.values()];
  const nameOf = new Map([...prep.trainable].map(([n, v]) => [v.name, n]));
  const opt = new AdamW(prep.trainable, { weightDecay: 0.01 });
  const rng = new Rng(2);
  const B = c.batch;
  const T = args['train-seq'] ? Number(args['train-seq']) : c.seq;
  const n = B * T;
  const phases = { data: [] as number[], forward: [] as number[], backward: [] as number[], optimizer: [] as number[], step: [] as number[] };
  for (let r = 0; r < repeats + 1; r++) {
    let t = performance.now();
    const ids = tf.tensor2d(randomIds(rng, config.vocabSize, n), [B, T], 'int32');
    const targets = tf.tensor1d(randomIds(rng, config.vocabSize, n), 'int32');
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
  return { backend, arch: familyOf(config), case: c.name, measure: method, tokensPerSecond: n / (ms.step / 1000), params: model.numParams, ms, trainableParams: prep.trainableParams, peakRssBytes: peakRss() };
}

/** Forward, prefill and generation tokens/s of a fresh random model of the case (the asked ones). */
async function measureInference(backend: string, c: Case, config: ModelConfig, measures: string[], repeats: number): Promise<Row[]> {
  const model = randomModel(config, 1);
  const rng = new Rng(3);
  const { seq: T, prompt: P, newTokens } = c.inference;
  const got: Record<string, number> = {};
  if (measures.includes('forward')) {
    const fwd: number[] = [];
    for (let r = 0; r < repeats + 1; r++) {
      const ids = tf.tensor2d(randomIds(rng, config.vocabSize, T), [1, T], 'int32');
      const t = performance.now();
      const l = tf.tidy(() => model.forward(ids).logits);
      l.dataSync();
      if (r > 0) fwd.push(performance.now() - t);
      tf.dispose([l, ids]);
    }
    got.forward = T / (median(fwd) / 1000);
  }
  if (measures.includes('prefill') || measures.includes('generate')) {
    const prefill: number[] = [];
    const gen: number[] = [];
    for (let r = 0; r < 2; r++) {
      const prompt = Array.from(randomIds(rng, config.vocabSize, P));
      let t = performance.now();
      await decodeIds(model, prompt, { maxNewTokens: 1, stopIds: [] });
      const tPrefill = performance.now() - t;
      t = performance.now();
      const out = await decodeIds(model, prompt, { maxNewTokens: newTokens, stopIds: [] });
      const tAll = performance.now() - t;
      if (r === 0) continue;
      prefill.push(tPrefill);
      gen.push((tAll - tPrefill) / (out.ids.length - 1));
    }
    got.prefill = P / (median(prefill) / 1000);
    got.generate = 1000 / median(gen);
  }
  model.dispose();
  return measures.filter((m) => m in got).map((m) => ({ backend, arch: familyOf(config), case: c.name, measure: m, tokensPerSecond: got[m]!, params: model.numParams, peakRssBytes: peakRss() }));
}

interface TorchResult {
  available: boolean;
  rows: { case: string; measure: string; tokensPerSecond: number }[];
  peakRssBytes: Record<string, number>;
  note: string;
  python?: string;
  torch?: string;
  threads?: number;
  blas?: string[];
  attention?: string;
}

/** The first interpreter that imports torch: $PYTHON, python3, /usr/bin/python3. */
function findPython(): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch {
      // next candidate
    }
  }
  return null;
}

/** The PyTorch twin of every selected case (bench/train-throughput.py), the measures it can run. */
function torchRows(plan: { c: Case; config: ModelConfig; measures: string[]; repeats: number }[]): TorchResult {
  const py = findPython();
  if (!py) return { available: false, rows: [], peakRssBytes: {}, note: 'no python3 here imports torch (Debian: apt-get install python3-torch; or set PYTHON); no PyTorch comparison in this run' };
  const spec = plan.map(({ c, config, measures, repeats }) => ({
    name: c.name,
    arch: familyOf(config),
    hf: isLlamaConfig(config) ? llamaToHfConfig(config) : toHfConfig(config),
    batch: c.batch,
    seq: args['train-seq'] ? Number(args['train-seq']) : c.seq,
    repeats,
    measures: measures.filter((m) => m !== 'qlora'),
    inference: c.inference,
  }));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const out = execFileSync(py, [new URL('./train-throughput.py', import.meta.url).pathname, JSON.stringify({ cases: spec })], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const r = JSON.parse(out) as Omit<TorchResult, 'available' | 'note' | 'python'>;
  return { available: true, python: py, ...r, note: 'PyTorch CPU, one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1), same shapes; QLoRA needs bitsandbytes (CUDA) and is not compared' };
}

// 1. What to run: cases (architecture names expand to their cases), measures, backends.
const caseKeys = [...new Set(args.configs.split(',').flatMap((k) => ARCH_ALIASES[k] ?? [k]))];
for (const k of caseKeys) {
  if (!(k in CASES)) throw new Error(`--configs: unknown config '${k}'; known: ${[...Object.keys(CASES), ...Object.keys(ARCH_ALIASES)].join(', ')}`);
}
const asked = args.methods?.split(',');
for (const m of asked ?? []) if (!MEASURES.includes(m)) throw new Error(`--methods: unknown measure '${m}'; known: ${MEASURES.join(', ')}`);
const repeats = Number(args.repeats);
const rounds = Math.max(1, Number(args.rounds));
const plan = caseKeys.map((k) => {
  const c = CASES[k]!;
  return { c, config: parseModelConfig(c.hf, `bench case ${k}`), measures: asked ?? c.defaults, repeats: Math.min(repeats, c.maxRepeats ?? repeats) };
});
const rows: Row[] = [];
const skipped: string[] = [];
const backends: string[] = [];
for (const b of args.backends.split(',')) {
  try {
    const info = await initBackend(b);
    if (info.name !== b) throw new Error(`got ${info.name}`);
    backends.push(b);
  } catch (e) {
    skipped.push(`${b}: ${(e as Error).message}`);
  }
}
for (const b of backends) for (const { c } of plan) if (c.skip?.[b]) skipped.push(`${b}: ${c.name} skipped (${c.skip[b]})`);

// 2. Rounds alternate fte (every backend) and PyTorch, so that load on a shared machine hits both
// sides alike; each round gives one ratio per (config, measure), and the table shows their median.
let torch: TorchResult = { available: false, rows: [], peakRssBytes: {}, note: '' };
const roundRatios = new Map<string, number[]>();
const key = (c: string, m: string) => `${c}\u0000${m}`;
for (let round = 0; round < rounds; round++) {
  for (const b of backends) {
    await initBackend(b);
    for (const { c, config, measures, repeats: n } of plan) {
      if (c.skip?.[b]) continue;
      const reps = b === 'cpu' ? Math.min(n, 3) : n;
      const inference = measures.filter((m) => (INFERENCE_MEASURES as readonly string[]).includes(m));
      const got = inference.length ? await measureInference(b, c, config, inference, reps) : [];
      for (const m of measures.filter((x) => (TRAIN_METHODS as readonly string[]).includes(x))) got.push(await measureTrain(b, c, config, m, reps));
      for (const row of got) {
        rows.push(row);
        const split = row.ms ? `  data ${row.ms.data.toFixed(1)} fwd ${row.ms.forward.toFixed(0)} bwd ${row.ms.backward.toFixed(0)} opt ${row.ms.optimizer.toFixed(1)} ms` : '';
        if (!args.json) process.stderr.write(`${b.padEnd(6)} ${row.measure.padEnd(8)} ${row.case.padEnd(48)} ${row.tokensPerSecond.toFixed(1).padStart(8)} tok/s${split}  peak RSS ${(row.peakRssBytes / 2 ** 30).toFixed(2)} GiB\n`);
      }
    }
  }
  const t = torchRows(plan);
  torch = round === 0 ? t : { ...t, rows: [...torch.rows, ...t.rows] };
  for (const tr of t.rows) {
    const ours = rows.filter((r) => r.backend === 'wasm' && r.case === tr.case && r.measure === tr.measure).at(-1);
    if (ours) roundRatios.set(key(tr.case, tr.measure), [...(roundRatios.get(key(tr.case, tr.measure)) ?? []), ours.tokensPerSecond / tr.tokensPerSecond]);
  }
  if (!t.available) break;
}

// 3. Ratios: the median of the per-round ratios, beside each side's median tokens/s.
const ratios = [...roundRatios].map(([k, rs]) => {
  const [c, m] = k.split('\u0000') as [string, string];
  return {
    case: c,
    measure: m,
    wasmTokensPerSecond: median(rows.filter((r) => r.backend === 'wasm' && r.case === c && r.measure === m).map((r) => r.tokensPerSecond)),
    pytorchTokensPerSecond: median(torch.rows.filter((r) => r.case === c && r.measure === m).map((r) => r.tokensPerSecond)),
    wasmOverPytorch: median(rs),
    perRound: rs,
  };
});
const result = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverage: loadavg() },
  repeats,
  rounds,
  skippedBackends: skipped,
  rows,
  pytorch: torch,
  ratios,
};
if (torch.available) {
  const lines = [
    `| config | measure | fte wasm tokens/s | PyTorch tokens/s | ratio (median of ${rounds} round${rounds === 1 ? '' : 's'}) | range |`,
    `|---|---|---:|---:|---:|---:|`,
    ...ratios.map((r) => `| ${r.case} | ${r.measure} | ${r.wasmTokensPerSecond.toFixed(1)} | ${r.pytorchTokensPerSecond.toFixed(1)} | ${r.wasmOverPytorch.toFixed(2)}x | ${Math.min(...r.perRound).toFixed(2)}-${Math.max(...r.perRound).toFixed(2)} |`),
  ];
  const rss = Object.entries(torch.peakRssBytes).map(([c, b]) => `${c} ${(b / 2 ** 30).toFixed(2)} GiB`).join('; ');
  process.stderr.write(`\nPyTorch ${torch.torch} (${torch.python}, ${torch.threads} thread, attention ${torch.attention}, BLAS ${(torch.blas ?? []).join(', ') || 'unknown'}); peak RSS after each case: ${rss}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n${lines.join('\n')}\n`);
} else process.stderr.write(`\n${torch.note}\n`);
console.log(JSON.stringify(result, null, 2));
