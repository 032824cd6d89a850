/**
 * Store at scale: fills a DuckDB store with 10,000 runs x 1,000 steps x 3 step metrics (30 M
 * step-metric rows) plus eval results, predictions, costs and artifacts through the one writer, then
 * times the read commands as a user runs them (whole process: `node bin/run.js ...`).
 *
 *   npm run build && nice -n 10 npx jiti bench/store-scale.ts [--runs 10000] [--steps 1000] [--db PATH] [--keep] [--repeat 7]
 *   nice -n 10 npx jiti bench/store-scale.ts --db PATH --reuse      # time the commands on an existing file
 *
 * Phases (each timed on its own):
 *   A  startRun for every run (runs row + params, one transaction each)
 *   B  appendStepMetrics in trainer-sized batches (100 steps x 3 metrics = 300 rows a call): the
 *      Appender ingest rate, rows/s, the target (>= 1 M rows/s)
 *   C  writeRunOutcome for every run: one transaction with 40 eval rows, 5 predictions, 2 costs,
 *      1 artifact and the runs-row update
 * Then, median of --repeat whole-process runs of: `fte --version` (CLI start-up floor),
 * `fte runs --sort <metric> --limit 20` for a column, an eval metric and the objective, and `fte show`.
 * Prints one JSON object (figures go into bench/README.md).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EvalRow } from '../src/eval/types.js';
import type { RunOutcome } from '../src/store/types.js';
import type { StepMetric } from '../src/train/types.js';
import { openStore } from '../src/store/open.js';
import { mulberry32 } from '../src/random.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    steps: { type: 'string', default: '1000' },
    db: { type: 'string', default: path.join(os.tmpdir(), 'fte-bench', 'store-scale.duckdb') },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '7' },
  },
});
const RUNS = Number(args.runs);
const STEPS = Number(args.steps);
const REPEAT = Number(args.repeat);
const db = path.resolve(args.db!);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Deterministic PRNG (mulberry32) so every bench fills the same data. */
const rng = mulberry32;

const runId = (i: number): string => `bench-${String(i).padStart(5, '0')}`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 3): number => Number(x.toFixed(d));

async function fill(): Promise<Record<string, unknown>> {
  fs.mkdirSync(path.dirname(db), { recursive: true });
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
  const store = await openStore(db);
  const rand = rng(42);
  const experimentId = await store.upsertExperiment({ name: 'bench', specPath: 'bench/store-scale.ts', specHash: 'bench', objective: { metric: 'all/bleu', goal: 'maximize' } });
  const sweepId = await store.createSweep({ experimentId, sweepId: 'bench-sweep', backend: 'cpu', specJson: { name: 'bench' }, limits: {}, datasetManifest: {}, baseModel: 'bench' });
  const params = Array.from({ length: RUNS }, (_, i) => {
    const rank = [4, 8, 16, 32][i % 4]!;
    return { rank, alpha: 2 * rank, learningRate: 10 ** (-5 + 2 * rand()), dropout: 0.05, epochs: 3, batchSize: 8, targetModules: ['c_attn'], useRslora: false, seed: i };
  });

  // A: runs + params
  let t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await store.startRun({ runId: runId(i), sweepId, variantKey: `k${i}`, method: 'lora', params: params[i]! });
  const aSeconds = (performance.now() - t0) / 1000;

  // B: step metrics, 300 rows a call as a trainer would send them
  const BATCH_STEPS = 100;
  let stepRows = 0;
  let bSeconds = 0;
  const batch: StepMetric[] = [];
  for (let i = 0; i < RUNS; i++) {
    const lr = params[i]!.learningRate;
    for (let s0 = 0; s0 < STEPS; s0 += BATCH_STEPS) {
      batch.length = 0;
      for (let s = s0; s < Math.min(STEPS, s0 + BATCH_STEPS); s++) {
        const epoch = (3 * s) / STEPS;
        batch.push({ step: s, epoch, split: 'train', name: 'loss', value: 3 * Math.exp(-s / 300) + 0.5 + 0.05 * rand() });
        batch.push({ step: s, epoch, split: 'train', name: 'learning_rate', value: lr * Math.min(1, s / 10) });
        batch.push({ step: s, epoch, split: 'train', name: 'tokens_per_second', value: 1500 + 100 * rand() });
      }
      const t = performance.now();
      await store.appendStepMetrics(runId(i), batch);
      bSeconds += (performance.now() - t) / 1000;
      stepRows += batch.length;
    }
  }
  t0 = performance.now();
  await store.flush();
  bSeconds += (performance.now() - t0) / 1000;

  // C: outcomes
  const subjects = ['finetuned'] as const;
  const perturbations = ['none', 'typos', 'lowercase', 'spaces', 'contractions'];
  const slices = ['all', 'classify'];
  const metrics = ['bleu', 'chrf', 'rougeL', 'f1_macro'];
  let outcomeRows = 0;
  t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const evalRows: EvalRow[] = [];
    for (const subject of subjects)
      for (const perturbation of perturbations)
        for (const slice of slices)
          for (const metric of metrics) evalRows.push({ subject, perturbation, slice, metric, value: 100 * rand(), n: 200 });
    const id = runId(i);
    const o: RunOutcome = {
      runId: id,
      variantKey: `k${i}`,
      method: 'lora',
      status: rand() < 0.03 ? 'diverged' : 'completed',
      params: params[i]!,
      startedAt: new Date(Date.UTC(2026, 10, 29, 0, 0, i)).toISOString(),
      finishedAt: new Date(Date.UTC(2026, 10, 29, 0, 1, i)).toISOString(),
      train: {
        status: 'completed', bestStep: 900, bestValLoss: 0.6 + rand(), finalValLoss: 0.7 + rand(), stoppedEarly: false, steps: STEPS,
        tokensTrained: 1_000_000, trainableParams: 300_000, totalParams: 124_000_000, adapterBytes: 1_200_000, peakMemoryBytes: 2e9,
        baseWeightBytes: 5e8, wallSeconds: 60, backend: 'cpu', device: 'cpu', checkpointPath: `/ckpt/${id}`,
      },
      stepMetrics: [],
      evalRows,
      predictions: Array.from({ length: 5 }, (_, k) => ({ subject: 'finetuned' as const, perturbation: 'none', exampleId: `L${k}`, input: 'some input text', reference: 'ref', prediction: 'pred', scores: { bleu: 10 } })),
      costs: [
        { component: 'train', device: 'cpu', hours: 1 / 60, tokens: 1_000_000, usd: 0.01, priceSource: 'bench' },
        { component: 'eval', device: 'cpu', hours: 1 / 600, tokens: 20_000, usd: 0.001, priceSource: 'bench' },
      ],
      artifacts: [{ kind: 'adapter', path: `/ckpt/${id}/adapter_model.safetensors`, bytes: 1_200_000, sha256: '0'.repeat(64) }],
    };
    outcomeRows += evalRows.length + 5 + 2 + 1 + 1;
    await store.writeRunOutcome(o);
  }
  const cSeconds = (performance.now() - t0) / 1000;
  await store.finishSweep(sweepId, 'completed');
  t0 = performance.now();
  await store.close();
  const closeSeconds = (performance.now() - t0) / 1000;
  return {
    runs: RUNS,
    stepRows,
    A_startRun: { seconds: round(aSeconds), runsPerSecond: Math.round(RUNS / aSeconds) },
    B_stepMetrics: { seconds: round(bSeconds), rowsPerSecond: Math.round(stepRows / bSeconds) },
    C_outcomes: { seconds: round(cSeconds), outcomesPerSecond: Math.round(RUNS / cSeconds), rows: outcomeRows },
    closeSeconds: round(closeSeconds),
    fileBytes: fs.statSync(db).size,
  };
}

function timeCli(cliArgs: string[]): { medianSeconds: number; minSeconds: number; runs: number } | { error: string } {
  const times: number[] = [];
  for (let k = 0; k < REPEAT; k++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...cliArgs], { encoding: 'utf8', env: { ...process.env, FTE_DB: db } });
    times.push((performance.now() - t) / 1000);
    if (r.status !== 0) return { error: r.stderr.split('\n').slice(0, 3).join(' ') };
  }
  return { medianSeconds: round(median(times)), minSeconds: round(Math.min(...times)), runs: REPEAT };
}

/** In-process timing of the same queries (no CLI start-up), median of REPEAT, seconds. */
async function timeInProcess(): Promise<Record<string, number>> {
  const store = await openStore(db, { readOnly: true });
  const out: Record<string, number> = {};
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let k = 0; k < REPEAT; k++) {
      const t = performance.now();
      await fn();
      times.push((performance.now() - t) / 1000);
    }
    out[name] = round(median(times));
  };
  try {
    await time('openStore (read-only)', async () => (await openStore(db, { readOnly: true })).close());
    await time('listRuns sort final_val_loss limit 20', () => store.listRuns({ sort: 'final_val_loss', limit: 20 }));
    await time('listRuns sort bleu limit 20', () => store.listRuns({ sort: 'bleu', limit: 20 }));
    await time('listRuns sort objective limit 20', () => store.listRuns({ sort: 'objective', limit: 20 }));
    await time('getRun', () => store.getRun(runId(Math.floor(RUNS / 2))));
    await time('stepMetrics 20 runs, loss, maxPoints 200', () => store.stepMetrics(Array.from({ length: 20 }, (_, i) => runId(i * 7)), { names: ['loss'], maxPoints: 200 }));
  } finally {
    await store.close();
  }
  return out;
}

const result: Record<string, unknown> = { node: process.version, cpus: os.cpus().length, db };
if (!args.reuse) {
  Object.assign(result, { ingest: await fill() });
  process.stderr.write(`${JSON.stringify(result.ingest)}\n`);
}
result.inProcess = await timeInProcess();
process.stderr.write(`${JSON.stringify(result.inProcess)}\n`);
result.cli = {
  'fte --version (start-up floor)': timeCli(['--version']),
  'fte runs --sort final_val_loss --limit 20': timeCli(['runs', '--sort', 'final_val_loss', '--limit', '20']),
  'fte runs --sort bleu --limit 20': timeCli(['runs', '--sort', 'bleu', '--limit', '20']),
  'fte runs --sort objective --limit 20': timeCli(['runs', '--sort', 'objective', '--limit', '20']),
  [`fte show ${runId(Math.floor(RUNS / 2))}`]: timeCli(['show', runId(Math.floor(RUNS / 2))]),
  [`fte show ${runId(Math.floor(RUNS / 2))} --json`]: timeCli(['show', runId(Math.floor(RUNS / 2)), '--json']),
};
console.log(JSON.stringify(result, null, 2));
if (!args.keep && !args.reuse) for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
