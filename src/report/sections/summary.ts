/**
 * Section 1: summary, the best variant by the objective and why, key-figure tiles.
 */
import type { EvalRow } from '../../eval/types.js';
import type { CostSectionView } from '../cost-view.js';
import type { ReportData, RunData } from '../data.js';
import { fmtBytes, fmtCount, fmtDelta, fmtDuration, fmtNum, fmtParam, variantLabel } from '../../format.js';
import { baselineObjectiveValue, evalValue, isBetter, objectiveValue, type Objective } from '../objective.js';
import type { BestVariantView, KeyValue, SummaryView } from '../view-types.js';
import { fmtTime, SUBJECT_LABEL, uniq } from './common.js';

export function objectiveText(o: Objective, v: number | null): string {
  return v === null ? '—' : fmtNum(v);
}

export function buildSummary(data: ReportData, objective: Objective, best: RunData | null, swept: string[], rows: EvalRow[]): SummaryView {
  const spec = data.sweep.spec;
  const model = (spec.model as { base?: string } | undefined)?.base ?? '—';
  const runs = data.runs;
  const byStatus = new Map<string, number>();
  for (const r of runs) byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
  const devices = uniq(runs.map((r) => r.device).filter((d): d is string => !!d));
  const backends = uniq([data.sweep.backend, ...runs.map((r) => r.backend)].filter((d): d is string => !!d));
  const wall = runs.reduce((s, r) => s + (r.wallSeconds ?? 0), 0);
  const facts: KeyValue[] = [
    { label: 'Experiment', value: data.sweep.experimentName },
    { label: 'Sweep', value: data.sweep.sweepId },
    { label: 'Status', value: data.sweep.status },
    { label: 'Base model', value: model },
    { label: 'Method', value: uniq(runs.map((r) => r.method)).join(', ') || String(spec.method ?? '—') },
    { label: 'Backend', value: backends.join(', ') || '—' },
    { label: 'Device', value: devices.join(', ') || '—' },
    { label: 'Runs', value: `${runs.length} (${[...byStatus.entries()].map(([s, n]) => `${n} ${s}`).join(', ')})` },
    { label: 'Swept', value: swept.join(', ') || '—' },
    { label: 'Total train time', value: fmtDuration(wall) },
  ];
  if (data.sweep.startedAt) facts.push({ label: 'Started', value: fmtTime(data.sweep.startedAt) });
  if (data.sweep.gitCommit) facts.push({ label: 'Git commit', value: data.sweep.gitCommit.slice(0, 12) });
  if (data.sweep.specPath) facts.push({ label: 'Spec', value: data.sweep.specPath });

  const m = data.sweep.manifest;
  const dataset: KeyValue[] = [{ label: 'Dataset', value: String(spec.dataset ?? m?.source ?? '—') + (m?.corpus ? ` (from ${m.corpus})` : '') }];
  if (m) {
    if (m.counts) dataset.push({ label: 'Examples', value: Object.entries(m.counts).map(([k, v]) => `${k} ${fmtCount(v)}`).join(' · ') });
    if (m.categories) {
      const cats = m.categories as Record<string, unknown>;
      const flat = Object.entries(cats).map(([k, v]) => (typeof v === 'number' ? `${k} ${v}` : `${k}: ${Object.entries(v as Record<string, number>).map(([c, n]) => `${c} ${n}`).join(', ')}`));
      dataset.push({ label: 'Categories', value: flat.join(' · ') });
    }
    if (m.fingerprint) dataset.push({ label: 'Fingerprint', value: m.fingerprint.slice(0, 16) });
    const pii = m.piiReplaced ? Object.entries(m.piiReplaced).filter(([, n]) => n > 0) : [];
    dataset.push({ label: 'PII replaced', value: pii.length > 0 ? pii.map(([k, n]) => `${k} ${n}`).join(', ') : 'none' });
    if (m.rejected !== undefined || m.rejectReasons) {
      const reasons = m.rejectReasons ? Object.entries(m.rejectReasons).filter(([, n]) => n > 0).map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`) : [];
      dataset.push({ label: 'Left out', value: `${m.rejected ?? '—'}${m.inputRows !== undefined ? ` of ${fmtCount(m.inputRows)} rows` : ''}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}` });
    } else if (m.duplicatesRemoved !== undefined) {
      dataset.push({ label: 'Duplicates removed', value: String(m.duplicatesRemoved) });
    }
  }

  const goalWord = objective.goal === 'minimize' ? 'lower is better' : 'higher is better';
  let bestView: BestVariantView | null = null;
  let headline = 'No completed run has a value for the objective.';
  if (best) {
    const v = objectiveValue(objective, best);
    const completed = runs.filter((r) => r.status === 'completed');
    const others = completed.filter((r) => r !== best).map((r) => objectiveValue(objective, r)).filter((x): x is number => x !== null);
    const runnerUp = others.length === 0 ? null : objective.goal === 'minimize' ? Math.min(...others) : Math.max(...others);
    const why: string[] = [];
    why.push(`Best ${objective.key} (${goalWord}) among ${completed.length} completed run${completed.length === 1 ? '' : 's'}: ${fmtNum(v)}${runnerUp !== null ? `, runner-up ${fmtNum(runnerUp)} (${fmtDelta(v! - runnerUp)})` : ''}.`);
    const base = baselineObjectiveValue(objective, rows, 'base');
    for (const s of ['base', 'prompting', 'rag']) {
      const bv = baselineObjectiveValue(objective, rows, s);
      if (bv !== null && v !== null) {
        why.push(`${isBetter(objective.goal, v, bv) ? 'Beats' : 'Does not beat'} ${SUBJECT_LABEL[s]} (${fmtNum(bv)}, ${fmtDelta(v - bv)}).`);
      }
    }
    if (objective.metric === 'val_loss') {
      const ppl = evalValue(best.evalRows, 'finetuned', 'all', 'perplexity');
      const bppl = evalValue(rows, 'base', 'all', 'perplexity');
      if (ppl !== null && bppl !== null) why.push(`Test perplexity ${fmtNum(ppl)} vs base model ${fmtNum(bppl)}.`);
    }
    if (best.selectionSplit === 'val' && best.selectionObjective !== undefined && objective.metric !== 'val_loss') {
      why.push(`Chosen on the validation split (${objective.key} ${fmtNum(best.selectionObjective)}); every metric in this report is on the held-out test split.`);
    } else if (best.selectionSplit === 'test') {
      why.push(`Chosen on the test split: these runs were stored before fte scored validation, so the ranking saw the test numbers.`);
    }
    if (best.trainableParams && best.totalParams) {
      why.push(`Trains ${fmtCount(best.trainableParams)} of ${fmtCount(best.totalParams)} parameters (${((100 * best.trainableParams) / best.totalParams).toPrecision(2)}%); adapter ${fmtBytes(best.adapterBytes)}.`);
    }
    const label = variantLabel({ method: best.method, ...best.params }, swept, best.variantKey.slice(0, 10));
    bestView = {
      runId: best.runId,
      label,
      objectiveText: objectiveText(objective, v),
      params: Object.entries({ method: best.method, ...best.params }).map(([k, x]) => ({ label: k, value: fmtParam(x) })),
      why,
    };
    headline =
      base !== null && v !== null
        ? `${label} is the best variant: ${objective.key} ${fmtNum(v)} vs ${fmtNum(base)} for the untuned base model (${fmtDelta(v - base)}, ${isBetter(objective.goal, v, base) ? 'better' : 'not better'}).`
        : `${label} is the best variant: ${objective.key} ${fmtNum(v)}.`;
  }
  return {
    experiment: data.sweep.experimentName,
    description: String(spec.description ?? ''),
    sweepId: data.sweep.sweepId,
    facts,
    dataset,
    objective: { key: objective.key, goal: objective.goal, text: `${objective.key} (${objective.goal}, ${goalWord})` },
    best: bestView,
    headline,
    tiles: [],
    recommendation: '',
  };
}

/** Key figures for the summary: lift over the base model and the best alternative, worst case, monthly cost. */
export function summaryTiles(objective: Objective, best: RunData | null, rows: EvalRow[], cost: CostSectionView): SummaryView['tiles'] {
  if (!best || objective.metric === 'val_loss') return [];
  const v = objectiveValue(objective, best);
  if (v === null) return [];
  const tiles: SummaryView['tiles'] = [];
  const lift = (other: number): { text: string; cls: string } => {
    const d = v - other;
    const good = objective.goal === 'maximize' ? d > 0 : d < 0;
    return { text: fmtDelta(d), cls: d === 0 ? '' : good ? 'good' : 'bad' };
  };
  const base = baselineObjectiveValue(objective, rows, 'base');
  if (base !== null) tiles.push({ label: 'vs base model', value: lift(base).text, sub: `${fmtNum(base)} → ${fmtNum(v)}`, cls: lift(base).cls });
  const alts = (['prompting', 'rag'] as const).map((s) => ({ s, x: baselineObjectiveValue(objective, rows, s) })).filter((a): a is { s: 'prompting' | 'rag'; x: number } => a.x !== null);
  if (alts.length > 0) {
    const top = alts.reduce((a, b) => (isBetter(objective.goal, b.x, a.x) ? b : a));
    tiles.push({ label: `vs ${SUBJECT_LABEL[top.s]} (best alternative)`, value: lift(top.x).text, sub: `${fmtNum(top.x)} → ${fmtNum(v)}`, cls: lift(top.x).cls });
  }
  const wc = evalValue(best.evalRows, 'finetuned', objective.slice, objective.metric, 'worst_case');
  if (wc !== null) tiles.push({ label: 'worst case (robustness)', value: fmtNum(wc), sub: `${fmtDelta(wc - v)} vs clean inputs`, cls: '' });
  const ft = cost.roi.find((r) => r.approach === 'Fine-tuned');
  if (ft) {
    const others = cost.roi.filter((r) => r !== ft).map((r) => `${r.approach} ${r.monthly}`).join(' · ');
    tiles.push({ label: 'monthly cost', value: ft.monthly, sub: others ? `vs ${others}` : cost.assumptions, cls: '' });
  }
  return tiles;
}
