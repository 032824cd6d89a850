/**
 * The ROI of a sweep as a pure function of what the store holds about it (`RoiInputs`, read by
 * src/store/roi-inputs.ts): re-price what the sweep measured with the price table in force, and
 * compute the ROI of its best variant against prompting and RAG. `roiForSweep` (src/report/roi.ts)
 * composes the read and this computation.
 */
import { costSchema, type ExperimentSpec, type Method } from '../experiment/schema.js';
import { defaultGoal } from '../eval/metrics/direction.js';
import type { Subject } from '../eval/types.js';
import { UserInputError } from '../errors.js';
import type { CostRecord, EvalResultRecord, RunRecord } from '../store/queries.js';
import type { RoiInputs } from '../store/roi-inputs.js';
import { approachInputs, approachSubjects, CHARS_PER_TOKEN, DRIVERS, HOURS_PER_MONTH, pricingNotes, priceRequests, type PricedRequest, type WhatIfs } from './approach-costs.js';
import { secondsForFlops, trainingFlops } from './flops.js';
import { apiPrice, applyPriceOverrides, BUILTIN_PRICES, devicePrice, priceSourceLabel, pricesInUse, STALE_PRICE_MONTHS, type PriceInUse, type PriceTable } from './prices.js';
import { computeRoi, type Approach, type CostPart, type RoiResult } from './roi.js';
import { measuredDevice, parseDeviceLabel } from './run-cost.js';
import { servingDevice, type ServingChoice } from './serving.js';
import { validateCostNames, type CostSpec } from './spec.js';
import { fmtUsd } from '../format.js';

export { CHARS_PER_TOKEN, HOURS_PER_MONTH };

export interface RoiOptions {
  /** Sweep id; default the most recently started sweep. */
  sweepId?: string;
  /** Requests per month; default the spec's `cost.monthlyRequests`. */
  monthlyRequests?: number;
  /** Amortisation horizon, months; default the spec's `cost.months`. */
  months?: number;
  /** A prices file (JSON/YAML) whose entries override the spec's and the built-in ones. */
  pricesFile?: string;
  /** What-if: serve the self-hosted approaches on this device (a price-table key) instead of the spec's or the default by model size. */
  servingDevice?: string;
  /** What-if: price prompting and RAG as calls to this API model (local prompts counted with an OpenAI tokenizer). */
  apiModel?: string;
  /** What-if: serving model FLOPs utilisation instead of the spec's `cost.servingMfu`. */
  servingMfu?: number;
  /** What-if: training model FLOPs utilisation on the target device instead of the spec's `cost.trainingMfu`. */
  trainingMfu?: number;
  /** The date price ages are counted to. Default: now. */
  asOf?: Date;
  /** Quality metric `<slice>/<metric>` (or `<metric>` for slice `all`); default the sweep's objective. */
  metric?: string;
  /** Training cost amortised: every variant run of the sweep (the search cost) or the best run only. Default `sweep`. */
  amortise?: 'sweep' | 'best-run';
  /**
   * Price this completed run of the sweep instead of its best one (`fte compare` prices any run
   * with the same formula). Default: the sweep's best run as the store ranks it
   * (src/store/queries.ts `bestRun`: best objective, then lower final validation loss, then earlier run).
   */
  runId?: string;
}

export interface TrainingCost {
  basis: 'sweep' | 'best-run';
  /** Runs whose training is counted. */
  runs: number;
  tokensTrained: number;
  /** Estimated training FLOPs of those runs (4N + 2n per token; 6N for full). */
  flops: number;
  /** What they cost on the device they ran on, at today's prices. */
  measuredUsd: number;
  measuredDevice: string;
  /** The same work on the spec's target device (time from FLOPs at the training MFU). */
  targetDeviceUsd: number;
  targetDevice: string;
  /** Hosted fine-tuning price of the tokens trained, when `cost.hostedFinetunedModel` is set. */
  hostedUsd: number | null;
  /** Which of the above is amortised: the target-device estimate when the runs ran on CPU cores, else the measured cost (or hosted). */
  used: 'measured' | 'target-device' | 'hosted';
  usd: number;
  dataPreparationUsd: number;
  priceSource: string;
}

export interface RoiReport extends RoiResult {
  /** Which report `fte roi` made: the ROI of fine-tuning (`roi`), or a comparison of evaluated subjects (src/cost/subjects-roi.ts, `subjects`). */
  kind: 'roi';
  sweepId: string;
  experiment: string | null;
  /** The sweep ran with --limit-train, --limit-eval or --max-steps (numbers are from a cut-down run). */
  limited: boolean;
  bestRun: { runId: string; variantKey: string | null; method: string; quality: number };
  baseQuality: number | null;
  training: TrainingCost;
  /** Per-request cost of each approach, priced as what it ran on (and where its token counts came from). */
  requests: Record<Approach, PricedRequest>;
  /** The API model of the what-if --api-model, else the spec's cost.apiModel (used only for API subjects without a price entry). */
  apiModel: string;
  /** Where the self-hosted approaches are served and why. */
  serving: ServingChoice;
  /** Every cost part of every approach, with where its figure comes from (spec = user-set). */
  costInputs: (CostPart & { approach: Approach })[];
  /** The what-ifs in force, in words (empty: everything is priced as it ran). */
  whatIfs: string[];
  /** The price entries this ROI uses, with source, address, date and age. */
  prices: PriceInUse[];
  /** One line when a price in use is older than STALE_PRICE_MONTHS, else null. */
  staleWarning: string | null;
  notes: string[];
}

/** Splits `<slice>/<metric>` (a bare metric means slice `all`). */
export function splitMetric(key: string): { slice: string; metric: string } {
  const i = key.indexOf('/');
  return i > 0 ? { slice: key.slice(0, i), metric: key.slice(i + 1) } : { slice: 'all', metric: key };
}


/** What `computeSweepRoi` takes besides the store's inputs: `RoiOptions` with the prices file already read. */
export interface ComputeRoiOptions extends Omit<RoiOptions, 'sweepId' | 'pricesFile'> {
  /** Price overrides read from a prices file (`readPricesFile`), named after the file. */
  pricesFile?: { origin: string; overrides: Record<string, unknown> };
}

/**
 * Checks the volume and horizon flags before anything is read.
 * @throws UserInputError for a non-positive `monthlyRequests` or `months`.
 */
export function checkRoiOptions(opts: Pick<RoiOptions, 'monthlyRequests' | 'months' | 'servingMfu' | 'trainingMfu'>): void {
  if (opts.monthlyRequests !== undefined && !(opts.monthlyRequests > 0)) throw new UserInputError(`--monthly-requests must be > 0, got ${opts.monthlyRequests}`);
  if (opts.months !== undefined && !(opts.months > 0)) throw new UserInputError(`--months must be > 0, got ${opts.months}`);
  for (const [flag, v] of [['--serving-mfu', opts.servingMfu], ['--training-mfu', opts.trainingMfu]] as const) {
    if (v !== undefined && !(v > 0 && v <= 1)) throw new UserInputError(`${flag} must be in (0, 1], got ${v}`);
  }
}

/**
 * The ROI of a sweep's best variant (or `opts.runId`) against prompting and RAG, from what the store
 * holds about the sweep (src/store/roi-inputs.ts `readRoiInputs`). Pure: no I/O. Per-request costs are
 * the ones stored when the runs ended (the spec's prices then), unless a prices file or a what-if is
 * given, in which case the stored token counts are re-priced. Training is re-priced from the runs'
 * token counts and parameter counts with the prices in force.
 * @throws UserInputError (one line: what is missing and how to produce it) for a non-positive volume
 *   or horizon, no completed run, a metric not measured, a missing prompting or RAG baseline, or no
 *   token counts; UnknownNameError for unknown price names.
 */
export function computeSweepRoi(inputs: RoiInputs, opts: ComputeRoiOptions = {}): RoiReport {
  checkRoiOptions(opts);
  const { sweep, runs } = inputs;
  const settings = roiSettings(sweep.spec, opts);
  const { cost, prices, notes } = settings;

  const completed = runs.filter((r) => r.status === 'completed');
  if (runs.length === 0 && (inputs.subjects ?? []).some((s) => s.runId === inputs.baselinesRunId)) {
    // An fte eval evaluation: src/cost/subjects-roi.ts compares its subjects (fte roi does so).
    const n = new Set((inputs.subjects ?? []).filter((s) => s.runId === inputs.baselinesRunId).map((s) => s.subject)).size;
    throw new UserInputError(`sweep ${sweep.sweepId} is an evaluation (fte eval: ${n} subject${n === 1 ? '' : 's'}, no fine-tuned run), so there is no fine-tuning to price; fte roi --sweep ${sweep.sweepId} compares its subjects on cost and quality, and fte sweep ${sweep.specPath ?? '<spec>'} trains variants to price against them`);
  }
  if (completed.length === 0) throw new UserInputError(noCompletedRun(inputs));
  // Each baseline approach is the subject of its kind (the first in spec order), whatever its name.
  const { names, notes: subjectNotes } = approachSubjects(inputs);
  notes.push(...subjectNotes);
  const nameOf = (a: Approach | 'base'): Subject => (a === 'finetuned' ? a : names[a]);
  const metric = qualityMetric(inputs, completed, opts.metric, nameOf);
  const { run: bestRun, quality: bestQuality } = pricedRun(inputs, completed, metric, opts.runId);
  const quality = (a: Approach | 'base'): number | null => approachQuality(metric.onMetric, nameOf(a), bestRun.runId, inputs.baselinesRunId);
  for (const s of ['prompting', 'rag'] as const) {
    if (quality(s) === null) {
      throw new UserInputError(`sweep ${sweep.sweepId} has no ${s} baseline (a subject of kind ${s}) for ${metric.key} on clean inputs; include '${s}' (or { kind: '${s}', name, provider }) in the spec's evaluate.baselines and re-run: fte sweep <spec> --no-resume`);
    }
  }

  const serving = servingDevice(cost, prices, bestRun.totalParams ?? 0, opts.servingDevice);
  const served: CostSpec = { ...cost, servingDevice: serving.key };
  const requests = priceRequests({ inputs, bestRun, subjects: names, cost: served, prices, whatIf: settings.whatIf, notes });
  const trained = opts.amortise === 'best-run' ? [bestRun] : runs.filter((r) => (r.tokensTrained ?? 0) > 0);
  const training = trainingCost(trained, opts.amortise ?? 'sweep', cost, prices, inputs.costs);
  const oneTraining = trainingCost([bestRun], 'best-run', cost, prices, inputs.costs);
  const ci = (a: Approach) => approachQualityCi(metric.onMetric, nameOf(a), bestRun.runId, inputs.baselinesRunId);
  const partsCtx = { requests, cost: served, prices, training, oneTrainingUsd: oneTraining.usd, userSet: settings.userSet };
  const approaches = approachInputs(partsCtx, { finetuned: bestQuality, prompting: quality('prompting'), rag: quality('rag') }, { finetuned: ci('finetuned'), prompting: ci('prompting'), rag: ci('rag') });
  const baseQuality = quality('base');
  const roi = computeRoi({
    monthlyRequests: settings.monthlyRequests, months: settings.months, objective: { metric: metric.key, goal: metric.goal }, approaches, baseQuality,
    value: cost.value ?? null, drivers: DRIVERS,
  });
  const limited = isLimited(sweep.limits);
  notes.push(...pricingNotes(requests, served, prices, serving.why));
  if (training.used === 'target-device') notes.push(`training is amortised at its estimated cost on ${training.targetDevice} (FLOPs at MFU ${cost.trainingMfu}${settings.whatIf.trainingMfu ? ', what-if --training-mfu' : ''}); the runs ran on CPU cores (measured ${fmtUsd(training.measuredUsd)})`);
  if (roi.valueNote) notes.push(roi.valueNote);
  if (!roi.value) notes.push('no value per request is set (cost.value): the comparison is on cost and quality; set cost.value.usdPerCorrect, usdPerError, ... to weigh quality in dollars and get net, ROI and payback');
  const notSet = approaches.flatMap((a) => (a.parts ?? []).filter((p) => p.origin === 'not set').map((p) => `${a.approach} ${p.label}`));
  if (notSet.length) notes.push(`not set in the spec, counted as $0: ${notSet.join(', ')} (cost.effort.<approach>, cost.hourlyRateUsd, cost.labellingUsdPerExample, cost.retrainEveryMonths, cost.dataPreparationUsd)`);
  if (limited) notes.push(`the sweep was limited (${limitFlags(sweep.limits as Record<string, unknown>)}): token counts and training cost are those of the cut-down runs`);
  const usedKeys = [...(['finetuned', 'prompting', 'rag'] as const).map((a) => requests[a].priceKey), ...(training.used === 'target-device' ? [devicePrice(prices, cost.targetDevice).key] : training.used === 'hosted' ? [apiPrice(prices, cost.hostedFinetunedModel!).key] : training.measuredDevice.split(', ').filter((k) => k in prices))];
  const inUse = pricesInUse(prices, usedKeys, opts.asOf ?? new Date());
  const stale = inUse.filter((p) => p.stale);
  const staleWarning = stale.length
    ? `${stale.length === inUse.length ? 'every price in use is' : `${stale.map((p) => p.key).join(', ')} ${stale.length > 1 ? 'are' : 'is'}`} older than ${STALE_PRICE_MONTHS} months (${[...new Set(stale.map((p) => `${p.date}, ${p.ageMonths} months`))].join('; ')}): list prices change, check them or override with cost.prices or --prices FILE`
    : null;

  return {
    ...roi,
    kind: 'roi',
    sweepId: sweep.sweepId,
    experiment: sweep.experiment,
    limited,
    bestRun: { runId: bestRun.runId, variantKey: bestRun.variantKey, method: bestRun.method ?? 'unknown', quality: bestQuality },
    baseQuality,
    training,
    requests,
    apiModel: apiPrice(prices, settings.whatIf.apiModel ?? cost.apiModel).key,
    serving,
    costInputs: approaches.flatMap((a) => (a.parts ?? []).map((p) => ({ ...p, approach: a.approach }))),
    whatIfs: settings.whatIfLabels,
    prices: inUse,
    staleWarning,
    notes,
  };
}

/** The cost settings in force: the stored spec's `cost` section with the what-ifs applied, the price table, volume and horizon. */
export interface RoiSettings {
  cost: CostSpec;
  prices: PriceTable;
  whatIf: WhatIfs;
  /** The what-ifs in words. */
  whatIfLabels: string[];
  /** Dotted paths of the cost section the spec set itself. */
  userSet: Set<string>;
  monthlyRequests: number;
  months: number;
  notes: string[];
}

/** The cost settings of a stored spec with the options' what-ifs, prices file, volume and horizon applied. @throws UnknownNameError for unknown price names. */
export function roiSettings(spec: unknown, opts: ComputeRoiOptions): RoiSettings {
  const { cost: specCostSection, notes, userSet } = specCost(spec);
  // The spec's serving throughput is a figure for its serving device (and utilisation): another drops it.
  const cost: CostSpec = {
    ...specCostSection,
    ...(opts.servingDevice || opts.servingMfu ? { servingThroughputTokensPerSecond: undefined } : {}),
    ...(opts.servingMfu ? { servingMfu: opts.servingMfu } : {}),
    ...(opts.trainingMfu ? { trainingMfu: opts.trainingMfu } : {}),
  };
  let prices = applyPriceOverrides(BUILTIN_PRICES, cost.prices, 'spec cost.prices');
  if (opts.pricesFile) prices = applyPriceOverrides(prices, opts.pricesFile.overrides, opts.pricesFile.origin);
  validateCostNames(cost, prices);
  if (opts.apiModel) apiPrice(prices, opts.apiModel);
  if (opts.servingDevice) devicePrice(prices, opts.servingDevice);
  const whatIf: WhatIfs = {
    ...(opts.apiModel ? { apiModel: opts.apiModel } : {}),
    ...(opts.servingDevice ? { servingDevice: opts.servingDevice } : {}),
    ...(opts.servingMfu ? { servingMfu: opts.servingMfu } : {}),
    ...(opts.trainingMfu ? { trainingMfu: opts.trainingMfu } : {}),
  };
  const whatIfLabels = [
    ...(opts.apiModel ? [`--api-model ${opts.apiModel}: prompting and RAG priced as ${apiPrice(prices, opts.apiModel).key} API calls`] : []),
    ...(opts.servingDevice ? [`--serving-device ${opts.servingDevice}: the self-hosted approaches served on ${devicePrice(prices, opts.servingDevice).key}`] : []),
    ...(opts.servingMfu ? [`--serving-mfu ${opts.servingMfu}: serving utilisation (spec ${specCostSection.servingMfu})`] : []),
    ...(opts.trainingMfu ? [`--training-mfu ${opts.trainingMfu}: training utilisation on the target device (spec ${specCostSection.trainingMfu})`] : []),
  ];
  return {
    cost,
    prices,
    whatIf,
    whatIfLabels,
    userSet,
    monthlyRequests: opts.monthlyRequests ?? cost.monthlyRequests,
    months: opts.months ?? cost.months,
    notes,
  };
}

/** The quality metric: its `<slice>/<metric>` key, goal, and the clean eval rows measuring it. */
interface QualityMetric {
  key: string;
  goal: 'maximize' | 'minimize';
  onMetric: EvalResultRecord[];
  /** The metrics every approach measured, for messages (`none` when there is none). */
  available: () => string;
}

function qualityMetric(inputs: RoiInputs, completed: RunRecord[], requested: string | undefined, nameOf: (a: Approach) => Subject): QualityMetric {
  const { sweep, evals } = inputs;
  const completedIds = new Set(completed.map((r) => r.runId));
  const key = requested ?? sweep.objective.metric;
  const goal: 'maximize' | 'minimize' = requested ? defaultGoal(requested) : sweep.objective.goal;
  const available = (): string => {
    const subjects = new Map<string, Set<string>>();
    for (const e of evals) {
      if (e.kind === 'variant' && !completedIds.has(e.runId)) continue;
      const k = e.slice === 'all' ? e.metric : `${e.slice}/${e.metric}`;
      if (!subjects.has(k)) subjects.set(k, new Set());
      subjects.get(k)!.add(e.subject);
    }
    const full = [...subjects].filter(([, s]) => (['finetuned', 'prompting', 'rag'] as const).every((x) => s.has(nameOf(x)))).map(([k]) => k).sort();
    return full.length ? full.join(', ') : 'none';
  };
  if (key === 'val_loss') {
    throw new UserInputError(`the sweep's objective val_loss is a training loss that prompting and RAG do not have; pass --metric <slice>/<metric> (measured for every approach: ${available()})`);
  }
  const { slice, metric } = splitMetric(key);
  return { key, goal, onMetric: evals.filter((e) => e.slice === slice && e.metric === metric), available };
}

/** The priced run: the sweep's best (the store's one ranking) or the completed run asked for, with its fine-tuned quality. */
function pricedRun(inputs: RoiInputs, completed: RunRecord[], metric: QualityMetric, runId: string | undefined): { run: RunRecord; quality: number } {
  const { sweep } = inputs;
  const picked = completed.find((r) => r.runId === (runId ?? inputs.bestRunId));
  if (runId && !picked) throw new UserInputError(`run ${runId} is not a completed run of sweep ${sweep.sweepId}; completed: ${completed.map((r) => r.runId).join(', ')}`);
  const best = picked ? metric.onMetric.find((e) => e.subject === 'finetuned' && e.runId === picked.runId) : undefined;
  if (!picked || !best) {
    const completedIds = new Set(completed.map((r) => r.runId));
    const anyRun = metric.onMetric.some((e) => e.subject === 'finetuned' && completedIds.has(e.runId));
    const who = picked && anyRun ? `${runId ? 'run' : 'the best run'} ${picked.runId} of sweep ${sweep.sweepId} has no` : `no completed run of sweep ${sweep.sweepId} has a`;
    throw new UserInputError(`${who} fine-tuned ${metric.key} on clean inputs; pass --metric (measured for every approach: ${metric.available()})`);
  }
  return { run: picked, quality: best.value! };
}

/** An approach's quality: the value stored with the priced run, else with the sweep's baseline pseudo-run, else null. */
export function approachQuality(onMetric: Pick<EvalResultRecord, 'subject' | 'runId' | 'value'>[], subject: Subject, runId: string, baselinesRunId: string): number | null {
  return approachRow(onMetric, subject, runId, baselinesRunId)?.value ?? null;
}

/** The 95% bootstrap interval stored beside an approach's quality (same row as `approachQuality`), or null. */
export function approachQualityCi(onMetric: Pick<EvalResultRecord, 'subject' | 'runId' | 'value' | 'ciLow' | 'ciHigh'>[], subject: Subject, runId: string, baselinesRunId: string): [number, number] | null {
  const row = approachRow(onMetric, subject, runId, baselinesRunId);
  return row && row.ciLow !== null && row.ciHigh !== null ? [row.ciLow, row.ciHigh] : null;
}

function approachRow<R extends Pick<EvalResultRecord, 'subject' | 'runId'>>(onMetric: R[], subject: Subject, runId: string, baselinesRunId: string): R | undefined {
  return onMetric.find((v) => v.subject === subject && v.runId === runId) ?? onMetric.find((v) => v.subject === subject && v.runId === baselinesRunId);
}

/** Whether a sweep's stored limits (`limits_json`) name any flag (--limit-train, --limit-eval, --max-steps...). */
export function isLimited(limits: unknown): boolean {
  return typeof limits === 'object' && limits !== null && Object.values(limits).some((v) => v !== null && v !== undefined);
}

/**
 * A sweep's stored limits as the command-line flags that set them, in stored order:
 * `{ limitTrain: 16, maxSteps: 5 }` -> `--limit-train 16, --max-steps 5` (null/undefined entries skipped).
 */
export function limitFlags(limits: Record<string, unknown>): string {
  return Object.entries(limits)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/**
 * Why a sweep has no completed run, and what to do: finish it when it has runs; when it has none of
 * its own, name the newest sweep (same experiment first) that has completed runs, or how to produce one.
 */
export function noCompletedRun(inputs: Pick<RoiInputs, 'sweep' | 'sweepsWithCompletedRuns' | 'dbFile'>): string {
  const { sweep } = inputs;
  const spec = sweep.specPath ?? '<spec>';
  const counts = Object.entries(sweep.runCounts)
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  if (sweep.runCounts.total > 0) return `sweep ${sweep.sweepId} has no completed run (${counts}); finish it with: fte sweep ${spec} (completed variants${sweep.runCounts.stopped > 0 ? ' and those its hyperband stopped' : ''} are kept, the rest re-run)`;
  const others = inputs.sweepsWithCompletedRuns.filter((s) => s.sweepId !== sweep.sweepId && s.runCounts.completed > 0);
  const other = others.find((s) => s.experimentId === sweep.experimentId) ?? others[0];
  const head = `sweep ${sweep.sweepId} has no runs`;
  return other
    ? `${head}; sweep ${other.sweepId} (${other.experiment ?? other.experimentId}) has ${other.runCounts.completed} completed: fte roi --sweep ${other.sweepId}`
    : `${head}, and no sweep in ${inputs.dbFile} has a completed run; produce one with: fte sweep ${spec}`;
}

/**
 * The sweep's `cost` section from its stored spec (the schema's defaults when absent or invalid, with
 * a note), and the dotted paths the spec set itself (`userSet`: `apiModel`, `effort.finetuned.engineeringHours`).
 */
export function specCost(spec: unknown): { cost: CostSpec; notes: string[]; userSet: Set<string> } {
  if (!spec || typeof spec !== 'object') return { cost: costSchema.parse({}), notes: ['the sweep stored no spec: default cost settings used'], userSet: new Set() };
  const raw = (spec as Partial<ExperimentSpec>).cost ?? {};
  const parsed = costSchema.safeParse(raw);
  if (parsed.success) return { cost: parsed.data, notes: [], userSet: userSetPaths(raw) };
  return { cost: costSchema.parse({}), notes: [`the stored spec's cost section is invalid (${parsed.error.issues[0]?.message}): default cost settings used`], userSet: new Set() };
}

/**
 * The dotted paths of a cost section that differ from the schema's defaults, with their parents
 * (`{ effort: { finetuned: { engineeringHours: 40 } } }` -> `effort`, `effort.finetuned`,
 * `effort.finetuned.engineeringHours`). A sweep stores its spec with the defaults filled in, so a
 * value equal to its default cannot be told from one left out: it counts as the default.
 */
export function userSetPaths(raw: unknown): Set<string> {
  const defaults = costSchema.parse({}) as Record<string, unknown>;
  const out = new Set<string>();
  const walk = (o: unknown, d: unknown, prefix: string): boolean => {
    if (o && typeof o === 'object' && !Array.isArray(o)) {
      let any = false;
      for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
        if (v === undefined) continue;
        const p = prefix ? `${prefix}.${k}` : k;
        const dv = d && typeof d === 'object' ? (d as Record<string, unknown>)[k] : undefined;
        if (walk(v, dv, p)) {
          out.add(p);
          any = true;
        }
      }
      return any;
    }
    return JSON.stringify(o) !== JSON.stringify(d);
  };
  walk(raw, defaults, '');
  return out;
}

/**
 * Training cost of `runs` at the prices in force: measured (stored `train` rows' hours x device count
 * x today's price, else wall time on the run's device), on the target device (FLOPs / (peak x MFU x
 * count)) and hosted (tokens x hosted training price).
 */
export function trainingCost(
  runs: Pick<RunRecord, 'runId' | 'method' | 'tokensTrained' | 'trainableParams' | 'totalParams' | 'wallSeconds' | 'device' | 'backend'>[],
  basis: 'sweep' | 'best-run',
  cost: CostSpec,
  prices: PriceTable,
  stored: Pick<CostRecord, 'runId' | 'component' | 'device' | 'hours'>[],
): TrainingCost {
  const target = devicePrice(prices, cost.targetDevice);
  const hosted = cost.hostedFinetunedModel ? apiPrice(prices, cost.hostedFinetunedModel) : null;
  let tokens = 0;
  let flops = 0;
  let measuredUsd = 0;
  const measuredKeys = new Set<string>();
  for (const r of runs) {
    const t = r.tokensTrained ?? 0;
    tokens += t;
    if (r.totalParams) flops += trainingFlops((r.method as Method) ?? 'lora', r.totalParams, r.trainableParams ?? r.totalParams, t);
    const row = stored.find((c) => c.runId === r.runId && c.component === 'train');
    if (row?.device && row.hours !== null) {
      const { key, count } = parseDeviceLabel(row.device);
      measuredUsd += row.hours * count * devicePrice(prices, key).usdPerHour;
      measuredKeys.add(key);
    } else if (r.wallSeconds) {
      const m = measuredDevice({ device: r.device ?? '', backend: r.backend ?? 'cpu' }, { device: cost.device, deviceCount: cost.deviceCount }, prices);
      measuredUsd += (r.wallSeconds / 3600) * m.count * devicePrice(prices, m.key).usdPerHour;
      measuredKeys.add(m.key);
    }
  }
  const targetDeviceUsd = (secondsForFlops(flops, target.peakFlops, cost.trainingMfu, cost.targetDeviceCount) / 3600) * cost.targetDeviceCount * target.usdPerHour;
  const hostedUsd = hosted?.trainingUsdPerMTokens !== undefined ? (tokens * hosted.trainingUsdPerMTokens) / 1e6 : null;
  const onCpu = measuredKeys.size === 0 || [...measuredKeys].every((k) => k === 'cpu-core');
  const used: TrainingCost['used'] = hostedUsd !== null ? 'hosted' : onCpu ? 'target-device' : 'measured';
  const usd = used === 'hosted' ? hostedUsd! : used === 'target-device' ? targetDeviceUsd : measuredUsd;
  const priceSource = used === 'hosted' ? priceSourceLabel(hosted!) : used === 'target-device' ? `${priceSourceLabel(target)}; time = FLOPs / (peak x MFU ${cost.trainingMfu})` : [...measuredKeys].map((k) => priceSourceLabel(devicePrice(prices, k))).join('; ');
  return {
    basis,
    runs: runs.length,
    tokensTrained: tokens,
    flops,
    measuredUsd,
    measuredDevice: [...measuredKeys].join(', ') || 'unknown',
    targetDeviceUsd,
    targetDevice: cost.targetDeviceCount === 1 ? target.key : `${target.key} x${cost.targetDeviceCount}`,
    hostedUsd,
    used,
    usd,
    dataPreparationUsd: cost.dataPreparationUsd,
    priceSource,
  };
}
