/**
 * Section 1: summary, the best variant by the objective and why, key-figure tiles.
 */
import { providerLabel } from '../../eval/subject-notes.js';
import { TRAINING_FORMAT_PARAMS, trainingFormatLabel } from '../../providers/chat-text.js';
import type { EvalRow, PredictionRow } from '../../eval/types.js';
import type { CostSectionView } from '../cost-view.js';
import type { ReportData, RunData } from '../data.js';
import { fmtBytes, fmtCount, fmtDelta, fmtDuration, fmtNum, fmtParam, variantLabel } from '../../format.js';
import { baselineObjectiveValue, evalValue, isBetter, objectiveValue, rankValue, type Objective } from '../objective.js';
import type { BestVariantView, KeyValue, SummaryView, TopSubjectView, VerdictView } from '../view-types.js';
import { pText } from '../compare.js';
import { generalForgetting, generalText, signedPct, type GeneralForgetting } from '../general.js';
import { GENERAL_SLICE } from '../../eval/general.js';
import { reviewText } from './review.js';
import { verdictOf, verdictText } from '../verdicts.js';
import { fmtCi, fmtTime, isEvalOnly, keyLabel, otherSubjects, subjectLabel, subjectsPresent, uniq } from './common.js';
import { severeNotes, subjectRows, testedMetric } from './subjects.js';

export { reviewText };

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

/**
 * How the sweep's variants were trained (run params promptFormat / chatTemplate, src/run/stages.ts):
 * the one format they share, or each with its count; `not recorded` for runs stored before fte
 * recorded it. Runs that never trained (failed before a summary) are left out.
 */
export function trainingFormats(runs: readonly Pick<RunData, 'params' | 'trainableParams'>[]): string {
  const trained = runs.filter((r) => r.trainableParams !== undefined || r.params.promptFormat !== undefined);
  const counts = new Map<string, number>();
  for (const r of trained) counts.set(trainingFormatLabel(r.params), (counts.get(trainingFormatLabel(r.params)) ?? 0) + 1);
  if (counts.size === 0) return '—';
  if (counts.size === 1) return [...counts.keys()][0]!;
  return [...counts].map(([label, n]) => `${label} (${n} run${n === 1 ? '' : 's'})`).join('; ');
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
  const evalOnly = isEvalOnly(data);
  const evaluated = subjectsPresent(rows.filter((r) => r.perturbation === 'none'));
  const facts: KeyValue[] = evalOnly ? [
    { label: 'Experiment', value: data.sweep.experimentName },
    { label: 'Evaluation', value: `${data.sweep.sweepId} (no training: baselines and extra models only)` },
    { label: 'Status', value: data.sweep.status },
    { label: 'Base model', value: model },
    { label: 'Backend', value: backends.join(', ') || '—' },
    { label: 'Subjects', value: `${evaluated.length} (${evaluated.join(', ')})` },
  ] : [
    { label: 'Experiment', value: data.sweep.experimentName },
    { label: 'Sweep', value: data.sweep.sweepId },
    { label: 'Status', value: data.sweep.status },
    { label: 'Base model', value: model },
    { label: 'Method', value: uniq(runs.map((r) => r.method)).join(', ') || String(spec.method ?? '—') },
    { label: 'Training format', value: trainingFormats(runs) },
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
  let top: TopSubjectView | null = null;
  if (evalOnly) ({ headline, top } = evaluationVerdicts(data, objective, rows, verdicts));
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
    // Every other baseline and extra model the sweep evaluated (prompting, RAG, named ones), in report order.
    for (const s of otherSubjects(rows)) {
      const vs = against(s, subjectLabel(s), basePreds(s), evalValue(rows, s, tested.slice, tested.metric));
      if (vs) verdicts.push(vs);
    }
    for (const vd of verdicts) why.push(`${capitalise(vd.text)}: test ${key} ${fmtNum(vd.bestValue)} vs ${fmtNum(vd.otherValue)}.`);
    // Forgetting: the same model on general held-out text, against the base model (src/eval/general.ts).
    const forgetting = bestForgetting(best, rows);
    const review = data.reviews?.[best.runId];
    if (review && review.started > 0) why.push(`Human review: ${reviewText(review)}.`);
    if (forgetting) why.push(`Forgetting: ${generalText(forgetting.g, forgetting.basePerplexity)} (lower is better; the base model's own held-out text unless evaluate.general names another).`);
    if (best.selectionSplit === 'val' && best.selectionObjective !== undefined && objective.metric !== 'val_loss') {
      why.push(`Chosen on the validation split (${objective.key} ${fmtNum(best.selectionObjective)}); every metric in this report is on the held-out test split${data.ood ? ' (section 6b: the out-of-distribution examples)' : ''}.`);
    } else if (best.selectionSplit === 'test') {
      why.push(`Chosen on the test split: these runs were stored before fte scored validation, so the ranking saw the test numbers.`);
    }
    why.push(`Training format: ${trainingFormatLabel(best.params)}.`);
    if (best.trainableParams && best.totalParams) {
      why.push(`Trains ${fmtCount(best.trainableParams)} of ${fmtCount(best.totalParams)} parameters (${((100 * best.trainableParams) / best.totalParams).toPrecision(2)}%); adapter ${fmtBytes(best.adapterBytes)}.`);
    }
    bestView = {
      runId: best.runId,
      label,
      objectiveText: objectiveText(objective, v),
      objectiveSplit: objective.metric === 'val_loss' ? 'validation' : 'test',
      params: Object.entries({ method: best.method, ...best.params }).filter(([k]) => !TRAINING_FORMAT_PARAMS.includes(k)).map(([k, x]) => ({ label: k, value: fmtParam(x) })),
      why,
    };
    const ranked =
      objective.metric === 'val_loss' ? `lowest validation loss ${fmtNum(v)}` : `ranked on ${objective.key}${split ? `, ${split === 'val' ? 'validation' : 'test'} split` : ''}`;
    headline = vsBase
      ? `${label} is the best variant (${ranked}). On the test split it is ${vsBase.text}: ${key} ${fmtNum(vsBase.bestValue)} vs ${fmtNum(vsBase.otherValue)}.`
      : `${label} is the best variant (${ranked})${headV !== null ? `: test ${key} ${fmtNum(headV)}` : ''}.`;
    const ch = forgetting?.g.change;
    if (ch) {
      const task = vsBase ? `task ${fmtDelta(vsBase.diff)} ${key}, ` : '';
      headline += ` Against the base model: ${task}general text ${signedPct(ch.value)} perplexity${forgetting!.g.pValue !== null ? ` (${pText(forgetting!.g.pValue)})` : ''}.`;
    }
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
    caveats: caveatsFor(data, best, [...verdicts.map((v) => v.against), ...(top ? [top.subject] : [])]),
    top,
    tiles: [],
    recommendation: '',
  };
}

/** Key figures for the summary: lift over the base model and the best alternative, worst case, monthly cost. */
export function summaryTiles(objective: Objective, best: RunData | null, rows: EvalRow[], cost: CostSectionView, verdicts: readonly VerdictView[] = []): SummaryView['tiles'] {
  if (!best) return [];
  const forgetting = forgettingTile(best, rows);
  if (objective.metric === 'val_loss') return forgetting ? [forgetting] : [];
  const v = objectiveValue(objective, best);
  if (v === null) return forgetting ? [forgetting] : [];
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
  const alts = otherSubjects(rows).map((s) => ({ s, x: baselineObjectiveValue(objective, rows, s) })).filter((a): a is { s: string; x: number } => a.x !== null);
  if (alts.length > 0) {
    const top = alts.reduce((a, b) => (isBetter(objective.goal, b.x, a.x) ? b : a));
    const l = lift(top.x, top.s);
    tiles.push({ label: `vs ${subjectLabel(top.s)} (best alternative)`, value: l.text, sub: `${fmtNum(top.x)} → ${fmtNum(v)}${l.p}`, cls: l.cls });
  }
  const wc = evalValue(best.evalRows, 'finetuned', objective.slice, objective.metric, 'worst_case');
  if (wc !== null) tiles.push({ label: 'worst case (robustness)', value: fmtNum(wc), sub: `${fmtDelta(wc - v)} vs clean inputs`, cls: '' });
  if (forgetting) tiles.push(forgetting);
  const ft = cost.roi.find((r) => r.approach === 'Fine-tuned');
  if (ft) {
    const others = cost.roi.filter((r) => r !== ft).map((r) => `${r.approach} ${r.monthly}`).join(' · ');
    tiles.push({ label: 'monthly cost', value: ft.monthly, sub: others ? `vs ${others}` : cost.assumptions, cls: '' });
  }
  return tiles;
}

/**
 * The best run's forgetting: its general-text figures (slice `general`) and the base model's
 * perplexity there (the baselines run's subject with general rows and no change of its own), or null.
 */
function bestForgetting(best: RunData, rows: readonly EvalRow[]): { g: GeneralForgetting; basePerplexity: number | null } | null {
  const g = generalForgetting(best.evalRows, 'finetuned');
  if (!g) return null;
  const base = rows.find((r) => r.subject !== 'finetuned' && r.slice === GENERAL_SLICE && r.metric === 'perplexity' && r.perturbation === 'none');
  return { g, basePerplexity: base ? base.value : null };
}

/** The forgetting tile: general-text perplexity change vs the base, red/green only when the paired test is significant at 0.05. */
function forgettingTile(best: RunData, rows: readonly EvalRow[]): SummaryView['tiles'][number] | null {
  const f = bestForgetting(best, rows);
  const c = f?.g.change;
  if (!f || !c) return null;
  const p = f.g.pValue;
  const significant = p !== null && p < 0.05;
  return {
    label: 'general text (forgetting)',
    value: `${signedPct(c.value)} perplexity`,
    sub: `${f.basePerplexity !== null ? `${fmtNum(f.basePerplexity)} → ` : ''}${fmtNum(f.g.perplexity.value)}${p !== null ? ` · ${pText(p)}` : ''}`,
    cls: significant ? (c.value > 0 ? 'bad' : 'good') : '',
  };
}

/**
 * The severe notes (no demonstrations at all, failed requests; `severeNotes`) of the subjects the
 * summary compares: those named in `against` (stored subject names) and the best run's own model.
 */
function caveatsFor(data: ReportData, best: RunData | null, against: readonly string[]): string[] {
  const named = new Set(against);
  return subjectRows(data, best)
    .filter((r) => r.subject === 'finetuned' || named.has(r.subject))
    .flatMap((r) => severeNotes(r));
}

/**
 * An evaluation without training (`fte eval`): the subject with the best test value of the tested
 * metric (the objective; test perplexity for a validation-loss objective) against every other
 * subject, by the paired test of their stored clean predictions. Fills `verdicts` (best first, then
 * by the other's value); returns the headline and the top subject's card.
 */
function evaluationVerdicts(data: ReportData, objective: Objective, rows: EvalRow[], verdicts: VerdictView[]): { headline: string; top: TopSubjectView | null } {
  const t = testedMetric(objective);
  const goal = objective.metric === 'val_loss' ? 'minimize' : objective.goal;
  const preds = (s: string): PredictionRow[] => data.baselines.predictions.filter((p) => p.subject === s && p.perturbation === 'none');
  // The majority class has no predictions to pair: it is shown in the tables, not tested here.
  const scored = subjectsPresent(rows)
    .filter((s) => s !== 'majority' && s !== 'finetuned')
    .map((s) => ({ s, v: evalValue(rows, s, t.slice, t.metric) }))
    .filter((x): x is { s: string; v: number } => x.v !== null);
  if (scored.length === 0) return { headline: `No variants were trained, and no evaluated subject has a test value of ${t.key}.`, top: null };
  const ranked = [...scored].sort((a, b) => (isBetter(goal, a.v, b.v) ? -1 : isBetter(goal, b.v, a.v) ? 1 : 0));
  const head = ranked[0]!;
  const headPreds = preds(head.s);
  for (const o of ranked.slice(1)) {
    const vd = verdictOf(t.metric, t.slice, headPreds, preds(o.s));
    const who = o.s === 'base' ? 'the base model' : subjectLabel(o.s);
    verdicts.push({
      against: o.s,
      label: who,
      metric: t.key,
      split: 'test',
      bestValue: head.v,
      otherValue: o.v,
      outcome: vd.outcome,
      diff: vd.test ? vd.test.diff : head.v - o.v,
      ci95: vd.test ? vd.test.ci95 : null,
      pValue: vd.test ? vd.test.pValue : null,
      test: vd.test ? vd.test.test : null,
      text: verdictText(vd, who, head.v - o.v),
    });
  }
  const row = (data.baselines.subjects ?? []).find((r) => r.subject === head.s);
  const ci = fmtCi(rows.find((r) => r.subject === head.s && r.slice === t.slice && r.metric === t.metric && r.perturbation === 'none'));
  const label = subjectLabel(head.s);
  const goalWord = goal === 'minimize' ? 'lowest' : 'highest';
  const tied = ranked.filter((x) => x.v === head.v).length;
  const why = [
    `${goalWord.charAt(0).toUpperCase()}${goalWord.slice(1)} test ${t.key} of the ${scored.length} evaluated subject${scored.length === 1 ? '' : 's'}${tied > 1 ? ` (tied with ${tied - 1} other${tied === 2 ? '' : 's'}; the first in report order is shown)` : ''}: ${fmtNum(head.v)}${ci ? ` ${ci}` : ''}.`,
    ...verdicts.map((vd) => `${capitalise(vd.text)}: test ${t.key} ${fmtNum(vd.bestValue)} vs ${fmtNum(vd.otherValue)}.`),
  ];
  if (objective.metric === 'val_loss') why.push('The objective is validation loss, which only training measures: subjects are compared on test perplexity.');
  const next = verdicts[0];
  const standing = tied > 1 ? `shares the ${goalWord} test ${t.key} with ${tied - 1} other${tied === 2 ? '' : 's'}` : `has the ${goalWord} test ${t.key}`;
  const headline = next
    ? `No variants were trained. ${label} ${standing} of the ${scored.length} evaluated subjects (${fmtNum(head.v)}); against the next best it is ${next.text}: ${fmtNum(next.bestValue)} vs ${fmtNum(next.otherValue)}.`
    : `No variants were trained. ${label} is the only evaluated subject with a test ${t.key}: ${fmtNum(head.v)}${ci ? ` ${ci}` : ''}.`;
  return { headline, top: { subject: head.s, label, provider: row ? providerLabel(row) : '', metric: t.key, valueText: fmtNum(head.v), ci, why } };
}
