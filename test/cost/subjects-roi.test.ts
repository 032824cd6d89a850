/**
 * `fte roi` on an `fte eval` sweep (no variant runs): the evaluated subjects compared on cost and
 * quality, each priced as it ran, no fine-tuning and no training cost. A real store (DuckDB file).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { costOfRun } from '../../src/cost/run-cost.js';
import { resolvePrices } from '../../src/cost/prices.js';
import { costSpec } from '../../src/cost/spec.js';
import { renderSubjectsCost } from '../../src/cost/render.js';
import { costForSweep, roiForSweep, type SubjectsCostReport } from '../../src/report/roi.js';
import { openStore, type Store } from '../../src/store/index.js';
import { readRoiInputs } from '../../src/store/roi-inputs.js';
import type { EvalRow, SubjectRow } from '../../src/eval/types.js';
import Roi from '../../src/commands/roi.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fte-subjects-roi-'));
const dbFile = join(dir, 'fte.duckdb');

const N = 1e8;
const costSection = {
  targetDevice: 'A100-80GB',
  apiModel: 'gpt-4o-mini',
  servingDevice: 'L4',
  servingThroughputTokensPerSecond: 1000,
  monthlyRequests: 100_000,
  months: 12,
  ragIndexMonthlyUsd: 70,
  servingAlwaysOnDevices: 0,
  // the extra model: a model fine-tuned elsewhere, served over an API at these prices
  prices: { 'acme-ft': { inputUsdPerMTokens: 0.3, outputUsdPerMTokens: 1.2, source: 'acme contract', date: '2026-11' } },
};

const evalRow = (subject: string, value: number): EvalRow => ({ subject, perturbation: 'none', slice: 'classify', metric: 'f1_macro', value, n: 10, ciLow: value - 0.1, ciHigh: value + 0.05 });
const API = { provider: 'openai', model: 'gpt-4o-mini', endpoint: 'https://api.example.test/v1' };
const subjectRow = (subject: string, kind: SubjectRow['kind'], on: { provider: string; model: string; endpoint: string }, tokens: [number, number], extra: Partial<SubjectRow> = {}): SubjectRow => ({
  subject, kind, prompt: kind === 'rag' ? 'bm25' : kind === 'prompting' ? 'few_shot' : 'zero_shot', k: kind === 'prompting' || kind === 'rag' ? 2 : 0,
  ...on, examples: 10, answered: 10, requests: 10, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
  promptTokens: tokens[0], completionTokens: tokens[1], wallSeconds: 1, usageNotReported: 0, ...extra,
});

let seq = 0;
/** An `fte eval` sweep as it is stored: no variant runs, the subjects under the baselines pseudo-run. */
async function evaluation(store: Store, sweepId: string, subjects: SubjectRow[], quality: Record<string, number>, spec: Record<string, unknown> = costSection, totalParams: number | null = N): Promise<void> {
  const objective = { metric: 'classify/f1_macro', goal: 'maximize' as const };
  await store.upsertExperiment({ name: 'email', specPath: 'experiments/x.ts', specHash: 'h', objective });
  await store.createSweep({ experimentId: 'email', sweepId, specJson: { name: 'email', cost: spec }, objective, startedAt: `2026-11-29T07:${String(10 + seq++)}:00Z` });
  const cost = costSpec(spec);
  const prices = resolvePrices(cost.prices);
  const usage = Object.fromEntries(subjects.map((x) => [x.subject, { examples: x.answered, promptTokens: x.promptTokens, completionTokens: x.completionTokens }]));
  const providers = Object.fromEntries(subjects.map((x) => [x.subject, x.provider]));
  await store.writeBaselineResults(sweepId, Object.entries(quality).map(([s, v]) => evalRow(s, v)), [], costOfRun({ method: 'lora', usage, providers, totalParams: N, cost, prices }), [], subjects, totalParams !== null ? { totalParams } : {});
  await store.finishSweep(sweepId, 'completed');
}

const subjects = [
  subjectRow('zero', 'base', { provider: 'local', model: 'fte-tiny-base', endpoint: 'in-process' }, [400, 50]),
  subjectRow('api-few', 'prompting', API, [5000, 50]),
  subjectRow('docs', 'rag', API, [3000, 50]),
  subjectRow('tuned-elsewhere', 'model', { provider: 'openai', model: 'acme-ft', endpoint: 'http://127.0.0.1:8000/v1' }, [1000, 30]),
];
const quality = { zero: 0.3, 'api-few': 0.6, docs: 0.65, 'tuned-elsewhere': 0.8 };

beforeAll(async () => {
  const store = await openStore(dbFile);
  await evaluation(store, 'eval-1', subjects, quality);
  const { servingDevice: _d, servingThroughputTokensPerSecond: _t, ...bySize } = costSection;
  await evaluation(store, 'eval-by-size', subjects.slice(0, 2), { zero: 0.3, 'api-few': 0.6 }, bySize);
  await evaluation(store, 'eval-always-on', subjects, quality, { ...costSection, servingAlwaysOnDevices: 1 });
  await evaluation(store, 'eval-value', subjects, quality, { ...costSection, value: { usdPerCorrect: 0.01, usdPerError: 0.02 } });
  await evaluation(store, 'eval-no-usage', [subjectRow('api-few', 'prompting', API, [0, 0], { usageNotReported: 10, apiPromptTokens: 1250, apiCompletionTokens: 20, apiTokenizer: 'o200k_base' })], { 'api-few': 0.6 });
  await evaluation(store, 'eval-tie', [subjectRow('base', 'base', { provider: 'local', model: 'fte-tiny-base', endpoint: 'in-process' }, [400, 50]), subjectRow('api-few', 'prompting', API, [5000, 50]), subjectRow('docs', 'rag', API, [3000, 50])], { base: 0.6, 'api-few': 0.6, docs: 0.5 }, { ...costSection, servingAlwaysOnDevices: 1 });
  await evaluation(store, 'eval-rag', subjects.slice(1, 3), { 'api-few': 0.6, docs: 0.65 });
  // Two API subjects on the same tokens whose monthly costs differ by $0.0015 (an input price $0.00003/M
  // above gpt-4o-mini's $0.15/M, at 500 tokens a request): $7.80 both as printed.
  const level = [subjectRow('api-few', 'prompting', API, [5000, 50]), subjectRow('other', 'model', { ...API, model: 'acme-ft' }, [5000, 50])];
  const near = { ...costSection, prices: { 'acme-ft': { inputUsdPerMTokens: 0.15003, outputUsdPerMTokens: 0.6, source: 'acme contract', date: '2026-11' } } };
  await evaluation(store, 'eval-cent-best', level, { 'api-few': 0.6, other: 0.7 }, near);
  await evaluation(store, 'eval-cent-tie', level, { 'api-few': 0.6, other: 0.6 }, near);
  await evaluation(store, 'eval-cent-net', level, { 'api-few': 0.8, other: 0.8 }, { ...near, value: { usdPerCorrect: 0.01, usdPerError: 0.02 } });
  await evaluation(store, 'eval-unknown-size', subjects.slice(0, 1), { zero: 0.3 }, (({ servingThroughputTokensPerSecond: _t, ...c }) => c)(costSection), null);
  await store.close();
});

let db: Store;
beforeAll(async () => {
  db = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => {
  await db?.close();
});

const bySubject = (r: SubjectsCostReport, s: string) => r.subjects.find((x) => x.subject === s)!;

describe('an fte eval sweep: the evaluated subjects on cost and quality', () => {
  let r: SubjectsCostReport;
  beforeAll(async () => {
    const out = await costForSweep(db.db, { sweepId: 'eval-1' });
    expect(out.kind).toBe('subjects');
    r = out as SubjectsCostReport;
  });
  it('every subject in spec order, with its kind, quality and interval', () => {
    expect(r.subjects.map((s) => [s.subject, s.kind, s.quality])).toEqual([['zero', 'base', 0.3], ['api-few', 'prompting', 0.6], ['docs', 'rag', 0.65], ['tuned-elsewhere', 'model', 0.8]]);
    expect(bySubject(r, 'docs').qualityCi![0]).toBeCloseTo(0.55, 12);
  });
  it('each priced as it ran: the local model served on the serving device, the API ones at their token prices', () => {
    expect(bySubject(r, 'zero').request).toMatchObject({ pricing: 'self-hosted', priceKey: 'L4', inputTokens: 40, outputTokens: 5 });
    expect(bySubject(r, 'zero').perRequestUsd).toBeCloseTo((45 / 1000 / 3600) * 0.8048, 15);
    expect(bySubject(r, 'api-few').perRequestUsd).toBeCloseTo(78e-6, 15);
    expect(bySubject(r, 'docs').perRequestUsd).toBeCloseTo(48e-6, 15);
    // RAG's index is a monthly cost
    expect(bySubject(r, 'docs').monthlyUsd).toBeCloseTo(4.8 + 70, 9);
  });
  it('the extra model at its API usage and price, labelled as such; no training cost anywhere', () => {
    const m = bySubject(r, 'tuned-elsewhere');
    expect(m.request).toMatchObject({ pricing: 'api', priceKey: 'acme-ft', inputTokens: 100, outputTokens: 3, tokenSource: 'reported' });
    expect(m.perRequestUsd).toBeCloseTo((100 * 0.3 + 3 * 1.2) / 1e6, 15);
    expect(m.pricing).toBe('acme-ft API (extra model: its API usage)');
    expect(m.oneOffUsd).toBe(0);
    expect(r.subjects.flatMap((s) => s.parts).some((p) => /training/.test(p.label))).toBe(false);
    expect(r.notes).toContain('tuned-elsewhere (an extra model) is priced at its API usage on acme-ft; its own training, data and people\'s time are not counted (they were spent elsewhere)');
  });
  it('cheapest, best quality, and the decision in one line; says there is no fine-tuned run and how to price one', () => {
    // the local base model on an L4 at 1,000 tokens/s costs $1.01 a month; the extra model $3.36
    expect(r.cheapest).toBe('zero');
    expect(r.bestQuality).toBe('tuned-elsewhere');
    expect(r.headline).toBe('tuned-elsewhere (an extra model, acme-ft API) scores best (classify/f1_macro 0.800 vs zero 0.300, api-few 0.600, docs 0.650) but costs $2.35/month more than zero (base, self-hosted L4), the cheapest at 100,000 requests/month.');
    expect(r.notes).toContain('no fine-tuned run in sweep eval-1 (an fte eval evaluation): no fine-tuning and no training cost are priced; to price fine-tuning against these subjects, run: fte sweep experiments/x.ts');
  });
  it('renders the decision first, then the table with every subject, no fine-tuning column', () => {
    const text = renderSubjectsCost(r);
    expect(text.split('\n')[0]).toBe(`Decision: ${r.headline}`);
    expect(text).toMatch(/│ tuned-elsewhere \* │ model +│ acme-ft API \(extra model: its API usage\) │/);
    expect(text).toMatch(/│ zero \$ +│ base +│/);
    expect(text).toMatch(/│ api-few +│ prompting │ gpt-4o-mini API +│/);
    expect(text).toMatch(/│ docs +│ rag +│ gpt-4o-mini API \+ index +│/);
    expect(text).toMatch(/│ zero \$ +│ base +│ self-hosted L4 +│/);
    expect(text).not.toMatch(/fine-tuning cheaper|finetuned/);
    expect(text).toMatch(/^Evaluation eval-1 \(email\): no fine-tuned run; the evaluated subjects compared on cost and quality, classify\/f1_macro higher is better\.$/m);
    expect(text).toMatch(/acme-ft +│ +\$0\.3 in, \$1\.2 out per M tokens │ acme contract/);
  });
});

describe('options and other cases', () => {
  it('the best subject is also the cheapest: said so; a trade-off otherwise', async () => {
    // one L4 kept on 24/7 for the local model: $588 a month whatever the volume
    const r = (await costForSweep(db.db, { sweepId: 'eval-always-on' })) as SubjectsCostReport;
    expect(bySubject(r, 'zero').monthlyUsd).toBeCloseTo(730 * 0.8048, 9);
    expect(bySubject(r, 'zero').pricing).toBe('self-hosted L4 (1 always on)');
    expect(r.cheapest).toBe('tuned-elsewhere');
    expect(r.headline).toMatch(/^tuned-elsewhere \(an extra model, acme-ft API\) scores best \(classify\/f1_macro 0\.800 vs zero 0\.300, api-few 0\.600, docs 0\.650\) and is the cheapest at 100,000 requests\/month \(\$3\.36\/month\)\.$/);
    const x = (await costForSweep(db.db, { sweepId: 'eval-by-size' })) as SubjectsCostReport;
    // a 100 M-parameter base served on one CPU core at the FLOPs throughput, against a few-shot API prompt
    expect(bySubject(x, 'zero').request.priceKey).toBe('cpu-core');
    expect(x.serving).toMatchObject({ key: 'cpu-core', basis: 'size' });
    expect(x.bestQuality).toBe('api-few');
    expect(x.headline).toMatch(/^api-few \(prompting, gpt-4o-mini API\) scores best \(classify\/f1_macro 0\.600 vs zero 0\.300\)/);
  });
  it('a tie for the best quality is said as a tie, with the cheapest of the tied', async () => {
    const r = (await costForSweep(db.db, { sweepId: 'eval-tie' })) as SubjectsCostReport;
    expect(r.bestQuality).toBe('api-few');
    // a subject named after its kind is not labelled twice
    expect(r.headline).toBe('base and api-few tie for the best classify/f1_macro (0.600 vs docs 0.500); api-few (prompting, gpt-4o-mini API) is the cheapest at 100,000 requests/month ($7.80/month).');
    expect(r.notes).toContain('base was evaluated on local fte-tiny-base and is priced as served on L4, on the tokens fte-tiny-base was fed and generated');
    expect(r.notes.join('\n')).toMatch(/counted as \$0: api-few engineering, .* \(cost\.effort\.prompting, cost\.effort\.rag, cost\.hourlyRateUsd, cost\.labellingUsdPerExample\)/);
    const one = (await costForSweep(db.db, { sweepId: 'eval-no-usage' })) as SubjectsCostReport;
    expect(one.notes.join('\n')).toMatch(/\(cost\.effort\.prompting, cost\.hourlyRateUsd, cost\.labellingUsdPerExample\)/);
  });
  it('the best costs more at this volume and less at a higher one: where it becomes the cheaper (exact)', async () => {
    const r = (await costForSweep(db.db, { sweepId: 'eval-rag' })) as SubjectsCostReport;
    // RAG: $70 index + $0.000048 a request; prompting $0.000078 a request: equal at 70 / 0.00003 requests
    expect(r.headline).toBe('docs (RAG, gpt-4o-mini API) scores best (classify/f1_macro 0.650 vs api-few 0.600) but costs $67.00/month more than api-few (prompting, gpt-4o-mini API), the cheapest at 100,000 requests/month; it becomes the cheaper from 2,333,334 requests/month.');
  });
  it('costs that print as the same figure (they differ by < $0.005) are said to be the same, never "costs $0.0015/month more"', async () => {
    const best = (await costForSweep(db.db, { sweepId: 'eval-cent-best' })) as SubjectsCostReport;
    const diff = bySubject(best, 'other').monthlyUsd - bySubject(best, 'api-few').monthlyUsd;
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.005);
    expect(best.cheapest).toBe('api-few');
    expect(best.headline).toBe('other (an extra model, acme-ft API) scores best (classify/f1_macro 0.700 vs api-few 0.600) and is the cheapest at 100,000 requests/month with api-few (prompting, gpt-4o-mini API): they cost the same to the cent ($7.80/month).');
    const tie = (await costForSweep(db.db, { sweepId: 'eval-cent-tie' })) as SubjectsCostReport;
    expect(tie.headline).toBe('api-few and other tie for the best classify/f1_macro (0.600) and cost the same to the cent, the cheapest at 100,000 requests/month ($7.80/month).');
    const net = (await costForSweep(db.db, { sweepId: 'eval-cent-net' })) as SubjectsCostReport;
    expect(net.headline).toBe('api-few (prompting, gpt-4o-mini API) and other (an extra model, acme-ft API) net the most, the same to the dollar: $392/month at 100,000 requests/month.');
  });
  it('with cost.value: value and net per subject; the decision is on net', async () => {
    const r = (await costForSweep(db.db, { sweepId: 'eval-value' })) as SubjectsCostReport;
    const m = bySubject(r, 'tuned-elsewhere');
    // 0.03 x 0.8 - 0.02 = 0.004 per request
    expect(m.valuePerRequestUsd).toBeCloseTo(0.004, 12);
    expect(m.netMonthlyUsd).toBeCloseTo(400 - m.monthlyUsd, 9);
    expect(r.bestNet).toBe('tuned-elsewhere');
    expect(r.headline).toMatch(/^tuned-elsewhere \(an extra model, acme-ft API\) nets the most: \$39\d\/month at 100,000 requests\/month/);
    expect(renderSubjectsCost(r)).toMatch(/net\/month/);
  });
  it('what-if --api-model prices prompting and RAG, not the extra model', async () => {
    const r = (await costForSweep(db.db, { sweepId: 'eval-1', apiModel: 'claude-3-5-haiku' })) as SubjectsCostReport;
    expect(bySubject(r, 'api-few').request).toMatchObject({ priceKey: 'claude-3-5-haiku', whatIf: true });
    expect(bySubject(r, 'tuned-elsewhere').request).toMatchObject({ priceKey: 'acme-ft', whatIf: false });
    expect(r.whatIfs).toEqual(['--api-model claude-3-5-haiku: prompting and RAG priced as claude-3-5-haiku API calls']);
  });
  it('usage not reported by the API: estimated, never free', async () => {
    const r = (await costForSweep(db.db, { sweepId: 'eval-no-usage' })) as SubjectsCostReport;
    expect(bySubject(r, 'api-few').request).toMatchObject({ inputTokens: 125, outputTokens: 2, tokenSource: 'counted' });
    expect(bySubject(r, 'api-few').perRequestUsd).toBeGreaterThan(0);
    expect(r.notes.join('\n')).toMatch(/usage not reported by the API \(10 of 10 requests\): tokens estimated/);
  });
  it('the base model\'s size is recorded with the evaluation; unknown and needed: one line saying what to set', async () => {
    expect((await readRoiInputs(db.db, { sweepId: 'eval-1' })).baselinesTotalParams).toBe(N);
    await expect(costForSweep(db.db, { sweepId: 'eval-unknown-size', servingDevice: 'H100' })).rejects.toThrow(/^the evaluation of sweep eval-unknown-size has no total_params, so its serving throughput is unknown; set cost\.servingThroughputTokensPerSecond in the spec$/);
  });
  it('the fine-tuning ROI alone (the report, fte compare) says what the sweep is and what to run', async () => {
    await expect(roiForSweep(db.db, { sweepId: 'eval-1' })).rejects.toThrow(/^sweep eval-1 is an evaluation \(fte eval: 4 subjects, no fine-tuned run\), so there is no fine-tuning to price; fte roi --sweep eval-1 compares its subjects on cost and quality, and fte sweep experiments\/x\.ts trains variants to price against them$/);
  });
  it('a sweep with variant runs still gets the fine-tuning ROI', async () => {
    // nothing else in this store has runs: the message is the usual one for a sweep without subjects
    const empty = await openStore(join(dir, 'other.duckdb'));
    try {
      await empty.upsertExperiment({ name: 'email', specPath: 'experiments/x.ts', specHash: 'h', objective: { metric: 'classify/f1_macro', goal: 'maximize' } });
      await empty.createSweep({ experimentId: 'email', sweepId: 'bare', specJson: { name: 'email' }, objective: { metric: 'classify/f1_macro', goal: 'maximize' }, startedAt: '2026-11-29T07:00:00Z' });
      await expect(costForSweep(empty.db, { sweepId: 'bare' })).rejects.toThrow(/^sweep bare has no runs, and no sweep in .* has a completed run; produce one with: fte sweep experiments\/x\.ts$/);
    } finally {
      await empty.close();
    }
  });
});

describe('fte roi on an fte eval sweep (the command, in-process)', () => {
  const run = async (argv: string[]): Promise<{ out: string; err: string; code: number | undefined }> => {
    let out = '';
    let err = '';
    const o = vi.spyOn(console, 'log').mockImplementation((s?: unknown) => void (out += `${String(s ?? '')}\n`));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await Roi.run(argv, root);
      return { out, err, code: process.exitCode as number | undefined };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.exitCode = before;
    }
  };
  it('prints the comparison, not "has no runs"', async () => {
    const { out, err, code } = await run(['--db', dbFile, '--sweep', 'eval-1']);
    expect(err).toBe('');
    expect(code).toBeUndefined();
    expect(out).toMatch(/^Decision: tuned-elsewhere/);
    expect(out).not.toMatch(/has no runs/);
  });
  it('--json says which report it is', async () => {
    const { out } = await run(['--db', dbFile, '--sweep', 'eval-1', '--json']);
    const j = JSON.parse(out) as SubjectsCostReport;
    expect(j.kind).toBe('subjects');
    expect(j.subjects).toHaveLength(4);
  });
});
