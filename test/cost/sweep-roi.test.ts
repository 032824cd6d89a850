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
import { noCompletedRun, userSetPaths } from '../../src/cost/sweep-roi.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { EvalRow, PredictionRow, Subject, SubjectRow } from '../../src/eval/types.js';
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
  /** How prompting and RAG were evaluated: through an API model at an endpoint, on the local base model, or unknown (a store before schema 4). */
  baselinesOn: { provider: 'openai'; model: string; endpoint: string } | { provider: 'local' } | null = { provider: 'openai', model: 'gpt-4o-mini', endpoint: 'https://api.example.test/v1' },
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
    const api = baselinesOn?.provider === 'openai' ? baselinesOn : null;
    const apiModels = api && api.model === 'gpt-4o-mini' ? { prompting: api.model, rag: api.model } : {};
    const providers = baselinesOn ? { base: 'local', prompting: baselinesOn.provider, rag: baselinesOn.provider } : undefined;
    const subjects: SubjectRow[] = baselinesOn
      ? (['base', 'prompting', 'rag'] as const).map((s) => ({
          subject: s, kind: s, prompt: s === 'rag' ? 'bm25' : s === 'prompting' ? 'few_shot' : 'zero_shot', k: s === 'base' ? 0 : 2,
          provider: s === 'base' || !api ? 'local' : api.provider, model: s === 'base' || !api ? 'fte-tiny-base' : api.model, endpoint: s === 'base' || !api ? 'in-process' : api.endpoint,
          examples: 10, answered: 10, requests: 10, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
          promptTokens: usage[s].promptTokens, completionTokens: usage[s].completionTokens, wallSeconds: 1,
          // o200k_base counts of the same prompts: a quarter of the local byte tokens
          ...(s !== 'base' && !api ? { apiPromptTokens: usage[s].promptTokens / 4, apiCompletionTokens: 20, apiTokenizer: 'o200k_base' } : {}),
        }))
      : [];
    await store.writeBaselineResults(sweepId, baselines, [], costOfRun({ method: 'lora', usage, apiModels, ...(providers ? { providers } : {}), totalParams: N, cost, prices }), [], subjects);
  }
  await store.finishSweep(sweepId, 'completed');
}

/** A subjects row as the evaluation writes it: `tokens` are the clean totals over 10 answered requests. */
const subjectRow = (subject: string, kind: SubjectRow['kind'], on: { provider: string; model: string; endpoint: string }, tokens: [number, number], extra: Partial<SubjectRow> = {}): SubjectRow => ({
  subject, kind, prompt: kind === 'rag' ? 'bm25' : kind === 'prompting' ? 'few_shot' : 'zero_shot', k: kind === 'prompting' || kind === 'rag' ? 2 : 0,
  ...on, examples: 10, answered: 10, requests: 10, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
  promptTokens: tokens[0], completionTokens: tokens[1], wallSeconds: 1, ...extra,
});
const API = { provider: 'openai', model: 'gpt-4o-mini', endpoint: 'https://api.example.test/v1' };
const LOCAL = { provider: 'local', model: 'fte-tiny-base', endpoint: 'in-process' };

/**
 * A sweep whose baselines (and extra models) are named subjects, stored as the evaluation stores them:
 * eval rows, subjects rows in spec order, and the costs rows priced at evaluation time.
 */
async function namedSweep(store: Store, sweepId: string, runs: RunOutcome[], subjects: SubjectRow[], quality: Record<string, number>, specCost: Record<string, unknown> = costSection, predictions: PredictionRow[] = []): Promise<void> {
  const objective = { metric: 'classify/f1_macro', goal: 'maximize' as const };
  await store.upsertExperiment({ name: 'email', specPath: 'experiments/x.ts', specHash: 'h', objective });
  await store.createSweep({ experimentId: 'email', sweepId, specJson: { name: 'email', cost: specCost }, objective, startedAt: `2026-11-29T07:${String(10 + seq++)}:00Z` });
  for (const r of runs) {
    await store.startRun({ runId: r.runId, sweepId, variantKey: r.variantKey, method: r.method, params: {} });
    await store.writeRunOutcome(r);
  }
  const usage = Object.fromEntries(subjects.filter((x) => x.answered > 0).map((x) => [x.subject, { examples: x.answered, promptTokens: x.promptTokens, completionTokens: x.completionTokens }]));
  const apiModels = Object.fromEntries(subjects.filter((x) => x.provider !== 'local' && x.model === 'gpt-4o-mini').map((x) => [x.subject, x.model]));
  const providers = Object.fromEntries(subjects.map((x) => [x.subject, x.provider]));
  const rows = Object.entries(quality).map(([subject, v]) => evalRow(subject, v));
  await store.writeBaselineResults(sweepId, rows, predictions, costOfRun({ method: 'lora', usage, apiModels, providers, totalParams: N, cost, prices }), [], subjects);
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
  await sweep(store, 'local', [outcome('l1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, costSection, { provider: 'local' });
  await sweep(store, 'old-store', [outcome('o1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, costSection, null);
  await sweep(store, 'served', [outcome('s1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, costSection, { provider: 'openai', model: 'base:good', endpoint: 'http://127.0.0.1:8080/v1' });
  const { servingDevice: _d, servingThroughputTokensPerSecond: _t, ...bySize } = costSection;
  await sweep(store, 'by-size', [outcome('b1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, { ...bySize, servingAlwaysOnDevices: 1 }, { provider: 'local' });
  await sweep(store, 'whole-cost', [outcome('w1', 'completed', 1e6, 3600, 0.7)], goodBaselines, undefined, {
    ...costSection,
    hourlyRateUsd: 100,
    effort: { finetuned: { engineeringHours: 40, maintenanceHoursPerMonth: 2 }, prompting: { engineeringHours: 8 } },
    retrainEveryMonths: 6,
    value: { usdPerCorrect: 0.01, usdPerError: 0.02 },
  });
  // named baselines: two of kind prompting (the first in spec order is priced), one of kind rag
  await namedSweep(store, 'named', [outcome('m1', 'completed', 1e6, 3600, 0.7)], [
    subjectRow('zero', 'base', LOCAL, [400, 50]),
    subjectRow('api-few', 'prompting', API, [5000, 50]),
    subjectRow('served', 'prompting', { provider: 'openai', model: 'base:good', endpoint: 'http://127.0.0.1:8080/v1' }, [2000, 20]),
    subjectRow('docs', 'rag', API, [3000, 50]),
  ], { zero: 0.3, 'api-few': 0.6, served: 0.55, docs: 0.65 });
  await namedSweep(store, 'named-norag', [outcome('m2', 'completed', 1e6, 3600, 0.7)], [subjectRow('api-few', 'prompting', API, [5000, 50])], { 'api-few': 0.6 });
  // an API that reported no usage: o200k counts for prompting, nothing at all for RAG (text length), a store before schema 6 for the extra model
  const noUsage = { usageNotReported: 10, promptTokens: 0, completionTokens: 0 };
  const pred = (subject: string, i: number): PredictionRow => ({ subject, perturbation: 'none', exampleId: `L${i}`, input: 'x'.repeat(400), reference: ' spam', prediction: 'y'.repeat(8), scores: {} });
  await namedSweep(store, 'no-usage', [outcome('u1', 'completed', 1e6, 3600, 0.7)], [
    subjectRow('api-few', 'prompting', API, [0, 0], { ...noUsage, apiPromptTokens: 1250, apiCompletionTokens: 20, apiTokenizer: 'o200k_base' }),
    subjectRow('docs', 'rag', API, [0, 0], noUsage),
  ], { 'api-few': 0.6, docs: 0.65 }, costSection, Array.from({ length: 10 }, (_, i) => pred('docs', i)));
  await namedSweep(store, 'no-usage-old', [outcome('u2', 'completed', 1e6, 3600, 0.7)], [
    subjectRow('prompting', 'prompting', API, [0, 0], { apiPromptTokens: 1250, apiCompletionTokens: 20 }),
    subjectRow('rag', 'rag', API, [3000, 50]),
  ], { prompting: 0.6, rag: 0.65 });
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
    expect(text).toMatch(/^Decision: Fine-tuning scores best/);
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
    expect(r.notes.join('\n')).toMatch(/the fine-tuned model is served on L4 \(cost\.servingDevice in the spec\), 1 kept on 24\/7 \(\$588\/month whatever the volume; .*throughput: the fine-tuned model 1,000 tokens\/s per device \(spec servingThroughputTokensPerSecond\)/);
  });
});

describe('like with like: each approach priced as what it ran on', () => {
  const l4 = (tokens: number): number => (tokens / 1000 / 3600) * 0.8048; // the spec's L4 at its 1,000 tokens/s
  it('local prompting and RAG are the base model served on the serving device, on the tokens it was fed', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'local' });
    expect(r.requests.prompting).toMatchObject({ pricing: 'self-hosted', priceKey: 'L4', inputTokens: 500, outputTokens: 5, tokenSource: 'measured', whatIf: false, evaluatedOn: 'local fte-tiny-base' });
    expect(r.requests.prompting.usd).toBeCloseTo(l4(505), 15);
    expect(r.requests.rag.usd).toBeCloseTo(l4(305), 15);
    expect(r.approaches.map((a) => a.pricing)).toEqual(['self-hosted L4', 'self-hosted L4', 'self-hosted L4 + index']);
    expect(r.whatIfs).toEqual([]);
    expect(r.notes).toContain('prompting was evaluated on local fte-tiny-base and is priced as served on L4, like the fine-tuned model, on the tokens fte-tiny-base was fed and generated');
  });
  it('a store from before providers (no subjects rows) has local baselines too', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'old-store' });
    expect(r.requests.prompting).toMatchObject({ pricing: 'self-hosted', priceKey: 'L4', evaluatedOn: 'local base model' });
  });
  it('what-if --api-model: local prompts re-priced on their o200k_base counts, labelled everywhere', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'local', apiModel: 'gpt-4o-mini' });
    // counted: 5000 / 4 = 1,250 prompt tokens over 10 requests = 125 in; 20 / 10 = 2 out
    expect(r.requests.prompting).toMatchObject({ pricing: 'api', priceKey: 'gpt-4o-mini', inputTokens: 125, outputTokens: 2, tokenSource: 'counted', whatIf: true });
    expect(r.requests.prompting.usd).toBeCloseTo((125 * 0.15 + 2 * 0.6) / 1e6, 15);
    expect(r.requests.rag.inputTokens).toBe(75);
    expect(r.approaches.find((a) => a.approach === 'prompting')!.pricing).toBe('gpt-4o-mini API (what-if)');
    expect(r.whatIfs).toEqual(['--api-model gpt-4o-mini: prompting and RAG priced as gpt-4o-mini API calls']);
    expect(r.notes).toContain('what-if: prompting (evaluated on local fte-tiny-base) is priced as gpt-4o-mini API calls on o200k_base counts of the prompts built here and of the local answers; its quality is still that of local fte-tiny-base');
    // the fine-tuned model is still priced as it ran
    expect(r.requests.finetuned).toMatchObject({ pricing: 'self-hosted', whatIf: false });
    const text = renderRoi(r);
    expect(text).toMatch(/125\+2 \(o200k\)/);
    expect(text).toMatch(/What-if: --api-model gpt-4o-mini/);
  });
  it('what-if --api-model for another vendor says its tokenizer differs', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'local', apiModel: 'claude-3-5-haiku' });
    expect(r.requests.prompting.tokenBasis).toMatch(/OpenAI's tokenizer; claude-3-5-haiku's own differs/);
  });
  it('without stored tokenizer counts the what-if estimates, and says so', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'old-store', apiModel: 'gpt-4o-mini' });
    // 500 / 4 in, 5 / 4 out
    expect(r.requests.prompting).toMatchObject({ inputTokens: 125, outputTokens: 1.25, tokenSource: 'estimated', whatIf: true });
    expect(r.requests.prompting.tokenBasis).toMatch(/^estimated: the local model's tokens \/ 4 .* re-run the sweep with the tokenizer package installed/);
  });
  it('a baseline served by an OpenAI-compatible endpoint without a price entry (fte serve): its reported usage at cost.apiModel, with a note', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'served' });
    expect(r.requests.prompting).toMatchObject({ pricing: 'api', priceKey: 'gpt-4o-mini', inputTokens: 500, outputTokens: 5, tokenSource: 'reported', whatIf: false, evaluatedOn: 'openai base:good (http://127.0.0.1:8080/v1)' });
    expect(r.requests.prompting.usd).toBeCloseTo(78e-6, 15);
    expect(r.notes).toContain('prompting ran on base:good at http://127.0.0.1:8080/v1, which has no price entry: priced as gpt-4o-mini (cost.apiModel) on the tokens it reported; add its price with cost.prices or --prices FILE');
  });
  it('an API baseline is priced at its own model on the tokens it reported', async () => {
    const r = await roiForSweep(db.db);
    expect(r.requests.prompting).toMatchObject({ pricing: 'api', priceKey: 'gpt-4o-mini', tokenSource: 'reported', whatIf: false });
    expect(r.notes).toContain('prompting was evaluated on openai gpt-4o-mini (https://api.example.test/v1) and is priced at gpt-4o-mini on the tokens gpt-4o-mini reported');
  });
});

describe('named baselines: each approach is the subject of its kind', () => {
  let r: RoiReport;
  beforeAll(async () => {
    r = await roiForSweep(db.db, { sweepId: 'named' });
  });
  it('prompting is the first subject of kind prompting in spec order, RAG the subject of kind rag, the base the subject of kind base', () => {
    expect(r.approaches.map((a) => [a.approach, a.quality])).toEqual([['finetuned', 0.7], ['prompting', 0.6], ['rag', 0.65]]);
    expect(r.baseQuality).toBe(0.3);
    expect(r.requests.prompting).toMatchObject({ subject: 'api-few', pricing: 'api', priceKey: 'gpt-4o-mini', inputTokens: 500, outputTokens: 5, tokenSource: 'reported' });
    expect(r.requests.prompting.usd).toBeCloseTo(78e-6, 15);
    expect(r.requests.rag).toMatchObject({ subject: 'docs', inputTokens: 300 });
    expect(r.requests.rag.usd).toBeCloseTo(48e-6, 15);
    const ci = r.approaches.find((a) => a.approach === 'prompting')!.qualityCi!;
    expect(ci[0]).toBeCloseTo(0.5, 12);
  });
  it('says which subject each approach is, and which others of the same kind it left out', () => {
    expect(r.notes).toContain("prompting is subject api-few (openai gpt-4o-mini @ https://api.example.test/v1), the first of kind prompting in the spec; also of that kind, not priced here: served (openai base:good @ http://127.0.0.1:8080/v1): compare them with fte compare --base named:api-few --head named:served");
    expect(r.notes.join('\n')).not.toMatch(/rag is subject docs/);
    expect(r.notes).toContain('prompting (api-few) was evaluated on openai gpt-4o-mini (https://api.example.test/v1) and is priced at gpt-4o-mini on the tokens gpt-4o-mini reported');
  });
  it('the table names the subject beside the approach', () => {
    const text = renderRoi(r);
    expect(text).toMatch(/│ prompting \(api-few\)/);
    expect(text).toMatch(/│ rag \(docs\)/);
  });
  it('no subject of kind rag: one line naming the kind and how to add it', async () => {
    await expect(roiForSweep(db.db, { sweepId: 'named-norag' })).rejects.toThrow(/^sweep named-norag has no rag baseline \(a subject of kind rag\) for classify\/f1_macro on clean inputs; include 'rag' \(or \{ kind: 'rag', name, provider \}\) in the spec's evaluate\.baselines and re-run/);
  });
});

describe('an API that reported no usage is never priced as free', () => {
  it('prompting on the o200k_base counts of its prompts, RAG from the text at 4 characters per token; each said in a note', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'no-usage' });
    // 1,250 / 10 = 125 in, 20 / 10 = 2 out at gpt-4o-mini
    expect(r.requests.prompting).toMatchObject({ subject: 'api-few', inputTokens: 125, outputTokens: 2, tokenSource: 'counted', pricing: 'api' });
    expect(r.requests.prompting.usd).toBeCloseTo((125 * 0.15 + 2 * 0.6) / 1e6, 15);
    // 400 characters in, 8 out, at 4 characters per token
    expect(r.requests.rag).toMatchObject({ subject: 'docs', inputTokens: 100, outputTokens: 2, tokenSource: 'estimated' });
    expect(r.requests.rag.usd).toBeCloseTo((100 * 0.15 + 2 * 0.6) / 1e6, 15);
    expect(r.approaches.every((a) => a.perRequestUsd > 0)).toBe(true);
    const notes = r.notes.join('\n');
    expect(notes).toMatch(/prompting \(api-few\) on gpt-4o-mini: usage not reported by the API \(10 of 10 requests\): tokens estimated as o200k_base counts of the prompts as built and of the answers; priced on that estimate, not as \$0/);
    expect(notes).toMatch(/rag \(docs\) on gpt-4o-mini: usage not reported by the API \(10 of 10 requests\): tokens estimated from the test inputs and answers at 4 characters per token \(demonstrations and retrieved context not counted: a low estimate\); priced on that estimate, not as \$0/);
    expect(renderRoi(r)).toMatch(/125\+2 \(o200k\)/);
  });
  it('a store before schema 6: an API subject whose prompts total 0 tokens did not report usage', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'no-usage-old' });
    expect(r.requests.prompting).toMatchObject({ inputTokens: 125, outputTokens: 2, tokenSource: 'counted' });
    expect(r.requests.prompting.usd).toBeGreaterThan(0);
    expect(r.requests.rag).toMatchObject({ inputTokens: 300, tokenSource: 'reported' });
  });
});

describe('serving that fits the model', () => {
  it('a 100 M-parameter model with no serving device in the spec is served on a CPU core at the throughput its evaluation measured', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'by-size' });
    expect(r.serving).toMatchObject({ key: 'cpu-core', basis: 'size' });
    // b1's eval row: 1,000 tokens in 60 s on one core
    expect(r.requests.finetuned).toMatchObject({ priceKey: 'cpu-core', pricing: 'self-hosted' });
    expect(r.requests.finetuned.tokensPerSecond).toBeCloseTo(1000 / 60, 9);
    expect(r.requests.finetuned.usd).toBeCloseTo((45 / (1000 / 60) / 3600) * 0.044625, 15);
    // the local prompting baseline on the same core, at the baselines' measured throughput (no eval row: from FLOPs)
    expect(r.requests.prompting.priceKey).toBe('cpu-core');
    const ft = r.approaches.find((a) => a.approach === 'finetuned')!;
    expect(ft.alwaysOnMonthlyUsd).toBeCloseTo(730 * 0.044625, 9);
    expect(r.notes.join('\n')).toMatch(/served on cpu-core \(a 100 M-parameter model is served on one CPU core \(up to cost\.cpuServingMaxParams = 100 M\)\)/);
  });
  it('--serving-mfu is a labelled what-if that drops the spec throughput', async () => {
    const r = await roiForSweep(db.db, { sweepId: 'alwayson', servingMfu: 0.2 });
    // L4 from FLOPs at MFU 0.2: 121e12 x 0.2 / (2 x 1e8)
    expect(r.requests.finetuned.tokensPerSecond).toBeCloseTo((121e12 * 0.2) / 2e8, 6);
    expect(r.whatIfs).toEqual(['--serving-mfu 0.2: serving utilisation (spec 0.1)']);
    expect(r.requests.finetuned.whatIf).toBe(true);
  });
});

describe('prices: source, address, date, age', () => {
  it('every price in use with its age; a warning past 12 months', async () => {
    const r = await roiForSweep(db.db, { asOf: new Date('2026-12-02T10:00:00Z') });
    expect(r.prices.map((p) => [p.key, p.date, p.ageMonths, p.stale])).toEqual([
      ['L4', '2025-01', 23, true],
      ['gpt-4o-mini', '2025-01', 23, true],
      ['A100-80GB', '2025-01', 23, true],
    ]);
    expect(r.prices[1]).toMatchObject({ url: 'https://openai.com/api/pricing/', price: '$0.15 in, $0.6 out per M tokens', source: 'OpenAI API pricing page (standard tier)' });
    expect(r.staleWarning).toBe('every price in use is older than 12 months (2025-01, 23 months): list prices change, check them or override with cost.prices or --prices FILE');
    const fresh = await roiForSweep(db.db, { asOf: new Date('2025-06-15T00:00:00Z') });
    expect(fresh.staleWarning).toBeNull();
    expect(fresh.prices[0]!.ageMonths).toBe(5);
  });
  it('a prices file names itself and has no date: no age, and the others still warn', async () => {
    const f = join(dir, 'prices-l4.json');
    writeFileSync(f, JSON.stringify({ L4: { usdPerHour: 0.7, date: '2026-11', url: 'https://example.test/our-rate' } }));
    const r = await roiForSweep(db.db, { pricesFile: f, asOf: new Date('2026-12-02T10:00:00Z') });
    expect(r.prices[0]).toMatchObject({ key: 'L4', source: `override from ${f}`, date: '2026-11', ageMonths: 1, stale: false, url: 'https://example.test/our-rate' });
    expect(r.staleWarning).toMatch(/^gpt-4o-mini, A100-80GB are older than 12 months/);
  });
});

describe('the whole cost, the value side, and which are user-set', () => {
  let r: RoiReport;
  beforeAll(async () => {
    r = await roiForSweep(db.db, { sweepId: 'whole-cost' });
  });
  const part = (a: string, label: RegExp) => r.costInputs.find((p) => p.approach === a && label.test(p.label))!;
  it('engineering, maintenance and retraining from the spec; unset items listed as not set', () => {
    expect(part('finetuned', /^engineering/)).toMatchObject({ label: 'engineering 40 h x $100/h', kind: 'one-off', usd: 4000, origin: 'spec' });
    expect(part('finetuned', /^maintenance/)).toMatchObject({ kind: 'monthly', usd: 200, origin: 'spec' });
    expect(part('prompting', /^engineering/)).toMatchObject({ usd: 800, origin: 'spec' });
    expect(part('rag', /^engineering/)).toMatchObject({ usd: 0, origin: 'not set' });
    expect(part('finetuned', /^data preparation/)).toMatchObject({ usd: 100, origin: 'spec' });
    expect(part('rag', /^retrieval index/)).toMatchObject({ usd: 70, origin: 'default' }); // 70 is the schema's default
    // retraining every 6 months at one training of w1 (the priced run): training / 6 per month
    const retrain = part('finetuned', /^retraining/);
    expect(retrain.origin).toBe('estimated');
    expect(retrain.usd).toBeCloseTo(r.training.usd / 6, 12); // the sweep has one run: its training is the sweep's
    expect(r.notes.join('\n')).toMatch(/not set in the spec, counted as \$0: .*rag engineering/);
  });
  it('monthly cost adds people and retraining; net, payback by hand', () => {
    const ft = r.approaches.find((a) => a.approach === 'finetuned')!;
    const oneOff = r.training.usd + 100 + 4000;
    expect(ft.oneOffUsd).toBeCloseTo(oneOff, 9);
    expect(ft.fixedMonthlyUsd).toBeCloseTo(200 + r.training.usd / 6, 9);
    const c = (45 / 1000 / 3600) * 0.8048;
    expect(ft.monthlyUsd).toBeCloseTo(oneOff / 12 + 200 + r.training.usd / 6 + c * 1e5, 9);
    // value per request at 0.7: 0.03 x 0.7 - 0.02 = 0.001 -> $100/month
    expect(ft.valuePerRequestUsd).toBeCloseTo(0.001, 12);
    expect(ft.netMonthlyUsd).toBeCloseTo(100 - ft.monthlyUsd, 9);
    // the surplus (100 - recurring) is negative: never pays back
    expect(ft.paybackMonths).toBeNull();
    // prompting 0.6: -0.002 x 1e5 = -200, cost 800 / 12 + 7.8
    const p = r.approaches.find((a) => a.approach === 'prompting')!;
    expect(p.netMonthlyUsd).toBeCloseTo(-200 - (800 / 12 + 7.8), 9);
    expect(r.decision.basis).toBe('net value');
    expect(r.sensitivity.table.length).toBeGreaterThan(3);
  });
  it('renders the decision first, then the sensitivity table, then the tables', () => {
    const text = renderRoi(r);
    const at = (re: RegExp): number => text.search(re);
    expect(at(/^Decision: /m)).toBe(0);
    expect(at(/^Drivers:/m)).toBeGreaterThan(0);
    expect(at(/Sensitivity/)).toBeGreaterThan(at(/^Drivers:/m));
    expect(at(/approach .*priced as/)).toBeGreaterThan(at(/Sensitivity/));
    expect(text).toMatch(/Cost inputs/);
    expect(text).toMatch(/engineering 40 h x \$100\/h +│ +one-off +│ +\$4,000 +│ spec/);
  });
});

describe('userSetPaths: what the spec set, told from the defaults a stored spec carries', () => {
  it('values that differ from the schema defaults, with their parents', () => {
    const p = userSetPaths({ targetDevice: 'A100-80GB', monthlyRequests: 5, dataPreparationUsd: 0, effort: { finetuned: { engineeringHours: 40 } }, prices: {}, value: { usdPerCorrect: 0.1 } });
    expect([...p].sort()).toEqual(['effort', 'effort.finetuned', 'effort.finetuned.engineeringHours', 'monthlyRequests', 'value', 'value.usdPerCorrect']);
  });
});

describe('noCompletedRun: what a resume keeps', () => {
  it('a sweep whose only runs hyperband stopped (and one failed): the resume keeps the stopped ones, says so', () => {
    const sweep = { sweepId: 'hb', specPath: 'experiments/hb.ts', experimentId: 'e', runCounts: { total: 3, completed: 0, stopped: 2, failed: 1 } } as unknown as Parameters<typeof noCompletedRun>[0]['sweep'];
    expect(noCompletedRun({ sweep, sweepsWithCompletedRuns: [], dbFile: 'x.duckdb' })).toBe('sweep hb has no completed run (2 stopped, 1 failed); finish it with: fte sweep experiments/hb.ts (completed variants and those its hyperband stopped are kept, the rest re-run)');
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
    [{ sweepId: 'norag' }, /^sweep norag has no rag baseline \(a subject of kind rag\) for classify\/f1_macro on clean inputs; include 'rag' \(or \{ kind: 'rag', name, provider \}\) in the spec's evaluate\.baselines and re-run/],
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
    expect(out).toMatch(/^Decision: /);
    if (process.env.FTE_SHOW) process.stderr.write(out);
  });
  it('--json prints the report', async () => {
    const { out } = await run(['--db', dbFile, '--json', '--monthly-requests', '1000000']);
    const j = JSON.parse(out) as RoiReport;
    expect(j.monthlyRequests).toBe(1e6);
    expect(j.approaches).toHaveLength(3);
    expect(j.sensitivity.volume.length).toBeGreaterThan(20);
  });
  it('bad utilisation: one line on stderr, exit code 2', async () => {
    for (const [flag, v, msg] of [['--serving-mfu', '1.5', 'fte: --serving-mfu must be in (0, 1], got 1.5\n'], ['--training-mfu', 'x', "fte: --training-mfu must be a number in (0, 1], got 'x'\n"]] as const) {
      const { err, code } = await run(['--db', dbFile, flag, v]);
      expect(err).toBe(msg);
      expect(code).toBe(2);
    }
  });
  it('--api-model prints the what-if line and the o200k token counts', async () => {
    const { out, code } = await run(['--db', dbFile, '--sweep', 'local', '--api-model', 'gpt-4o-mini']);
    expect(code).toBeUndefined();
    expect(out).toMatch(/^What-if: --api-model gpt-4o-mini: prompting and RAG priced as gpt-4o-mini API calls \(not how it ran\)\.$/m);
    expect(out).toMatch(/gpt-4o-mini API \(what-if\)/);
    expect(out).toMatch(/125\+2 \(o200k\)/);
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
