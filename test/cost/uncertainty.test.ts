import { describe, expect, it } from 'vitest';
import type { ApproachInput } from '../../src/cost/curve.js';
import { findFlips, scaleDriver, sensitivityTable, type Scenario } from '../../src/cost/uncertainty.js';

// One approach per kind of cost, with its parts (so that each driver can be varied).
const ft: ApproachInput = {
  approach: 'finetuned', quality: 0.8, qualityCi: [0.7, 0.9], perRequestUsd: 0.0001, oneOffUsd: 1200, fixedMonthlyUsd: 0, alwaysOnMonthlyUsd: 0,
  parts: [
    { label: 'serving', kind: 'per-request', usd: 0.0001, drivers: { 'serving-price': 1, 'serving-throughput': -1 }, origin: 'estimated' },
    { label: 'training', kind: 'one-off', usd: 1200, drivers: { training: 1 }, origin: 'estimated' },
  ],
};
const prompting: ApproachInput = {
  approach: 'prompting', quality: 0.6, qualityCi: [0.5, 0.7], perRequestUsd: 0.0011, oneOffUsd: 0, fixedMonthlyUsd: 0, alwaysOnMonthlyUsd: 0,
  parts: [{ label: 'API calls', kind: 'per-request', usd: 0.0011, drivers: { 'api-price': 1 }, origin: 'measured' }],
};
const rag: ApproachInput = {
  approach: 'rag', quality: 0.7, qualityCi: [0.6, 0.8], perRequestUsd: 0.0006, oneOffUsd: 0, fixedMonthlyUsd: 70, alwaysOnMonthlyUsd: 0,
  parts: [
    { label: 'API calls', kind: 'per-request', usd: 0.0006, drivers: { 'api-price': 1 }, origin: 'measured' },
    { label: 'index', kind: 'monthly', usd: 70, drivers: { 'rag-index': 1 }, origin: 'default' },
  ],
};
const costOnly: Scenario = { approaches: [ft, prompting, rag], volume: 100_000, months: 12, value: null };

describe('scaleDriver', () => {
  it('scales the parts with that driver by factor^elasticity and recomputes the sums', () => {
    expect(scaleDriver(ft, 'serving-throughput', 2).perRequestUsd).toBeCloseTo(0.00005, 15); // elasticity -1
    expect(scaleDriver(ft, 'serving-price', 2).perRequestUsd).toBeCloseTo(0.0002, 15);
    expect(scaleDriver(ft, 'training', 0.5).oneOffUsd).toBe(600);
    expect(scaleDriver(prompting, 'training', 0.5)).toBe(prompting);
  });
});

describe('sensitivity table (cost only): break-even against the cheapest alternative, by hand', () => {
  // At 100,000/month: ft 100 + 10 = 110, prompting 110, rag 130 -> against prompting; break-even (A - B) / (d - c) = 100 / 0.001 = 100,000.
  const rows = sensitivityTable(costOnly);
  const by = Object.fromEntries(rows.map((r) => [r.key, r]));
  it('ranks inputs by how far the break-even moves', () => {
    expect(rows.map((r) => r.key)).toEqual(['api-price', 'training', 'months', 'serving-price', 'serving-throughput', 'rag-index']);
    expect(rows.every((r) => r.against === 'prompting')).toBe(true);
  });
  it.each([
    // API prices x0.5: 100 / (0.00055 - 0.0001); x2: 100 / (0.0022 - 0.0001)
    ['api-price', 100 / 0.00045, 100 / 0.0021],
    // training x0.5: 50 / 0.001; x2: 200 / 0.001
    ['training', 50_000, 200_000],
    // 6 months: 200 / 0.001; 24 months: 50 / 0.001
    ['months', 200_000, 50_000],
    // serving price x0.5: 100 / (0.0011 - 0.00005); x2: 100 / (0.0011 - 0.0002)
    ['serving-price', 100 / 0.00105, 100 / 0.0009],
    // throughput x0.5 doubles the per-request cost
    ['serving-throughput', 100 / 0.0009, 100 / 0.00105],
  ])('%s: break-even %d -> %d', (key, lo, hi) => {
    expect(by[key]!.breakEven[0].fromVolume).toBeCloseTo(lo, 4);
    expect(by[key]!.breakEven[1].fromVolume).toBeCloseTo(hi, 4);
  });
  it('swing = |log10| of the ratio; advantage at the volume; the cheapest at each end', () => {
    expect(by['api-price']!.swing).toBeCloseTo(Math.log10(0.0021 / 0.00045), 9);
    // prompting 55 or 220 against fine-tuning's 110
    expect(by['api-price']!.advantageUsd[0]).toBeCloseTo(-55, 9);
    expect(by['api-price']!.advantageUsd[1]).toBeCloseTo(110, 9);
    expect(by['api-price']!.choice).toEqual(['prompting', 'finetuned']);
    // the index moves no break-even against prompting but makes RAG the cheapest at half its price (35 + 60 = 95 < 110)
    expect(by['rag-index']).toMatchObject({ swing: 0, choice: ['rag', 'finetuned'], lowLabel: 'x0.5', highLabel: 'x2' });
  });
  it('custom factors and labels', () => {
    const r = sensitivityTable(costOnly, [{ key: 'training', label: 'training cost', low: 0.8, high: 1.25 }]).find((x) => x.key === 'training')!;
    expect(r).toMatchObject({ label: 'training cost', lowLabel: 'x0.8', highLabel: 'x1.25' });
    expect(r.breakEven[0].fromVolume).toBeCloseTo(80_000, 6);
  });
});

describe('with value: quality intervals are inputs too, and flips', () => {
  // value per request 0.03q - 0.02: ft 0.004 (net 400 - 110 = 290), prompting -0.002 (-310), rag 0.001 (100 - 130 = -30)
  const value = { usdPerCorrect: 0.01, usdPerError: 0.02 };
  const s: Scenario = { ...costOnly, value };
  it('quality rows: break-even on net against the best alternative (RAG) at each end of fine-tuning\'s interval', () => {
    const q = sensitivityTable(s).find((r) => r.key === 'quality:finetuned')!;
    expect(q.against).toBe('rag');
    expect(q).toMatchObject({ lowLabel: '0.700', highLabel: '0.900' });
    // q = 0.7: u = 0.001 -> d = 30 + (0.0001 - 0.001 - 0.0006 + 0.001)V = 30 - 0.0005V -> 60,000; q = 0.9: u = 0.007 -> 30 / 0.0065
    expect(q.breakEven[0].fromVolume).toBeCloseTo(60_000, 4);
    expect(q.breakEven[1].fromVolume).toBeCloseTo(30 / 0.0065, 4);
    // net advantage over RAG at 100,000: (100 - 110) - (-30) = 20 and (700 - 110) - (-30) = 620
    expect(q.advantageUsd[0]).toBeCloseTo(20, 9);
    expect(q.advantageUsd[1]).toBeCloseTo(620, 9);
  });
  it('no flip at the worst end against point estimates; one when RAG is also at its best end', () => {
    // ft at 0.7 nets -10; RAG at 0.7 nets -30 (no flip); RAG at 0.8 nets 400 - 130 = 270 > -10; prompting at 0.7 nets -10 (a tie is no flip)
    const flips = findFlips(s, 'finetuned', 'classify/accuracy', 'maximize');
    expect(flips).toEqual([
      { approach: 'finetuned', over: 'rag', scenario: 'both-ends', text: "with fine-tuning at the low end of its classify/accuracy interval (0.700) and RAG at the other end of its own (0.800), RAG nets more ($270 vs -$10.00/month)" },
    ]);
  });
  it('a flip at the worst end against the point estimate', () => {
    // ft interval [0.62, 0.9]: at 0.62 u = -0.0014 -> -140 - 110 = -250 < RAG's -30; prompting at its best end 0.7 nets -10
    const wide: Scenario = { ...s, approaches: [{ ...ft, qualityCi: [0.62, 0.9] }, prompting, rag] };
    expect(findFlips(wide, 'finetuned', 'acc', 'maximize').map((f) => [f.over, f.scenario, f.text])).toEqual([
      ['prompting', 'both-ends', 'with fine-tuning at the low end of its acc interval (0.620) and prompting at the other end of its own (0.700), prompting nets more (-$10.00 vs -$250/month)'],
      ['rag', 'worst-end', 'at the low end of fine-tuning\'s acc interval (0.620), RAG nets more (-$30.00 vs -$250/month)'],
    ]);
  });
  it('without value: the quality ranking inside the intervals', () => {
    const wide: Scenario = { ...costOnly, approaches: [{ ...ft, qualityCi: [0.55, 0.9] }, prompting, { ...rag, quality: 0.5, qualityCi: [0.4, 0.56] }] };
    expect(findFlips(wide, 'finetuned', 'f1', 'maximize').map((f) => [f.over, f.scenario, f.text])).toEqual([
      ['prompting', 'worst-end', 'at the low end of its f1 interval (0.550) fine-tuning scores below prompting (0.600)'],
      ['rag', 'both-ends', 'the f1 intervals of fine-tuning [0.550, 0.900] and RAG [0.400, 0.560] overlap: the quality ranking is not settled'],
    ]);
    // a lower-is-better metric: the worse end is the high one
    const ppl: Scenario = { ...costOnly, approaches: [{ ...ft, quality: 5, qualityCi: [4, 7] }, { ...prompting, quality: 6, qualityCi: [5.5, 6.5] }] };
    expect(findFlips(ppl, 'finetuned', 'perplexity', 'minimize')[0]!.text).toBe('at the high end of its perplexity interval (7.00) fine-tuning scores above prompting (6.00)');
  });
});
