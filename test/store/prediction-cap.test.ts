/** Issue 18, item 5: stored prediction text (input, reference, prediction) is capped at PREDICTION_TEXT_CAP characters, marked. */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { PREDICTION_TEXT_CAP, TRUNCATION_MARK, type Store } from '../../src/store/writer.js';
import { outcome, seed } from './fixtures.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe('predictions text cap', () => {
  it('truncates long input/reference/prediction to the cap with a marker; short text is stored as is', async () => {
    store = await openStore(':memory:');
    const { sweepId } = await seed(store);
    await store.startRun({ runId: 'r1', sweepId, variantKey: 'k1', method: 'lora', params: {}, startedAt: '2026-11-29T07:00:00.000Z' });
    const big = 'x'.repeat(50_000);
    const o = outcome('r1', {
      predictions: [
        { subject: 'finetuned', perturbation: 'none', exampleId: 'e1', input: big, reference: big, prediction: big, scores: {} },
        { subject: 'finetuned', perturbation: 'none', exampleId: 'e2', input: 'short', reference: 'ref', prediction: 'pred', scores: {} },
      ],
    });
    await store.writeRunOutcome(o);
    const rows = await store.db.all<{ example_id: string; input: string; reference: string; prediction: string }>(
      `SELECT example_id, input, reference, prediction FROM predictions WHERE run_id = 'r1' ORDER BY example_id`,
    );
    expect(PREDICTION_TEXT_CAP).toBe(4096);
    for (const col of ['input', 'reference', 'prediction'] as const) {
      expect(rows[0]![col].length).toBe(PREDICTION_TEXT_CAP);
      expect(rows[0]![col].endsWith(TRUNCATION_MARK)).toBe(true);
    }
    expect(rows[1]).toEqual({ example_id: 'e2', input: 'short', reference: 'ref', prediction: 'pred' });
  });
});
