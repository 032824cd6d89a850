/**
 * Text rendering of an ROI report for the terminal: the decision and what drives it first (the
 * recommendation, how it can flip inside the quality intervals, the drivers, the what-ifs in force and
 * the sensitivity table), then the tables (approaches, cost inputs, prices) and the notes.
 */
import { makeTable } from '../cli/table.js';
import { fmtUsd } from '../format.js';
import { breakEvenRangeText, breakEvenShort, fmtMonths, fmtMonthsRange, formatQuality } from './roi.js';
import type { RoiReport } from './sweep-roi.js';
import type { SubjectsCostReport } from './subjects-roi.js';

const int = (v: number): string => Math.ceil(v).toLocaleString('en-US');

/** Short text of a break-even for a table cell. */
export const formatBreakEven = breakEvenShort;

const fmtQ = formatQuality;

/** What the tokens of a request are, as a suffix: `(o200k)`, `(est.)`, `(reported)`. */
function tokenSuffix(source: RoiReport['requests'][keyof RoiReport['requests']]['tokenSource']): string {
  return source === 'estimated' ? ' (est.)' : source === 'counted' ? ' (o200k)' : source === 'reported' ? ' (reported)' : '';
}

/** The decision block: recommendation, flips, drivers, what-ifs. */
export function renderDecision(r: RoiReport): string[] {
  const d = r.decision;
  const lines = [`Decision: ${d.headline}`];
  const hard = d.flips.filter((f) => f.scenario === 'worst-end');
  const soft = d.flips.filter((f) => f.scenario === 'both-ends');
  if (hard.length) lines.push(`  It can flip inside the quality intervals: ${hard.map((f) => f.text).join('; ')}.`);
  if (soft.length) lines.push(`  ${hard.length ? 'Also' : 'It holds at the point estimates of the others, but'}: ${soft.map((f) => f.text).join('; ')}.`);
  if (!d.flips.length && r.approaches.some((a) => a.qualityCi)) lines.push(r.value ? '  The choice holds across the quality intervals.' : '  The quality ranking holds across the intervals.');
  lines.push('Drivers:', ...d.drivers.map((x) => `  - ${x}`));
  if (r.whatIfs.length) lines.push(...r.whatIfs.map((w) => `What-if: ${w} (not how it ran).`));
  if (r.staleWarning) lines.push(`Warning: ${r.staleWarning}.`);
  return lines;
}

/** The sensitivity table: each input at its low and high end, ranked by how far the break-even moves. */
export function renderSensitivity(r: RoiReport): string[] {
  const rows = r.sensitivity.table;
  if (!rows.length) return [];
  const against = rows[0]!.against;
  const t = makeTable(['input', 'low', 'high', `break-even vs ${against} (low -> high)`, `fine-tuning ahead by /month (low -> high)`, 'best at volume (low / high)'], {
    colAligns: ['left', 'right', 'right', 'left', 'right', 'left'],
  });
  for (const row of rows) {
    t.push([row.label, row.lowLabel, row.highLabel, `${breakEvenShort(row.breakEven[0])} -> ${breakEvenShort(row.breakEven[1])}`, `${fmtUsd(row.advantageUsd[0])} -> ${fmtUsd(row.advantageUsd[1])}`, row.choice[0] === row.choice[1] ? row.choice[0] : `${row.choice[0]} / ${row.choice[1]}`]);
  }
  const on = r.value ? 'net (value - cost)' : 'cost';
  return [`Sensitivity of the break-even against ${against} on ${on}: one input at a time, the others as above; largest move first.`, t.toString()];
}

/** The report as the terminal shows it. */
export function renderRoi(r: RoiReport): string {
  const withValue = r.value !== null;
  const head = ['approach', 'priced as', r.objective.metric, 'tokens/req in+out', 'USD/request', 'USD/month'];
  if (withValue) head.push('value/month', 'net/month [quality interval]', 'payback');
  else head.push('USD/month per point');
  head.push(withValue ? 'fine-tuning nets more' : 'fine-tuning cheaper');
  const table = makeTable(head, { colAligns: head.map((_, i) => (i <= 1 || i === head.length - 1 ? 'left' : 'right')) });
  for (const a of r.approaches) {
    const req = r.requests[a.approach];
    const be = r.breakEven.find((b) => b.against === a.approach);
    const row = [
      a.approach + (req.subject !== a.approach ? ` (${req.subject})` : '') + (a.approach === r.cheapest ? ' $' : '') + (a.approach === r.bestQuality ? ' *' : ''),
      a.pricing ?? '',
      a.qualityCi ? `${fmtQ(a.quality)} [${fmtQ(a.qualityCi[0])}, ${fmtQ(a.qualityCi[1])}]` : fmtQ(a.quality),
      `${Math.round(req.inputTokens + req.systemPromptTokens)}+${Math.round(req.outputTokens)}${tokenSuffix(req.tokenSource)}`,
      fmtUsd(a.perRequestUsd),
      fmtUsd(a.monthlyUsd),
    ];
    if (withValue) {
      row.push(fmtUsd(a.valueMonthlyUsd), `${fmtUsd(a.netMonthlyUsd)}${a.ranges ? ` [${fmtUsd(a.ranges.netMonthlyUsd[0])}, ${fmtUsd(a.ranges.netMonthlyUsd[1])}]` : ''}`, a.oneOffUsd > 0 ? `${a.paybackMonths === null ? 'never' : `${fmtMonths(a.paybackMonths)} mo`}${a.ranges ? ` [${fmtMonthsRange(a.ranges.paybackMonths).replace(' months', '')}]` : ''}` : '-');
    } else {
      row.push(a.usdPerQualityPoint === null ? '-' : fmtUsd(a.usdPerQualityPoint));
    }
    row.push(be ? formatBreakEven(be) : '-');
    table.push(row);
  }
  const t = r.training;
  const context = [
    `Sweep ${r.sweepId}${r.experiment ? ` (${r.experiment})` : ''}: best run ${r.bestRun.runId} (${r.bestRun.method}${r.bestRun.variantKey ? `, ${r.bestRun.variantKey}` : ''}), ${r.objective.metric} ${r.objective.goal === 'maximize' ? 'higher' : 'lower'} is better${r.baseQuality !== null ? `; untuned base ${fmtQ(r.baseQuality)}` : ''}.`,
    `At ${int(r.monthlyRequests)} requests/month over ${r.months} months. $ = cheapest, * = best quality; quality on the test split with its 95% bootstrap interval.`,
  ];
  const inputs = makeTable(['approach', 'cost item', 'kind', 'USD', 'from'], { colAligns: ['left', 'left', 'left', 'right', 'left'] });
  for (const p of r.costInputs.filter((x) => x.origin !== 'not set')) inputs.push([p.approach, p.label, p.kind, fmtUsd(p.usd), p.origin]);
  const prices = makeTable(['price', 'figure', 'source', 'date', 'age'], { colAligns: ['left', 'right', 'left', 'left', 'right'] });
  for (const p of r.prices) prices.push([p.key, p.price, p.url ? `${p.source} ${p.url}` : p.source, p.date, p.ageMonths === null ? '-' : `${p.ageMonths} mo${p.stale ? ' (stale)' : ''}`]);
  const rangeBe = r.breakEvenRange.map((b) => `${breakEvenRangeText(b)}.`);
  const payback = r.payback.map((p) => `Fine-tuning's extra one-off (${fmtUsd(p.extraOneOffUsd)}) against ${p.against}: ${p.months === null ? `never repaid at this volume (${fmtUsd(p.monthlyGainUsd)}/month ${withValue ? 'gained' : 'saved'})` : p.months === 0 ? 'nothing to repay' : `repaid in ${fmtMonths(p.months)} months at ${fmtUsd(p.monthlyGainUsd)}/month ${withValue ? 'gained' : 'saved'}`}${p.range ? ` (${fmtMonthsRange(p.range)} across the quality intervals)` : ''}.`);
  const lines = [
    ...renderDecision(r),
    '',
    ...renderSensitivity(r),
    '',
    ...context,
    table.toString(),
    `Training: ${fmtUsd(t.usd)} (${t.used === 'target-device' ? `estimated on ${t.targetDevice}` : t.used === 'hosted' ? 'hosted fine-tuning price' : `measured on ${t.measuredDevice}`}, ${t.runs} run${t.runs === 1 ? '' : 's'}, ${int(t.tokensTrained)} tokens, ${t.flops.toExponential(2)} FLOPs), amortised ${fmtUsd(t.usd / r.months)}/month.`,
    ...r.breakEven.map((b) => `vs ${b.against}: ${b.reason}.`),
    ...rangeBe,
    ...payback,
    'Cost inputs (from: spec = set in the spec; default, measured or estimated by fte; items not set count $0, listed in the notes):',
    inputs.toString(),
    'Prices in use:',
    prices.toString(),
    ...r.notes.map((n) => `Note: ${n}.`),
  ];
  return lines.join('\n');
}

/**
 * `fte roi` on an evaluation without a fine-tuned run (src/cost/subjects-roi.ts): the decision line,
 * the what-ifs, then the subjects table (kind, how each is priced, quality with its interval, tokens,
 * cost per request and per month, cost per point or, with value, value and net), the cost inputs,
 * the prices in use and the notes.
 */
export function renderSubjectsCost(r: SubjectsCostReport): string {
  const withValue = r.value !== null;
  const head = ['subject', 'kind', 'priced as', r.objective.metric, 'tokens/req in+out', 'USD/request', 'USD/month', ...(withValue ? ['value/month', 'net/month'] : ['USD/month per point'])];
  const table = makeTable(head, { colAligns: head.map((_, i) => (i <= 2 ? 'left' : 'right')) });
  for (const s of r.subjects) {
    const req = s.request;
    table.push([
      s.subject + (s.subject === r.cheapest ? ' $' : '') + (s.subject === r.bestQuality ? ' *' : ''),
      s.kind,
      s.pricing,
      s.qualityCi ? `${fmtQ(s.quality)} [${fmtQ(s.qualityCi[0])}, ${fmtQ(s.qualityCi[1])}]` : fmtQ(s.quality),
      `${Math.round(req.inputTokens + req.systemPromptTokens)}+${Math.round(req.outputTokens)}${tokenSuffix(req.tokenSource)}`,
      fmtUsd(s.perRequestUsd),
      fmtUsd(s.monthlyUsd),
      ...(withValue ? [fmtUsd(s.valueMonthlyUsd), fmtUsd(s.netMonthlyUsd)] : [s.usdPerQualityPoint === null ? '-' : fmtUsd(s.usdPerQualityPoint)]),
    ]);
  }
  const inputs = makeTable(['subject', 'cost item', 'kind', 'USD', 'from'], { colAligns: ['left', 'left', 'left', 'right', 'left'] });
  for (const p of r.costInputs.filter((x) => x.origin !== 'not set')) inputs.push([p.subject, p.label, p.kind, fmtUsd(p.usd), p.origin]);
  const prices = makeTable(['price', 'figure', 'source', 'date', 'age'], { colAligns: ['left', 'right', 'left', 'left', 'right'] });
  for (const p of r.prices) prices.push([p.key, p.price, p.url ? `${p.source} ${p.url}` : p.source, p.date, p.ageMonths === null ? '-' : `${p.ageMonths} mo${p.stale ? ' (stale)' : ''}`]);
  return [
    `Decision: ${r.headline}`,
    ...r.whatIfs.map((w) => `What-if: ${w} (not how it ran).`),
    ...(r.staleWarning ? [`Warning: ${r.staleWarning}.`] : []),
    '',
    `Evaluation ${r.sweepId}${r.experiment ? ` (${r.experiment})` : ''}: no fine-tuned run; the evaluated subjects compared on cost and quality, ${r.objective.metric} ${r.objective.goal === 'maximize' ? 'higher' : 'lower'} is better.`,
    `At ${int(r.monthlyRequests)} requests/month over ${r.months} months. $ = cheapest, * = best quality; quality on the test split with its 95% bootstrap interval.`,
    table.toString(),
    'Cost inputs (from: spec = set in the spec; default, measured or estimated by fte; items not set count $0, listed in the notes):',
    inputs.toString(),
    'Prices in use:',
    prices.toString(),
    ...r.notes.map((n) => `Note: ${n}.`),
  ].join('\n');
}
