import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dryRunResult, planSweep, renderDryRun } from '../../src/experiment/index.js';

const spec = resolve(import.meta.dirname, '../../experiments/lora-rank.ts');

describe('fte sweep --dry-run output (experiment stage)', () => {
  it('dryRunResult is the --json shape: experiment, spec, strategy, gridSize, variants', async () => {
    const r = dryRunResult(await planSweep(spec));
    expect(r.experiment).toBe('lora-rank');
    expect(r.strategy).toBe('grid');
    expect(r.gridSize).toBe(8);
    expect(r.variants).toHaveLength(8);
    expect(Object.keys(r.variants[0]!)).toEqual(['key', 'method', 'params', 'gridIndex']);
    expect(r.selection).toBe('all');
    expect(r.variants.map((v) => v.gridIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('renderDryRun prints the header line, runCap and the parameters through the one formatter', async () => {
    const text = renderDryRun(await planSweep(spec, { runCap: 3 }));
    expect(text.split('\n')[0]).toBe('lora-rank: 3 variant(s) of a grid of 8 (runCap 3): a seeded random subset (sweep.seed 0), in grid order');
    expect(text).toContain('grid #');
    expect(text).toContain('2e-3');
  });

  it('a capped grid is a seeded-subset in the --json output, with each variant\'s grid position', async () => {
    const r = dryRunResult(await planSweep(spec, { runCap: 3 }));
    expect(r.selection).toBe('seeded-subset');
    const positions = r.variants.map((v) => v.gridIndex!);
    expect(positions).toHaveLength(3);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const all = dryRunResult(await planSweep(spec));
    for (const v of r.variants) expect(all.variants[v.gridIndex! - 1]!.key).toBe(v.key);
  });

  it('a bayes plan lists its seeded start and says how many variants are proposed during the sweep', async () => {
    const plan = await planSweep(resolve(import.meta.dirname, '../../experiments/lora-bayes.ts'));
    const r = dryRunResult(plan);
    expect([r.strategy, r.selection, r.variants.length, r.proposed]).toEqual(['bayes', 'bayes', 3, 5]);
    expect(renderDryRun(plan).split('\n')[0]).toBe(
      'lora-bayes: bayes (TPE), runCap 8: 3 seeded random start variant(s) (sweep.seed 0) listed below; 5 more proposed during the sweep from the validation classify/f1_macro of the runs so far',
    );
  });
});
