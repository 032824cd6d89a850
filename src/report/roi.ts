/**
 * `fte roi` as one call: the store read (src/store/roi-inputs.ts) composed with the pure ROI
 * computation (src/cost/sweep-roi.ts). Used by `fte roi`, the report and `fte compare`.
 */
import { readPricesFile } from '../cost/prices.js';
import { checkRoiOptions, computeSweepRoi, type RoiOptions, type RoiReport } from '../cost/sweep-roi.js';
import type { Db } from '../store/db.js';
import { readRoiInputs } from '../store/roi-inputs.js';
import { computeSubjectsCost, isEvaluationOnly, type SubjectsCostReport } from '../cost/subjects-roi.js';

export type { RoiOptions, RoiReport } from '../cost/sweep-roi.js';
export type { SubjectsCostReport } from '../cost/subjects-roi.js';

/**
 * Reads sweep `opts.sweepId` (default: the latest; `latest` accepted) from the store and computes its
 * ROI (`computeSweepRoi`); `opts.pricesFile` is read here.
 * @throws UserInputError (one line: what is missing and how to produce it) for a non-positive volume
 *   or horizon (before anything is read), no sweep, an unreadable prices file, and whatever
 *   `computeSweepRoi` throws.
 */
export async function roiForSweep(db: Db, opts: RoiOptions = {}): Promise<RoiReport> {
  checkRoiOptions(opts);
  const { sweepId, pricesFile, ...rest } = opts;
  const inputs = await readRoiInputs(db, sweepId ? { sweepId } : {});
  return computeSweepRoi(inputs, { ...rest, ...(pricesFile ? { pricesFile: { origin: pricesFile, overrides: readPricesFile(pricesFile) } } : {}) });
}

/**
 * `fte roi` on any sweep: the ROI of fine-tuning (`roiForSweep`) when the sweep has variant runs;
 * for an evaluation only (`fte eval`: baselines and extra models, no variant run), the evaluated
 * subjects compared on cost and quality (src/cost/subjects-roi.ts), `kind: 'subjects'`.
 * @throws UserInputError as `roiForSweep` and `computeSubjectsCost` document.
 */
export async function costForSweep(db: Db, opts: RoiOptions = {}): Promise<RoiReport | SubjectsCostReport> {
  checkRoiOptions(opts);
  const { sweepId, pricesFile, ...rest } = opts;
  const inputs = await readRoiInputs(db, sweepId ? { sweepId } : {});
  const o = { ...rest, ...(pricesFile ? { pricesFile: { origin: pricesFile, overrides: readPricesFile(pricesFile) } } : {}) };
  return isEvaluationOnly(inputs) ? computeSubjectsCost(inputs, o) : computeSweepRoi(inputs, o);
}
