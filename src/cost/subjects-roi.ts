/**
 * `fte roi` on a sweep with no fine-tuned run (an `fte eval` evaluation: baselines and extra models
 * only): the evaluated subjects compared on cost and quality at the monthly volume. Pure: from what
 * the store holds about the sweep (`RoiInputs`, src/store/roi-inputs.ts).
 *
 * Every subject is priced as it ran, as `fte roi` prices the baselines of a sweep
 * (src/cost/approach-costs.ts `priceSubject`): a local one (the base model, prompted or not) as served
 * on the serving device (the spec's, else by the base model's size recorded with the evaluation); an
 * API one at its model's token prices (else `cost.apiModel`, with a note) on the tokens it reported
 * (estimated when it reported none). An extra model (`evaluate.models`, kind `model`), such as a model
 * fine-tuned elsewhere and served over an API, is priced at its API usage and nothing else: its own
 * training, data and people's time were spent elsewhere. There is no fine-tuning here, so no training
 * cost and no break-even against fine-tuning. Monthly cost, value and net as in src/cost/roi.ts:
 *   monthly(V) = oneOffUsd / months + fixedMonthlyUsd + max(perRequestUsd x V, alwaysOnMonthlyUsd)
 */
import { defaultGoal } from '../eval/metrics/direction.js';
import type { Subject, SubjectKind } from '../eval/types.js';
import { UserInputError } from '../errors.js';
import { andList, fmtUsd, sameUsd, sameUsdWords } from '../format.js';
import type { RoiInputs } from '../store/roi-inputs.js';
import { alwaysOnMonthlyUsd, costParts, priceSubject, subjectInfo, type PricedRequest } from './approach-costs.js';
import { noWorseIntervals, recurringMonthlyCost, sumParts, type CostPart } from './curve.js';
import { pricesInUse, STALE_PRICE_MONTHS, type PriceInUse } from './prices.js';
import { servingDevice, type ServingChoice } from './serving.js';
import type { CostSpec } from './spec.js';
import { approachQuality, approachQualityCi, checkRoiOptions, isLimited, limitFlags, roiSettings, splitMetric, type ComputeRoiOptions } from './sweep-roi.js';
import { fmtQuality } from './uncertainty.js';
import { hasValue, valuePerRequest, type ValueSpec } from './value.js';

/** One evaluated subject, priced. */
export interface SubjectCost {
  subject: Subject;
  kind: SubjectKind;
  /** What its quality was measured on: `local fte-tiny-base`, `openai gpt-4o-mini (https://...)`. */
  evaluatedOn: string;
  /** The metric on the clean test split (null when not measured) and its 95% interval. */
  quality: number | null;
  qualityCi: [number, number] | null;
  request: PricedRequest;
  /** How it is priced, in words (`gpt-4o-mini API`, `self-hosted L4 (1 always on)`, `acme-ft API (extra model: its API usage)`). */
  pricing: string;
  parts: CostPart[];
  perRequestUsd: number;
  oneOffUsd: number;
  fixedMonthlyUsd: number;
  alwaysOnMonthlyUsd: number;
  /** At the volume, the one-off amortised over the horizon. */
  monthlyUsd: number;
  /** Quality x 100 when the metric is a share in [0, 1] and maximised, else the value; null when not measured. */
  qualityPoints: number | null;
  /** monthlyUsd / qualityPoints (maximised metrics only). */
  usdPerQualityPoint: number | null;
  /** With `cost.value`: what a request is worth at this quality, per month, and net of the monthly cost. */
  valuePerRequestUsd: number | null;
  valueMonthlyUsd: number | null;
  netMonthlyUsd: number | null;
}

/** `fte roi` on a sweep without a fine-tuned run. */
export interface SubjectsCostReport {
  kind: 'subjects';
  sweepId: string;
  experiment: string | null;
  /** The evaluation ran with --limit-eval (numbers from a cut-down run). */
  limited: boolean;
  objective: { metric: string; goal: 'maximize' | 'minimize' };
  monthlyRequests: number;
  months: number;
  /** Every priced subject, in spec order. */
  subjects: SubjectCost[];
  cheapest: Subject;
  bestQuality: Subject | null;
  /** Highest net per month (with value only). */
  bestNet: Subject | null;
  /** The value section in force (null when none is set or the metric is no share in [0, 1]). */
  value: ValueSpec | null;
  /** The comparison in one sentence. */
  headline: string;
  /** Where the self-hosted subjects are served. */
  serving: ServingChoice;
  costInputs: (CostPart & { subject: Subject })[];
  whatIfs: string[];
  prices: PriceInUse[];
  staleWarning: string | null;
  notes: string[];
}

/** Whether a sweep is an evaluation only: no variant run, and subjects evaluated under its baselines pseudo-run. */
export function isEvaluationOnly(inputs: Pick<RoiInputs, 'runs' | 'subjects' | 'evals' | 'baselinesRunId'>): boolean {
  return inputs.runs.length === 0 && ((inputs.subjects ?? []).some((s) => s.runId === inputs.baselinesRunId) || inputs.evals.some((e) => e.runId === inputs.baselinesRunId));
}

const KIND_WORDS: Record<string, string> = { base: 'base', prompting: 'prompting', rag: 'RAG', model: 'an extra model' };

/** `api-few (prompting)`, `tuned-elsewhere (an extra model)`; `base` and `rag` alone when named after their kind. */
function named(s: Pick<SubjectCost, 'subject' | 'kind'>, extra?: string): string {
  const kind = s.subject === s.kind ? null : (KIND_WORDS[s.kind] ?? s.kind);
  const inside = [kind, extra].filter((x): x is string => !!x);
  return inside.length ? `${s.subject} (${inside.join(', ')})` : s.subject;
}

/**
 * The evaluated subjects of a sweep without a fine-tuned run, priced and compared (module comment).
 * Options as `computeSweepRoi` (`runId`, `amortise` and `trainingMfu` do not apply: nothing is trained).
 * @throws UserInputError (one line) for a non-positive volume or horizon, `val_loss` or a metric no
 *   subject measured, a self-hosted subject whose model size and throughput are unknown, or a subject
 *   with no token counts and no predictions; UnknownNameError for unknown price names.
 */
export function computeSubjectsCost(inputs: RoiInputs, opts: ComputeRoiOptions = {}): SubjectsCostReport {
  checkRoiOptions(opts);
  const { sweep } = inputs;
  const settings = roiSettings(sweep.spec, opts);
  const { cost, prices, notes } = settings;
  const V = settings.monthlyRequests;
  const months = settings.months;

  // The subjects, in spec order: the subjects rows, else (older stores) the names with baseline eval rows.
  const rows = (inputs.subjects ?? []).filter((s) => s.runId === inputs.baselinesRunId && s.kind !== 'majority' && s.kind !== 'finetuned');
  const names: { subject: Subject; kind: SubjectKind }[] = rows.length
    ? rows.map((s) => ({ subject: s.subject, kind: s.kind }))
    : [...new Set(inputs.evals.filter((e) => e.runId === inputs.baselinesRunId && e.subject !== 'majority').map((e) => e.subject))].map((s) => ({ subject: s, kind: (['base', 'prompting', 'rag'].includes(s) ? s : 'model') as SubjectKind }));

  const key = opts.metric ?? sweep.objective.metric;
  const goal: 'maximize' | 'minimize' = opts.metric && key !== sweep.objective.metric ? defaultGoal(key) : sweep.objective.goal;
  const measured = (): string => {
    const m = [...new Set(inputs.evals.filter((e) => e.runId === inputs.baselinesRunId).map((e) => (e.slice === 'all' ? e.metric : `${e.slice}/${e.metric}`)))].sort();
    return m.length ? m.join(', ') : 'none';
  };
  if (key === 'val_loss') throw new UserInputError(`the sweep's objective val_loss is a training loss, and sweep ${sweep.sweepId} trained nothing; pass --metric <slice>/<metric> (measured: ${measured()})`);
  const { slice, metric } = splitMetric(key);
  const onMetric = inputs.evals.filter((e) => e.slice === slice && e.metric === metric);
  if (!names.some((n) => approachQuality(onMetric, n.subject, inputs.baselinesRunId, inputs.baselinesRunId) !== null)) {
    throw new UserInputError(`no subject of sweep ${sweep.sweepId} has ${key} on clean inputs; pass --metric (measured: ${measured()})`);
  }

  const serving = servingDevice(cost, prices, inputs.baselinesTotalParams ?? 0, opts.servingDevice);
  const served: CostSpec = { ...cost, servingDevice: serving.key };
  const ctx = { cost: served, prices, userSet: settings.userSet };
  const priced: SubjectCost[] = [];
  for (const { subject, kind } of names) {
    const info = subjectInfo(inputs, subject);
    if (info && !(info.answered > 0)) {
      notes.push(`${subject} answered no request (${info.errors} failed${info.firstError ? `; first: ${info.firstError}` : ''}): not priced`);
      continue;
    }
    const request = priceSubject({
      inputs, cost: served, prices, whatIf: settings.whatIf, notes, subject, who: subject,
      ids: [inputs.baselinesRunId], runId: inputs.baselinesRunId,
      totalParams: inputs.baselinesTotalParams ?? 0, sizeOf: `the evaluation of sweep ${sweep.sweepId}`,
      apiWhatIf: kind === 'prompting' || kind === 'rag',
    });
    const parts = costParts(kind as 'prompting' | 'rag' | 'base' | 'model', request, ctx);
    const sums = sumParts(parts);
    const floor = sums.alwaysOnMonthlyUsd ?? 0;
    const how = request.pricing === 'self-hosted' ? `self-hosted ${request.priceKey}${floor > 0 ? ` (${served.servingAlwaysOnDevices} always on)` : ''}` : `${request.priceKey} API${kind === 'model' ? ' (extra model: its API usage)' : ''}`;
    const quality = approachQuality(onMetric, subject, inputs.baselinesRunId, inputs.baselinesRunId);
    priced.push({
      subject, kind, evaluatedOn: request.evaluatedOn, quality,
      qualityCi: approachQualityCi(onMetric, subject, inputs.baselinesRunId, inputs.baselinesRunId),
      request, pricing: `${how}${kind === 'rag' ? ' + index' : ''}${request.whatIf ? ' (what-if)' : ''}`,
      parts, perRequestUsd: sums.perRequestUsd, oneOffUsd: sums.oneOffUsd, fixedMonthlyUsd: sums.fixedMonthlyUsd, alwaysOnMonthlyUsd: floor,
      monthlyUsd: sums.oneOffUsd / months + recurringMonthlyCost({ ...sums, alwaysOnMonthlyUsd: floor }, V),
      qualityPoints: null, usdPerQualityPoint: null, valuePerRequestUsd: null, valueMonthlyUsd: null, netMonthlyUsd: null,
    });
    if (kind === 'model') {
      notes.push(`${subject} (an extra model) is priced ${request.pricing === 'api' ? `at its API usage on ${request.priceKey}` : `as served on ${request.priceKey}`}; its own training, data and people's time are not counted (they were spent elsewhere)`);
    }
  }
  if (priced.length === 0) throw new UserInputError(`no subject of sweep ${sweep.sweepId} answered a request: nothing to price; see fte show ${sweep.sweepId}`);

  // Quality points, cost per point, value and net (as src/cost/roi.ts).
  const known = priced.map((s) => s.quality).filter((q): q is number => q !== null && Number.isFinite(q));
  const share = goal === 'maximize' && known.length > 0 && known.every((q) => q >= 0 && q <= 1);
  const value = hasValue(cost.value) && share ? cost.value! : null;
  if (hasValue(cost.value) && !value) notes.push(`cost.value is set but ${key} is not a share in [0, 1] where higher is better, so requests are not valued; pass --metric with an accuracy-like metric`);
  for (const s of priced) {
    s.qualityPoints = s.quality === null ? null : s.quality * (share ? 100 : 1);
    s.usdPerQualityPoint = goal === 'maximize' && s.qualityPoints !== null && s.qualityPoints > 0 ? s.monthlyUsd / s.qualityPoints : null;
    if (value && s.quality !== null) {
      s.valuePerRequestUsd = valuePerRequest(s.quality, value);
      s.valueMonthlyUsd = s.valuePerRequestUsd * V;
      s.netMonthlyUsd = s.valueMonthlyUsd - s.monthlyUsd;
    }
  }
  const cheapest = priced.reduce((b, s) => (s.monthlyUsd < b.monthlyUsd ? s : b));
  const better = (x: number, y: number): boolean => (goal === 'maximize' ? x > y : x < y);
  const withQ = priced.filter((s) => s.quality !== null && Number.isFinite(s.quality));
  const top = withQ.length ? withQ.reduce((b, s) => (better(s.quality!, b.quality!) ? s : b)) : null;
  // Subjects tied for the best quality: the cheapest of them is the best.
  const tied = top ? withQ.filter((s) => s.quality === top.quality) : [];
  const bestQ = tied.length ? tied.reduce((b, s) => (s.monthlyUsd < b.monthlyUsd ? s : b)) : null;
  const withNet = priced.filter((s) => s.netMonthlyUsd !== null);
  const bestNet = withNet.length ? withNet.reduce((b, s) => (s.netMonthlyUsd! > b.netMonthlyUsd! ? s : b)) : null;
  const headline = headlineOf({ priced, cheapest, bestQ, tied, bestNet, key, V, months });

  // Notes: no fine-tuning here; how each subject is priced; serving; value; what is not set; limits.
  const spec = sweep.specPath ?? '<spec>';
  notes.unshift(`no fine-tuned run in sweep ${sweep.sweepId} (an fte eval evaluation): no fine-tuning and no training cost are priced; to price fine-tuning against these subjects, run: fte sweep ${spec}`);
  for (const s of priced) {
    const r = s.request;
    const label = named(s);
    if (r.whatIf && r.pricing === 'api') notes.push(`what-if: ${label} (evaluated on ${r.evaluatedOn}) is priced as ${r.priceKey} API calls on ${r.tokenBasis}; its quality is still that of ${r.evaluatedOn}`);
    else if (r.pricing === 'self-hosted') notes.push(`${label} was evaluated on ${r.evaluatedOn} and is priced as served on ${r.priceKey}, on the ${r.tokenBasis}`);
    else if (s.kind !== 'model') notes.push(`${label} was evaluated on ${r.evaluatedOn} and is priced at ${r.priceKey} on ${/^usage not reported/.test(r.tokenBasis) ? 'estimated tokens (its API reported no usage)' : `the ${r.tokenBasis}`}`);
  }
  const selfHosted = priced.filter((s) => s.request.pricing === 'self-hosted');
  if (selfHosted.length) {
    const r = selfHosted[0]!.request;
    const floor = alwaysOnMonthlyUsd(r, served, prices);
    const tp = r.tokensPerSecond ? `${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s per device (${/ tokens\/s \((.*)\)$/.exec(r.priceSource)?.[1] ?? 'see its price source'})` : 'unknown throughput';
    notes.push(
      `${selfHosted.some((s) => s.request.whatIf) ? 'what-if: ' : ''}${selfHosted.map((s) => s.subject).join(', ')} ${selfHosted.length > 1 ? 'are' : 'is'} served on ${r.priceKey} (${serving.why}), ` +
        (floor > 0 ? `${served.servingAlwaysOnDevices} kept on 24/7 (${fmtUsd(floor)}/month${selfHosted.length > 1 ? ' each' : ''} whatever the volume; cost.servingAlwaysOnDevices: 0 prices serverless serving by the token)` : 'priced per token served (no always-on device)') +
        `; throughput: ${tp}`,
    );
  }
  if (!value) notes.push('no value per request is set (cost.value): the comparison is on cost and quality; set cost.value.usdPerCorrect, usdPerError, ... to weigh quality in dollars and get net per month');
  const notSet = priced.flatMap((s) => s.parts.filter((p) => p.origin === 'not set').map((p) => `${s.subject} ${p.label}`));
  const effortKinds = [...new Set(priced.filter((s) => s.kind === 'prompting' || s.kind === 'rag').map((s) => `cost.effort.${s.kind}`))];
  if (notSet.length) notes.push(`not set in the spec, counted as $0: ${notSet.join(', ')} (${[...effortKinds, 'cost.hourlyRateUsd', 'cost.labellingUsdPerExample'].join(', ')})`);
  const limited = isLimited(sweep.limits);
  if (limited) notes.push(`the evaluation was limited (${limitFlags(sweep.limits as Record<string, unknown>)}): token counts are those of the cut-down run`);
  if (opts.trainingMfu) notes.push('--training-mfu has no effect here: nothing was trained');

  const usedKeys = [...new Set(priced.map((s) => s.request.priceKey))];
  const inUse = pricesInUse(prices, usedKeys, opts.asOf ?? new Date());
  const stale = inUse.filter((p) => p.stale);
  const staleWarning = stale.length
    ? `${stale.length === inUse.length ? 'every price in use is' : `${stale.map((p) => p.key).join(', ')} ${stale.length > 1 ? 'are' : 'is'}`} older than ${STALE_PRICE_MONTHS} months (${[...new Set(stale.map((p) => `${p.date}, ${p.ageMonths} months`))].join('; ')}): list prices change, check them or override with cost.prices or --prices FILE`
    : null;

  return {
    kind: 'subjects',
    sweepId: sweep.sweepId,
    experiment: sweep.experiment,
    limited,
    objective: { metric: key, goal },
    monthlyRequests: V,
    months,
    subjects: priced,
    cheapest: cheapest.subject,
    bestQuality: bestQ?.subject ?? null,
    bestNet: bestNet?.subject ?? null,
    value,
    headline,
    serving,
    costInputs: priced.flatMap((s) => s.parts.map((p) => ({ ...p, subject: s.subject }))),
    whatIfs: settings.whatIfLabels,
    prices: inUse,
    staleWarning,
    notes,
  };
}

/**
 * The comparison in one sentence: the best net (with value), else the best quality (a tie said as one)
 * against the cheapest. Figures that print the same (`sameUsd`) are said to be the same, never one
 * "cheaper" or "$0.0015/month more" than the other.
 */
function headlineOf(a: { priced: SubjectCost[]; cheapest: SubjectCost; bestQ: SubjectCost | null; tied: SubjectCost[]; bestNet: SubjectCost | null; key: string; V: number; months: number }): string {
  const { priced, cheapest, bestQ, tied, bestNet, key, V, months } = a;
  const vol = `${Math.ceil(V).toLocaleString('en-US')} requests/month`;
  const short = (s: SubjectCost): string => (s.request.pricing === 'self-hosted' ? `self-hosted ${s.request.priceKey}` : `${s.request.priceKey} API`);
  const label = (s: SubjectCost): string => named(s, short(s));
  if (bestNet) {
    const level = priced.filter((s) => s !== bestNet && s.netMonthlyUsd !== null && sameUsd(s.netMonthlyUsd, bestNet.netMonthlyUsd!));
    const others = priced.filter((s) => s !== bestNet && !level.includes(s) && s.netMonthlyUsd !== null).map((s) => `${s.subject} ${fmtUsd(s.netMonthlyUsd)}`);
    const rest = `${fmtUsd(bestNet.netMonthlyUsd)}/month at ${vol}${others.length ? ` (${others.join(', ')})` : ''}`;
    if (level.length) return `${andList([bestNet, ...level].map(label))} net the most, the same ${sameUsdWords(bestNet.netMonthlyUsd!)}: ${rest}.`;
    return `${label(bestNet)} nets the most: ${rest}.`;
  }
  if (!bestQ) return `${label(cheapest)} is the cheapest at ${vol} (${fmtUsd(cheapest.monthlyUsd)}/month); no subject has ${key}.`;
  const vs = priced.filter((s) => !tied.includes(s) && s.quality !== null).map((s) => `${s.subject} ${fmtQuality(s.quality)}`);
  const against = `${fmtQuality(bestQ.quality)}${vs.length ? ` vs ${vs.join(', ')}` : ''}`;
  const cost = `${fmtUsd(bestQ.monthlyUsd)}/month`;
  const words = sameUsdWords(bestQ.monthlyUsd);
  // The best costs what the cheapest costs, as printed; and who else costs that much.
  const isCheapest = sameUsd(bestQ.monthlyUsd, cheapest.monthlyUsd);
  const withAlso = (xs: SubjectCost[]): string => (xs.length ? ` with ${andList(xs.map(label))}` : '');
  if (tied.length > 1) {
    const them = `${andList(tied.map((s) => s.subject))} tie for the best ${key} (${against})`;
    const level = tied.filter((s) => sameUsd(s.monthlyUsd, bestQ.monthlyUsd));
    const outside = isCheapest ? priced.filter((s) => !tied.includes(s) && sameUsd(s.monthlyUsd, bestQ.monthlyUsd)) : [];
    if (level.length === tied.length) {
      const all = `${them} and cost the same ${words}`;
      if (isCheapest) return `${all}, the cheapest at ${vol}${withAlso(outside)} (${cost}).`;
      return `${all} at ${vol} (${cost}); ${label(cheapest)} is the cheapest (${fmtUsd(cheapest.monthlyUsd)}/month).`;
    }
    const who = level.length > 1 ? `${andList(level.map(label))} are` : `${label(bestQ)} is`;
    const same = level.length > 1 ? `, the same ${words}` : '';
    if (isCheapest) {
      if (outside.length) return `${them}; ${who} the cheapest at ${vol}${withAlso(outside)}: they cost the same ${words} (${cost}).`;
      return `${them}; ${who} the cheapest at ${vol} (${cost}${same}).`;
    }
    return `${them}; ${who} the ${tied.length === 2 ? 'cheaper' : 'cheapest'} of them at ${vol} (${cost}${same}), ${label(cheapest)} the cheapest (${fmtUsd(cheapest.monthlyUsd)}/month).`;
  }
  const scores = `${label(bestQ)} scores best (${key} ${against})`;
  if (isCheapest) {
    const level = priced.filter((s) => s !== bestQ && sameUsd(s.monthlyUsd, bestQ.monthlyUsd));
    if (level.length) return `${scores} and is the cheapest at ${vol}${withAlso(level)}: they cost the same ${words} (${cost}).`;
    return `${scores} and is the cheapest at ${vol} (${cost}).`;
  }
  // Where the best costs no more than the cheapest (exact, src/cost/curve.ts), when it does at a higher volume.
  const curve = (s: SubjectCost) => ({ fixed: s.oneOffUsd / months + s.fixedMonthlyUsd, perRequest: s.perRequestUsd, floor: s.alwaysOnMonthlyUsd, value: 0 });
  const from = noWorseIntervals(curve(bestQ), curve(cheapest)).find(([lo, hi]) => lo > V && !Number.isFinite(hi));
  return `${scores} but costs ${fmtUsd(bestQ.monthlyUsd - cheapest.monthlyUsd)}/month more than ${label(cheapest)}, the cheapest at ${vol}${from ? `; it becomes the cheaper from ${Math.ceil(from[0]).toLocaleString('en-US')} requests/month` : ''}.`;
}
