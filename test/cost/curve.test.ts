import { describe, expect, it } from 'vitest';
import { breakEven, breakEvenVolume, noWorseIntervals, sumParts, type ApproachInput, type CostPart } from '../../src/cost/curve.js';

const ft = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'finetuned', quality: 0.8, perRequestUsd: 0.0001, oneOffUsd: 1200, fixedMonthlyUsd: 0, ...o });
const prompting = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'prompting', quality: 0.6, perRequestUsd: 0.0011, oneOffUsd: 0, fixedMonthlyUsd: 0, ...o });
const rag = (o: Partial<ApproachInput> = {}): ApproachInput => ({ approach: 'rag', quality: 0.7, perRequestUsd: 0.0006, oneOffUsd: 0, fixedMonthlyUsd: 70, ...o });

describe('break-even with an always-on floor on both sides (local prompting served on a device too)', () => {
  it('several ranges: the floors make the difference change direction', () => {
    // ft: K = 360/12 = 30, F = 10, c = 0.001 (kink 10,000); prompting: K = 0, G = 50, d = 0.002 (kink 25,000)
    // [0, 10k]: 30 + 10 - 50 = -10 <= 0; [10k, 25k]: 30 + 0.001V - 50 <= 0 up to 20,000; [25k, inf): 30 - 0.001V <= 0 from 30,000
    const b = breakEven(ft({ oneOffUsd: 360, perRequestUsd: 0.001, alwaysOnMonthlyUsd: 10 }), prompting({ perRequestUsd: 0.002, alwaysOnMonthlyUsd: 50 }), 12);
    expect(b.kind).toBe('several');
    expect(b.intervals).toHaveLength(2);
    expect(b.intervals[0]![0]).toBe(0);
    expect(b.intervals[0]![1]).toBeCloseTo(20_000, 6);
    expect(b.intervals[1]![0]).toBeCloseTo(30_000, 6);
    expect(b.intervals[1]![1]).toBeNull();
    expect(b.reason).toBe('fine-tuning is cheaper than prompting at 0-20,000 and from 30,000 requests/month (the always-on floors make the difference change direction)');
    expect(breakEvenVolume(b)).toBe(0);
  });
  it('the same floor on both sides cancels until the per-request costs reach it', () => {
    // both floors 100: ft 100 + max(0.0001V, 100) vs max(0.0011V, 100): [0, 90,909]: 100 + 100 - 100 > 0; beyond: 100 + 100 - 0.0011V <= 0 from 181,818 (ft still at its floor to 1e6)
    const b = breakEven(ft({ alwaysOnMonthlyUsd: 100 }), prompting({ alwaysOnMonthlyUsd: 100 }), 12);
    expect(b.kind).toBe('above');
    expect(b.fromVolume).toBeCloseTo(200 / 0.0011, 6);
  });
});

describe('break-even on net: each side gains its value per request', () => {
  // value per request: ft 0.004, rag 0.001 -> ft: 100 + 0.0001V - 0.004V; rag: 70 + 0.0006V - 0.001V; d = 30 - 0.0035V
  it('above, at 30 / 0.0035', () => {
    const b = breakEven(ft(), rag(), 12, { finetuned: 0.004, alt: 0.001 });
    expect(b).toMatchObject({ kind: 'above', onNet: true, untilVolume: null });
    expect(b.fromVolume).toBeCloseTo(30 / 0.0035, 6);
    expect(b.reason).toBe('fine-tuning nets at least as much as rag from 8,572 requests/month (gains $0.0035 per request against $30.00 more fixed cost per month)');
  });
  it('never when the alternative is worth more per request than fine-tuning saves', () => {
    // ft 0.001, rag 0.004: d = 30 + (0.0001 - 0.001 - 0.0006 + 0.004)V = 30 + 0.0025V > 0
    const b = breakEven(ft(), rag(), 12, { finetuned: 0.001, alt: 0.004 });
    expect(b.kind).toBe('never');
    expect(b.reason).toBe("fine-tuning never nets as much as rag: its per-request cost net of value (-$0.0009) is not below rag's (-$0.0034) and its fixed cost is higher ($100 vs $70.00 per month)");
  });
  it('without values it is the cost break-even: (100 - 70) / (0.0006 - 0.0001)', () => {
    expect(breakEven(ft(), rag(), 12).fromVolume).toBeCloseTo(60_000, 6);
    expect(breakEven(ft(), rag(), 12, { finetuned: 0, alt: 0 }).fromVolume).toBeCloseTo(60_000, 6);
  });
});

describe('noWorseIntervals', () => {
  it('a tie everywhere counts as no worse', () => {
    const c = { fixed: 5, perRequest: 0.001, floor: 0, value: 0 };
    expect(noWorseIntervals(c, c)).toEqual([[0, Infinity]]);
  });
  it('breakEvenVolume: never is Infinity, always is 0', () => {
    expect(breakEvenVolume(breakEven(ft({ perRequestUsd: 0.002 }), prompting(), 12))).toBe(Infinity);
    expect(breakEvenVolume(breakEven(ft({ oneOffUsd: 0 }), prompting(), 12))).toBe(0);
  });
});

describe('sumParts', () => {
  it('sums by kind', () => {
    const parts: CostPart[] = [
      { label: 'training', kind: 'one-off', usd: 100, drivers: { training: 1 }, origin: 'estimated' },
      { label: 'engineering', kind: 'one-off', usd: 4800, drivers: { 'engineering-hours': 1 }, origin: 'spec' },
      { label: 'maintenance', kind: 'monthly', usd: 240, drivers: {}, origin: 'spec' },
      { label: 'serving', kind: 'per-request', usd: 0.0001, drivers: {}, origin: 'measured' },
      { label: 'always on', kind: 'always-on', usd: 32.6, drivers: {}, origin: 'default' },
    ];
    expect(sumParts(parts)).toEqual({ perRequestUsd: 0.0001, oneOffUsd: 4900, fixedMonthlyUsd: 240, alwaysOnMonthlyUsd: 32.6 });
  });
});
