/** Fill a store file with one experiment, one sweep, three runs (one failed) and baselines: the fixture for command tests. */
import { openStore } from '../../src/store/open.js';
import { curve, outcome, PARAMS, seed } from './fixtures.js';

export async function seedFile(file: string): Promise<void> {
  const store = await openStore(file);
  try {
    const { sweepId } = await seed(store, { metric: 'bleu', goal: 'maximize' });
    for (const [i, id] of ['r-a', 'r-b', 'r-c'].entries()) {
      const params = { ...PARAMS, rank: 4 * (i + 1), learningRate: [1e-4, 2e-4, 5e-4][i]! };
      await store.startRun({ runId: id, sweepId, variantKey: `key-${id}`, method: 'lora', params, startedAt: `2026-11-29T07:0${i}:00.000Z`, host: 'box-1' });
      await store.appendStepMetrics(id, curve(20));
      const o = outcome(id, { params, startedAt: `2026-11-29T07:0${i}:00.000Z`, finishedAt: `2026-11-29T07:0${i}:30.000Z` });
      o.evalRows = o.evalRows.map((r) => (r.metric === 'bleu' && r.perturbation === 'none' ? { ...r, value: [20, 35, 30][i]! } : r));
      if (id === 'r-c') {
        o.status = 'failed';
        o.error = 'worker exited with code 1';
        o.evalRows = [];
        delete o.train;
      }
      await store.writeRunOutcome(o);
    }
    await store.writeBaselineResults(
      sweepId,
      [
        { subject: 'base', perturbation: 'none', slice: 'all', metric: 'bleu', value: 5, n: 10 },
        { subject: 'rag', perturbation: 'none', slice: 'all', metric: 'bleu', value: 25, n: 10 },
      ],
      [],
      [{ component: 'inference_per_request_rag', device: 'api', hours: 0, tokens: 500, usd: 0.0002, priceSource: 'test' }],
    );
    await store.finishSweep(sweepId, 'completed');
  } finally {
    await store.close();
  }
}
