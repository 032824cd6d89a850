import { describe, expect, it } from 'vitest';
import { defineExperiment } from '../../src/experiment/define.js';
import { bayesStartup, duplicateGridValues, expandSweep, gridCombinations, proposeVariant, sweepSpaceSize, variantKey, type BayesTrial } from '../../src/experiment/sweep.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { SpecError } from '../../src/experiment/errors.js';
import type { ExperimentSpecInput } from '../../src/experiment/schema.js';

const fp = { baseModel: 'model-a', dataset: 'data-a' };
const base: ExperimentSpecInput = { name: 'x', model: { base: 'models/m' }, dataset: 'evals/d' };

function spec(extra: Partial<ExperimentSpecInput>) {
  return defineExperiment({ ...base, ...extra });
}

describe('defineExperiment defaults', () => {
  it('fills every default, documented in the schema', () => {
    const s = spec({});
    expect(s.method).toBe('lora');
    expect(s.params).toMatchObject({ rank: 8, learningRate: 2e-4, epochs: 3, batchSize: 8, gradientAccumulation: 1, targetModules: ['c_attn'], seed: 42 });
    expect(s.params.alpha).toBeUndefined();
    const [v] = expandSweep(s, fp);
    expect(v!.params.alpha).toBe(16); // 2 x rank
  });
});

describe('grid expansion', () => {
  it('is the cartesian product in declaration order, first parameter slowest', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8], learningRate: [1e-4, 1e-3, 1e-2] } } });
    const vs = expandSweep(s, fp);
    expect(vs.map((v) => [v.params.rank, v.params.learningRate])).toEqual([
      [4, 1e-4], [4, 1e-3], [4, 1e-2], [8, 1e-4], [8, 1e-3], [8, 1e-2],
    ]);
    expect(vs.map((v) => v.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('resolves derived parameters from the others', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 16], alpha: ({ rank }: Record<string, unknown>) => 4 * (rank as number) } } });
    expect(expandSweep(s, fp).map((v) => v.params.alpha)).toEqual([16, 64]);
  });

  it('sweeps the method too', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { method: ['full', 'lora', 'qlora'] } } });
    expect(expandSweep(s, fp).map((v) => v.method)).toEqual(['full', 'lora', 'qlora']);
  });

  it('never yields two variants with the same key', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 4, 8] } } });
    const keys = expandSweep(s, fp).map((v) => v.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(2);
  });

  it('honours runCap', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8, 16] }, runCap: 2 } });
    expect(expandSweep(s, fp)).toHaveLength(2);
  });

  it('a capped grid runs a seeded random subset that explores every parameter, in grid order', () => {
    // rank slowest: the first 4 of grid order would all be rank 4 (the complaint)
    const parameters = { rank: [4, 8, 16, 32], learningRate: [1e-4, 3e-4, 1e-3, 3e-3] };
    const ranksSeen: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const vs = expandSweep(spec({ sweep: { strategy: 'grid', parameters, runCap: 4, seed } }), fp);
      expect(vs).toHaveLength(4);
      expect(vs.map((v) => v.index)).toEqual([0, 1, 2, 3]);
      const positions = vs.map((v) => v.gridIndex!);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(new Set(positions).size).toBe(4);
      for (const v of vs) expect([v.params.rank, v.params.learningRate]).toEqual([parameters.rank[Math.floor(v.gridIndex! / 4)], parameters.learningRate[v.gridIndex! % 4]]);
      ranksSeen.push(new Set(vs.map((v) => v.params.rank)).size);
    }
    expect(ranksSeen.filter((n) => n > 1).length).toBeGreaterThan(15);
    // deterministic for a seed; a larger cap with the same seed runs a superset (resume reuses runs)
    const a = expandSweep(spec({ sweep: { strategy: 'grid', parameters, runCap: 4, seed: 3 } }), fp).map((v) => v.key);
    expect(expandSweep(spec({ sweep: { strategy: 'grid', parameters, runCap: 4, seed: 3 } }), fp).map((v) => v.key)).toEqual(a);
    const b = expandSweep(spec({ sweep: { strategy: 'grid', parameters, runCap: 7, seed: 3 } }), fp).map((v) => v.key);
    for (const k of a) expect(b).toContain(k);
    // an uncapped (or cap >= size) grid is the full grid in order
    expect(expandSweep(spec({ sweep: { strategy: 'grid', parameters, runCap: 16 } }), fp).map((v) => v.gridIndex)).toEqual([...Array(16).keys()]);
  });
});

describe('random expansion', () => {
  const s = spec({
    sweep: {
      strategy: 'random',
      runCap: 12,
      seed: 7,
      parameters: {
        rank: [4, 8, 16],
        learningRate: { distribution: 'log_uniform', min: 1e-5, max: 1e-2 },
        dropout: { distribution: 'uniform', min: 0, max: 0.2 },
        epochs: { distribution: 'int_uniform', min: 1, max: 4 },
        warmupSteps: { distribution: 'q_uniform', min: 0, max: 100, q: 10 },
      },
    },
  });

  it('is deterministic for a seed and differs for another', () => {
    const a = expandSweep(s, fp).map((v) => v.key);
    const b = expandSweep(s, fp).map((v) => v.key);
    expect(a).toEqual(b);
    const other = expandSweep({ ...s, sweep: { ...s.sweep, seed: 8 } }, fp).map((v) => v.key);
    expect(other).not.toEqual(a);
  });

  it('draws within the bounds and on the q grid, without duplicates', () => {
    const vs = expandSweep(s, fp);
    expect(vs).toHaveLength(12);
    expect(new Set(vs.map((v) => v.key)).size).toBe(12);
    for (const v of vs) {
      expect([4, 8, 16]).toContain(v.params.rank);
      expect(v.params.learningRate).toBeGreaterThanOrEqual(1e-5);
      expect(v.params.learningRate).toBeLessThanOrEqual(1e-2);
      expect(v.params.dropout).toBeGreaterThanOrEqual(0);
      expect(v.params.dropout).toBeLessThanOrEqual(0.2);
      expect(Number.isInteger(v.params.epochs)).toBe(true);
      expect(v.params.epochs).toBeGreaterThanOrEqual(1);
      expect(v.params.epochs).toBeLessThanOrEqual(4);
      expect(v.params.warmupSteps % 10).toBe(0);
    }
  });

  it('stops at the number of distinct combinations of finite lists', () => {
    const small = spec({ sweep: { strategy: 'random', runCap: 50, parameters: { rank: [4, 8], learningRate: [1e-4, 1e-3] } } });
    expect(expandSweep(small, fp)).toHaveLength(4);
  });

  it('needs runCap for continuous distributions', () => {
    const bad = spec({ sweep: { strategy: 'random', parameters: { dropout: { distribution: 'uniform', min: 0, max: 0.1 } } } });
    expect(() => expandSweep(bad, fp)).toThrow(/sweep\.runCap: a random sweep/);
  });
});

describe('variant keys', () => {
  const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8] } } });
  const [v] = expandSweep(s, fp);

  it('are stable: same params, same key (key order does not matter)', () => {
    expect(expandSweep(s, fp)[0]!.key).toBe(v!.key);
    const reordered = Object.fromEntries(Object.entries(v!.params).reverse()) as typeof v.params;
    expect(variantKey(v!.method, reordered, fp)).toBe(v!.key);
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
  });

  it('change with any parameter, the method, the model or the data', () => {
    const keys = new Set([
      v!.key,
      variantKey(v!.method, { ...v!.params, learningRate: 3e-4 }, fp),
      variantKey(v!.method, { ...v!.params, targetModules: ['c_attn', 'c_fc'] }, fp),
      variantKey('qlora', v!.params, fp),
      variantKey(v!.method, v!.params, { ...fp, baseModel: 'model-b' }),
      variantKey(v!.method, v!.params, { ...fp, dataset: 'data-b' }),
    ]);
    expect(keys.size).toBe(6);
  });
});

describe('validation errors name the field path', () => {
  const cases: Array<[string, Partial<ExperimentSpecInput>, RegExp]> = [
    ['negative rank in a sweep list', { sweep: { strategy: 'grid', parameters: { rank: [4, 8, -4] } } }, /^sweep\.parameters\.rank\[2\]: expected a positive integer, got -4$/],
    ['fractional rank', { sweep: { strategy: 'grid', parameters: { rank: [2.5] } } }, /^sweep\.parameters\.rank\[0\]: expected an integer, got 2\.5$/],
    ['zero learning rate', { params: { learningRate: 0 } }, /^params\.learningRate: expected a positive number, got 0$/],
    ['unknown param with a hint', { params: { learning_rate: 1e-4 } as never }, /^params\.learning_rate: unknown field \(did you mean 'learningRate'\?\)/],
    ['unknown top-level field', { epochs: 3 } as never, /^epochs: unknown field/],
    ['unknown sweep parameter', { sweep: { strategy: 'grid', parameters: { rnak: [4] } } }, /^sweep\.parameters\.rnak: unknown parameter \(did you mean 'rank'\?\)/],
    ['bad method', { method: 'prefix' as never }, /^method: expected one of full, lora, qlora, got "prefix"$/],
    ['bad method in sweep', { sweep: { strategy: 'grid', parameters: { method: ['lora', 'ia3'] } } }, /^sweep\.parameters\.method\[1\]: expected one of full, lora, qlora, got "ia3"$/],
    ['distribution in a grid', { sweep: { strategy: 'grid', parameters: { dropout: { distribution: 'uniform', min: 0, max: 1 } } } }, /^sweep\.parameters\.dropout: a grid needs a list of values/],
    ['min > max', { sweep: { strategy: 'random', runCap: 2, parameters: { dropout: { distribution: 'uniform', min: 1, max: 0 } } } }, /^sweep\.parameters\.dropout: expected min <= max/],
    ['log distribution at zero', { sweep: { strategy: 'random', runCap: 2, parameters: { learningRate: { distribution: 'log_uniform', min: 0, max: 1 } } } }, /^sweep\.parameters\.learningRate\.min: expected a positive number/],
    ['empty list', { sweep: { strategy: 'grid', parameters: { rank: [] } } }, /^sweep\.parameters\.rank: expected at least one value/],
    ['bad target module', { params: { targetModules: ['qkv_proj'] as never } }, /^params\.targetModules\[0\]: expected one of c_attn, .*, q_proj, .*, all-linear/],
    ['bad name', { name: 'has space' }, /^name: expected letters, digits/],
    ['dropout above 1', { params: { dropout: 1.5 } }, /^params\.dropout: expected a number < 1, got 1\.5$/],
  ];
  it.each(cases)('%s', (_label, extra, pattern) => {
    let error: unknown;
    try {
      expandSweep(spec(extra), fp);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain('\n');
  });

  it('derived parameters are checked per variant', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8], alpha: ({ rank }: Record<string, unknown>) => (rank === 8 ? -1 : 8) } } });
    expect(() => expandSweep(s, fp)).toThrow(/^sweep\.parameters\.alpha: expected a positive number, got -1 \(for rank=8\)$/);
  });
});

describe('lazy grid', () => {
  it('generates the product in declaration order without building it', () => {
    const gen = gridCombinations([['a', [1, 2]], ['b', ['x', 'y', 'z']]]);
    expect([...gen]).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
    expect([...gridCombinations([])]).toEqual([{}]);
    expect([...gridCombinations([['a', []]])]).toEqual([]);
  });

  it('counts the grid without expanding it, and caps a huge grid at runCap distinct variants', () => {
    const big = Array.from({ length: 2000 }, (_, i) => i);
    const s = spec({ sweep: { strategy: 'grid', runCap: 3, parameters: { seed: big, warmupSteps: big, rank: [4, 4] } } });
    expect(sweepSpaceSize(s)).toBe(8_000_000);
    // rank [4, 4] merges pairs of combinations: runCap counts the distinct variants
    const vs = expandSweep(s, fp);
    expect(new Set(vs.map((v) => v.key)).size).toBe(3);
    for (const v of vs) expect([v.params.seed, v.params.warmupSteps]).toEqual([Math.floor(v.gridIndex! / 4000), Math.floor(v.gridIndex! / 2) % 2000]);
    expect(sweepSpaceSize(spec({ sweep: { strategy: 'random', runCap: 2, parameters: { learningRate: { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 } } } }))).toBeNull();
  });

  it('warns about a value listed twice, naming its index and the first', () => {
    const s = spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8, 4], targetModules: [['c_attn'], ['c_attn']] } } });
    expect(duplicateGridValues(s)).toEqual([
      'sweep.parameters.rank[2]: duplicate value 4 (same as rank[0]; the grid runs it once)',
      'sweep.parameters.targetModules[1]: duplicate value ["c_attn"] (same as targetModules[0]; the grid runs it once)',
    ]);
    expect(duplicateGridValues(spec({ sweep: { strategy: 'grid', parameters: { rank: [4, 8] } } }))).toEqual([]);
  });
});

describe('bayes strategy', () => {
  const bayes = (runCap?: number) =>
    spec({
      objective: { metric: 'val_loss', goal: 'minimize' },
      sweep: {
        strategy: 'bayes',
        seed: 4,
        ...(runCap !== undefined ? { runCap } : {}),
        parameters: {
          rank: [4, 8, 16],
          learningRate: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-2 },
          alpha: ({ rank }: { rank: number }) => 4 * rank,
        },
      },
    });

  it('plans the seeded random start (bayesStartup) and needs runCap', () => {
    expect([1, 2, 6, 8, 9, 30, 100].map(bayesStartup)).toEqual([1, 2, 2, 3, 3, 10, 10]);
    const vs = expandSweep(bayes(8), fp);
    expect(vs).toHaveLength(3);
    expect(expandSweep(bayes(8), fp).map((v) => v.key)).toEqual(vs.map((v) => v.key));
    for (const v of vs) expect(v.params.alpha).toBe(4 * v.params.rank);
    expect(() => expandSweep(bayes(), fp)).toThrow(/sweep\.runCap: a bayes sweep needs runCap/);
  });

  it('proposes new, valid variants from the results, derived parameters applied, running trials as liars', () => {
    const s = bayes(12);
    const trials: BayesTrial[] = expandSweep(s, fp).map((variant) => ({ variant, objective: (Math.log10(variant.params.learningRate) + 3) ** 2 }));
    for (let i = trials.length; i < 12; i++) {
      const v = proposeVariant(s, fp, trials, i)!;
      expect(v).not.toBeNull();
      expect(v.index).toBe(i);
      expect(trials.map((t) => t.variant.key)).not.toContain(v.key);
      expect(v.params.alpha).toBe(4 * v.params.rank);
      expect(v.params.learningRate).toBeGreaterThanOrEqual(1e-5);
      expect(v.params.learningRate).toBeLessThanOrEqual(1e-2);
      trials.push({ variant: v, objective: (Math.log10(v.params.learningRate) + 3) ** 2 });
    }
    const running = proposeVariant(s, fp, [...trials, { variant: proposeVariant(s, fp, trials, 12)!, objective: null }], 13);
    expect(running).not.toBeNull();
  });

  it('returns null when a small finite space is exhausted', () => {
    const s = spec({ sweep: { strategy: 'bayes', runCap: 4, parameters: { rank: [4, 8] } } });
    const trials: BayesTrial[] = expandSweep(s, fp).map((variant) => ({ variant, objective: 1 }));
    expect(trials).toHaveLength(2);
    expect(proposeVariant(s, fp, trials, 2)).toBeNull();
  });
});
