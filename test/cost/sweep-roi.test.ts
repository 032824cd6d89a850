import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { costOfRun } from '../../src/cost/run-cost.js';
import { resolvePrices } from '../../src/cost/prices.js';
import { costSpec } from '../../src/cost/spec.js';
import { roiForSweep, type RoiReport } from '../../src/report/roi.js';
import { renderRoi } from '../../src/cost/render.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { EvalRow, Subject } from '../../src/eval/types.js';
import type { RunOutcome } from '../../src/store/types.js';
import Roi from '../../src/commands/roi.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fte-roi-'));
const dbFile = join(dir, 'fte.duckdb');

const costSection = {
  targetDevice: 'A100-80GB',
  apiModel: 'gpt-4o-mini',
  servingDevice: 'L4',
  servingThroughputTokensPerSecond: 1000,
  monthlyRequests: 100_000,
  months: 12,
  ragIndexMonthlyUsd: 70,
  dataPreparationUsd: 100,
  servingAlwaysOnDevices: 0,
};
const cost = costSpec(costSection);
const prices = resolvePrices();
const N = 1e8;
const n = 1e6;

const evalRow = (subject: Subject, value: number, metric = 'f1_macro', slice = 'classify'): EvalRow => ({ subject, perturbation: 'none', slice, metric, value, n: 10, ciLow: value - 0.1, ciHigh: value + 0.05 });

function outcome(runId: string, status: RunOutcome['status'], tokens: number, wallSeconds: number, f1: number | null): RunOutcome {
  const train = {
    status: 'completed' as const, bestStep: 10, bestValLoss: 1, finalValLoss: 1, stoppedEarly: false, steps: 10, tokensTrained: tokens,
    trainableParams: n, totalParams: N, adapterBytes: 1, peakMemoryBytes: 1, baseWeightBytes: 1, wallSeconds, backend: 'cpu', device: 'cpu', checkpointPath: '/tmp/x',
  };
  return {
    runId, variantKey: `k-${runId}`, method: 'lora', status, params: { rank: 8 }, startedAt: '2026-11-29T07:00:00Z', finishedAt: '2026-11-29T08:00:00Z',
    ...(status === 'completed' ? { train } : {}),
    stepMetrics: [],
    evalRows: f1 === null ? [] : [evalRow('finetuned', f1), evalRow('finetuned', 0.5, 'rougeL', 'subject')],
    predictions: [],
    costs: status === 'completed' ? costOfRun({ method: 'lora', train, eval: { wallSeconds: 60, tokens: 1000 }, usage: { finetuned: { examples: 10, promptTokens: 400, completionTokens: 50 } }, cost, prices }) : [],
    artifacts: [],
  };
}

let seq = 0;
async function sweep(
  store: Store,
  sweepId: string,
  runs: RunOutcome[],
  baselines: EvalRow[] | null,
  objective: { metric: string; goal: 'maximize' | 'minimize' } = { metric: 'classify/f1_macro', goal: 'maximize' },
  specCost: Record<string, unknown> = costSection,
): Promise<void> {
  await store.upsertExperiment({ name: 'email', specPath: 'experiments/x.ts', specHash: 'h', objective });
  await store.createSweep({ experimentId: 'email', sweepId, specJson: { name: 'email', cost: specCost }, objective, startedAt: `2026-11-29T07:${String(10 + seq++)}:00Z` });
  for (const r of runs) {
    await store.startRun({ runId: r.runId, sweepId, variantKey: r.variantKey, method: r.method, params: {} });
    await store.writeRunOutcome(r);
  }
  if (baselines) {
    const usage = {
      base: { examples: 10, promptTokens: 400, completionTokens: 50 },
      prompting: { examples: 10, promptTokens: 5000, completionTokens: 50 },
      rag: { examples: 10, promptTokens: 3000, completionTokens: 50 },
    };
    await store.writeBaselineResults(sweepId, baselines, [], costOfRun({ method: 'lora', usage, totalParams: N, cost, prices }));
  }
  await store.finishSweep(sweepId, 'completed');
}

const goodBaselines = [evalRow('prompting', 0.6), evalRow('rag', 0.65), evalRow('base', 0.3), evalRow('prompting', 0.4, 'rougeL', 'subject'), evalRow('rag', 0.45, 'rougeL', 'subject')];

beforeAll(async () => {
  const store = await openStore(dbFile);
  await sweep(store, 'nocompleted', [outcome('f1', 'failed', 0, 0, null)], goodBaselines);
  await sweep(store, 'norun', [], null);
  await sweep(store, 'norag', [outcome('n1', 'completed', 1e6, 3600, 0.7)], [evalRow('prompting', 0.6)]);
  await sweep(store, 'valloss', [outcome('v1', 'completed', 1e6, 3600, 0.7)], goodBaselines, { metric: 'val_loss', goal: 'minimize' });
  const { servingAlwaysOnDevices: _, ...defaultAlwaysOn } = costSection;
  await sweep(store, 'alwayson', [outcome('a1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, defaultAlwaysOn);
  // the latest sweep (started last): two completed runs and a failed one
  await sweep(store, 'good-sweep', [outcome('r1', 'completed', 1e6, 3600, 0.7), outcome('r2', 'completed', 2e6, 7200, 0.8), outcome('r3', 'failed', 0, 0, null)], goodBaselines);
  await store.close();
});

let db: Store;
beforeAll(async () => {
  db = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => {
  await db?.close();
});

describe('roiForSweep on a stored sweep', () => {
  let r: RoiReport;
  beforeAll(async () => {
    r = await roiForSweep(db.db);
  });
  it('picks the latest sweep and its best completed run on the objective', () => {
    expect(r.sweepId).toBe('good-sweep');
    expect(r.bestRun).toMatchObject({ runId: 'r2', method: 'lora', quality: 0.8 });
    expect(r.baseQuality).toBe(0.3);
    expect(r.approaches.map((a) => [a.approach, a.quality])).toEqual([['finetuned', 0.8], ['prompting', 0.6], ['rag', 0.65]]);
  });
  it('per-request costs from the stored token counts', () => {
    // fine-tuned: (40 + 5) tokens at 1000 tokens/s on an L4 at 0.8048 USD/h
    expect(r.requests.finetuned).toMatchObject({ inputTokens: 40, outputTokens: 5, priceKey: 'L4', pricing: 'self-hosted', tokenSource: 'measured' });
    expect(r.requests.finetuned.usd).toBeCloseTo((45 / 1000 / 3600) * 0.8048, 15);
    expect(r.requests.finetuned.tokensPerSecond).toBeCloseTo(1000, 6);
    // prompting: (500 x 0.15 + 5 x 0.60) / 1e6; RAG: (300 x 0.15 + 5 x 0.60) / 1e6
    expect(r.requests.prompting.usd).toBeCloseTo(78e-6, 15);
    expect(r.requests.rag.usd).toBeCloseTo(48e-6, 15);
    expect(r.requests.prompting.priceSource).toBe('OpenAI API pricing page (standard tier) (2025-01)');
  });
  it('training over the sweep, re-priced on the target device because the runs ran on CPU cores', () => {
    const flops = 3e6 * (4 * N + 2 * n);
    const usd = (flops / (312e12 * 0.3) / 3600) * 1.79;
    expect(r.training).toMatchObject({ basis: 'sweep', runs: 2, tokensTrained: 3e6, used: 'target-device', targetDevice: 'A100-80GB', measuredDevice: 'cpu-core', dataPreparationUsd: 100 });
    expect(r.training.flops).toBeCloseTo(flops, 0);
    expect(r.training.usd).toBeCloseTo(usd, 12);
    expect(r.training.measuredUsd).toBeCloseTo(3 * 0.044625, 12);
  });
  it('monthly costs, break-evens and the recommendation follow by hand', () => {
    const amort = ((3e6 * (4 * N + 2 * n)) / (312e12 * 0.3) / 3600 * 1.79 + 100) / 12;
    const c = (45 / 1000 / 3600) * 0.8048;
    const m = Object.fromEntries(r.approaches.map((a) => [a.approach, a.monthlyUsd]));
    expect(m.finetuned).toBeCloseTo(amort + c * 1e5, 9);
    expect(m.prompting).toBeCloseTo(7.8, 9);
    expect(m.rag).toBeCloseTo(74.8, 9);
    expect(r.cheapest).toBe('prompting');
    const be = r.breakEven.find((b) => b.against === 'prompting')!;
    expect(be.kind).toBe('above');
    expect(be.fromVolume).toBeCloseTo(amort / (78e-6 - c), 3);
    expect(r.breakEven.find((b) => b.against === 'rag')!.kind).toBe('always');
    expect(r.recommendation).toMatch(/^Fine-tuning scores best \(classify\/f1_macro 0\.800 vs prompting 0\.600, rag 0\.650\) but costs \$1\.54\/month more than prompting at 100,000 requests\/month; it becomes cheaper from 122,66\d requests\/month\.$/);
  });
  it('renders a table with every approach', () => {
    const text = renderRoi(r);
    expect(text).toMatch(/finetuned \*/);
    // quality with its stored 95% interval
    expect(text).toMatch(/│\s+0\.800 \[0\.700, 0\.850\] │/);
    const ci = r.approaches.find((a) => a.approach === 'finetuned')!.qualityCi!;
    expect(ci[0]).toBeCloseTo(0.7, 12);
    expect(ci[1]).toBeCloseTo(0.85, 12);
    expect(text).toMatch(/prompting \$/);
    expect(text).toMatch(/from 122,66\d\/mo/);
    expect(text).toMatch(/at any volume/);
    expect(text).toMatch(/Recommendation: Fine-tuning scores best/);
  });
});

describe('options', () => {
  it('volume and horizon from the flags', async () => {
    const r = await roiForSweep(db.db, { monthlyRequests: 1e6, months: 24 });
    expect(r.monthlyRequests).toBe(1e6);
    expect(r.months).toBe(24);
    expect(r.cheapest).toBe('finetuned');
  });
  it('--amortise best-run counts only the best run', async () => {
    const r = await roiForSweep(db.db, { amortise: 'best-run' });
    expect(r.training).toMatchObject({ basis: 'best-run', runs: 1, tokensTrained: 2e6 });
  });
  it('--metric picks another measured metric', async () => {
    const r = await roiForSweep(db.db, { metric: 'subject/rougeL' });
    expect(r.approaches.map((a) => a.quality)).toEqual([0.5, 0.4, 0.45]);
    expect(r.objective).toEqual({ metric: 'subject/rougeL', goal: 'maximize' });
  });
  it('--prices re-prices the stored token counts and names the file as the source', async () => {
    const f = join(dir, 'prices.json');
    writeFileSync(f, JSON.stringify({ 'gpt-4o-mini': { inputUsdPerMTokens: 1.5 } }));
    const r = await roiForSweep(db.db, { pricesFile: f });
    expect(r.requests.prompting.usd).toBeCloseTo((500 * 1.5 + 5 * 0.6) / 1e6, 15);
    expect(r.requests.prompting.priceSource).toBe(`override from ${f} (unspecified)`);
    expect(r.requests.finetuned.usd).toBeCloseTo((45 / 1000 / 3600) * 0.8048, 15);
  });
  it('what-if --serving-device: the device the evaluation ran on is priced at its measured tokens/s', async () => {
    const r = await roiForSweep(db.db, { servingDevice: 'cpu-core' });
    // r2's eval row: 1000 tokens in 60 s on 1 core = 16.67 tokens/s; 45 tokens per request at 0.044625 USD/core-hour
    expect(r.requests.finetuned.priceKey).toBe('cpu-core');
    expect(r.requests.finetuned.tokensPerSecond).toBeCloseTo(1000 / 60, 9);
    expect(r.requests.finetuned.usd).toBeCloseTo((45 / (1000 / 60) / 3600) * 0.044625, 15);
    expect(r.requests.prompting.usd).toBeCloseTo(78e-6, 15);
  });
  it('what-if --api-model re-prices prompting and RAG', async () => {
    const r = await roiForSweep(db.db, { apiModel: 'claude-3-5-haiku' });
    expect(r.requests.prompting).toMatchObject({ priceKey: 'claude-3-5-haiku', priceSource: 'Anthropic API pricing page (2025-01)' });
    expect(r.requests.prompting.usd).toBeCloseTo((500 * 0.8 + 5 * 4) / 1e6, 15);
    expect(r.requests.rag.usd).toBeCloseTo((300 * 0.8 + 5 * 4) / 1e6, 15);
    expect(r.apiModel).toBe('claude-3-5-haiku');
  });
  it('an unknown what-if name lists the known ones', async () => {
    await expect(roiForSweep(db.db, { servingDevice: 'V100' })).rejects.toThrow(/unknown device 'V100'; known: H200/);
    await expect(roiForSweep(db.db, { apiModel: 'gpt-5' })).rejects.toThrow(/unknown API model 'gpt-5'; known: gpt-4o-mini/);
  });
  it('an explicit sweep id', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'valloss', metric: 'classify/f1_macro' });
    expect(r.bestRun.runId).toBe('v1');
  });
});

describe('always-on serving (the default: one serving device on 24/7)', () => {
  it('is the floor of the fine-tuned monthly cost and moves the break-even', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'alwayson' });
    const ft = r.approaches.find((a) => a.approach === 'finetuned')!;
    const floor = 730 * 0.8048; // one L4 for 730 h
    expect(ft.alwaysOnMonthlyUsd).toBeCloseTo(floor, 9);
    expect(ft.variableMonthlyUsd).toBeCloseTo(floor, 9); // 100,000 requests use far less than one L4
    expect(ft.pricing).toBe('self-hosted L4 (1 always on)');
    const amort = ((1e6 * (4 * N + 2 * n)) / (312e12 * 0.3) / 3600 * 1.79 + 100) / 12;
    expect(ft.monthlyUsd).toBeCloseTo(amort + floor, 9);
    // vs prompting: A = amort, F = floor, c = 45/1000/3600 x 0.8048, d = 78e-6 -> max((A - 0)/(d - c), (A + F)/d)
    const c = (45 / 1000 / 3600) * 0.8048;
    const be = r.breakEven.find((b) => b.against === 'prompting')!;
    expect(be.kind).toBe('above');
    expect(be.fromVolume).toBeCloseTo(Math.max(amort / (78e-6 - c), (amort + floor) / 78e-6), 3);
    expect(r.notes.join('\n')).toMatch(/served on 1 L4 kept on 24\/7 \(\$588\/month whatever the volume\) at 1,000 tokens\/s per device \(spec servingThroughputTokensPerSecond\)/);
  });
});

describe('bad input: one clear line naming what is missing and how to produce it', () => {
  it.each([
    [{ monthlyRequests: 0 }, /^--monthly-requests must be > 0, got 0$/],
    [{ monthlyRequests: -3 }, /^--monthly-requests must be > 0, got -3$/],
    [{ months: 0 }, /^--months must be > 0, got 0$/],
    [{ sweepId: 'nocompleted' }, /^sweep nocompleted has no completed run \(1 failed\); finish it with: fte sweep experiments\/x\.ts \(completed variants are kept/],
    // A sweep with no runs of its own: name the sweep that has completed runs, not "finish it".
    [{ sweepId: 'norun' }, /^sweep norun has no runs; sweep good-sweep \(email\) has 2 completed: fte roi --sweep good-sweep$/],
    [{ sweepId: 'norag' }, /^sweep norag has no rag baseline for classify\/f1_macro on clean inputs; include 'rag' in the spec's evaluate\.baselines and re-run/],
    [{ sweepId: 'valloss' }, /^the sweep's objective val_loss .* pass --metric <slice>\/<metric> \(measured for every approach: classify\/f1_macro, subject\/rougeL\)$/],
    [{ metric: 'subject/bleu' }, /^no completed run of sweep good-sweep has a fine-tuned subject\/bleu on clean inputs; pass --metric/],
    [{ sweepId: 'nope' }, /unknown sweep 'nope'/],
  ])('%j', async (opts, msg) => {
    await expect(roiForSweep(db.db, opts)).rejects.toThrow(msg);
    await expect(roiForSweep(db.db, opts)).rejects.toHaveProperty('exitCode', 2);
  });
  it('an empty store', async () => {
    const empty = await openStore(join(dir, 'empty.duckdb'));
    try {
      await expect(roiForSweep(empty.db)).rejects.toThrow(/^no sweep in .*empty\.duckdb; run one first: fte sweep experiments\/lora-rank\.ts$/);
    } finally {
      await empty.close();
    }
  });
  it('a store whose only sweep has no runs says how to produce one', async () => {
    const one = await openStore(join(dir, 'one-empty-sweep.duckdb'));
    try {
      await sweep(one, 'lonely', [], null);
      await expect(roiForSweep(one.db)).rejects.toThrow(/^sweep lonely has no runs, and no sweep in .*one-empty-sweep\.duckdb has a completed run; produce one with: fte sweep experiments\/x\.ts$/);
    } finally {
      await one.close();
    }
  });
});

describe('fte roi (the command, in-process)', () => {
  const run = async (argv: string[]): Promise<{ out: string; err: string; result: unknown; code: number | undefined }> => {
    let out = '';
    let err = '';
    // oclif's this.log goes through console.log (which vitest intercepts); BaseCommand writes errors to stderr
    const o = vi.spyOn(console, 'log').mockImplementation((s?: unknown) => void (out += `${String(s ?? '')}\n`));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      const result = await Roi.run(argv, root);
      return { out, err, result, code: process.exitCode as number | undefined };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.exitCode = before;
    }
  };
  it('prints the table', async () => {
    const { out, code, err } = await run(['--db', dbFile]);
    expect(err).toBe('');
    expect(code).toBeUndefined();
    expect(out).toMatch(/Sweep good-sweep \(email\): best run r2/);
    expect(out).toMatch(/Recommendation: /);
    if (process.env.FTE_SHOW) process.stderr.write(out);
  });
  it('--json prints the report', async () => {
    const { out } = await run(['--db', dbFile, '--json', '--monthly-requests', '1000000']);
    const j = JSON.parse(out) as RoiReport;
    expect(j.monthlyRequests).toBe(1e6);
    expect(j.approaches).toHaveLength(3);
    expect(j.sensitivity.volume.length).toBeGreaterThan(20);
  });
  it('bad volume: one line on stderr, exit code 2', async () => {
    const { err, code } = await run(['--db', dbFile, '--monthly-requests=0']);
    expect(err).toBe('fte: --monthly-requests must be > 0, got 0\n');
    expect(code).toBe(2);
  });
  it('a missing database file: one line, non-zero', async () => {
    const { err, code } = await run(['--db', join(dir, 'missing.duckdb')]);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/missing\.duckdb/);
    expect(code).not.toBe(0);
  });
});
