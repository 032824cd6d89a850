import { describe, expect, it } from 'vitest';
import { defaultGamma, tpePropose, type SearchDimension, type TpeTrial } from '../../src/experiment/tpe.js';
import { mulberry32 } from '../../src/random.js';

const space: SearchDimension[] = [
  { name: 'learningRate', kind: 'float', low: 1e-6, high: 1e-1, log: true },
  { name: 'weightDecay', kind: 'float', low: 1e-4, high: 1, log: true },
];
/** A smooth bowl in log space, minimum 0 at lr = 10^-3.3, wd = 10^-1.7. */
const objective = (v: Record<string, unknown>) => (Math.log10(v.learningRate as number) + 3.3) ** 2 + (Math.log10(v.weightDecay as number) + 1.7) ** 2;

function tpeBest(seed: number, n: number): number {
  const history: TpeTrial[] = [];
  for (let i = 0; i < n; i++) {
    const values = tpePropose(space, history, { goal: 'minimize', seed, startup: 5 });
    history.push({ values, objective: objective(values) });
  }
  return Math.min(...history.map((t) => t.objective!));
}

function randomBest(seed: number, n: number): number {
  const rand = mulberry32(seed);
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const lr = Math.exp(Math.log(1e-6) + (Math.log(1e-1) - Math.log(1e-6)) * rand());
    const wd = Math.exp(Math.log(1e-4) + (Math.log(1) - Math.log(1e-4)) * rand());
    best = Math.min(best, objective({ learningRate: lr, weightDecay: wd }));
  }
  return best;
}

describe('TPE (Optuna-style)', () => {
  it("over 20 seeds, TPE's best after 30 trials beats random search's on average on a smooth 2-D log-space objective", () => {
    const seeds = Array.from({ length: 20 }, (_, i) => 1000 + i);
    const tpe = seeds.map((s) => tpeBest(s, 30));
    const rnd = seeds.map((s) => randomBest(s, 30));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(tpe)).toBeLessThan(mean(rnd));
    // and by a clear margin, not by chance
    expect(mean(tpe)).toBeLessThan(0.6 * mean(rnd));
  });

  it('splits at gamma(n) = min(ceil(0.1 n), 25)', () => {
    expect([1, 10, 11, 100, 250, 1000].map(defaultGamma)).toEqual([1, 1, 2, 10, 25, 25]);
  });

  it('is seeded: the same history and seed give the same proposal; draw gives another', () => {
    const history: TpeTrial[] = [];
    for (let i = 0; i < 8; i++) {
      const values = tpePropose(space, history, { goal: 'minimize', seed: 3, startup: 4 });
      history.push({ values, objective: objective(values) });
    }
    const a = tpePropose(space, history, { goal: 'minimize', seed: 3, startup: 4 });
    expect(tpePropose(space, history, { goal: 'minimize', seed: 3, startup: 4 })).toEqual(a);
    expect(tpePropose(space, history, { goal: 'minimize', seed: 3, startup: 4 }, 1)).not.toEqual(a);
  });

  it('stays in range, rounds integers, q-steps and picks categorical choices; maximize prefers the high end', () => {
    const mixed: SearchDimension[] = [
      { name: 'rank', kind: 'categorical', choices: [4, 8, 16, 32] },
      { name: 'epochs', kind: 'int', low: 1, high: 5 },
      { name: 'warmupSteps', kind: 'float', low: 0, high: 100, log: false, q: 10 },
    ];
    const score = (v: Record<string, unknown>) => (v.rank as number) + (v.epochs as number) + (v.warmupSteps as number) / 10;
    const history: TpeTrial[] = [];
    for (let i = 0; i < 40; i++) {
      const v = tpePropose(mixed, history, { goal: 'maximize', seed: 9, startup: 5 });
      expect([4, 8, 16, 32]).toContain(v.rank);
      expect(Number.isInteger(v.epochs)).toBe(true);
      expect(v.epochs as number).toBeGreaterThanOrEqual(1);
      expect(v.epochs as number).toBeLessThanOrEqual(5);
      expect((v.warmupSteps as number) % 10).toBe(0);
      history.push({ values: v, objective: score(v) });
    }
    const late = history.slice(-15).filter((t) => t.values.rank === 32).length;
    expect(late).toBeGreaterThan(7);
  });

  it('constant liar: a running trial (objective null) counts in the "above" group, so the next proposal moves away from it', () => {
    const history: TpeTrial[] = [];
    for (let i = 0; i < 12; i++) {
      const values = tpePropose(space, history, { goal: 'minimize', seed: 5, startup: 6 });
      history.push({ values, objective: objective(values) });
    }
    const first = tpePropose(space, history, { goal: 'minimize', seed: 5, startup: 6 });
    const withRunning = tpePropose(space, [...history, { values: first, objective: null }], { goal: 'minimize', seed: 5, startup: 6 });
    expect(withRunning).not.toEqual(first);
  });
});
