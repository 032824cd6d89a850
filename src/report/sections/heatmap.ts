/**
 * Section 4: the objective over rank x learning rate (or the two swept parameters with most values).
 */
import type { ReportData, RunData } from '../data.js';
import { fmtNum, fmtParam } from '../../format.js';
import { isBetter, objectiveValue, type Objective } from '../objective.js';
import type { HeatmapView } from '../view-types.js';

export function buildHeatmap(data: ReportData, objective: Objective, swept: string[], best: RunData | null): HeatmapView | null {
  const numericSwept = swept.filter((p) => p !== 'method');
  let x: string | undefined;
  let y: string | undefined;
  if (numericSwept.includes('learningRate') && numericSwept.includes('rank')) {
    x = 'learningRate';
    y = 'rank';
  } else if (swept.length >= 2) {
    [y, x] = swept as [string, string];
  } else if (swept.length === 1) {
    x = swept[0];
    y = undefined;
  }
  if (!x) return null;
  const cellMap = new Map<string, HeatmapView['cells'][number]>();
  for (const r of data.runs) {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    const xv = all[x];
    const yv = y ? all[y] : '—';
    const v = r.status === 'completed' ? objectiveValue(objective, r) : null;
    const key = `${JSON.stringify(xv)}|${JSON.stringify(yv)}`;
    const prev = cellMap.get(key);
    // Several runs per cell (other parameters vary): keep the best.
    // A tie goes to the run the store ranks best.
    if (!prev || isBetter(objective.goal, v, prev.value) || r === best) {
      cellMap.set(key, {
        x: fmtParam(xv),
        y: fmtParam(yv),
        xSort: typeof xv === 'number' ? xv : 0,
        ySort: typeof yv === 'number' ? yv : 0,
        value: v,
        text: v === null ? String(r.status) : fmtNum(v, 3),
        best: r === best,
      });
    }
  }
  const cells = [...cellMap.values()];
  return {
    x,
    y: y ?? '',
    cells,
    note: `${objective.key}${objective.metric === 'val_loss' ? ' (best validation loss' : ' on the test split (fine-tuned, clean inputs'}, ${objective.goal === 'minimize' ? 'lower' : 'higher'} is better) over ${y ? `${y} × ${x}` : x}; the best cell is outlined${
      cells.length < data.runs.length ? '; cells with several runs show the best' : ''
    }.`,
  };
}
