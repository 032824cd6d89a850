/**
 * Section 6: robustness (HELM): each perturbation's drop, the worst case, consistency.
 */
import { ORIGINAL_SUFFIX, originalOf } from '../../eval/slices.js';
import type { EvalRow } from '../../eval/types.js';
import { fmtDelta, fmtNum } from '../../format.js';
import { evalRowOf, evalValue, lowerIsBetter, type Objective } from '../objective.js';
import type { RobustnessTableView } from '../view-types.js';
import { fmtCi, preferredMetric, subjectLabel, subjectsPresent, uniq } from './common.js';

/** Perturbations in the spec's order (`evaluate.perturbations`), others after them alphabetically, `worst_case` last. */
export function orderPerturbations(names: string[], spec: Record<string, unknown>): string[] {
  const declared = ((spec.evaluate as { perturbations?: unknown } | undefined)?.perturbations ?? []) as unknown[];
  const rank = (p: string): number => (p === 'worst_case' ? 1e9 : declared.indexOf(p) >= 0 ? declared.indexOf(p) : 1e6);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function buildRobustness(rows: EvalRow[], objective: Objective, spec: Record<string, unknown>): RobustnessTableView[] {
  const subjects = subjectsPresent(rows);
  const perturbations = orderPerturbations(uniq(rows.map((r) => r.perturbation)).filter((p) => p !== 'none' && !p.endsWith(ORIGINAL_SUFFIX)), spec);
  if (perturbations.length === 0) return [];
  const keys: { slice: string; metric: string }[] = [];
  const seen = new Set<string>();
  const add = (slice: string, metric: string | null): void => {
    if (!metric || seen.has(`${slice}/${metric}`)) return;
    if (!rows.some((r) => r.slice === slice && r.metric === metric && r.perturbation !== 'none')) return;
    seen.add(`${slice}/${metric}`);
    keys.push({ slice, metric });
  };
  if (objective.metric !== 'val_loss') add(objective.slice, objective.metric);
  const slices = uniq(rows.map((r) => r.slice));
  for (const s of slices.filter((x) => x !== 'all')) add(s, preferredMetric(uniq(rows.filter((r) => r.slice === s && r.perturbation !== 'none' && !lowerIsBetter(r.metric)).map((r) => r.metric))));
  if (keys.length === 0) add('all', preferredMetric(uniq(rows.filter((r) => r.slice === 'all' && r.perturbation !== 'none').map((r) => r.metric))));

  const ordered = perturbations;
  return keys.map(({ slice, metric }) => {
    const lower = lowerIsBetter(metric);
    const chart: RobustnessTableView['chart'] = [];
    const tableRows: RobustnessTableView['rows'] = [
      { perturbation: 'none (clean)', cells: subjects.map((s) => ({ text: fmtNum(evalValue(rows, s, slice, metric)), ci: fmtCi(evalRowOf(rows, s, slice, metric)), drop: '', dropCls: '' })) },
    ];
    for (const p of ordered) {
      if (!rows.some((r) => r.perturbation === p && r.slice === slice && r.metric === metric)) continue;
      tableRows.push({
        perturbation: p === 'worst_case' ? 'worst case' : p,
        cells: subjects.map((s) => {
          // HELM: the drop is over the inputs the perturbation changed, against clean scores of the same inputs.
          const clean = evalValue(rows, s, slice, metric, originalOf(p)) ?? evalValue(rows, s, slice, metric);
          const v = evalValue(rows, s, slice, metric, p);
          // Drop = how much worse the perturbed input scores (positive = worse), in the metric's units.
          const drop = clean !== null && v !== null ? (lower ? v - clean : clean - v) : null;
          if (drop !== null) chart.push({ perturbation: p === 'worst_case' ? 'worst case' : p, subject: subjectLabel(s), drop });
          // Shown as the signed change vs clean (a drop of a higher-is-better metric is negative).
          const change = clean !== null && v !== null ? v - clean : null;
          return { text: fmtNum(v), ci: fmtCi(evalRowOf(rows, s, slice, metric, p)), drop: change === null ? '' : fmtDelta(change), dropCls: drop === null || drop === 0 ? '' : drop > 0 ? 'bad' : 'good' };
        }),
      });
    }
    const consistency: RobustnessTableView['consistency'] = [];
    const cRows = rows.filter((r) => r.metric === 'consistency' && (r.slice === slice || r.slice === 'all'));
    for (const p of orderPerturbations(uniq(cRows.map((r) => r.perturbation)), spec)) {
      const sl = cRows.some((r) => r.perturbation === p && r.slice === slice) ? slice : 'all';
      consistency.push({ perturbation: p === 'worst_case' || p === 'none' ? 'all perturbations' : p, cells: subjects.map((s) => fmtNum(evalValue(cRows, s, sl, 'consistency', p))) });
    }
    return { title: `${slice}/${metric}`, slice, metric, subjects: subjects.map((s) => subjectLabel(s)), rows: tableRows, consistency, chart };
  });
}
