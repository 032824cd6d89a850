/**
 * Plain-text rendering of store records for `fte runs`, `fte show` and `fte query` (cli-table3
 * tables, no colour codes, so output is the same on a TTY, in a pipe and with NO_COLOR).
 */
import type Table from 'cli-table3';
import { makeTable } from '../cli/table.js';
import { UnknownNameError } from '../errors.js';
import { METRICS, scaleLabel } from '../eval/metrics/registry.js';
import type { ConfusionRecord, CurveSummary, EvalResultRecord, RunDetail, RunList, RunRecord, SubjectRecord } from './queries.js';
import { promptLabel, providerLabel, subjectNotes, subjectStatusCell, tokensCell } from '../eval/subject-notes.js';
import type { QueryResult } from './sql.js';
import { TRAINING_FORMAT_PARAMS, trainingFormatLabel } from '../providers/chat-text.js';

/** 4 significant digits; exponent form below 1e-3 (learning rates); integers as they are. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(2).replace('e-', 'e-');
    return String(Number(v.toPrecision(4)));
  }
  if (Array.isArray(v)) return v.map(fmt).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function bytes(n: number | null): string {
  if (n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

function table(head: string[]): Table.Table {
  return makeTable(head, { color: false });
}

/** Params whose values differ across the runs (the ones worth a column), in first-seen order. */
export function varyingParams(runs: RunRecord[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const r of runs) for (const [k, v] of Object.entries(r.params)) {
    let s = seen.get(k);
    if (!s) seen.set(k, (s = new Set()));
    s.add(JSON.stringify(v));
  }
  const varying = [...seen].filter(([, s]) => s.size > 1).map(([k]) => k);
  if (varying.length || runs.length !== 1) return varying;
  return ['rank', 'alpha', 'learningRate'].filter((k) => seen.has(k));
}

const arrow = (goal: string): string => (goal === 'maximize' ? '↑' : '↓');

/** The `fte runs` table: id, status, method, varying params, main metrics, and the sort value when it is an extra metric. */
export function renderRunList(list: RunList): string {
  if (list.runs.length === 0) return list.total === 0 ? 'no runs match' : `no runs on this page (${list.total} match)`;
  const params = varyingParams(list.runs);
  const objectives = new Set(list.runs.map((r) => `${r.objective.metric} ${arrow(r.objective.goal)}`));
  // The objective is a validation number (runs stored before validation scoring fall back to test: `fte show` says so).
  const onVal = list.runs.every((r) => r.objective.split !== 'test') && list.runs.some((r) => r.objective.split === 'val');
  const objHead = `${objectives.size === 1 ? `objective ${[...objectives][0]}` : 'objective'}${onVal ? ' (val)' : ''}`;
  const extra = list.sort.source === 'eval' ? [list.sort.key] : [];
  // The machine that ran each run (a sweep across machines has several); runs stored before schema 5 have none.
  const hosts = list.runs.some((r) => r.host) ? ['host'] : [];
  const t = table(['run', 'status', 'method', ...hosts, ...params, 'val loss', 'ppl', objHead, ...extra, 'wall s', 'usd']);
  for (const r of list.runs) {
    t.push([
      r.runId,
      r.status,
      r.method ?? '',
      ...hosts.map(() => r.host ?? ''),
      ...params.map((p) => fmt(r.params[p])),
      fmt(r.finalValLoss),
      fmt(r.perplexity),
      fmt(r.objective.value),
      ...extra.map(() => fmt(r.sortValue)),
      fmt(r.wallSeconds),
      fmt(r.usd),
    ]);
  }
  const order =
    list.sort.source === 'default'
      ? 'in start order'
      : list.sort.source === 'objective'
        ? `sorted by objective, ${list.sort.order === 'asc' ? 'best' : 'worst'} first`
        : `sorted by ${list.sort.key} ${list.sort.order}`;
  return `${t.toString()}\n${list.runs.length} of ${list.total} runs, ${order}`;
}

function curveTable(curves: CurveSummary[]): string {
  const t = table(['split', 'name', 'points', 'steps', 'first', 'last', 'min (step)', 'max (step)']);
  for (const c of curves) {
    t.push([c.split, c.name, c.points, `${c.firstStep}-${c.lastStep}`, fmt(c.first), fmt(c.last), `${fmt(c.min)} (${c.minStep ?? ''})`, `${fmt(c.max)} (${c.maxStep ?? ''})`]);
  }
  return t.toString();
}

/** Subjects `fte show` knows (eval/types.ts `Subject`), in display order. */
export const SHOW_SUBJECTS = ['finetuned', 'base', 'prompting', 'rag', 'majority'] as const;
/** Subjects shown by default: the fine-tuned model, the base model and the majority-class floor (classification). */
export const DEFAULT_SHOW_SUBJECTS = ['finetuned', 'base', 'majority'] as const;

/**
 * The scale a metric's value is on, shown beside it: `0-100` (BLEU, chrF, SQuAD EM/F1), `0-1` (ROUGE,
 * classification, shares such as consistency), `>=1` (perplexity); '' for an unknown name.
 */
export function metricScale(metric: string): string {
  const def = METRICS.get(metric);
  if (def) return scaleLabel(def);
  return PERTURBATION_METRICS.has(metric) ? '0-1' : '';
}

/** `[low, high]` of a row's 95% interval, '' when it has none. */
function ciCell(e: Pick<EvalResultRecord, 'ciLow' | 'ciHigh' | 'n'>): string {
  if (e.n === 0 || e.ciLow === null || e.ciLow === undefined || e.ciHigh === null || e.ciHigh === undefined) return '';
  return `[${fmt(e.ciLow)}, ${fmt(e.ciHigh)}]`;
}

/** The split of a row: `test` for rows stored before splits existed. */
const splitOf = (e: Pick<EvalResultRecord, 'split'>): string => e.split ?? 'test';
/** Eval metrics that describe a perturbation rather than the task (not an objective candidate). */
const PERTURBATION_METRICS = new Set(['consistency', 'input_change_rate']);

/** Which metric rows `fte show` prints (the --json output always has all of them). */
export interface ShowView {
  /** Subjects to show. Default: finetuned + base (when the run has them; else every subject). */
  subjects?: string[];
  /** One perturbation, or `all`. Default `none` (clean inputs) plus the robustness summary. */
  perturbation?: string;
  /** Every subject and every perturbation. */
  all?: boolean;
}

/** A metric value; '-' when it was measured on 0 examples (n = 0) or is missing. */
function valueCell(e: Pick<EvalResultRecord, 'value' | 'n'>): string {
  return e.n === 0 || e.value === null ? '-' : fmt(e.value);
}

/** Suffix of the clean rows paired with a perturbation (`typos:original`; src/eval/evaluate.ts `ORIGINAL_SUFFIX`). */
const ORIGINAL_SUFFIX = ':original';

/**
 * Robustness summary, one row per shown subject x perturbation (slice `all`): the objective metric
 * clean and perturbed over the inputs the perturbation changed (HELM: the `<p>:original` and `<p>`
 * rows, n = changed count), its drop (clean - perturbed when maximised, perturbed - clean when
 * minimised: positive = worse), how many inputs it changed (`k of n`), and consistency (share of
 * changed inputs whose output stayed the same; n = changed inputs). Rows stored before drops were
 * paired (no `<p>:original`) use the clean value over all inputs and show changed as '-'; `worst_case`
 * is per example over all inputs, against clean over all inputs. The metric is the run's objective
 * metric when it is an eval metric, else the first task metric of the clean rows.
 */
function robustnessTable(d: RunDetail, subjects: string[], perturbations: string[]): string | null {
  const rows = d.evals.filter((e) => e.slice === 'all' && subjects.includes(e.subject) && splitOf(e) === 'test');
  const others = perturbations.filter((p) => p !== 'none' && !p.endsWith(ORIGINAL_SUFFIX));
  if (!others.length) return null;
  const cleanMetrics = rows.filter((e) => e.perturbation === 'none' && !PERTURBATION_METRICS.has(e.metric) && e.metric !== 'perplexity').map((e) => e.metric);
  const metric = cleanMetrics.includes(d.run.objective.metric) ? d.run.objective.metric : cleanMetrics[0];
  if (!metric) return null;
  const goal = metric === d.run.objective.metric ? d.run.objective.goal : 'maximize';
  const find = (subject: string, perturbation: string, m: string) => rows.find((e) => e.subject === subject && e.perturbation === perturbation && e.metric === m);
  const t = table(['subject', 'perturbation', `${metric} clean`, 'perturbed', 'drop', 'changed', 'consistency (n)']);
  let any = false;
  for (const subject of subjects) {
    const cleanAll = find(subject, 'none', metric);
    for (const p of others) {
      const pert = find(subject, p, metric);
      const cons = find(subject, p, 'consistency');
      if (!pert && !cons) continue;
      any = true;
      const paired = find(subject, `${p}${ORIGINAL_SUFFIX}`, metric);
      const clean = paired ?? cleanAll;
      const ok = (e?: EvalResultRecord): e is EvalResultRecord => !!e && e.value !== null && e.n !== 0;
      const drop = ok(clean) && ok(pert) ? (goal === 'maximize' ? clean.value! - pert.value! : pert.value! - clean.value!) : null;
      const changed = paired && pert && pert.n !== null ? `${fmt(pert.n)}${cleanAll?.n != null ? ` of ${fmt(cleanAll.n)}` : ''}` : '-';
      t.push([
        subject,
        p,
        clean ? valueCell(clean) : '-',
        pert ? valueCell(pert) : '-',
        drop === null ? '-' : fmt(drop),
        changed,
        ok(cons) ? `${fmt(cons.value)} (${fmt(cons.n)})` : '-',
      ]);
    }
  }
  return any ? t.toString() : null;
}

/**
 * The metric section of `fte show`: rows filtered by `view` (see `ShowView`), then, in the default
 * view, the robustness summary. Unknown subject or perturbation names throw.
 * @throws UnknownNameError a subject outside SHOW_SUBJECTS, or a perturbation the run has no rows for
 */
function metricsSection(d: RunDetail, view: ShowView): string[] {
  const out: string[] = [];
  const present = <T extends string>(key: (e: EvalResultRecord) => T) => [...new Set(d.evals.map(key))];
  const perturbations = present((e) => e.perturbation);
  const present0 = [...new Set(d.evals.map((e) => e.subject as string))];
  const known = present0.length ? present0 : [...SHOW_SUBJECTS];
  for (const s of view.subjects ?? []) if (!known.includes(s)) throw new UnknownNameError('subject', s, known);
  if (view.perturbation !== undefined && view.perturbation !== 'all' && !perturbations.includes(view.perturbation)) {
    throw new UnknownNameError('perturbation', view.perturbation, [...perturbations, 'all']);
  }
  if (!d.evals.length) return out;
  const subjectsPresent = present((e) => e.subject as string);
  // A variant run: its model, the base model and the majority floor; a baselines run (or `fte eval`): every subject.
  const defaults = subjectsPresent.includes('finetuned') ? DEFAULT_SHOW_SUBJECTS.filter((s) => subjectsPresent.includes(s)) : [];
  const subjects = view.all ? subjectsPresent : view.subjects ?? (defaults.length ? [...defaults] : subjectsPresent);
  const perturbation = view.all ? 'all' : (view.perturbation ?? 'none');
  const rows = d.evals.filter((e) => subjects.includes(e.subject) && (perturbation === 'all' || e.perturbation === perturbation));
  const onePerturbation = perturbation !== 'all';
  out.push('', `metrics (${onePerturbation ? `perturbation ${perturbation}` : 'all perturbations'}; subjects ${subjects.join(', ')})`);
  const tail = ['95% CI', 'n', 'scale', 'split'];
  const t = table(onePerturbation ? ['subject', 'slice', 'metric', 'value', ...tail] : ['subject', 'perturbation', 'slice', 'metric', 'value', ...tail]);
  for (const e of rows) {
    const cellsOf = [e.slice, e.metric, valueCell(e), ciCell(e), fmt(e.n), metricScale(e.metric), splitOf(e)];
    t.push(onePerturbation ? [e.subject, ...cellsOf] : [e.subject, e.perturbation, ...cellsOf]);
  }
  out.push(rows.length ? t.toString() : '(no rows)');
  out.push(`split: val = validation (selects the best variant: the objective), test = held-out result${rows.some((e) => e.split === 'ood') ? ', ood = out-of-distribution examples (never trained or selected on)' : ''}; 95% CI: bootstrap over examples`);
  if (rows.length < d.evals.length) {
    out.push(`${rows.length} of ${d.evals.length} metric rows shown (--subject S, --perturbation P|all, --all; --json has every row)`);
  }
  if (!view.all && view.perturbation === undefined) {
    const robust = robustnessTable(d, subjects, perturbations);
    if (robust) {
      out.push(
        '',
        'robustness (slice all, test split; clean and perturbed over the inputs each perturbation changed, as HELM; drop > 0 = worse than clean; ' +
          'changed = inputs changed of all; consistency = unchanged outputs among changed inputs)',
        robust,
      );
    }
  }
  out.push(...confusionSection((d.confusion ?? []).filter((c) => subjects.includes(c.subject))));
  out.push(...subjectsSection(d.subjects ?? []));
  return out;
}

/** How each subject was evaluated: provider / model, prompt, tokens per request, errors, cache, truncation, then plain notes. */
function subjectsSection(rows: SubjectRecord[]): string[] {
  if (rows.length === 0) return [];
  const t = table(['subject', 'provider / model', 'prompt', 'examples', 'tokens/request in, out', 'requests']);
  for (const r of rows) {
    t.push([r.subject, providerLabel(r), promptLabel(r), fmt(r.examples), tokensCell(r), subjectStatusCell(r)]);
  }
  return ['', 'subjects (how each was evaluated, test split)', t.toString(), ...rows.flatMap((r) => subjectNotes(r)).map((n) => `note: ${n}`)];
}

/**
 * One confusion matrix per subject x split x classification slice: rows are true labels, columns
 * the answers mapped to labels, plus `(invalid)` for answers that map to no label.
 */
function confusionSection(cells: ConfusionRecord[]): string[] {
  const out: string[] = [];
  const groups = new Map<string, ConfusionRecord[]>();
  for (const c of cells) {
    const k = `${c.subject} | ${c.split} | slice ${c.slice}`;
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  for (const [k, g] of groups) {
    const labels = [...new Set(g.flatMap((c) => (c.predicted === null ? [c.gold] : [c.gold, c.predicted])))].sort();
    const invalid = g.some((c) => c.predicted === null);
    const t = table(['true \\ answer', ...labels, ...(invalid ? ['(invalid)'] : [])]);
    for (const gold of labels) {
      const count = (p: string | null) => g.filter((c) => c.gold === gold && c.predicted === p).reduce((a, c) => a + c.count, 0);
      t.push([gold, ...labels.map((l) => String(count(l))), ...(invalid ? [String(count(null))] : [])]);
    }
    out.push('', `confusion matrix (${k}; clean inputs)`, t.toString());
  }
  return out;
}

/**
 * `peak memory 12.3 MiB measured (tensors; process RSS peak 180 MiB)   estimate 10.1 MiB`: the measured
 * peak (live tfjs tensor bytes, src/train/memory-meter.ts), the RSS peak from the `rss_bytes` curve
 * when stored, and the pre-training estimate. A run stored before schema 5 has only the estimate, in
 * peak_memory_bytes: it is labelled as such.
 */
export function memoryLine(r: Pick<RunRecord, 'peakMemoryBytes' | 'estimatedMemoryBytes'>, curves: readonly CurveSummary[]): string {
  if (r.estimatedMemoryBytes === null) return `memory ${bytes(r.peakMemoryBytes) || '-'} estimated (stored before fte measured memory)`;
  const rss = curves.find((c) => c.split === 'train' && c.name === 'rss_bytes')?.max ?? null;
  const measured = r.peakMemoryBytes === null ? '-' : `${bytes(r.peakMemoryBytes)} measured (tensors${rss !== null ? `; process RSS peak ${bytes(rss)}` : ''})`;
  return `peak memory ${measured}   estimate ${bytes(r.estimatedMemoryBytes) || '-'}`;
}

/**
 * The `fte show` page: header, params, curves, metrics (filtered by `view`, see `ShowView`),
 * robustness summary, costs, artifacts.
 * @throws UnknownNameError for an unknown subject or perturbation in `view`
 */
export function renderRunDetail(d: RunDetail, view: ShowView = {}): string {
  const metrics = metricsSection(d, view);
  const r = d.run;
  const out: string[] = [];
  out.push(`run ${r.runId}  (${r.kind === 'baselines' ? 'baselines of sweep' : 'sweep'} ${r.sweepId}${r.experiment ? `, experiment ${r.experiment}` : ''})`);
  out.push(
    `status ${r.status}${r.method ? `  method ${r.method}` : ''}${r.variantKey ? `  variant ${r.variantKey}` : ''}${r.backend ? `  backend ${r.backend}` : ''}${r.device ? `  device ${r.device}` : ''}${r.host ? `  host ${r.host}` : ''}`,
  );
  const dash = (v: unknown): string => (v === null || v === undefined ? '-' : fmt(v));
  out.push(`started ${r.startedAt ?? '-'}  finished ${r.finishedAt ?? '-'}${r.wallSeconds === null ? '' : `  wall ${fmt(r.wallSeconds)} s`}`);
  if (r.kind === 'variant') {
    const measured = [r.objective.value, r.bestValLoss, r.finalValLoss, r.perplexity].some((v) => v !== null);
    if (measured) {
      out.push(
        `objective ${r.objective.metric} ${arrow(r.objective.goal)} = ${dash(r.objective.value)}${r.objective.split ? ` (${r.objective.split} split${r.objective.split === 'test' ? ': stored before validation metrics existed' : ''})` : ''}   best val loss ${dash(r.bestValLoss)} (step ${r.bestStep ?? '-'})   final val loss ${dash(r.finalValLoss)}   test perplexity ${dash(r.perplexity)}${r.stoppedEarly ? '   stopped early' : ''}`,
      );
    } else out.push(`objective ${r.objective.metric} ${arrow(r.objective.goal)}: not measured`);
    if (r.trainableParams !== null) {
      out.push(
        `trainable ${fmt(r.trainableParams)} / ${dash(r.totalParams)} params   adapter ${bytes(r.adapterBytes) || '-'}   tokens trained ${dash(r.tokensTrained)}`,
      );
      out.push(memoryLine(r, d.curves));
      out.push(`training format ${trainingFormatLabel(r.params)}`);
    }
  }
  if (r.status === 'stopped') out.push(`stopped by the sweep's hyperband after ${r.steps ?? '?'}${r.plannedSteps !== null ? ` of ${r.plannedSteps} planned` : ''} optimizer steps: curves and checkpoint kept, not evaluated`);
  if (r.divergenceReason) out.push(`diverged: ${r.divergenceReason}`);
  if (r.error) out.push(`error: ${r.error}`);
  // The training format is the line above, not a hyperparameter.
  const keys = Object.keys(r.params).filter((k) => !TRAINING_FORMAT_PARAMS.includes(k));
  if (keys.length) {
    out.push('', 'params');
    const t = table(['name', 'value']);
    for (const k of keys) t.push([k, fmt(r.params[k])]);
    out.push(t.toString());
  }
  if (d.curves.length) out.push('', 'curves', curveTable(d.curves));
  out.push(...metrics);
  if (d.costs.length) {
    out.push('', 'costs');
    const t = table(['component', 'device', 'hours', 'tokens', 'usd', 'price source']);
    for (const c of d.costs) t.push([c.component, c.device ?? '', fmt(c.hours), fmt(c.tokens), fmt(c.usd), c.priceSource ?? '']);
    out.push(t.toString());
  }
  if (d.artifacts.length) {
    out.push('', 'artifacts');
    const t = table(['kind', 'path', 'size', 'sha256']);
    for (const a of d.artifacts) t.push([a.kind, a.path, bytes(a.bytes), (a.sha256 ?? '').slice(0, 12)]);
    out.push(t.toString());
  }
  return out.join('\n');
}

/** The line that says a query result was cut at its limit: `first 1,000 rows shown; the result was cut (...)`. */
export function truncationNote(res: Pick<QueryResult, 'rowCount'>): string {
  return `first ${res.rowCount.toLocaleString('en-US')} row${res.rowCount === 1 ? '' : 's'} shown; the result was cut (use --limit N or fte export)`;
}

/** A query result as a table (the rows it holds), then the row count or, when cut, `truncationNote`. */
export function renderQueryResult(res: QueryResult): string {
  if (res.columns.length === 0) return `ok (${res.statements} statement${res.statements === 1 ? '' : 's'})`;
  const t = table(res.columns.map((c) => c.name));
  for (const row of res.rows) t.push(res.columns.map((c) => fmt(row[c.name])));
  return `${t.toString()}\n${res.truncated ? truncationNote(res) : `${res.rowCount} row${res.rowCount === 1 ? '' : 's'}`}`;
}

/** One line for runs left `running`/`queued` by a process that no longer holds the database. */
export function staleRunsNote(statuses: string[]): string | null {
  const n = statuses.filter((s) => s === 'running' || s === 'queued').length;
  if (n === 0) return null;
  return `note: ${n === 1 ? '1 run is' : `${n} runs are`} running/queued but no process holds the database; the next \`fte sweep\` marks ${n === 1 ? 'it' : 'them'} interrupted`;
}
