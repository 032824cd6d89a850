/**
 * Section 1: summary, the best variant by the objective and why, key-figure tiles.
 */
import type { EvalRow, PredictionRow } from '../../eval/types.js';
import type { CostSectionView } from '../cost-view.js';
import type { ReportData, RunData } from '../data.js';
import { fmtBytes, fmtCount, fmtDelta, fmtDuration, fmtNum, fmtParam, variantLabel } from '../../format.js';
import { baselineObjectiveValue, evalValue, isBetter, objectiveValue, rankValue, type Objective } from '../objective.js';
import type { BestVariantView, KeyValue, SummaryView, VerdictView } from '../view-types.js';
import { pText } from '../compare.js';
import { verdictOf, verdictText } from '../verdicts.js';
import { fmtTime, keyLabel, SUBJECT_LABEL, uniq } from './common.js';

const capitalise = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);

/**
 * The runner-up: the completed run other than `best` placed first by the store's ranking
 * (`storeRank`), else the one with the best ranked objective value (ties: the earlier run), or null.
 * It is the sweep table's second row and `fte sweep`'s runner-up.
 */
export function runnerUpRun(objective: Objective, best: RunData, completed: readonly RunData[]): RunData | null {
  const placed = completed.filter((r) => r !== best && r.storeRank !== undefined).sort((a, b) => a.storeRank! - b.storeRank!);
  if (placed.length > 0) return placed[0]!;
  let out: RunData | null = null;
  let outV: number | null = null;
  for (const r of completed) {
    if (r === best) continue;
    const v = rankValue(objective, r);
    if (v !== null && (out === null || isBetter(objective.goal, v, outV))) {
      out = r;
      outV = v;
    }
  }
  return out;
}

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
  const verdicts: VerdictView[] = [];
  if (best) {
    const v = objectiveValue(objective, best);
    const completed = runs.filter((r) => r.status === 'completed');
    const label = variantLabel({ method: best.method, ...best.params }, swept, best.variantKey.slice(0, 10));
    const runnerUp = runnerUpRun(objective, best, completed);
    const bv = rankValue(objective, best);
    const rv = runnerUp ? rankValue(objective, runnerUp) : null;
    const split = best.selectionSplit ?? (objective.metric === 'val_loss' ? 'val' : undefined);
    const why: string[] = [];
    why.push(
      `Ranked first of ${completed.length} completed run${completed.length === 1 ? '' : 's'} by ${objective.key} (${goalWord})${split ? ` on the ${split === 'val' ? 'validation' : 'test'} split` : ''}${
        bv !== null ? `: ${fmtNum(bv)}${runnerUp && rv !== null ? `, runner-up ${runnerUp.runId} ${fmtNum(rv)}` : ''}` : ''
      }.`,
    );
    // The tested metric: the objective on the test split, or test perplexity when the objective is validation loss.
    const tested = objective.metric === 'val_loss' ? { slice: 'all', metric: 'perplexity' } : { slice: objective.slice, metric: objective.metric };
    const key = keyLabel(tested.slice, tested.metric);
    const ft = best.predictions.filter((p) => p.subject === 'finetuned');
    const headV = evalValue(best.evalRows, 'finetuned', tested.slice, tested.metric);
    const against = (id: string, who: string, preds: PredictionRow[], otherV: number | null): VerdictView | null => {
      if (headV === null || otherV === null) return null;
      const vd = verdictOf(tested.metric, tested.slice, ft, preds);
      return {
        against: id,
        label: who,
        metric: key,
        split: 'test',
        bestValue: headV,
        otherValue: otherV,
        outcome: vd.outcome,
        diff: vd.test ? vd.test.diff : headV - otherV,
        ci95: vd.test ? vd.test.ci95 : null,
        pValue: vd.test ? vd.test.pValue : null,
        test: vd.test ? vd.test.test : null,
        text: verdictText(vd, who, headV - otherV),
      };
    };
    const basePreds = (s: string): PredictionRow[] => {
      const own = data.baselines.predictions.filter((p) => p.subject === s);
      return own.length > 0 ? own : best.predictions.filter((p) => p.subject === s);
    };
    const vsBase = against('base', 'the base model', basePreds('base'), evalValue(rows, 'base', tested.slice, tested.metric));
    if (vsBase) verdicts.push(vsBase);
    if (runnerUp) {
      const who = `the runner-up ${variantLabel({ method: runnerUp.method, ...runnerUp.params }, swept, runnerUp.variantKey.slice(0, 10))}`;
      const vr = against(`run:${runnerUp.runId}`, who, runnerUp.predictions.filter((p) => p.subject === 'finetuned'), evalValue(runnerUp.evalRows, 'finetuned', tested.slice, tested.metric));
      if (vr) verdicts.push(vr);
    }
    for (const s of ['prompting', 'rag'] as const) {
      const vs = against(s, SUBJECT_LABEL[s]!, basePreds(s), evalValue(rows, s, tested.slice, tested.metric));
      if (vs) verdicts.push(vs);
    }
    for (const vd of verdicts) why.push(`${capitalise(vd.text)}: test ${key} ${fmtNum(vd.bestValue)} vs ${fmtNum(vd.otherValue)}.`);
    if (best.selectionSplit === 'val' && best.selectionObjective !== undefined && objective.metric !== 'val_loss') {
      why.push(`Chosen on the validation split (${objective.key} ${fmtNum(best.selectionObjective)}); every metric in this report is on the held-out test split.`);
    } else if (best.selectionSplit === 'test') {
      why.push(`Chosen on the test split: these runs were stored before fte scored validation, so the ranking saw the test numbers.`);
    }
    if (best.trainableParams && best.totalParams) {
      why.push(`Trains ${fmtCount(best.trainableParams)} of ${fmtCount(best.totalParams)} parameters (${((100 * best.trainableParams) / best.totalParams).toPrecision(2)}%); adapter ${fmtBytes(best.adapterBytes)}.`);
    }
    bestView = {
      runId: best.runId,
      label,
      objectiveText: objectiveText(objective, v),
      objectiveSplit: objective.metric === 'val_loss' ? 'validation' : 'test',
      params: Object.entries({ method: best.method, ...best.params }).map(([k, x]) => ({ label: k, value: fmtParam(x) })),
      why,
    };
    const ranked =
      objective.metric === 'val_loss' ? `lowest validation loss ${fmtNum(v)}` : `ranked on ${objective.key}${split ? `, ${split === 'val' ? 'validation' : 'test'} split` : ''}`;
    headline = vsBase
      ? `${label} is the best variant (${ranked}). On the test split it is ${vsBase.text}: ${key} ${fmtNum(vsBase.bestValue)} vs ${fmtNum(vsBase.otherValue)}.`
      : `${label} is the best variant (${ranked})${headV !== null ? `: test ${key} ${fmtNum(headV)}` : ''}.`;
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
    verdicts,
    tiles: [],
    recommendation: '',
  };
}

/** Key figures for the summary: lift over the base model and the best alternative, worst case, monthly cost. */
export function summaryTiles(objective: Objective, best: RunData | null, rows: EvalRow[], cost: CostSectionView, verdicts: readonly VerdictView[] = []): SummaryView['tiles'] {
  if (!best || objective.metric === 'val_loss') return [];
  const v = objectiveValue(objective, best);
  if (v === null) return [];
  const tiles: SummaryView['tiles'] = [];
  // Green or red only when the paired test is significant (DESIGN.md, "Verdicts"); the p-value beside the values.
  const lift = (other: number, subject: string): { text: string; cls: string; p: string } => {
    const vd = verdicts.find((x) => x.against === subject);
    return { text: fmtDelta(v - other), cls: vd?.outcome === 'better' ? 'good' : vd?.outcome === 'worse' ? 'bad' : '', p: vd?.pValue != null ? ` · ${pText(vd.pValue)}` : vd ? ' · not tested' : '' };
  };
  const base = baselineObjectiveValue(objective, rows, 'base');
  if (base !== null) {
    const l = lift(base, 'base');
    tiles.push({ label: 'vs base model', value: l.text, sub: `${fmtNum(base)} → ${fmtNum(v)}${l.p}`, cls: l.cls });
  }
  const alts = (['prompting', 'rag'] as const).map((s) => ({ s, x: baselineObjectiveValue(objective, rows, s) })).filter((a): a is { s: 'prompting' | 'rag'; x: number } => a.x !== null);
  if (alts.length > 0) {
    const top = alts.reduce((a, b) => (isBetter(objective.goal, b.x, a.x) ? b : a));
    const l = lift(top.x, top.s);
    tiles.push({ label: `vs ${SUBJECT_LABEL[top.s]} (best alternative)`, value: l.text, sub: `${fmtNum(top.x)} → ${fmtNum(v)}${l.p}`, cls: l.cls });
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
