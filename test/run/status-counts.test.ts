import { describe, expect, it } from 'vitest';
import { earlyTerminationLine, earlyTerminationSummary, resumedTrials, statusCounts } from '../../src/run/sweep.js';
import type { Variant } from '../../src/experiment/index.js';

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
  const run = (status: string, plannedSteps: number | null, steps: number | null, wallSeconds: number | null, skipped = false) => ({ status, plannedSteps, steps, wallSeconds, skipped });
  it('sums the stopped runs\' steps and wall time not spent (earlyTerminationSavings), kept ones included, and says which were kept', () => {
    // 30 planned, 10 trained in 4 s -> 20 steps, 8 s; 20 planned, 5 trained in 10 s (kept from before) -> 15 steps, 30 s
    const et = earlyTerminationSummary([run('completed', 30, 30, 12), run('stopped', 30, 10, 4), run('stopped', 20, 5, 10, true)]);
    expect(et).toEqual({ type: 'hyperband', stopped: 2, stepsSaved: 35, wallSecondsSaved: 38, unknown: 0, kept: 1 });
    expect(earlyTerminationLine(et)).toBe('hyperband: 2 run(s) stopped early, 1 of them in an earlier invocation, kept (not trained again); 35 optimizer step(s) not trained, about 38 s of training not spent');
    const all = earlyTerminationSummary([run('completed', 30, 30, 12, true), run('stopped', 20, 5, 10, true)]);
    expect(earlyTerminationLine(all)).toBe('hyperband: 1 run(s) stopped early in an earlier invocation, kept (not trained again); 15 optimizer step(s) not trained, about 30 s of training not spent');
    expect(earlyTerminationSummary([run('completed', 1, 1, 1)])).toEqual({ type: 'hyperband', stopped: 0, stepsSaved: 0, wallSecondsSaved: 0, unknown: 0, kept: 0 });
  });
  it('a stopped run stored before planned steps were recorded is counted, and said not to be in the sums', () => {
    const et = earlyTerminationSummary([run('stopped', null, 5, 10), run('stopped', 20, 5, 10)]);
    expect(earlyTerminationLine(et)).toBe('hyperband: 2 run(s) stopped early; 15 optimizer step(s) not trained, about 30 s of training not spent; 1 stored without planned steps, not counted');
  });
});

describe('resumedTrials (a resumed bayes sweep)', () => {
  const variant = (key: string) => ({ key }) as unknown as Variant;
  it('a kept completed run brings its objective; a kept stopped run none, as when it was stopped (never its partial val_loss)', () => {
    const listed = [{ runId: 'c', objective: { metric: 'val_loss', goal: 'minimize' as const, value: 2.1, split: 'val' as const } }, { runId: 's', objective: { metric: 'val_loss', goal: 'minimize' as const, value: 1.5, split: 'val' as const } }];
    const trials = resumedTrials([{ runId: 'c', key: 'kc', status: 'completed' }, { runId: 's', key: 'ks', status: 'stopped' }], listed, [variant('kc'), variant('ks')]);
    expect(trials.map((t) => [t.variant.key, t.objective])).toEqual([['kc', 2.1], ['ks', null]]);
  });
});
