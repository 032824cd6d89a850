import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHARS_PER_TOKEN, computeSweepRoi } from '../../src/cost/sweep-roi.js';
import { roiForSweep } from '../../src/report/roi.js';
import { openStore, type Store } from '../../src/store/index.js';
import { predictions } from '../../src/store/queries.js';
import { readRoiInputs } from '../../src/store/roi-inputs.js';
import { buildFixtureDb, MAIN_SWEEP_ID } from '../report/db-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-roi-inputs-'));
const dbFile = join(dir, 'fte.duckdb');
let store: Store;

beforeAll(async () => {
  await buildFixtureDb(dbFile);
  store = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => store?.close());

describe('readRoiInputs (the store read) + computeSweepRoi (pure)', () => {
  it('mean clean prediction lengths per (run, subject) equal the means over the loaded predictions', async () => {
    const inputs = await readRoiInputs(store.db, { sweepId: MAIN_SWEEP_ID });
    const preds = await predictions(store.db, { sweepId: MAIN_SWEEP_ID, perturbation: 'none' });
    expect(inputs.predictionLengths.length).toBeGreaterThan(0);
    for (const l of inputs.predictionLengths) {
      const mine = preds.filter((p) => p.runId === l.runId && p.subject === l.subject);
      expect(l.n).toBe(mine.length);
      expect(l.meanInputChars).toBeCloseTo(mine.reduce((s, p) => s + (p.input ?? '').length, 0) / mine.length, 9);
      expect(l.meanOutputChars).toBeCloseTo(mine.reduce((s, p) => s + (p.prediction ?? '').length, 0) / mine.length, 9);
    }
    expect(new Set(inputs.predictionLengths.map((l) => `${l.runId}/${l.subject}`)).size).toBe(inputs.predictionLengths.length);
  });

  it('the computation on the plain inputs is what roiForSweep returns', async () => {
    const inputs = structuredClone(await readRoiInputs(store.db, { sweepId: MAIN_SWEEP_ID }));
    expect(computeSweepRoi(inputs)).toEqual(await roiForSweep(store.db, { sweepId: MAIN_SWEEP_ID }));
  });

  it('without stored per-request rows, tokens are estimated from the mean prediction lengths', async () => {
    const inputs = await readRoiInputs(store.db, { sweepId: MAIN_SWEEP_ID });
    const noRequests = { ...inputs, costs: inputs.costs.filter((c) => !c.component.includes('per_request')) };
    const r = computeSweepRoi(noRequests);
    const l = inputs.predictionLengths.find((x) => x.runId === r.bestRun.runId && x.subject === 'finetuned')!;
    expect(r.requests.finetuned.tokenSource).toBe('estimated');
    expect(r.requests.finetuned.inputTokens).toBeCloseTo(l.meanInputChars / CHARS_PER_TOKEN, 9);
    expect(r.requests.finetuned.outputTokens).toBeCloseTo(l.meanOutputChars / CHARS_PER_TOKEN, 9);
    expect(r.notes.some((n) => n.startsWith('finetuned: no token counts stored'))).toBe(true);
  });
});
