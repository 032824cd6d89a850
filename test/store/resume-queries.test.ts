import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { completedRunForVariant } from '../../src/store/resume-queries.js';
import { outcome, PARAMS } from './fixtures.js';

describe('completedRunForVariant (resume)', () => {
  it('finds a completed run of the same variant key only within the same experiment and limits', async () => {
    const store = await openStore(':memory:');
    try {
      const objective = { metric: 'val_loss', goal: 'minimize' } as const;
      for (const name of ['alpha', 'beta']) await store.upsertExperiment({ name, specPath: `experiments/${name}.ts`, specHash: name, objective });
      const sweepId = await store.createSweep({
        experimentId: 'alpha', sweepId: 's-alpha', gitCommit: null, backend: 'cpu', specJson: { name: 'alpha' },
        limits: { maxSteps: 2 }, datasetManifest: { fingerprint: 'f' }, baseModel: 'models/tiny',
      });
      await store.startRun({ runId: 'r1', sweepId, variantKey: 'same-key', method: 'lora', params: PARAMS, startedAt: '2026-11-29T07:00:00.000Z' });
      await store.writeRunOutcome(outcome('r1', { variantKey: 'same-key', params: PARAMS }));

      expect(await completedRunForVariant(store.db, 'same-key', { maxSteps: 2 }, 'alpha')).toBe('r1');
      // Another experiment with the same variant key (same params, data, base model) runs it itself.
      expect(await completedRunForVariant(store.db, 'same-key', { maxSteps: 2 }, 'beta')).toBeNull();
      expect(await completedRunForVariant(store.db, 'same-key', { maxSteps: 3 }, 'alpha')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
