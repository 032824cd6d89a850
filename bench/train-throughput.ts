/**
 * Training throughput of fte's TensorFlow.js trainer: tokens/s of full, LoRA and QLoRA training
 * steps on the built-in model (models/fte-tiny-base config) and on the reference config of issue 4
 * (d_model 128, 2 layers, 4 heads, context 64, batch 8, vocab 512), on every tfjs backend that loads
 * here, median of repeated steps, with the time split into data / forward / backward / optimizer.
 *
 *   npx jiti bench/train-throughput.ts [--repeats 7] [--rounds 1] [--backends wasm,cpu] [--configs builtin,reference] [--json]
 *
 * "forward" is a forward-only loss; "backward" is (forward + backward under tf.variableGrads) minus
 * it; "optimizer" is global-norm clipping + the AdamW update; "data" builds the batch tensors.
 * tokens/s = batch tokens / (data + forward-and-backward + optimizer). Everything is synchronous on
 * the CPU backends (a dataSync ends each phase).
 *
 * Where Python's torch imports (Debian: apt-get install python3-torch; torch 1.13 works, attention
 * then runs explicitly), the same script runs bench/train-throughput.py on an identical PyTorch model
 * (same shapes, AdamW, LoRA) in the same run and prints fte's wasm tokens/s as a ratio of PyTorch's
 * (a markdown table on stderr, and `ratios` in the JSON). With `--rounds N` the fte and PyTorch
 * measurements alternate N times and each ratio is the median of the N per-round ratios (load on a
 * shared machine then hits both sides alike). The interpreter is `$PYTHON` if set, else
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
import { type GPT2Config, fromHfConfig } from '../src/model/config.js';
import { GPT2 } from '../src/model/gpt2.js';
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
    rounds: { type: 'string', default: '1' },
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

interface TorchResult {
  available: boolean;
  rows: { case: string; method: string; tokensPerSecond: number }[];
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

function torchRows(caseNames: string[], methods: string[], repeats: number): TorchResult {
  const py = findPython();
  if (!py) return { available: false, rows: [], note: 'no python3 here imports torch (Debian: apt-get install python3-torch; or set PYTHON); no PyTorch comparison in this run' };
  const spec = caseNames.map((k) => ({ key: k, name: CASES[k]!.name, ...CASES[k]!.config, batch: CASES[k]!.batch, seq: CASES[k]!.seq }));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const out = execFileSync(py, [new URL('./train-throughput.py', import.meta.url).pathname, JSON.stringify({ cases: spec, methods: methods.filter((m) => m !== 'qlora'), repeats })], { encoding: 'utf8', env });
  const r = JSON.parse(out) as Omit<TorchResult, 'available' | 'note' | 'python'>;
  return { available: true, python: py, ...r, note: 'PyTorch CPU, one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1), same shapes; QLoRA needs bitsandbytes (CUDA) and is not compared' };
}

const repeats = Number(args.repeats);
const rounds = Math.max(1, Number(args.rounds));
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
// Rounds alternate fte (every backend) and PyTorch, so that load on a shared machine hits both
// sides alike; each round gives one ratio per (config, method), and the table shows their median.
let torch: TorchResult = { available: false, rows: [], note: '' };
const roundRatios = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const b of backends) {
    await initBackend(b);
    for (const ck of args.configs.split(',')) {
      for (const m of args.methods.split(',')) {
        const row = await measure(b, CASES[ck]!, m, b === 'cpu' ? Math.min(repeats, 3) : repeats);
        rows.push(row);
        if (!args.json) process.stderr.write(`${b.padEnd(6)} ${m.padEnd(6)} ${row.case.padEnd(48)} ${row.tokensPerSecond.toFixed(0).padStart(6)} tok/s  data ${row.ms.data.toFixed(1)} fwd ${row.ms.forward.toFixed(0)} bwd ${row.ms.backward.toFixed(0)} opt ${row.ms.optimizer.toFixed(1)} ms\n`);
      }
    }
  }
  const t = torchRows(args.configs.split(','), args.methods.split(','), repeats);
  torch = round === 0 ? t : { ...t, rows: [...torch.rows, ...t.rows] };
  for (const tr of t.rows) {
    const ours = rows.filter((r) => r.backend === 'wasm' && r.case === tr.case && r.method === tr.method).at(-1);
    if (!ours) continue;
    const k = `${tr.case}\u0000${tr.method}`;
    roundRatios.set(k, [...(roundRatios.get(k) ?? []), ours.tokensPerSecond / tr.tokensPerSecond]);
  }
  if (!t.available) break;
}
const medianOf = (xs: number[]) => median(xs);
const keys = [...roundRatios.keys()].map((k) => k.split('\u0000') as [string, string]);
const result = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverage: loadavg() },
  repeats,
  rounds,
  skippedBackends: skipped,
  rows,
  pytorch: torch,
  ratios: keys.map(([c, m]) => {
    const rs = roundRatios.get(`${c}\u0000${m}`)!;
    return {
      case: c,
      method: m,
      wasmTokensPerSecond: medianOf(rows.filter((r) => r.backend === 'wasm' && r.case === c && r.method === m).map((r) => r.tokensPerSecond)),
      pytorchTokensPerSecond: medianOf(torch.rows.filter((r) => r.case === c && r.method === m).map((r) => r.tokensPerSecond)),
      wasmOverPytorch: medianOf(rs),
      perRound: rs,
    };
  }),
};
if (torch.available) {
  const lines = [
    `| config | method | fte wasm tokens/s | PyTorch tokens/s | ratio (median of ${rounds} round${rounds === 1 ? '' : 's'}) | range |`,
    `|---|---|---:|---:|---:|---:|`,
    ...result.ratios.map((r) => `| ${r.case} | ${r.method} | ${r.wasmTokensPerSecond.toFixed(0)} | ${r.pytorchTokensPerSecond.toFixed(0)} | ${r.wasmOverPytorch.toFixed(2)}x | ${Math.min(...r.perRound).toFixed(2)}-${Math.max(...r.perRound).toFixed(2)} |`),
  ];
  process.stderr.write(`\nPyTorch ${torch.torch} (${torch.python}, ${torch.threads} thread, attention ${torch.attention}, BLAS ${(torch.blas ?? []).join(', ') || 'unknown'}); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n${lines.join('\n')}\n`);
} else process.stderr.write(`\n${torch.note}\n`);
console.log(JSON.stringify(result, null, 2));
