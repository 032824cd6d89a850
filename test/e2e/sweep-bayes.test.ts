/**
 * Limited bayes and hyperband sweeps through the built CLI, from W&B sweep YAMLs (`method: bayes`,
 * `early_terminate: {type: hyperband}`): a bayes + hyperband sweep completes with every variant
 * distinct (those after the seeded start proposed by TPE); a grid whose second learning rate is
 * far worse (hyperband decides in run order, so the grid makes the stop certain) stores that run
 * `stopped` with its curve, its planned steps and no evaluation, and the summary counts it; the same
 * command again (resume) keeps the stopped run as W&B does, trains nothing, and says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/run.js');

async function query<T = Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('fte sweep: bayes + hyperband from a W&B YAML (limited)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-bayes-'));
  const db = join(dir, 'fte.duckdb');
  let out: ReturnType<typeof spawnSync>;
  let result: { status: string; variants: { status: string; params: Record<string, unknown> }[]; earlyTermination: { stopped: number; stepsSaved: number } };

  beforeAll(() => {
    const yaml = `name: bayes-hb
method: bayes
run_cap: 5
metric: { name: val_loss, goal: minimize }
early_terminate: { type: hyperband, min_iter: 1, eta: 2 }
parameters:
  lora_r: { values: [4, 8, 16] }
  learning_rate: { distribution: log_uniform_values, min: 0.0005, max: 0.01 }
fte:
  model: { base: ${join(root, 'models/fte-tiny-base')} }
  dataset: ${join(root, 'evals/email-triage')}
  params: { targetModules: [c_attn, c_fc], evalEvery: 1, warmupSteps: 0 }
  evaluate: { baselines: [], perturbations: [], maxNewTokens: 8 }
`;
    writeFileSync(join(dir, 'sweep.yaml'), yaml);
    out = spawnSync(process.execPath, [bin, 'sweep', join(dir, 'sweep.yaml'), '--db', db, '--parallel', '1', '--max-steps', '5', '--limit-train', '16', '--limit-eval', '4', '--json', '-q'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000,
    });
    result = JSON.parse(String(out.stdout));
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes all run_cap variants, the later ones proposed by TPE', () => {
    expect(out.status).toBe(0);
    expect(result.status).toBe('completed');
    expect(result.variants).toHaveLength(5);
    expect(new Set(result.variants.map((v) => JSON.stringify(v.params))).size).toBe(5);
  });

  it('reports early termination in the summary', () => {
    expect(result.earlyTermination.stopped).toBe(result.variants.filter((v) => v.status === 'stopped').length);
  });
});

describe('fte sweep: hyperband stops the run worse than the bracket cut-off (grid, limited)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-hb-'));
  const db = join(dir, 'fte.duckdb');
  let out: ReturnType<typeof spawnSync>;
  let result: { status: string; variants: { status: string; params: Record<string, unknown> }[]; earlyTermination: { stopped: number; stepsSaved: number } };

  beforeAll(() => {
    const yaml = `name: grid-hb
method: grid
metric: { name: val_loss, goal: minimize }
early_terminate: { type: hyperband, min_iter: 1, eta: 2 }
parameters:
  learning_rate: { values: [0.01, 0.00001] }
fte:
  model: { base: ${join(root, 'models/fte-tiny-base')} }
  dataset: ${join(root, 'evals/email-triage')}
  params: { targetModules: [c_attn, c_fc], evalEvery: 1, warmupSteps: 0 }
  evaluate: { baselines: [], perturbations: [], maxNewTokens: 8 }
`;
    writeFileSync(join(dir, 'sweep.yaml'), yaml);
    out = spawnSync(process.execPath, [bin, 'sweep', join(dir, 'sweep.yaml'), '--db', db, '--parallel', '1', '--max-steps', '5', '--limit-train', '16', '--limit-eval', '4', '--json', '-q'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000,
    });
    result = JSON.parse(String(out.stdout));
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores stopped runs with their curves and no evaluation, and the summary counts them', async () => {
    const runs = await query<{ run_id: string; status: string; steps: number }>(db, `SELECT run_id, status, steps FROM runs WHERE kind = 'variant'`);
    const stopped = runs.filter((r) => r.status === 'stopped');
    expect(out.status).toBe(0);
    expect(stopped.length).toBe(1);
    expect(result.earlyTermination.stopped).toBe(stopped.length);
    expect(result.earlyTermination.stepsSaved).toBeGreaterThan(0);
    for (const r of stopped) {
      expect(r.steps).toBeLessThan(5);
      const curve = await query<{ n: number }>(db, `SELECT count(*)::INT AS n FROM step_metrics WHERE run_id = '${r.run_id}' AND split = 'val'`);
      expect(curve[0]!.n).toBeGreaterThanOrEqual(1);
      const evals = await query<{ n: number }>(db, `SELECT count(*)::INT AS n FROM eval_results WHERE run_id = '${r.run_id}'`);
      expect(evals[0]!.n).toBe(0);
      // Not evaluated, but its training was spent all the same: priced (measured and on the target device).
      const costs = await query<{ component: string }>(db, `SELECT component FROM costs WHERE run_id = '${r.run_id}' ORDER BY component`);
      expect(costs.map((c) => c.component)).toEqual(['train', 'train_target_device']);
    }
  });

  it('a resumed sweep keeps the stopped run (not trained again), and its summary says so with the same savings', async () => {
    const before = await query<{ run_id: string; status: string; steps: number; planned_steps: number }>(db, `SELECT run_id, status, steps, planned_steps FROM runs WHERE kind = 'variant' ORDER BY run_seq`);
    const cut = before.find((r) => r.status === 'stopped')!;
    expect(cut.planned_steps).toBe(5);
    const again = spawnSync(process.execPath, [bin, 'sweep', join(dir, 'sweep.yaml'), '--db', db, '--parallel', '1', '--max-steps', '5', '--limit-train', '16', '--limit-eval', '4', '--json'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000,
    });
    expect(again.status).toBe(0);
    expect(String(again.stderr)).toContain(`stopped early by hyperband as run ${cut.run_id}, kept (--no-resume trains it again)`);
    const resumed = JSON.parse(String(again.stdout)) as { sweepId: string; variants: { runId: string; status: string; skipped: boolean }[]; earlyTermination: Record<string, number> };
    expect(resumed.variants.map((v) => [v.runId, v.status, v.skipped]).sort()).toEqual(before.map((r) => [r.run_id, r.status, true]).sort());
    expect(resumed.earlyTermination).toMatchObject({ stopped: 1, kept: 1, stepsSaved: result.earlyTermination.stepsSaved });
    expect(await query(db, `SELECT run_id FROM runs WHERE kind = 'variant' ORDER BY run_seq`)).toEqual(before.map((r) => ({ run_id: r.run_id })));
  }, 300_000);
});
