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
    expect(Object.keys(r.variants[0]!)).toEqual(['key', 'method', 'params']);
  });

  it('renderDryRun prints the header line, runCap and the parameters through the one formatter', async () => {
    const text = renderDryRun(await planSweep(spec, { runCap: 3 }));
    expect(text.split('\n')[0]).toBe('lora-rank: 3 variant(s) of a grid of 8 (runCap 3)');
    expect(text).toContain('2e-3');
  });
});
