import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { doneRunForVariant } from '../../src/store/resume-queries.js';
import { outcome, PARAMS } from './fixtures.js';
import type { RunOutcome } from '../../src/store/types.js';

const objective = { metric: 'val_loss', goal: 'minimize' } as const;
const sweep = (experimentId: string, sweepId: string, limits: Record<string, unknown> = { maxSteps: 2 }) => ({
  experimentId, sweepId, gitCommit: null, backend: 'cpu', specJson: { name: experimentId }, limits, datasetManifest: { fingerprint: 'f' }, baseModel: 'models/tiny',
});

describe('doneRunForVariant (resume)', () => {
  it('finds a completed run of the same variant key only within the same experiment and limits', async () => {
    const store = await openStore(':memory:');
    try {
      for (const name of ['alpha', 'beta']) await store.upsertExperiment({ name, specPath: `experiments/${name}.ts`, specHash: name, objective });
      const sweepId = await store.createSweep(sweep('alpha', 's-alpha'));
      await store.startRun({ runId: 'r1', sweepId, variantKey: 'same-key', method: 'lora', params: PARAMS, startedAt: '2026-11-29T07:00:00.000Z' });
      await store.writeRunOutcome(outcome('r1', { variantKey: 'same-key', params: PARAMS }));

      expect(await doneRunForVariant(store.db, 'same-key', { maxSteps: 2 }, 'alpha', null)).toEqual({ runId: 'r1', status: 'completed' });
      // Another experiment with the same variant key (same params, data, base model) runs it itself.
      expect(await doneRunForVariant(store.db, 'same-key', { maxSteps: 2 }, 'beta', null)).toBeNull();
      expect(await doneRunForVariant(store.db, 'same-key', { maxSteps: 3 }, 'alpha', null)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('a run its sweep\'s hyperband stopped is done when that sweep is resumed (W&B does not re-run it), not for another sweep', async () => {
    const store = await openStore(':memory:');
    try {
      await store.upsertExperiment({ name: 'alpha', specPath: 'experiments/alpha.ts', specHash: 'alpha', objective });
      const hb = await store.createSweep(sweep('alpha', 's-hb'));
      const other = await store.createSweep(sweep('alpha', 's-other'));
      const stopped = (runId: string, variantKey: string): RunOutcome => {
        const o = outcome(runId, { variantKey, status: 'stopped', evalRows: [], predictions: [], costs: [], artifacts: [] });
        return { ...o, train: { ...o.train!, status: 'stopped', steps: 4, plannedSteps: 20 } };
      };
      const write = async (runId: string, sweepId: string, o: RunOutcome) => {
        await store.startRun({ runId, sweepId, variantKey: o.variantKey, method: 'lora', params: PARAMS, startedAt: o.startedAt });
        await store.writeRunOutcome(o);
      };
      await write('s1', hb, stopped('s1', 'cut-key'));
      expect(await doneRunForVariant(store.db, 'cut-key', { maxSteps: 2 }, 'alpha', hb)).toEqual({ runId: 's1', status: 'stopped' });
      // Another sweep (another spec: perhaps without early termination) trains it in full; so does a new one.
      expect(await doneRunForVariant(store.db, 'cut-key', { maxSteps: 2 }, 'alpha', other)).toBeNull();
      expect(await doneRunForVariant(store.db, 'cut-key', { maxSteps: 2 }, 'alpha', null)).toBeNull();

      // A completed run of the variant stands in before a stopped one, whichever is newer: it has the evaluation.
      await write('c1', other, outcome('c1', { variantKey: 'both-key', finishedAt: '2026-11-29T07:01:00.000Z' }));
      await write('s2', hb, { ...stopped('s2', 'both-key'), finishedAt: '2026-11-29T08:00:00.000Z' });
      expect(await doneRunForVariant(store.db, 'both-key', { maxSteps: 2 }, 'alpha', hb)).toEqual({ runId: 'c1', status: 'completed' });

      // Failed, diverged and interrupted runs are not done: a resume trains them again.
      for (const status of ['failed', 'diverged', 'interrupted'] as const) {
        await write(`x-${status}`, hb, outcome(`x-${status}`, { variantKey: `${status}-key`, status, evalRows: [], predictions: [], costs: [], artifacts: [] }));
        expect(await doneRunForVariant(store.db, `${status}-key`, { maxSteps: 2 }, 'alpha', hb)).toBeNull();
      }
    } finally {
      await store.close();
    }
  });
});
