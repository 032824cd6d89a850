/**
 * The one "best run" rule (src/store/queries.ts): best objective by the sweep's goal, ties broken
 * by the lower final validation loss, then by the earlier start (run_seq). Completed runs only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestRun, listRuns } from '../../src/store/queries.js';
import { openStore, type Store } from '../../src/store/index.js';
import { outcome } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-best-run-'));
let store: Store;

/** [runId, objective value, best val loss, final val loss, status] */
type Row = [string, number, number, number, 'completed' | 'diverged'];

async function sweep(sweepId: string, objective: { metric: string; goal: 'minimize' | 'maximize' }, rows: Row[]): Promise<void> {
  const experimentId = await store.upsertExperiment({ name: `exp-${sweepId}`, specPath: 'experiments/x.ts', specHash: sweepId, objective });
  await store.createSweep({ experimentId, sweepId, specJson: { name: experimentId }, objective, startedAt: '2026-11-29T07:00:00.000Z' });
  for (const [runId, value, best, final, status] of rows) {
    await store.startRun({ runId, sweepId, variantKey: `k-${runId}`, method: 'lora', params: {} });
    const o = outcome(runId, { status });
    o.train = { ...o.train!, bestValLoss: best, finalValLoss: final };
    o.evalRows = [{ subject: 'finetuned', perturbation: 'none', slice: 'classify', metric: 'f1_macro', value, n: 10 }];
    await store.writeRunOutcome(o);
  }
  await store.finishSweep(sweepId, 'completed');
}

beforeAll(async () => {
  store = await openStore(join(dir, 'fte.duckdb'));
  // Every run scores the same F1: the lower final validation loss wins (t3), then the earlier run (t3 before t4).
  await sweep('tie-max', { metric: 'classify/f1_macro', goal: 'maximize' }, [
    ['t1', 0.5, 2.3, 2.3, 'completed'],
    ['t2', 0.5, 2.0, 2.6, 'completed'],
    ['t3', 0.5, 2.1, 2.2, 'completed'],
    ['t4', 0.5, 2.1, 2.2, 'completed'],
    ['t5', 0.4, 1.0, 1.0, 'completed'],
  ]);
  // val_loss objective (best validation loss) tied: the final validation loss decides; a diverged run never wins.
  await sweep('tie-min', { metric: 'val_loss', goal: 'minimize' }, [
    ['m0', 0, 1.0, 1.0, 'diverged'],
    ['m1', 0, 2.0, 2.5, 'completed'],
    ['m2', 0, 2.0, 2.1, 'completed'],
    ['m3', 0, 2.2, 2.2, 'completed'],
  ]);
  await sweep('none-done', { metric: 'val_loss', goal: 'minimize' }, [['d1', 0, 1.0, 1.0, 'diverged']]);
});
afterAll(async () => store?.close());

describe('listRuns sort objective: one tie-break rule', () => {
  it.each([
    ['tie-max', 'asc', ['t3', 't4', 't1', 't2', 't5']],
    ['tie-max', 'desc', ['t5', 't2', 't1', 't4', 't3']],
    ['tie-min', 'asc', ['m0', 'm2', 'm1', 'm3']],
  ] as const)('%s %s', async (sweepId, order, ids) => {
    const list = await listRuns(store.db, { sweep: sweepId, sort: 'objective', order });
    expect(list.runs.map((r) => r.runId)).toEqual(ids);
  });
});

describe('bestRun', () => {
  it.each([
    ['tie-max', 't3'],
    ['tie-min', 'm2'],
    ['none-done', null],
  ])('%s -> %s', async (sweepId, runId) => {
    expect((await bestRun(store.db, sweepId))?.runId ?? null).toBe(runId);
  });
});
