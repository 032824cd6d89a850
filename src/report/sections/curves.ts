/**
 * Section 3: train and validation loss per variant; early stops, hyperband stops and divergences marked.
 */
import type { StepMetric } from '../../train/types.js';
import type { ReportData } from '../data.js';
import { variantLabel } from '../../format.js';
import type { CurvePoint, CurvesView } from '../view-types.js';

export function buildCurves(data: ReportData, swept: string[]): CurvesView {
  const points: CurvePoint[] = [];
  const markers: CurvesView['markers'] = [];
  const notes: string[] = [];
  for (const r of data.runs) {
    const label = variantLabel({ method: r.method, ...r.params }, swept, r.variantKey.slice(0, 10));
    const loss = r.stepMetrics.filter((m: StepMetric) => m.name === 'loss' && Number.isFinite(m.value));
    for (const m of loss) points.push({ variant: label, split: m.split, step: m.step, loss: m.value });
    const last = [...loss].sort((a, b) => a.step - b.step).at(-1);
    if (r.status === 'diverged') {
      const nonFinite = r.stepMetrics.some((m) => m.name === 'loss' && !Number.isFinite(m.value));
      if (last) markers.push({ variant: label, step: last.step, loss: last.value, kind: 'diverged' });
      notes.push(`${label} diverged${nonFinite ? ' (non-finite loss)' : ''}${last ? ` at step ${last.step}` : ''}.`);
    } else if (r.status === 'stopped' && last) {
      // Ended by the sweep's early termination, not by its own patience.
      markers.push({ variant: label, step: last.step, loss: last.value, kind: 'hyperband stop' });
      notes.push(`${label} stopped by hyperband at step ${last.step}${r.plannedSteps !== undefined ? ` of ${r.plannedSteps}` : ''} (its validation loss at a bracket was worse than the cut-off).`);
    } else if (r.stoppedEarly && last) {
      markers.push({ variant: label, step: last.step, loss: last.value, kind: 'early stop' });
      notes.push(`${label} stopped early at step ${last.step} (validation loss stopped improving).`);
    }
  }
  return { points, markers: markers.map((m) => ({ ...m, loss: Number(m.loss) })), notes };
}
