/**
 * Section 2: the sweep table, one row per variant, best objective first (sortable in the page).
 */
import { runCostUsd } from '../cost-view.js';
import type { ReportData, RunData } from '../data.js';
import { fmtBytes, fmtCount, fmtDuration, fmtNum, fmtParam, fmtUsd, truncate, variantLabel } from '../../format.js';
import { bestValLoss, evalRowOf, evalValue, objectiveValue, rankValue, type Objective } from '../objective.js';
import type { EarlyTerminationView, SweepTableView, TableCell } from '../view-types.js';
import { earlyTerminationSavings, SAVINGS_METHOD } from '../../experiment/hyperband.js';
import { fmtCi, keyLabel, preferredMetric, uniq } from './common.js';
import { GENERAL_SLICE } from '../../eval/general.js';
import { signedPct } from '../general.js';

/** Main metrics shown per run: the objective and the clean value of each (slice, metric) of slice `all`, at most `max`. */
export function mainMetricKeys(objective: Objective, runs: readonly RunData[], max = 5): { slice: string; metric: string }[] {
  const keys: { slice: string; metric: string }[] = [];
  const seen = new Set<string>();
  const add = (slice: string, metric: string, always = false): void => {
    const k = `${slice}/${metric}`;
    if (!seen.has(k) && (keys.length < max || always)) {
      seen.add(k);
      keys.push({ slice, metric });
    }
  };
  if (objective.metric !== 'val_loss') add(objective.slice, objective.metric);
  const rows = runs.flatMap((r) => r.evalRows.filter((e) => e.subject === 'finetuned' && e.perturbation === 'none'));
  const slices = uniq(rows.map((r) => r.slice)).filter((s) => s !== 'all' && s !== GENERAL_SLICE);
  // One headline metric per slice first, then slice `all`.
  for (const s of slices) {
    const m = preferredMetric(rows.filter((r) => r.slice === s).map((r) => r.metric));
    if (m) add(s, m);
  }
  if (rows.some((r) => r.slice === 'all' && r.metric === 'perplexity')) add('all', 'perplexity');
  const inSlices = new Set(rows.filter((r) => r.slice !== 'all' && r.slice !== GENERAL_SLICE).map((r) => r.metric));
  for (const r of rows) if (r.slice === 'all' && !inSlices.has(r.metric)) add('all', r.metric);
  // Forgetting (always shown, beyond `max`): each variant's general-text perplexity change vs the base, methods side by side.
  if (rows.some((r) => r.slice === GENERAL_SLICE && r.metric === 'perplexity_change')) add(GENERAL_SLICE, 'perplexity_change', true);
  else if (rows.some((r) => r.slice === GENERAL_SLICE && r.metric === 'perplexity')) add(GENERAL_SLICE, 'perplexity', true);
  return keys;
}

/** Measured peak with the estimate below; a run stored before fte measured memory shows its estimate, labelled. */
function memoryCell(r: RunData, num: (v: number | null | undefined, text: string) => TableCell): TableCell {
  if (r.estimatedMemoryBytes === undefined) return r.peakMemoryBytes === undefined ? num(undefined, fmtBytes(undefined)) : { ...num(r.peakMemoryBytes, fmtBytes(r.peakMemoryBytes)), sub: 'estimate (not measured)' };
  return { ...num(r.peakMemoryBytes, fmtBytes(r.peakMemoryBytes)), sub: `est. ${fmtBytes(r.estimatedMemoryBytes)}` };
}

export function buildSweepTable(data: ReportData, objective: Objective, best: RunData | null, swept: string[]): SweepTableView {
  const metricKeys = mainMetricKeys(objective, data.runs);
  const paramCols = swept.length > 0 ? swept : ['method'];
  const columns: SweepTableView['columns'] = [
    { label: 'Variant', numeric: false },
    ...paramCols.map((p) => ({ label: p, numeric: p !== 'method' && p !== 'targetModules' && p !== 'schedule' })),
    { label: 'Status', numeric: false },
  ];
  // Where the store kept the validation objective, that is what ranked the variants (★); the test value beside it is the held-out result.
  const valRanked = objective.metric !== 'val_loss' && data.runs.some((r) => r.selectionSplit === 'val' && r.selectionObjective !== undefined);
  if (valRanked) columns.push({ label: '★ val objective', numeric: true, title: `${objective.key} on the validation split: what ranks the variants (${objective.goal})` });
  columns.push(
    objective.metric === 'val_loss'
      ? { label: `★ ${objective.key}`, numeric: true, title: `objective (${objective.goal}): best validation loss (nats/token)` }
      : { label: `${valRanked ? '' : '★ '}${objective.key} (test)`, numeric: true, title: `${valRanked ? 'the objective' : `objective (${objective.goal})`} on the held-out test split, fine-tuned, clean inputs, with its 95% bootstrap interval` },
  );
  if (objective.metric !== 'val_loss') columns.push({ label: 'val loss', numeric: true, title: 'best validation loss (nats/token)' });
  for (const k of metricKeys) if (!(k.slice === objective.slice && k.metric === objective.metric)) columns.push(k.metric === 'perplexity_change'
    ? { label: 'general text perplexity vs base', numeric: true, title: 'forgetting: perplexity on general held-out text relative to the base model (lower is better), with the 95% interval of a paired bootstrap over the passages' }
    : { label: keyLabel(k.slice, k.metric), numeric: true, title: `${k.slice}/${k.metric}, fine-tuned, clean inputs, test split, with its 95% bootstrap interval` });
  columns.push(
    { label: 'Adapter', numeric: true, title: 'saved adapter (or weights) size; trainable parameters below' },
    { label: 'Peak memory', numeric: true, title: 'measured peak training memory (live tensor bytes, every allocation tracked); the pre-training estimate below' },
    { label: 'Time', numeric: true, title: 'wall time' },
    { label: 'Cost', numeric: true, title: 'measured train + eval cost (USD)' },
  );

  const num = (v: number | null | undefined, text: string): TableCell => ({ text, sort: v === null || v === undefined || !Number.isFinite(v) ? '' : String(v) });
  const rows = data.runs.map((r) => {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    const ov = objectiveValue(objective, r);
    const cells: TableCell[] = [{ text: r.runId, sort: r.runId }];
    for (const p of paramCols) {
      const v = all[p];
      cells.push(typeof v === 'number' ? num(v, fmtParam(v)) : { text: fmtParam(v), sort: fmtParam(v) });
    }
    const steps = r.stepMetrics.filter((m) => m.split === 'train').reduce((mx, m) => Math.max(mx, m.step), 0);
    const stopped = r.status === 'stopped';
    const stepText = steps > 0 ? `${fmtCount(steps)}${stopped && r.plannedSteps !== undefined ? ` of ${fmtCount(r.plannedSteps)}` : ''} steps` : '';
    const note = stopped ? 'stopped by hyperband' : r.stoppedEarly ? 'early stop' : r.status === 'diverged' || r.status === 'failed' ? truncate((r.error ?? '').replace(/^\/\S+?: /, ''), 60) : '';
    const sub = [stepText, note].filter((x) => x).join(' · ');
    cells.push({ text: String(r.status), sort: String(r.status), cls: `status-${r.status}`, ...(sub ? { sub } : {}) });
    if (valRanked) {
      const sv = r.selectionSplit === 'val' ? (r.selectionObjective ?? null) : null;
      cells.push({ ...num(sv, fmtNum(sv)), cls: 'objective' });
    }
    const ovCi = objective.metric === 'val_loss' ? '' : fmtCi(evalRowOf(r.evalRows, 'finetuned', objective.slice, objective.metric));
    cells.push({ ...num(ov, fmtNum(ov)), ...(valRanked ? {} : { cls: 'objective' }), ...(ovCi ? { ci: ovCi } : {}) });
    if (objective.metric !== 'val_loss') {
      const bv = bestValLoss(r);
      cells.push(num(bv, fmtNum(bv)));
    }
    for (const k of metricKeys) {
      if (k.slice === objective.slice && k.metric === objective.metric) continue;
      const v = evalValue(r.evalRows, 'finetuned', k.slice, k.metric);
      if (k.metric === 'perplexity_change') {
        // Forgetting as a signed percentage vs the base model, with its paired interval.
        const row = evalRowOf(r.evalRows, 'finetuned', k.slice, k.metric);
        const ci = row && row.ciLow != null && row.ciHigh != null ? `[${signedPct(row.ciLow)}, ${signedPct(row.ciHigh)}]` : '';
        cells.push({ ...num(v, v === null ? '—' : signedPct(v)), ...(ci ? { ci } : {}) });
        continue;
      }
      const ci = fmtCi(evalRowOf(r.evalRows, 'finetuned', k.slice, k.metric));
      cells.push({ ...num(v, fmtNum(v)), ...(ci ? { ci } : {}) });
    }
    const cost = runCostUsd(r);
    cells.push({ ...num(r.adapterBytes, fmtBytes(r.adapterBytes)), ...(r.trainableParams ? { sub: `${fmtCount(r.trainableParams)} params` } : {}) });
    cells.push(memoryCell(r, num));
    cells.push(num(r.wallSeconds, fmtDuration(r.wallSeconds)));
    cells.push(num(cost, fmtUsd(cost)));
    return { runId: r.runId, label: variantLabel(all, swept, r.variantKey.slice(0, 10)), best: r === best, status: String(r.status), cells };
  });
  // Sorted by the value the store ranked on (validation objective where stored), best first, failed runs last.
  const goal = objective.goal;
  const order = data.runs.map((r, i) => ({ i, v: r.status === 'completed' ? rankValue(objective, r) : null }));
  // The best run (the store's ranking, ties included) leads.
  const first = (i: number): number => (data.runs[i] === best ? 0 : 1);
  // Then the store's ranking where it placed the run (its tie rule included), then the value.
  const place = (i: number): number => data.runs[i]!.storeRank ?? Infinity;
  order.sort((a, b) => first(a.i) - first(b.i) || (place(a.i) === place(b.i) ? 0 : place(a.i) - place(b.i)) || (a.v === null ? 1 : b.v === null ? -1 : goal === 'minimize' ? a.v - b.v : b.v - a.v) || a.i - b.i);
  return { columns, rows: order.map((o) => rows[o.i]!), earlyTermination: buildEarlyTermination(data) };
}

/**
 * What the sweep's early termination did not spend (`earlyTerminationSavings`, as `fte sweep`'s
 * hyperband line computes it), when the spec sets one or a run was stopped; else null.
 */
export function buildEarlyTermination(data: ReportData): EarlyTerminationView | null {
  const sweep = (data.sweep.spec.sweep ?? {}) as { earlyTerminate?: { type?: string; minIter?: number; eta?: number; maxIter?: number } };
  const et = sweep.earlyTerminate;
  if (!et && !data.runs.some((r) => r.status === 'stopped')) return null;
  const s = earlyTerminationSavings(data.runs.map((r) => ({ status: String(r.status), plannedSteps: r.plannedSteps, steps: r.steps, wallSeconds: r.wallSeconds })));
  const settings = et ? [et.minIter !== undefined ? `minIter ${et.minIter}` : '', et.eta !== undefined ? `eta ${et.eta}` : '', et.maxIter !== undefined ? `maxIter ${et.maxIter}` : ''].filter((x) => x) : [];
  const rule = `${et?.type ?? 'hyperband'}${settings.length ? ` (${settings.join(', ')})` : ''}`;
  const unknown = s.unknown > 0 ? ` (${s.unknown} stopped run${s.unknown === 1 ? '' : 's'} stored without planned steps not counted)` : '';
  return {
    rule,
    ...s,
    facts: [
      { label: 'Runs stopped', value: `${s.stopped} of ${data.runs.length}` },
      { label: 'Training steps not run', value: `${fmtCount(s.stepsSaved)}${unknown}` },
      { label: 'Estimated time saved', value: `${fmtDuration(s.wallSecondsSaved)}${unknown}` },
    ],
    method: `${rule} stops a run whose best validation loss at a bracket is worse than the best 1/eta of the runs that reached it (its curves are kept; it is not evaluated). ${SAVINGS_METHOD}`,
  };
}
