/**
 * Writes the report fixture (test/report/fixture.ts) into a DuckDB store through the store's one
 * writer, as `fte sweep` does: experiment, sweep, runs (startRun + writeRunOutcome), baselines.
 * A second, older sweep (`sw-main`) of the same experiment, trained with one variant, stands for
 * the main branch's stored result in compare tests.
 */
import { openStore } from '../../src/store/index.js';
import type { RunOutcome } from '../../src/store/types.js';
import { fixtureBaselines, fixtureOutcomes, SPEC, SWEEP_ID, SWEEP_INFO } from './fixture.js';

export const MAIN_SWEEP_ID = 'sw-main';
/** An older sweep of another experiment whose objective is val_loss (runs `vl-1`..`vl-3`). */
export const VAL_LOSS_SWEEP_ID = 'sw-valloss';

/** Writes both sweeps into `file` (`:memory:` is not useful here: the caller reopens it). */
export async function buildFixtureDb(file: string): Promise<void> {
  const store = await openStore(file);
  try {
    await store.upsertExperiment({ name: SPEC.name, specPath: 'experiments/lora-rank.ts', specHash: 'f00d', objective: { metric: 'classify/f1_macro', goal: 'maximize' } });
    // The older "main" sweep: one variant (rank 4, lr 1e-4) with slightly different numbers.
    await store.createSweep({
      experimentId: SPEC.name,
      sweepId: MAIN_SWEEP_ID,
      specJson: SPEC,
      limits: {},
      baseModel: 'models/fte-tiny-base',
      backend: 'wasm',
      gitCommit: 'aaaaaaaaaaaa',
      startedAt: '2026-11-28T07:00:00.000Z',
    });
    const mainRun: RunOutcome = { ...fixtureOutcomes()[1]!, runId: 'main-run-1' };
    mainRun.evalRows = mainRun.evalRows.map((r) => ({ ...r, value: r.metric === 'perplexity' ? r.value * 1.1 : r.value * 0.97 }));
    // Its outputs are the best run's (run-4) but for one hostile change (T4), so a compare of the two shows T4.
    mainRun.predictions = fixtureOutcomes()[3]!.predictions.map((p, i) => (i === 3 ? { ...p, prediction: 'Patch | review `now` @someone', scores: { f1_macro: 0.2, rougeL: 0.2 } } : p));
    await writeRun(store, MAIN_SWEEP_ID, mainRun);
    const b = fixtureBaselines();
    await store.writeBaselineResults(MAIN_SWEEP_ID, b.evalRows, b.predictions, b.costs);
    await store.finishSweep(MAIN_SWEEP_ID, 'completed');

    await store.upsertExperiment({ name: 'email-triage-valloss', specPath: 'experiments/methods.ts', specHash: 'beef' });
    await store.createSweep({
      experimentId: 'email-triage-valloss',
      sweepId: VAL_LOSS_SWEEP_ID,
      specJson: { ...SPEC, name: 'email-triage-valloss', objective: { metric: 'val_loss', goal: 'minimize' } },
      limits: {},
      baseModel: 'models/fte-tiny-base',
      startedAt: '2026-11-27T07:00:00.000Z',
    });
    for (const o of fixtureOutcomes().slice(0, 3)) await writeRun(store, VAL_LOSS_SWEEP_ID, { ...o, runId: o.runId.replace('run-', 'vl-') });
    await store.writeBaselineResults(VAL_LOSS_SWEEP_ID, b.evalRows, b.predictions, b.costs);
    await store.finishSweep(VAL_LOSS_SWEEP_ID, 'completed');

    await store.createSweep({
      experimentId: SPEC.name,
      sweepId: SWEEP_ID,
      specJson: SPEC,
      limits: SWEEP_INFO.limits,
      datasetManifest: SWEEP_INFO.manifest,
      baseModel: 'models/fte-tiny-base',
      backend: 'wasm',
      gitCommit: SWEEP_INFO.gitCommit,
      startedAt: SWEEP_INFO.startedAt,
    });
    for (const o of fixtureOutcomes()) await writeRun(store, SWEEP_ID, o);
    await store.writeBaselineResults(SWEEP_ID, b.evalRows, b.predictions, b.costs);
    await store.finishSweep(SWEEP_ID, 'completed');
  } finally {
    await store.close();
  }
}

async function writeRun(store: Awaited<ReturnType<typeof openStore>>, sweepId: string, o: RunOutcome): Promise<void> {
  await store.startRun({ runId: o.runId, sweepId, variantKey: o.variantKey, method: o.method, params: o.params, startedAt: o.startedAt, backend: 'wasm', device: 'cpu' });
  await store.writeRunOutcome(o);
}
