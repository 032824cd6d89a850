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
  strategy: 'grid' | 'random';
  /** Combinations of a grid before runCap; null for a random sweep or a continuous distribution. */
  gridSize: number | null;
  variants: { key: string; method: Method; params: Record<string, unknown> }[];
}

/** The dry-run result of `plan`. */
export function dryRunResult(plan: PlannedSweep): DryRunResult {
  const { strategy } = plan.loaded.spec.sweep;
  return {
    experiment: plan.loaded.spec.name,
    spec: plan.loaded.file,
    strategy,
    gridSize: strategy === 'grid' ? plan.gridSize : null,
    variants: plan.variants.map((v) => ({ key: v.key, method: v.method, params: v.params as Record<string, unknown> })),
  };
}

/**
 * The dry-run text: `<name>: N variant(s) (grid)` (or `of a grid of G (runCap C)`), then a table of
 * the variants with rank, alpha, learning rate, epochs and every swept parameter.
 */
export function renderDryRun(plan: PlannedSweep): string {
  const { strategy, runCap } = plan.loaded.spec.sweep;
  const swept = Object.keys(plan.loaded.spec.sweep.parameters);
  const cols = ['rank', 'alpha', 'learningRate', 'epochs', ...swept].filter((c, i, a) => a.indexOf(c) === i && c !== 'method');
  const table = makeTable(['#', 'key', 'method', ...cols]);
  for (const v of plan.variants) table.push([v.index + 1, v.key, v.method, ...cols.map((c) => fmtParam((v.params as Record<string, unknown>)[c]))]);
  const capped = strategy === 'grid' && runCap !== undefined && plan.gridSize !== null && plan.gridSize > plan.variants.length;
  const subjects = evaluationSubjects(plan.loaded.spec.evaluate);
  const baseName = basename(plan.baseModelDir);
  const subjectLine = subjects.length
    ? `\nbaselines and models, evaluated once on the test split: ${subjects.map((x) => `${x.name} (${describeProvider(x.provider, baseName)}${x.k > 0 ? `, k = ${x.k}` : ''})`).join(', ')}`
    : '';
  return `${plan.loaded.spec.name}: ${plan.variants.length} variant(s) ${capped ? `of a grid of ${plan.gridSize} (runCap ${runCap})` : `(${strategy})`}\n${table.toString()}${subjectLine}`;
}
