import type { Fingerprints, Variant } from './sweep.js';
import { duplicateGridValues, expandSweep, sweepSpaceSize } from './sweep.js';
import { displayPath, loadSpec, resolveSpecPath, withoutProcessExit, type LoadedSpec } from './load.js';
import { checkPlan } from './plan-checks.js';
import { baseModelFingerprint, datasetSourceFingerprint } from './fingerprint.js';
import { SpecError } from './errors.js';
import { readGeneralFile } from '../eval/general.js';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';

export { defineExperiment } from './define.js';
export { canonicalJson } from '../canonical-json.js';
export { expandSweep, variantKey, type Variant, type ResolvedParams, type Fingerprints } from './sweep.js';
export { loadSpec, resolveSpecPath, type LoadedSpec } from './load.js';
export { specFromWandbYaml } from './wandb.js';
export { SpecError } from './errors.js';
export { dryRunResult, renderDryRun, type DryRunResult } from './render.js';

/** A spec expanded into variants, with the resolved model and dataset paths and their fingerprints. */
export interface PlannedSweep {
  loaded: LoadedSpec;
  baseModelDir: string;
  datasetPath: string;
  fingerprints: Fingerprints;
  variants: Variant[];
  /** Combinations of the sweep's list parameters, before runCap (null: a continuous distribution). */
  gridSize: number | null;
  /** One line each, naming the file and field (duplicate grid values); the plan still stands. */
  warnings: string[];
}

/**
 * Load a spec file, expand its sweep (what `fte sweep --dry-run` prints) and check it against the
 * base model's config.json and the dataset's tasks (src/experiment/plan-checks.ts). `runCap`
 * overrides the spec's `sweep.runCap` (a capped grid runs a seeded random subset, see expandSweep).
 * @throws SpecError naming the file and field path.
 */
export async function planSweep(file: string, opts: { runCap?: number } = {}): Promise<PlannedSweep> {
  const loaded = await loadSpec(file);
  if (opts.runCap !== undefined) loaded.spec.sweep.runCap = opts.runCap;
  const baseModelDir = resolveSpecPath(loaded, loaded.spec.model.base);
  const datasetPath = resolveSpecPath(loaded, loaded.spec.dataset);
  resolveCheckpoints(loaded);
  resolveGeneral(loaded);
  const ood = resolveOod(loaded);
  // What every variant is evaluated on joins the dataset's fingerprint (variant keys): an OOD file, or
  // `ood: false` (so turning the split back on re-runs the variants that were never scored on it).
  const dataset = datasetSourceFingerprint(datasetPath);
  const oodPart = ood ? `ood:${datasetSourceFingerprint(ood)}` : loaded.spec.evaluate.ood === false ? 'ood:off' : null;
  const fingerprints = { baseModel: baseModelFingerprint(baseModelDir), dataset: oodPart ? createHash('sha256').update(`${dataset}\n${oodPart}`).digest('hex') : dataset };
  let variants: Variant[];
  try {
    variants = await withoutProcessExit(() => expandSweep(loaded.spec, fingerprints)); // derived parameters are spec code
    await checkPlan({ spec: loaded.spec, baseModelDir, baseModelLabel: displayPath(baseModelDir), datasetPath, variants });
  } catch (err) {
    if (err instanceof SpecError) throw err.withFile(file);
    throw err;
  }
  const warnings = duplicateGridValues(loaded.spec).map((w) => `${file}: ${w}`);
  return { loaded, baseModelDir, datasetPath, fingerprints, variants, gridSize: sweepSpaceSize(loaded.spec), warnings };
}

/**
 * `evaluate.general`, resolved like `dataset`, and read once so that a bad file stops the plan
 * with one line (src/eval/general.ts `readGeneralFile`).
 * @throws SpecError naming the field
 */
function resolveGeneral(loaded: LoadedSpec): void {
  const e = loaded.spec.evaluate;
  if (typeof e.general !== 'string') return;
  e.general = resolveSpecPath(loaded, e.general);
  try {
    readGeneralFile(e.general);
  } catch (err) {
    throw new SpecError(loaded.file, 'evaluate.general', (err as Error).message.replace(/^evaluate\.general: /, ''));
  }
}

/**
 * `evaluate.ood`, resolved like `dataset`; it must be a readable file (its rows are checked when the
 * dataset is loaded, before any training).
 * @returns the resolved path, or null when the spec names none
 * @throws SpecError naming the field
 */
function resolveOod(loaded: LoadedSpec): string | null {
  const e = loaded.spec.evaluate;
  if (typeof e.ood !== 'string') return null;
  e.ood = resolveSpecPath(loaded, e.ood);
  if (!existsSync(e.ood)) throw new SpecError(loaded.file, 'evaluate.ood', `${e.ood}: no such file (expected a JSONL dataset of out-of-distribution examples)`);
  if (!statSync(e.ood).isFile()) throw new SpecError(loaded.file, 'evaluate.ood', `${e.ood}: is a directory, expected a JSONL file of out-of-distribution examples`);
  return e.ood;
}

/** Local providers' checkpoint folders, resolved like `model.base` (relative to the cwd, else the spec file). */
function resolveCheckpoints(loaded: LoadedSpec): void {
  const e = loaded.spec.evaluate;
  for (const item of [...e.baselines, ...e.models]) {
    if (typeof item === 'string' || item.provider.type !== 'local' || !item.provider.checkpoint) continue;
    item.provider.checkpoint = resolveSpecPath(loaded, item.provider.checkpoint);
  }
}
