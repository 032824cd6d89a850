/**
 * Text rendering of an ROI report for the terminal (a cli-table3 table plus a few lines).
 */
import { makeTable } from '../cli/table.js';
import { fmtUsd } from '../format.js';
import { breakEvenShort, formatQuality } from './roi.js';
import type { RoiReport } from './sweep-roi.js';


const int = (v: number): string => Math.ceil(v).toLocaleString('en-US');

/** Short text of a break-even for a table cell. */
export const formatBreakEven = breakEvenShort;

const fmtQ = formatQuality;

/** The report as the terminal shows it. */
export function renderRoi(r: RoiReport): string {
  const table = makeTable(['approach', 'priced as', r.objective.metric, 'tokens/req in+out', 'USD/request', 'USD/month', 'USD/month per point', 'fine-tuning cheaper'], {
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const a of r.approaches) {
    const req = r.requests[a.approach];
    const be = r.breakEven.find((b) => b.against === a.approach);
    table.push([
      a.approach + (a.approach === r.cheapest ? ' $' : '') + (a.approach === r.bestQuality ? ' *' : ''),
      a.pricing ?? '',
      a.qualityCi ? `${fmtQ(a.quality)} [${fmtQ(a.qualityCi[0])}, ${fmtQ(a.qualityCi[1])}]` : fmtQ(a.quality),
      `${Math.round(req.inputTokens + req.systemPromptTokens)}+${Math.round(req.outputTokens)}${req.tokenSource === 'estimated' ? ' (est.)' : ''}`,
      fmtUsd(a.perRequestUsd),
      fmtUsd(a.monthlyUsd),
      a.usdPerQualityPoint === null ? '-' : fmtUsd(a.usdPerQualityPoint),
      be ? formatBreakEven(be) : '-',
    ]);
  }
  const t = r.training;
  const lines = [
    `Sweep ${r.sweepId}${r.experiment ? ` (${r.experiment})` : ''}: best run ${r.bestRun.runId} (${r.bestRun.method}${r.bestRun.variantKey ? `, ${r.bestRun.variantKey}` : ''}), ${r.objective.metric} ${r.objective.goal === 'maximize' ? 'higher' : 'lower'} is better${r.baseQuality !== null ? `; untuned base ${fmtQ(r.baseQuality)}` : ''}.`,
    `At ${int(r.monthlyRequests)} requests/month over ${r.months} months. $ = cheapest, * = best quality; quality on the test split with its 95% bootstrap interval.`,
    table.toString(),
    `Training: ${fmtUsd(t.usd)} (${t.used === 'target-device' ? `estimated on ${t.targetDevice}` : t.used === 'hosted' ? 'hosted fine-tuning price' : `measured on ${t.measuredDevice}`}, ${t.runs} run${t.runs === 1 ? '' : 's'}, ${int(t.tokensTrained)} tokens, ${t.flops.toExponential(2)} FLOPs) + data preparation ${fmtUsd(t.dataPreparationUsd)} = ${fmtUsd(t.usd + t.dataPreparationUsd)}, ${fmtUsd((t.usd + t.dataPreparationUsd) / r.months)}/month amortised.`,
    ...r.breakEven.map((b) => `vs ${b.against}: ${b.reason}.`),
    `Recommendation: ${r.recommendation}`,
    ...r.notes.map((n) => `Note: ${n}.`),
  ];
  return lines.join('\n');
}
