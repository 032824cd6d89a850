/**
 * `fte compare`'s REF resolution: a run id (or unique prefix), a sweep id (its best run by the
 * store's rule), `best:<experiment>` or `<sweep>:base|prompting|rag`, read from the store with the
 * cost figures `fte roi` computes; then `compareRefs` compares (./compare.ts) and renders.
 */
import { FteError, UnknownNameError, UserInputError } from '../errors.js';
import type { EvalRow, PredictionRow, Subject } from '../eval/types.js';
import type { Db } from '../store/db.js';
import { latestSweep } from '../store/queries.js';
import { findRun, sweepExists } from '../store/report-queries.js';
import { monthlyCost, type ApproachRoi } from '../cost/roi.js';
import { specCost } from '../cost/sweep-roi.js';
import { evaluateSchema } from '../experiment/schema.js';
import { roiForSweep, type RoiReport } from './roi.js';
import { BASELINE_SUBJECTS, compareSides, parseThresholds, type CompareSide, type Comparison } from './compare.js';
import { perRequestUsd, runCostUsd } from './cost-view.js';
import type { ReportData, RunData } from './data.js';
import { variantLabel } from '../format.js';
import { loadReportData } from './load.js';
import { parseObjective } from './objective.js';
import { SUBJECT_LABEL, sweptParams } from './view-model.js';
import { promptLabel, providerLabel, subjectNotes } from '../eval/subject-notes.js';

const sideCache = new WeakMap<Db, Map<string, ReportData>>();

async function sweepData(db: Db, sweepId: string): Promise<ReportData> {
  let cache = sideCache.get(db);
  if (!cache) sideCache.set(db, (cache = new Map()));
  let d = cache.get(sweepId);
  if (!d) cache.set(sweepId, (d = await loadReportData(db, sweepId)));
  return d;
}

/** The ROI of `runId` (default: the sweep's best run) exactly as `fte roi` computes it, or null when the sweep cannot be priced. */
async function roiFor(db: Db, data: ReportData, runId?: string): Promise<RoiReport | null> {
  // The sweep's best run: the ROI loadReportData computed (the one fte roi and the report show).
  if (!runId || runId === data.bestRunId) return data.roi ?? null;
  // A sweep fte roi cannot price (no baselines...) cannot price its other runs either.
  if (!data.roi) return null;
  const metric = data.roi.objective.metric;
  try {
    return await roiForSweep(db, { sweepId: data.sweep.sweepId, runId, ...(metric !== parseObjective(data.sweep.spec).key ? { metric } : {}) });
  } catch (err) {
    if (err instanceof FteError) return null;
    throw err;
  }
}

const approachOf = (roi: RoiReport | null, a: string): ApproachRoi | undefined => roi?.approaches.find((x) => x.approach === a);

async function runSide(db: Db, ref: string, data: ReportData, run: RunData): Promise<CompareSide> {
  if (run.status !== 'completed') {
    throw new UserInputError(`${ref}: run ${run.runId} is ${run.status}, not completed${run.error ? ` (${run.error})` : ''}; fte compare compares completed runs only`);
  }
  const objective = parseObjective(data.sweep.spec);
  const short = variantLabel({ method: run.method, ...run.params }, sweptParams(data.runs), '');
  const target = run.costs.filter((c) => c.component === 'train_hosted' || c.component === 'train_target_device');
  const targetTrainUsd = target.length > 0 ? target.find((c) => c.component === 'train_hosted')?.usd ?? target[0]!.usd : null;
  const roi = await roiFor(db, data, run.runId);
  const ft = approachOf(roi, 'finetuned');
  return {
    ref,
    label: `${run.runId}${short ? ` (${short})` : ''}`,
    kind: 'run',
    sweepId: data.sweep.sweepId,
    experiment: data.sweep.experimentName,
    runId: run.runId,
    subject: 'finetuned',
    params: { subject: 'finetuned', method: run.method, ...run.params },
    evalRows: run.evalRows.filter((r) => r.subject === 'finetuned'),
    predictions: run.predictions.filter((p) => p.subject === 'finetuned'),
    runUsd: runCostUsd(run),
    targetTrainUsd,
    perRequestUsd: ft ? ft.perRequestUsd : perRequestUsd([...run.costs, ...data.baselines.costs], 'finetuned'),
    oneOffUsd: ft ? ft.oneOffUsd : null,
    monthlyUsd: ft ? ft.monthlyUsd : null,
    monthlyRequests: roi?.monthlyRequests ?? specVolume(data),
    pricing: ft?.pricing ?? null,
    objective,
    limited: Object.keys(data.sweep.limits).length > 0,
    // Human review (fte review) of this run: shown in the comment, never part of the verdict.
    review: data.reviews?.[run.runId] ?? null,
    ...oodOf(data, (data.ood?.runRows[run.runId] ?? []).filter((r) => r.subject === 'finetuned'), (data.ood?.runPredictions[run.runId] ?? []).filter((p) => p.subject === 'finetuned')),
  };
}

function specVolume(data: ReportData): number {
  return specCost(data.sweep.spec).cost.monthlyRequests;
}

async function baselineSide(db: Db, ref: string, data: ReportData, subject: Subject): Promise<CompareSide> {
  const rows = data.baselines.evalRows.filter((r) => r.subject === subject);
  if (rows.length === 0) throw new UserInputError(`${ref}: sweep ${data.sweep.sweepId} stored no ${subject} baseline results`);
  const spec = data.sweep.spec as { evaluate?: { fewShotK?: number; ragK?: number }; cost?: { apiModel?: string } };
  const params: Record<string, unknown> = { subject };
  let notes: string[] = [];
  const info = data.baselines.subjects?.find((x) => x.subject === subject);
  if (info) {
    // How it was evaluated (stores since schema 4): provider, model, prompt; and what its requests met.
    params.provider = providerLabel(info);
    params.prompt = promptLabel(info);
    notes = subjectNotes(info);
  } else {
    const evaluate = evaluateSchema.safeParse(spec.evaluate ?? {});
    const defaults = evaluateSchema.parse({});
    if (subject === 'prompting') params.fewShotK = (evaluate.success ? evaluate.data : defaults).fewShotK;
    if (subject === 'rag') params.ragK = (evaluate.success ? evaluate.data : defaults).ragK;
  }
  if (subject !== 'base' && spec.cost?.apiModel) params.pricedAs = info && info.provider !== 'local' ? info.model : spec.cost.apiModel;

  const roi = await roiFor(db, data);
  let per: number | null;
  let monthly: number | null = null;
  let pricing: string | null = null;
  if (subject === 'base') {
    // The base model is served like the fine-tuned one (same device, same always-on floor), with no one-off cost.
    per = perRequestUsd(data.baselines.costs, 'base');
    const ft = approachOf(roi, 'finetuned');
    if (roi && ft && per !== null) {
      monthly = monthlyCost({ ...ft, perRequestUsd: per, oneOffUsd: 0 }, roi.monthlyRequests, roi.months);
      pricing = ft.pricing ?? null;
    }
  } else if (subject === 'prompting' || subject === 'rag') {
    const a = approachOf(roi, subject);
    per = a ? a.perRequestUsd : perRequestUsd(data.baselines.costs, subject);
    monthly = a ? a.monthlyUsd : null;
    pricing = a?.pricing ?? null;
  } else {
    per = perRequestUsd(data.baselines.costs, subject);
  }
  return {
    ref,
    label: `${SUBJECT_LABEL[subject] ?? subject} (${data.sweep.sweepId})`,
    kind: 'baseline',
    sweepId: data.sweep.sweepId,
    experiment: data.sweep.experimentName,
    runId: null,
    subject,
    params,
    evalRows: rows,
    predictions: data.baselines.predictions.filter((p) => p.subject === subject),
    runUsd: 0,
    targetTrainUsd: 0,
    perRequestUsd: per,
    oneOffUsd: 0,
    monthlyUsd: monthly,
    monthlyRequests: roi?.monthlyRequests ?? specVolume(data),
    pricing,
    objective: parseObjective(data.sweep.spec),
    limited: Object.keys(data.sweep.limits).length > 0,
    notes,
    ...oodOf(data, (data.ood?.baselineRows ?? []).filter((r) => r.subject === subject), (data.ood?.baselinePredictions ?? []).filter((p) => p.subject === subject)),
  };
}

/** A side's out-of-distribution results (`CompareSide.ood`), or nothing when its sweep scored none. */
function oodOf(data: ReportData, evalRows: EvalRow[], predictions: PredictionRow[]): Pick<CompareSide, 'ood'> {
  if (evalRows.length === 0) return {};
  return { ood: { description: data.sweep.manifest?.ood?.description ?? 'examples marked out-of-distribution', evalRows, predictions } };
}

async function bestSide(db: Db, ref: string, data: ReportData): Promise<CompareSide> {
  // The store's one ranking (src/store/queries.ts bestRun), as fte sweep, report and roi use.
  const best = data.runs.find((r) => r.runId === data.bestRunId);
  if (!best) throw new UserInputError(`${ref}: sweep ${data.sweep.sweepId} has no completed run with a value for its objective`);
  return runSide(db, ref, data, best);
}

/**
 * Resolves a REF: a run id (or a unique prefix of one), a sweep id (its best run), `best:<experiment>`
 * (the best run of the experiment's latest sweep), or `<sweep>:base|prompting|rag` (a baseline).
 * @throws UserInputError when nothing matches (saying what was tried), UnknownNameError for an unknown baseline.
 */
export async function resolveRef(db: Db, ref: string): Promise<CompareSide> {
  if (ref.startsWith('best:')) {
    const exp = ref.slice('best:'.length);
    const s = await latestSweep(db, exp);
    if (!s) throw new UserInputError(`${ref}: no sweep of experiment '${exp}' in the database`);
    return bestSide(db, ref, await sweepData(db, s.sweepId));
  }
  const colon = ref.lastIndexOf(':');
  if (colon > 0 && !(await findRunExact(db, ref))) {
    const sweepId = ref.slice(0, colon);
    const subject = ref.slice(colon + 1);
    if (!(await sweepExists(db, sweepId))) {
      if (!(BASELINE_SUBJECTS as readonly string[]).includes(subject) && !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(subject)) throw new UnknownNameError('baseline', subject, BASELINE_SUBJECTS);
      throw new UserInputError(`${ref}: no sweep '${sweepId}' in the database`);
    }
    const data = await sweepData(db, sweepId);
    // The sweep's own baselines and extra models (`majority` has no predictions to pair).
    const known = [...new Set(data.baselines.evalRows.map((r) => r.subject))].filter((x) => x !== 'majority' && x !== 'finetuned');
    if (!known.includes(subject)) throw new UnknownNameError('baseline', subject, known.length ? known : BASELINE_SUBJECTS);
    return baselineSide(db, ref, data, subject as Subject);
  }
  if (await sweepExists(db, ref)) return bestSide(db, ref, await sweepData(db, ref));
  const run = await findRun(db, ref);
  if (Array.isArray(run)) throw new UserInputError(`${ref}: ambiguous run id prefix (${run.join(', ')})`);
  if (run && run.kind === 'variant') {
    const data = await sweepData(db, run.sweepId);
    return runSide(db, ref, data, data.runs.find((r) => r.runId === run.runId)!);
  }
  if (run) return baselineSide(db, ref, await sweepData(db, run.sweepId), 'base');
  throw new UserInputError(`${ref}: not a run id, a sweep id, best:<experiment> or <sweep>:base|prompting|rag`);
}

async function findRunExact(db: Db, ref: string): Promise<boolean> {
  const r = await findRun(db, ref);
  return r !== null && !Array.isArray(r) && r.runId === ref;
}

/**
 * Both sides of `fte compare`. Defaults: no REF -> the latest sweep's best run (head) vs its base
 * model (base); only `--head` -> its sweep's base model; only `--base` -> the latest sweep's best.
 */
export async function resolveSides(db: Db, baseRef?: string, headRef?: string): Promise<{ base: CompareSide; head: CompareSide }> {
  let head: CompareSide;
  if (headRef) head = await resolveRef(db, headRef);
  else {
    const s = await latestSweep(db);
    if (!s) throw new UserInputError('no sweep in the database yet: run `fte sweep experiments/lora-rank.ts` first');
    head = await bestSide(db, s.sweepId, await sweepData(db, s.sweepId));
  }
  const base = baseRef ? await resolveRef(db, baseRef) : await resolveRef(db, `${head.sweepId}:base`);
  return { base, head };
}

export interface CompareOptions {
  /** DuckDB file (opened read-only). */
  db: string;
  base?: string;
  head?: string;
  /** `METRIC=DELTA` strings (see `parseThresholds`). */
  thresholds?: string[];
  /** Significance level of "better" / "worse" (default 0.05). */
  alpha?: number;
  /** While a sweep holds the store: read its snapshot and report that in one line (see OpenStoreOptions.onSnapshot). */
  onSnapshot?: (line: string) => void;
  format?: 'markdown' | 'json';
  version?: string;
}

export interface CompareResult {
  comparison: Comparison;
  /** The rendered output (markdown, or the comparison as pretty JSON). */
  text: string;
}

/**
 * `fte compare`: resolve both REFs, compare, render.
 * @throws StoreMissingError, UserInputError (bad REF or threshold, a side that is not a completed run,
 *   sides scored on different examples), UnknownNameError.
 */
export async function compareRefs(opts: CompareOptions): Promise<CompareResult> {
  const thresholds = parseThresholds(opts.thresholds ?? []);
  const { openStore } = await import('../store/open.js');
  const store = await openStore(opts.db, { readOnly: true, ...(opts.onSnapshot ? { onSnapshot: opts.onSnapshot } : {}) });
  let comparison: Comparison;
  try {
    const { base, head } = await resolveSides(store.db, opts.base, opts.head);
    comparison = compareSides(base, head, thresholds, { alpha: opts.alpha });
  } finally {
    await store.close();
  }
  if (opts.format === 'json') return { comparison, text: `${JSON.stringify(comparison, null, 2)}\n` };
  const { renderCompareMarkdown } = await import('./markdown.js');
  return { comparison, text: renderCompareMarkdown(comparison, { version: opts.version }) };
}
