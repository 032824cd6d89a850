import { describe, expect, it } from 'vitest';
import { breakEven, breakEvenRangeText, computeRoi, fmtMonthsRange, logSpaced, monthlyCost, type ApproachInput } from '../../src/cost/roi.js';

const ft = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'finetuned', quality: 0.8, perRequestUsd: 0.0001, oneOffUsd: 1200, fixedMonthlyUsd: 0, ...o });
const prompting = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'prompting', quality: 0.6, perRequestUsd: 0.0011, oneOffUsd: 0, fixedMonthlyUsd: 0, ...o });
const rag = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'rag', quality: 0.7, perRequestUsd: 0.0006, oneOffUsd: 0, fixedMonthlyUsd: 70, ...o });

describe('monthly cost: amortised one-off + fixed + max(per-request x V, always-on)', () => {
  it.each([
    [ft(), 100_000, 12, 100 + 10],
    [ft(), 0, 12, 100],
    [ft(), 100_000, 6, 200 + 10],
    [ft({ alwaysOnMonthlyUsd: 587.5 }), 100_000, 12, 100 + 587.5],
    [ft({ alwaysOnMonthlyUsd: 5 }), 100_000, 12, 100 + 10],
    [prompting(), 100_000, 12, 110],
    [rag(), 100_000, 12, 70 + 60],
  ])('%j at V=%d over %d months = %d', (a, v, m, want) => expect(monthlyCost(a, v, m)).toBeCloseTo(want, 9));
});

describe('break-even', () => {
  it('above: (A - B) / (d - c)', () => {
    // A = 1200/12 = 100, c = 0.0001; prompting B = 0, d = 0.0011 -> 100 / 0.001 = 100,000
    expect(breakEven(ft(), prompting(), 12)).toMatchObject({ against: 'prompting', kind: 'above', untilVolume: null });
    expect(breakEven(ft(), prompting(), 12).fromVolume).toBeCloseTo(100_000, 6);
    // RAG: (100 - 70) / (0.0006 - 0.0001) = 60,000
    expect(breakEven(ft(), rag(), 12).fromVolume).toBeCloseTo(60_000, 6);
    // a longer horizon halves the amortised cost: 50 / 0.001 = 50,000
    expect(breakEven(ft(), prompting(), 24).fromVolume).toBeCloseTo(50_000, 6);
  });
  it('never: per-request cost not lower and fixed cost higher, with the reason', () => {
    const b = breakEven(ft({ perRequestUsd: 0.002 }), prompting(), 12);
    expect(b).toMatchObject({ kind: 'never', fromVolume: null, untilVolume: null });
    expect(b.reason).toBe("fine-tuning is never cheaper than prompting: its per-request cost ($0.002) is not below prompting's ($0.0011) and its fixed cost is higher ($100 vs $0 per month)");
    // equal per-request cost, higher fixed cost: never
    expect(breakEven(ft({ perRequestUsd: 0.0011 }), prompting(), 12).kind).toBe('never');
  });
  it('figures that print the same are said to be the same, not higher or cheaper', () => {
    // fixed $10.003 vs $10.00 per month: higher by less than half a cent
    const never = breakEven(ft({ perRequestUsd: 0.002, oneOffUsd: 0, fixedMonthlyUsd: 10.003 }), prompting({ fixedMonthlyUsd: 10 }), 12);
    expect(never.reason).toBe("fine-tuning is never cheaper than prompting: its per-request cost ($0.002) is not below prompting's ($0.0011) and its fixed cost is not lower (the same to the cent: $10.00 per month)");
    // the same curve: a tie at every volume, which counts as break-even
    const same = breakEven(ft({ oneOffUsd: 0, perRequestUsd: 0.0011 }), prompting(), 12);
    expect(same).toMatchObject({ kind: 'always' });
    expect(same.reason).toBe('fine-tuning costs the same as prompting at every volume (fixed $0 per month and $0.0011 per request each)');
    // the same fixed cost, a lower per-request cost
    const lower = breakEven(ft({ oneOffUsd: 0 }), prompting(), 12);
    expect(lower.reason).toBe('fine-tuning is cheaper than prompting at every volume (the same fixed cost, $0 per month; $0.0001 vs $0.0011 per request)');
  });
  it('always: no more fixed cost and a lower per-request cost', () => {
    expect(breakEven(ft({ oneOffUsd: 0 }), prompting(), 12)).toMatchObject({ kind: 'always', fromVolume: 0, untilVolume: null });
    expect(breakEven(ft({ oneOffUsd: 600 }), rag(), 12)).toMatchObject({ kind: 'always' }); // 50 <= 70
  });
  it('below: lower fixed cost but a higher per-request cost', () => {
    // A = 0, B = 70, c = 0.0011, d = 0.0006 -> cheaper up to 70 / 0.0005 = 140,000
    const b = breakEven(ft({ oneOffUsd: 0, perRequestUsd: 0.0011 }), rag(), 12);
    expect(b).toMatchObject({ kind: 'below', fromVolume: 0 });
    expect(b.untilVolume).toBeCloseTo(140_000, 6);
  });
  it('always-on floor: above the volume where the alternative costs the floor', () => {
    // A = 100, F = 200, c = 0.0001 vs B = 0, d = 0.0011: L1 -> V >= 100,000; L2: 300 - 0.0011 V <= 0 -> V >= 272,727.27
    const b = breakEven(ft({ alwaysOnMonthlyUsd: 200 }), prompting(), 12);
    expect(b.kind).toBe('above');
    expect(b.fromVolume).toBeCloseTo(300 / 0.0011, 6);
    expect(monthlyCost(ft({ alwaysOnMonthlyUsd: 200 }), b.fromVolume!, 12)).toBeCloseTo(monthlyCost(prompting(), b.fromVolume!, 12), 9);
  });
  it('between: a floor and a steeper per-request cost', () => {
    // A = 10, F = 50, c = 0.002 vs B = 50, d = 0.001: L1: -40 + 0.001 V <= 0 -> V <= 40,000; L2: 10 - 0.001 V <= 0 -> V >= 10,000
    const b = breakEven(ft({ oneOffUsd: 120, alwaysOnMonthlyUsd: 50, perRequestUsd: 0.002 }), rag({ fixedMonthlyUsd: 50, perRequestUsd: 0.001 }), 12);
    expect(b.kind).toBe('between');
    expect(b.fromVolume).toBeCloseTo(10_000, 6);
    expect(b.untilVolume).toBeCloseTo(40_000, 6);
  });
});

describe('logSpaced', () => {
  it('4 per decade', () => {
    const v = logSpaced(100, 1000, 4);
    expect(v).toHaveLength(5);
    [100, 177.827941, 316.227766, 562.341325, 1000].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 5));
  });
  it('bounds not on the grid', () => expect(logSpaced(150, 950, 1)).toEqual([]));
  it('rejects a bad range', () => expect(() => logSpaced(0, 10)).toThrow(RangeError));
});

describe('computeRoi', () => {
  const base = { monthlyRequests: 100_000, months: 12, objective: { metric: 'classify/f1_macro', goal: 'maximize' as const } };
  it('monthly cost, quality points, cost per point and break-evens at the volume', () => {
    const r = computeRoi({ ...base, approaches: [ft(), prompting(), rag()], baseQuality: 0.4 });
    const by = Object.fromEntries(r.approaches.map((a) => [a.approach, a]));
    expect(by.finetuned).toMatchObject({ amortisedMonthlyUsd: 100, qualityPoints: 80 });
    expect(by.finetuned!.variableMonthlyUsd).toBeCloseTo(10, 9);
    expect(by.finetuned!.monthlyUsd).toBeCloseTo(110, 9);
    expect(by.finetuned!.usdPerQualityPoint).toBeCloseTo(110 / 80, 9);
    expect(by.prompting!.monthlyUsd).toBeCloseTo(110, 9);
    expect(by.rag!.monthlyUsd).toBeCloseTo(130, 9);
    expect(by.rag!.usdPerQualityPoint).toBeCloseTo(130 / 70, 9);
    expect(r.breakEven.map((b) => [b.against, b.kind, Math.round(b.fromVolume!)])).toEqual([
      ['prompting', 'above', 100_000],
      ['rag', 'above', 60_000],
    ]);
    expect(r.bestQuality).toBe('finetuned');
  });
  it('sensitivity: log-spaced volumes with every approach cost and the cheapest; break-even per horizon', () => {
    const r = computeRoi({ ...base, approaches: [ft(), prompting(), rag()], volumeRange: [1e3, 1e7], pointsPerDecade: 1, horizons: [6, 12, 24] });
    expect(r.sensitivity.volume.map((p) => p.volume)).toEqual([1e3, 1e4, 1e5, 1e6, 1e7]);
    // 1e5 is the break-even against prompting (a tie), so it is left out
    expect(r.sensitivity.volume.filter((p) => p.volume !== 1e5).map((p) => p.cheapest)).toEqual(['prompting', 'prompting', 'finetuned', 'finetuned']);
    expect(r.sensitivity.volume[3]!.monthlyUsd.finetuned).toBeCloseTo(200, 9);
    expect(r.sensitivity.volume[3]!.monthlyUsd.rag).toBeCloseTo(670, 9);
    const h = r.sensitivity.horizon.map((p) => [p.months, Math.round(p.breakEven.prompting!), Math.round(p.breakEven.rag!)]);
    expect(h).toEqual([
      [6, 200_000, 260_000],
      [12, 100_000, 60_000],
      [24, 50_000, 0],
    ]);
  });
  it('never appears as null in the horizon series', () => {
    const r = computeRoi({ ...base, approaches: [ft({ perRequestUsd: 0.01 }), prompting()], horizons: [12] });
    expect(r.sensitivity.horizon).toEqual([{ months: 12, breakEven: { prompting: null } }]);
    expect(r.breakEven[0]!.kind).toBe('never');
  });
  it('a minimised metric has no cost per quality point and no x100 scale', () => {
    const r = computeRoi({ ...base, objective: { metric: 'perplexity', goal: 'minimize' }, approaches: [ft({ quality: 0.5 }), prompting({ quality: 0.9 })] });
    expect(r.approaches.map((a) => [a.qualityPoints, a.usdPerQualityPoint])).toEqual([[0.5, null], [0.9, null]]);
    expect(r.bestQuality).toBe('finetuned');
  });
  it.each([
    [{ monthlyRequests: 0 }, /monthly requests must be > 0, got 0/],
    [{ monthlyRequests: -5 }, /monthly requests must be > 0/],
    [{ months: 0 }, /months must be > 0/],
  ])('rejects %j', (o, msg) => expect(() => computeRoi({ ...base, ...o, approaches: [ft()] })).toThrow(msg));
  it('needs the fine-tuned approach', () => expect(() => computeRoi({ ...base, approaches: [prompting()] })).toThrow(/finetuned/));
});

describe('recommendation follows quality and cost', () => {
  const base = { monthlyRequests: 1_000_000, months: 12, objective: { metric: 'classify/f1_macro', goal: 'maximize' as const } };
  it('fine-tune when best and cheapest', () => {
    const r = computeRoi({ ...base, approaches: [ft(), prompting(), rag()] });
    expect(r.recommendation).toBe('Fine-tune: best classify/f1_macro 0.800 vs prompting 0.600, rag 0.700, and cheapest at 1,000,000 requests/month ($200/month vs rag $670).');
  });
  it('best but dearer: says by how much and from which volume it pays', () => {
    const r = computeRoi({ ...base, monthlyRequests: 10_000, approaches: [ft(), prompting(), rag()] });
    expect(r.cheapest).toBe('prompting');
    expect(r.recommendation).toBe('Fine-tuning scores best (classify/f1_macro 0.800 vs prompting 0.600, rag 0.700) but costs $90.00/month more than prompting at 10,000 requests/month; it becomes cheaper from 100,000 requests/month.');
  });
  it('best but never cheaper', () => {
    const r = computeRoi({ ...base, approaches: [ft({ perRequestUsd: 0.01 }), prompting()] });
    expect(r.recommendation).toMatch(/^Fine-tuning scores best .* but costs \$9,000\/month more than prompting .*; it never becomes cheaper \(its per-request cost/);
  });
  it('do not fine-tune when an alternative is better and no dearer', () => {
    const r = computeRoi({ ...base, monthlyRequests: 10_000, approaches: [ft({ quality: 0.5 }), prompting()], baseQuality: 0.55 });
    expect(r.recommendation).toBe('Do not fine-tune: prompting scores higher on classify/f1_macro (0.600 vs 0.500) and costs no more at 10,000 requests/month ($11.00 vs $101/month); note: the fine-tuned model does not beat the untuned base (0.500 vs 0.550).');
  });
  it('a tie on quality: the cheaper one', () => {
    const r = computeRoi({ ...base, approaches: [ft({ quality: 0.6 }), prompting()] });
    expect(r.recommendation).toBe('Fine-tuning and prompting score the same on classify/f1_macro (0.600); fine-tuning is cheaper at 1,000,000 requests/month ($200 vs $1,100/month).');
  });
  // Costs that differ by less than half a cent print as the same figure ($32.58): the text says they
  // cost the same rather than calling one cheaper ("$32.58 vs $32.58/month").
  const tie = { ...base, monthlyRequests: 10_000 };
  const ft3258 = (o: Partial<ApproachInput> = {}): ApproachInput => ft({ perRequestUsd: 0, oneOffUsd: 0, fixedMonthlyUsd: 32.58, ...o });
  const p3258 = (o: Partial<ApproachInput> = {}): ApproachInput => prompting({ perRequestUsd: 0.0032583, ...o }); // $32.583/month
  it('a tie on quality and on cost to the cent: says they cost the same', () => {
    const r = computeRoi({ ...tie, approaches: [ft3258({ quality: 0.6 }), p3258()] });
    expect(r.approaches[1]!.monthlyUsd - r.approaches[0]!.monthlyUsd).toBeGreaterThan(0);
    expect(r.approaches[1]!.monthlyUsd - r.approaches[0]!.monthlyUsd).toBeLessThan(0.005);
    expect(r.recommendation).toBe('Fine-tuning and prompting score the same on classify/f1_macro (0.600) and cost the same to the cent at 10,000 requests/month ($32.58/month).');
  });
  it('the same to the dollar from $100, as the figures are printed', () => {
    const r = computeRoi({ ...tie, approaches: [ft3258({ quality: 0.6, fixedMonthlyUsd: 132.4 }), p3258({ perRequestUsd: 0.01322 })] });
    expect(r.recommendation).toBe('Fine-tuning and prompting score the same on classify/f1_macro (0.600) and cost the same to the dollar at 10,000 requests/month ($132/month).');
  });
  it('best, and costs the same to the cent as the cheapest: no "costs $0.003/month more"', () => {
    const dearer = computeRoi({ ...tie, approaches: [ft3258({ fixedMonthlyUsd: 32.584 }), p3258({ perRequestUsd: 0.003258 }), rag()] });
    expect(dearer.cheapest).toBe('prompting');
    const cheaper = computeRoi({ ...tie, approaches: [ft3258(), p3258(), rag()] });
    expect(cheaper.cheapest).toBe('finetuned');
    for (const r of [dearer, cheaper]) {
      expect(r.recommendation).toBe('Fine-tune: best classify/f1_macro 0.800 vs prompting 0.600, rag 0.700, and the cheapest at 10,000 requests/month with prompting: they cost the same to the cent ($32.58/month).');
    }
  });
  it('an alternative is better and costs the same to the cent: do not fine-tune, no "saving" to weigh', () => {
    const r = computeRoi({ ...tie, approaches: [ft3258({ quality: 0.5 }), p3258()] });
    expect(r.cheapest).toBe('finetuned');
    expect(r.recommendation).toBe('Do not fine-tune: prompting scores higher on classify/f1_macro (0.600 vs 0.500) and costs the same to the cent at 10,000 requests/month ($32.58/month).');
  });
  it('an alternative is better but dearer: names the saving', () => {
    const r = computeRoi({ ...base, approaches: [ft({ quality: 0.5 }), prompting()] });
    expect(r.recommendation).toBe('prompting scores higher on classify/f1_macro (0.600 vs 0.500) but fine-tuning is $900/month cheaper at 1,000,000 requests/month: fine-tune only if that saving outweighs the quality gap.');
  });
});

describe('computeRoi with value: net, ROI, payback and their ranges, by hand', () => {
  // value per request 0.01 q - 0.02 (1 - q) = 0.03 q - 0.02
  const value = { usdPerCorrect: 0.01, usdPerError: 0.02 };
  const base = { monthlyRequests: 100_000, months: 12, objective: { metric: 'classify/accuracy', goal: 'maximize' as const }, value };
  const approaches = [ft({ qualityCi: [0.7, 0.9] }), prompting({ qualityCi: [0.5, 0.7] }), rag({ qualityCi: [0.6, 0.8] })];
  const r = computeRoi({ ...base, approaches });
  const by = Object.fromEntries(r.approaches.map((a) => [a.approach, a]));
  it('per approach at the point estimate', () => {
    // ft: 0.004 x 1e5 = 400; cost 110; net 290; x12 = 3,480; ROI 290/110; payback 1200 / (400 - 10)
    expect(by.finetuned!.valuePerRequestUsd).toBeCloseTo(0.004, 12);
    expect(by.finetuned!.valueMonthlyUsd).toBeCloseTo(400, 9);
    expect(by.finetuned!.recurringMonthlyUsd).toBeCloseTo(10, 9);
    expect(by.finetuned!.netMonthlyUsd).toBeCloseTo(290, 9);
    expect(by.finetuned!.netHorizonUsd).toBeCloseTo(3480, 9);
    expect(by.finetuned!.roiPercent).toBeCloseTo((290 / 110) * 100, 9);
    expect(by.finetuned!.paybackMonths).toBeCloseTo(1200 / 390, 9);
    // prompting: -200 - 110 = -310, nothing to repay but a deficit: never pays back
    expect(by.prompting!.netMonthlyUsd).toBeCloseTo(-310, 9);
    expect(by.prompting!.paybackMonths).toBeNull();
    // RAG: 100 - 130 = -30
    expect(by.rag!.netMonthlyUsd).toBeCloseTo(-30, 9);
    expect(r.bestNet).toBe('finetuned');
    expect(r.value).toEqual(value);
  });
  it('ranges from each quality interval', () => {
    // ft at 0.7: 100 - 110 = -10, payback 1200 / 90; at 0.9: 700 - 110 = 590, payback 1200 / 690
    const rg = by.finetuned!.ranges!;
    expect(rg.netMonthlyUsd[0]).toBeCloseTo(-10, 9);
    expect(rg.netMonthlyUsd[1]).toBeCloseTo(590, 9);
    expect(rg.paybackMonths[0]).toBeCloseTo(1200 / 90, 9);
    expect(rg.paybackMonths[1]).toBeCloseTo(1200 / 690, 9);
    expect(rg.roiPercent[0]).toBeCloseTo((-10 / 110) * 100, 9);
  });
  it('break-even on net, and its range across the intervals', () => {
    // vs RAG: 30 - 0.0035V; vs prompting: 100 - (0.0039 + 0.0031)V
    expect(r.breakEven.find((b) => b.against === 'rag')!.fromVolume).toBeCloseTo(30 / 0.0035, 6);
    expect(r.breakEven.find((b) => b.against === 'prompting')!.fromVolume).toBeCloseTo(100 / 0.007, 6);
    const rr = r.breakEvenRange.find((b) => b.against === 'rag')!;
    // pessimistic: ft 0.7 (0.001), RAG 0.8 (0.004): 30 + 0.0025V > 0 -> never; optimistic: ft 0.9 (0.007), RAG 0.6 (-0.002): 30 - 0.0095V
    expect(rr.pessimistic.kind).toBe('never');
    expect(rr.optimistic.fromVolume).toBeCloseTo(30 / 0.0095, 6);
  });
  it('payback of the extra one-off against each alternative, with its range', () => {
    // vs RAG: 1200 / ((400 - 10) - (100 - 130)) = 1200 / 420; pessimistic (0.7 vs 0.8): 90 - 270 < 0 -> never; optimistic (0.9 vs 0.6): 1200 / (690 + 330)
    const p = r.payback.find((x) => x.against === 'rag')!;
    expect(p.extraOneOffUsd).toBe(1200);
    expect(p.monthlyGainUsd).toBeCloseTo(420, 9);
    expect(p.months).toBeCloseTo(1200 / 420, 9);
    expect(p.range![0]).toBeNull();
    expect(p.range![1]).toBeCloseTo(1200 / 1020, 9);
  });
  it('recommendation and decision', () => {
    expect(r.recommendation).toBe('Fine-tune: it nets $290/month at 100,000 requests/month (value $400 - cost $110), $320 more than RAG; $3,480 over 12 months; it pays back its $1,200 one-off in 3.1 months (1.7-13 months across its quality interval).');
    expect(r.decision).toMatchObject({ choice: 'finetuned', basis: 'net value', headline: r.recommendation });
    expect(r.decision.flips.map((f) => [f.over, f.scenario])).toEqual([['rag', 'both-ends']]);
    expect(r.decision.drivers[0]).toBe('value per request (classify/accuracy read as the share answered correctly): finetuned $0.004, prompting -$0.002, rag $0.001');
  });
  it('two approaches that net the same printed figure: says so, names neither the winner', () => {
    // ft nets 290 (above); prompting with value 0.004 x 1e5 = 400 and cost 110.004 nets 289.996
    const same = computeRoi({ ...base, value, approaches: [ft(), prompting({ quality: 0.8, perRequestUsd: 0.00110004 })] });
    expect(same.approaches[0]!.netMonthlyUsd! - same.approaches[1]!.netMonthlyUsd!).toBeLessThan(0.005);
    expect(same.recommendation).toBe('Fine-tuning and prompting net the same to the dollar at 100,000 requests/month ($290/month; fine-tuning: value $400 - cost $110, prompting: value $400 - cost $110); $3,480 over 12 months; fine-tuning pays back its $1,200 one-off in 3.1 months.');
  });
  it('a flip to an approach that nets the same to the cent says "as much", not "more"', () => {
    // ft at the low end of its interval (0.7) nets 100 - 110 = -10; prompting at 0.7 with cost 110.002 nets -10.002 -> no flip;
    // with cost 109.998 it nets -9.998, more by $0.002: printed the same (-$10.00), so "nets as much"
    const r = computeRoi({ ...base, value, approaches: [ft({ qualityCi: [0.7, 0.9] }), prompting({ quality: 0.7, perRequestUsd: 0.00109998 })] });
    expect(r.decision.flips.map((f) => f.text)).toEqual(["at the low end of fine-tuning's classify/accuracy interval (0.700), prompting nets as much (the same to the cent: -$10.00/month)"]);
  });
  it('no approach pays', () => {
    const poor = computeRoi({ ...base, value: { usdPerError: 0.01 }, approaches });
    expect(poor.recommendation).toMatch(/^No approach pays for itself at 100,000 requests\/month: the best, fine-tuning, nets -\$310\/month \(value -\$200 - cost \$110\)\.$/);
  });
  it('a metric that is no share is not valued, with the reason', () => {
    const ppl = computeRoi({ ...base, objective: { metric: 'perplexity', goal: 'minimize' }, approaches: [ft({ quality: 5 }), prompting({ quality: 7 })] });
    expect(ppl.value).toBeNull();
    expect(ppl.valueNote).toMatch(/^cost\.value is set but perplexity is not a share in \[0, 1\]/);
    expect(ppl.approaches[0]!.netMonthlyUsd).toBeNull();
    expect(ppl.recommendation).toMatch(/^Fine-tune: best perplexity/);
  });
});

describe('month ranges', () => {
  it.each([
    [[13.3, 1.74], '1.7-13 months'],
    [[null, 1.2], '1.2 months to never'],
    [[null, null], 'never'],
    [[0, 0], '0 months'],
    [[0.01, 2], '<0.1-2 months'],
  ] as [[number | null, number | null], string][])('%j -> %s', (r, want) => expect(fmtMonthsRange(r)).toBe(want));
});

describe('computeRoi without value: payback from cost savings, sensitivity, decision', () => {
  const base = { monthlyRequests: 100_000, months: 12, objective: { metric: 'classify/f1_macro', goal: 'maximize' as const } };
  it('payback of the extra one-off from what fine-tuning saves each month', () => {
    const r = computeRoi({ ...base, approaches: [ft(), prompting(), rag()] });
    // vs prompting: 1200 / (110 - 10); vs RAG: 1200 / (130 - 10)
    expect(r.payback.map((p) => [p.against, p.months, p.range])).toEqual([['prompting', 12, null], ['rag', 10, null]]);
    expect(r.breakEvenRange).toEqual([]);
    expect(r.value).toBeNull();
    expect(r.valueNote).toBeNull();
    // only the horizon moves the break-even without parts
    expect(r.sensitivity.table.map((row) => row.key)).toEqual(['months']);
    // a tie on cost at 100,000 (110 each) goes to the first listed: fine-tuning, also the best
    expect(r.decision).toMatchObject({ choice: 'finetuned', basis: 'quality and cost' });
    // at 10,000 prompting is cheapest (11 vs 101): a trade-off, no single choice
    expect(computeRoi({ ...base, monthlyRequests: 10_000, approaches: [ft(), prompting(), rag()] }).decision.choice).toBeNull();
    expect(r.decision.drivers.at(-1)).toBe('the break-even against prompting moves most with: horizon (months) (6: from 200,000/mo; 24: from 50,000/mo)');
  });
  it('the choice when the best is also the cheapest; flips on quality', () => {
    const r = computeRoi({ ...base, monthlyRequests: 1_000_000, approaches: [ft({ qualityCi: [0.55, 0.9] }), prompting(), rag()] });
    expect(r.decision.choice).toBe('finetuned');
    expect(r.decision.flips.map((f) => [f.over, f.scenario])).toEqual([['prompting', 'worst-end'], ['rag', 'worst-end']]);
  });
});

describe('break-even range in words', () => {
  it('volumes, any volume, never', () => {
    const r = computeRoi({ monthlyRequests: 100_000, months: 12, objective: { metric: 'acc', goal: 'maximize' }, value: { usdPerCorrect: 0.01, usdPerError: 0.02 }, approaches: [ft({ qualityCi: [0.7, 0.9] }), rag({ qualityCi: [0.6, 0.8] })] });
    expect(breakEvenRangeText(r.breakEvenRange[0]!)).toBe('Across the quality intervals the break-even against rag is never with fine-tuning at the low end of its interval and rag at the high end of its own, 3,158 requests/month the other way round');
  });
});
