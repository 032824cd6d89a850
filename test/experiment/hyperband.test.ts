import { describe, expect, it } from 'vitest';
import { earlyTerminationSavings, HyperbandState, hyperbandBrackets, quantile, stepsNotRun } from '../../src/experiment/hyperband.js';

describe('hyperband (W&B semantics)', () => {
  it('puts brackets at round(minIter * eta^k), capped by maxIter', () => {
    expect(hyperbandBrackets({ type: 'hyperband', minIter: 1, eta: 3 }, 100)).toEqual([1, 3, 9, 27, 81]);
    expect(hyperbandBrackets({ type: 'hyperband', minIter: 2, eta: 2, maxIter: 20 })).toEqual([2, 4, 8, 16]);
    expect(hyperbandBrackets({ type: 'hyperband', minIter: 3, eta: 1.5, maxIter: 10 })).toEqual([3, 5, 7, 10]);
  });

  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 1 / 3)).toBe(2);
    expect(quantile([5], 0.3)).toBe(5);
  });

  it('stops the runs a hand-computed bracket table says it should', () => {
    // minIter 2, eta 2: brackets at 2, 4, 8 evaluations. Runs reach each bracket in the order below.
    const hb = new HyperbandState({ type: 'hyperband', minIter: 2, eta: 2 });
    // bracket 2: values so far  -> median cut-off (1/eta = 0.5 quantile)
    //   A 2.0: [2.0] cut 2.0 -> go on
    //   B 3.0: [2.0, 3.0] cut 2.5 -> stop
    //   C 1.5: [2.0, 3.0, 1.5] cut 2.0 -> go on
    //   D 2.2: [2.0, 3.0, 1.5, 2.2] cut 2.1 -> stop
    expect(hb.decide(2, 2.0)).toEqual({ stop: false, cutoff: 2.0 });
    expect(hb.decide(2, 3.0)).toEqual({ stop: true, cutoff: 2.5 });
    expect(hb.decide(2, 1.5)).toEqual({ stop: false, cutoff: 2.0 });
    expect(hb.decide(2, 2.2).stop).toBe(true);
    expect(hb.decide(2, 2.2).cutoff).toBeCloseTo(2.2); // [2, 3, 1.5, 2.2, 2.2]: median 2.2, not above -> (second 2.2 goes on)
    // not a bracket: never stops
    expect(hb.decide(3, 99)).toEqual({ stop: false, cutoff: null });
    // bracket 4: A 1.8 first -> on; C 1.2 -> [1.8, 1.2] cut 1.5 -> on; E 1.9 -> [1.8, 1.2, 1.9] cut 1.8 -> stop
    expect(hb.decide(4, 1.8).stop).toBe(false);
    expect(hb.decide(4, 1.2).stop).toBe(false);
    expect(hb.decide(4, 1.9)).toEqual({ stop: true, cutoff: 1.8 });
    // a diverged value (NaN) at a bracket stops
    expect(hb.decide(8, NaN).stop).toBe(true);
  });
});

describe('earlyTerminationSavings: what hyperband did not spend (the sweep summary and the report)', () => {
  const run = (status: string, plannedSteps: number | null, steps: number | null, wallSeconds: number | null) => ({ status, plannedSteps, steps, wallSeconds });
  it('sums planned minus trained steps over stopped runs, and those steps at each run\'s own pace', () => {
    // stopped A: 100 planned, 25 trained in 50 s (2 s/step) -> 75 steps, 150 s
    // stopped B: 40 planned, 10 trained in 5 s (0.5 s/step) -> 30 steps, 15 s
    // completed and diverged runs are not savings, whatever their steps
    const runs = [run('stopped', 100, 25, 50), run('completed', 100, 100, 200), run('stopped', 40, 10, 5), run('diverged', 100, 3, 6)];
    expect(earlyTerminationSavings(runs)).toEqual({ stopped: 2, stepsSaved: 105, wallSecondsSaved: 165, unknown: 0 });
  });
  it('a stopped run with no recorded plan (older store) or no trained step counts as stopped, unknown, outside the sums', () => {
    expect(earlyTerminationSavings([run('stopped', null, 25, 50), run('stopped', 10, 0, 1), run('stopped', 10, 5, 10)])).toEqual({ stopped: 3, stepsSaved: 5, wallSecondsSaved: 10, unknown: 2 });
  });
  it('nothing stopped: zeros', () => {
    expect(earlyTerminationSavings([])).toEqual({ stopped: 0, stepsSaved: 0, wallSecondsSaved: 0, unknown: 0 });
    expect(earlyTerminationSavings([run('completed', 10, 10, 10)])).toEqual({ stopped: 0, stepsSaved: 0, wallSecondsSaved: 0, unknown: 0 });
  });
  it('one run: the steps not run and their time; null unless stopped with a known plan', () => {
    expect(stepsNotRun(run('stopped', 12, 4, 2))).toEqual({ steps: 8, wallSeconds: 4 });
    expect(stepsNotRun(run('stopped', 4, 4, 2))).toEqual({ steps: 0, wallSeconds: 0 });
    expect(stepsNotRun(run('completed', 12, 4, 2))).toBeNull();
    expect(stepsNotRun(run('stopped', null, 4, 2))).toBeNull();
  });
});
