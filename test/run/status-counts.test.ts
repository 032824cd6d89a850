import { describe, expect, it } from 'vitest';
import { earlyTerminationSummary, statusCounts, type VariantSummary } from '../../src/run/sweep.js';

describe('statusCounts (the sweep summary line)', () => {
  it.each([
    [{ completed: 3 }, ''],
    [{}, ''],
    [{ interrupted: 2 }, ' (2 interrupted)'],
    [{ completed: 1, interrupted: 2, failed: 1, diverged: 1 }, ' (1 failed, 1 diverged, 2 interrupted)'],
    [{ diverged: 1, completed: 2 }, ' (1 diverged)'],
    [{ stopped: 2, completed: 2, failed: 1 }, ' (1 failed, 2 stopped)'],
  ])('%j -> %j', (counts, line) => {
    expect(statusCounts(new Map(Object.entries(counts)))).toBe(line);
  });
});

describe('earlyTerminationSummary (hyperband line of the sweep summary)', () => {
  it('sums the stopped runs\' steps and wall time not spent', () => {
    const v = (status: string, extra: Partial<VariantSummary> = {}): VariantSummary => ({
      runId: status, key: 'k', status, skipped: false, params: {}, objective: null, finalValLoss: null, wallSeconds: null, error: null, ...extra,
    });
    expect(earlyTerminationSummary([v('completed'), v('stopped', { stepsSaved: 30, wallSecondsSaved: 12 }), v('stopped', { stepsSaved: 10, wallSecondsSaved: 3.5 })])).toEqual({
      type: 'hyperband', stopped: 2, stepsSaved: 40, wallSecondsSaved: 15.5,
    });
    expect(earlyTerminationSummary([v('completed')])).toEqual({ type: 'hyperband', stopped: 0, stepsSaved: 0, wallSecondsSaved: 0 });
  });
});
