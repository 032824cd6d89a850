/**
 * What `fte sweep --dry-run` shows of a planned sweep: the `--json` result and the terminal table.
 */
import { basename } from 'node:path';
import { describeProvider, evaluationSubjects } from './subjects.js';
import { makeTable } from '../cli/table.js';
import { fmtParam } from '../format.js';
import type { PlannedSweep } from './index.js';
import type { Method } from './schema.js';

/** The `--json` output of `fte sweep --dry-run`. */
export interface DryRunResult {
  /** The spec's `name`. */
  experiment: string;
  /** The spec file as given. */
  spec: string;
  strategy: 'grid' | 'random' | 'bayes';
  /** Combinations of a grid before runCap; null for a random sweep or a continuous distribution. */
  gridSize: number | null;
  /**
   * How the variants were chosen: `all` (the whole grid), `seeded-subset` (runCap below the grid's
   * size: a random subset drawn with `seed`, listed in grid order), `random` (seeded draws), `bayes`
   * (the listed variants are the seeded random start; `proposed` more are proposed by TPE during the sweep).
   */
  selection: 'all' | 'seeded-subset' | 'random' | 'bayes';
  /** Variants a bayes sweep proposes during the sweep from the results so far (0 for other strategies). */
  proposed: number;
  /** `sweep.seed`. */
  seed: number;
  /** `gridIndex`: the variant's 1-based position in the full grid (grid sweeps only). */
  variants: { key: string; method: Method; params: Record<string, unknown>; gridIndex?: number }[];
}

/** Variants a bayes sweep proposes while it runs: runCap minus the seeded random start. */
function proposedLater(plan: PlannedSweep): number {
  const { strategy, runCap } = plan.loaded.spec.sweep;
  return strategy === 'bayes' && runCap !== undefined ? Math.max(0, runCap - plan.variants.length) : 0;
}

/** A grid whose runCap leaves some of its combinations out (the variants are a seeded random subset). */
function isSubset(plan: PlannedSweep): boolean {
  const { strategy, runCap } = plan.loaded.spec.sweep;
  return strategy === 'grid' && runCap !== undefined && plan.gridSize !== null && runCap < plan.gridSize;
}

/** The dry-run result of `plan`. */
export function dryRunResult(plan: PlannedSweep): DryRunResult {
  const { strategy } = plan.loaded.spec.sweep;
  return {
    experiment: plan.loaded.spec.name,
    spec: plan.loaded.file,
    strategy,
    gridSize: strategy === 'grid' ? plan.gridSize : null,
    selection: strategy === 'bayes' ? 'bayes' : strategy !== 'grid' ? 'random' : isSubset(plan) ? 'seeded-subset' : 'all',
    proposed: proposedLater(plan),
    seed: plan.loaded.spec.sweep.seed,
    variants: plan.variants.map((v) => ({ key: v.key, method: v.method, params: v.params as Record<string, unknown>, ...(v.gridIndex !== undefined ? { gridIndex: v.gridIndex + 1 } : {}) })),
  };
}

/**
 * The dry-run text: `<name>: N variant(s) (grid)` (or `of a grid of G (runCap C): a seeded random
 * subset (sweep.seed S), in grid order`), then a table of the variants with rank, alpha, learning rate,
 * epochs and every swept parameter (and, for a subset, each variant's 1-based position in the grid).
 */
export function renderDryRun(plan: PlannedSweep): string {
  const { strategy, runCap } = plan.loaded.spec.sweep;
  const swept = Object.keys(plan.loaded.spec.sweep.parameters);
  const cols = ['rank', 'alpha', 'learningRate', 'epochs', ...swept].filter((c, i, a) => a.indexOf(c) === i && c !== 'method');
  const capped = isSubset(plan);
  const table = makeTable(['#', ...(capped ? ['grid #'] : []), 'key', 'method', ...cols]);
  for (const v of plan.variants) table.push([v.index + 1, ...(capped ? [(v.gridIndex ?? 0) + 1] : []), v.key, v.method, ...cols.map((c) => fmtParam((v.params as Record<string, unknown>)[c]))]);
  const subjects = evaluationSubjects(plan.loaded.spec.evaluate);
  const baseName = basename(plan.baseModelDir);
  const subjectLine = subjects.length
    ? `\nbaselines and models, evaluated once on the test split: ${subjects.map((x) => `${x.name} (${describeProvider(x.provider, baseName)}${x.k > 0 ? `, k = ${x.k}` : ''})`).join(', ')}`
    : '';
  if (strategy === 'bayes') {
    const later = proposedLater(plan);
    return `${plan.loaded.spec.name}: bayes (TPE), runCap ${runCap}: ${plan.variants.length} seeded random start variant(s) (sweep.seed ${plan.loaded.spec.sweep.seed}) listed below; ${later} more proposed during the sweep from the validation ${plan.loaded.spec.objective.metric} of the runs so far\n${table.toString()}${subjectLine}`;
  }
  return `${plan.loaded.spec.name}: ${plan.variants.length} variant(s) ${capped ? `of a grid of ${plan.gridSize} (runCap ${runCap}): a seeded random subset (sweep.seed ${plan.loaded.spec.sweep.seed}), in grid order` : `(${strategy})`}\n${table.toString()}${subjectLine}`;
}
