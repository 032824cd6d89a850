/**
 * Each approach of a sweep priced as what it ran on (like with like), and its cost parts.
 *
 * - Fine-tuned: self-hosted on the serving device (the spec's, else one that fits the model,
 *   src/cost/serving.ts), or the hosted fine-tuned offer (`cost.hostedFinetunedModel`).
 * - Prompting and RAG evaluated locally (provider `local`, and every store before schema 4): the
 *   base model with those prompts, served on the same serving device, on the tokens it was fed.
 * - Prompting and RAG evaluated through an API: that model's token prices (its price entry, else
 *   `cost.apiModel`, said so in a note) on the tokens the API reported (`usage`). An API that reported
 *   no usage (`subjects.usage_not_reported`; in older stores, prompts totalling 0 tokens) is priced on
 *   estimated tokens (src/eval/subject-tokens.ts: o200k_base counts, else the requests that reported
 *   it, else the text at `CHARS_PER_TOKEN`), with a note, never as $0.
 * - What-ifs, labelled wherever they appear: `--api-model M` prices prompting and RAG as calls to M;
 *   for a local subject its tokens are then the prompts as built counted with OpenAI's o200k_base
 *   tokenizer at evaluation time (`subjects.api_prompt_tokens`), never the local model's tokens;
 *   `--serving-device D` serves the self-hosted approaches on D.
 *
 * Cost parts (src/cost/curve.ts `CostPart`): requests, the always-on floor, training, retraining,
 * data preparation, labelling, people's hours and the RAG index, each with the inputs it depends on
 * (for the sensitivity table) and where its figure comes from (spec, default, measured, estimated, not set).
 */
import type { CostRecord, RunRecord, SubjectRecord } from '../store/queries.js';
import type { PredictionLengths, RoiInputs } from '../store/roi-inputs.js';
import type { Subject } from '../eval/types.js';
import { CHARS_PER_TOKEN, subjectTokensPerRequest, usageNotReported } from '../eval/subject-tokens.js';
import { UserInputError } from '../errors.js';
import { fmtUsd } from '../format.js';
import type { Approach, ApproachInput, CostPart } from './curve.js';
import { sumParts } from './curve.js';
import { requestCost, type RequestCost } from './inference.js';
import { apiPrice, devicePrice, type PriceTable } from './prices.js';
import { parseDeviceLabel } from './run-cost.js';
import type { CostSpec } from './spec.js';
import type { DriverSpec } from './uncertainty.js';

/** Hours in an average month (8,760 / 12), for always-on serving devices. */
export const HOURS_PER_MONTH = 730;

export { CHARS_PER_TOKEN };

/** A request as priced, with where its figures come from. */
export type PricedRequest = RequestCost & {
  /**
   * `measured`: tokens the local model was fed and generated; `reported`: the API's `usage`;
   * `counted`: the prompts as built counted with an OpenAI tokenizer (what-if); `estimated`: from
   * characters at `CHARS_PER_TOKEN`.
   */
  tokenSource: 'measured' | 'reported' | 'counted' | 'estimated';
  /** The token counts in words (`o200k_base counts of the prompts built here`). */
  tokenBasis: string;
  /** What the quality was measured on: `local fte-tiny-base`, `openai gpt-4o-mini (https://...)`. */
  evaluatedOn: string;
  /** Priced under a what-if flag (not as it ran). */
  whatIf: boolean;
};

/** The what-ifs in force (flags of `fte roi`). */
export interface WhatIfs {
  apiModel?: string;
  servingDevice?: string;
  servingMfu?: number;
  trainingMfu?: number;
}

/** The stored subject each baseline approach is: `prompting`, `rag`, `base` by default, or the spec's names. */
export type ApproachSubjects = Record<'prompting' | 'rag' | 'base', Subject>;

/**
 * The subject each baseline approach takes: the first subject of its kind in spec order (the
 * baselines' `subjects` rows, stored in evaluation order), else one named after the kind (stores
 * before schema 4, and a kind the sweep did not evaluate). `notes` says which subject an approach
 * is when several share its kind, naming the others left out.
 */
export function approachSubjects(inputs: Pick<RoiInputs, 'subjects' | 'baselinesRunId' | 'sweep'>): { names: ApproachSubjects; notes: string[] } {
  const rows = (inputs.subjects ?? []).filter((s) => s.runId === inputs.baselinesRunId);
  const names = {} as ApproachSubjects;
  const notes: string[] = [];
  for (const kind of ['prompting', 'rag', 'base'] as const) {
    const ofKind = rows.filter((s) => s.kind === kind);
    names[kind] = ofKind[0]?.subject ?? kind;
    if (ofKind.length > 1 && kind !== 'base') {
      const [first, ...others] = ofKind;
      const label = (s: SubjectRecord): string => `${s.subject} (${s.provider === 'local' || s.endpoint === 'in-process' ? `${s.provider} ${s.model}` : `${s.provider} ${s.model} @ ${s.endpoint}`})`;
      notes.push(
        `${NAME[kind]} is subject ${label(first!)}, the first of kind ${kind} in the spec; also of that kind, not priced here: ${others.map(label).join(', ')}: ` +
          `compare them with fte compare --base ${inputs.sweep.sweepId}:${first!.subject} --head ${inputs.sweep.sweepId}:${others[0]!.subject}`,
      );
    }
  }
  return { names, notes };
}

/** What pricing the requests needs. */
export interface RequestPricing {
  inputs: RoiInputs;
  bestRun: RunRecord;
  /** The subject of each baseline approach (`approachSubjects`); default the approach's own name. */
  subjects?: Partial<ApproachSubjects>;
  /** The cost section with the what-ifs applied and `servingDevice` resolved. */
  cost: CostSpec;
  prices: PriceTable;
  whatIf: WhatIfs;
  /** Notes for the report (appended to). */
  notes: string[];
}

const NAME: Record<Approach, string> = { finetuned: 'the fine-tuned model', prompting: 'prompting', rag: 'RAG' };

/** The subject row of a baseline (how it was evaluated), undefined for stores before schema 4. */
export function subjectInfo(inputs: Pick<RoiInputs, 'subjects' | 'baselinesRunId'>, subject: Subject): SubjectRecord | undefined {
  return (inputs.subjects ?? []).find((s) => s.subject === subject && s.runId === inputs.baselinesRunId) ?? (inputs.subjects ?? []).find((s) => s.subject === subject);
}

/**
 * Per-request cost of each approach, priced as it ran (module comment).
 * @throws UserInputError when the fine-tuned model's size is unknown and no throughput is given, or
 *   a subject has neither token counts nor predictions; UnknownNameError for unknown price names.
 */
export function priceRequests(p: RequestPricing): Record<Approach, PricedRequest> {
  const { inputs, bestRun } = p;
  const out = {} as Record<Approach, PricedRequest>;
  for (const approach of ['finetuned', 'prompting', 'rag'] as const) {
    // The stored subject this approach is (its name in eval rows, costs rows and subjects rows).
    const subject = approach === 'finetuned' ? approach : (p.subjects?.[approach] ?? approach);
    out[approach] = priceSubject({
      ...p,
      subject,
      who: subject === approach ? approach : `${approach} (${subject})`,
      ids: approach === 'finetuned' ? [bestRun.runId] : [bestRun.runId, inputs.baselinesRunId],
      runId: approach === 'finetuned' ? bestRun.runId : inputs.baselinesRunId,
      finetuned: approach === 'finetuned' ? bestRun : undefined,
      totalParams: bestRun.totalParams ?? 0,
      sizeOf: `run ${bestRun.runId}`,
      apiWhatIf: approach !== 'finetuned',
    });
  }
  return out;
}

/** What pricing one subject needs (`priceSubject`). */
export interface SubjectPricing {
  inputs: RoiInputs;
  /** The cost section with the what-ifs applied and `servingDevice` resolved. */
  cost: CostSpec;
  prices: PriceTable;
  whatIf: WhatIfs;
  /** Notes for the report (appended to). */
  notes: string[];
  /** The stored subject (its name in eval, costs and subjects rows). */
  subject: Subject;
  /** How notes name it (`prompting (api-few)`). */
  who: string;
  /** Runs whose stored costs rows and predictions may hold its tokens, in order of preference. */
  ids: string[];
  /** The run whose `eval` costs row gives a measured throughput. */
  runId: string;
  /** The fine-tuned run, when this subject is its model (always self-hosted or the hosted offer). */
  finetuned?: RunRecord;
  /** Parameters of the model served when self-hosted (0 = unknown). */
  totalParams: number;
  /** Whose size `totalParams` is, for the error when it is unknown (`run r1`). */
  sizeOf: string;
  /** Whether the `--api-model` what-if applies (prompting and RAG; not the fine-tuned or an extra model). */
  apiWhatIf: boolean;
}

/**
 * Per-request cost of one subject, priced as it ran (module comment): through an API at its model's
 * prices on the tokens it reported (estimated when it reported none), or self-hosted on the serving
 * device at the throughput the spec gives, the evaluation measured there, or FLOPs give.
 * @throws UserInputError when a self-hosted model's size is unknown and no throughput is given or
 *   measured, or the subject has neither token counts nor predictions; UnknownNameError for unknown
 *   price names.
 */
export function priceSubject(p: SubjectPricing): PricedRequest {
  const { inputs, cost, prices, whatIf, notes, subject, who, ids, runId, totalParams } = p;
  const serving = devicePrice(prices, cost.servingDevice ?? cost.targetDevice).key;
  const stored = storedTokens(inputs.costs, ids, subject);
  const info = p.finetuned ? undefined : subjectInfo(inputs, subject);
  const local = p.finetuned !== undefined || !info || info.provider === 'local';
  const evaluatedOn = p.finetuned ? `local ${p.finetuned.runId}` : info ? (local ? `local ${info.model}` : `${info.provider} ${info.model} (${info.endpoint})`) : 'local base model';
  // An API that reported no usage stored 0 tokens (and $0 rows): estimate them, never price it as free.
  const missing = info && !local ? usageNotReported(info) : 0;
  let tokens = missing > 0 ? null : (stored?.tokens ?? (info && info.answered > 0 ? { inputTokens: info.promptTokens / info.answered, outputTokens: info.completionTokens / info.answered } : null));
  let tokenSource: PricedRequest['tokenSource'] = local ? 'measured' : 'reported';
  let tokenBasis = local ? `tokens ${p.finetuned ? 'the fine-tuned model' : info?.model ?? 'the base model'} was fed and generated` : `tokens ${info!.model} reported`;
  if (missing > 0) {
    const t = subjectTokensPerRequest(info!);
    if (t) {
      tokens = { inputTokens: t.inputTokens, outputTokens: t.outputTokens };
      tokenSource = t.basis === 'counted' ? 'counted' : 'estimated';
      tokenBasis = t.text;
    } else {
      tokens = estimatedTokens(inputs.predictionLengths, ids, subject);
      tokenSource = 'estimated';
      tokenBasis = `usage not reported by the API (${missing} of ${info!.answered} requests): tokens estimated from the test inputs and answers at ${CHARS_PER_TOKEN} characters per token (demonstrations and retrieved context not counted: a low estimate)`;
    }
    notes.push(`${who} on ${info!.model}: ${tokenBasis}; priced on that estimate, not as $0`);
  }
  if (!tokens) {
    tokens = estimatedTokens(inputs.predictionLengths, ids, subject);
    tokenSource = 'estimated';
    tokenBasis = `tokens estimated from prediction lengths at ${CHARS_PER_TOKEN} characters per token (no token counts stored)`;
    notes.push(`${who}: no token counts stored; estimated from prediction lengths at ${CHARS_PER_TOKEN} characters per token`);
  }

  if (p.apiWhatIf && whatIf.apiModel) {
    // What-if: prompting and RAG as calls to another API model.
    const model = apiPrice(prices, whatIf.apiModel).key;
    if (local) {
      if (info?.apiPromptTokens !== undefined && info.apiCompletionTokens !== undefined && info.answered > 0) {
        tokens = { inputTokens: info.apiPromptTokens / info.answered, outputTokens: info.apiCompletionTokens / info.answered };
        tokenSource = 'counted';
        tokenBasis = `${info.apiTokenizer ?? 'o200k_base'} counts of the prompts built here and of the local answers${/^gpt-|^o\d/.test(model) ? '' : ` (OpenAI's tokenizer; ${model}'s own differs)`}`;
      } else {
        tokens = { inputTokens: tokens.inputTokens / CHARS_PER_TOKEN, outputTokens: tokens.outputTokens / CHARS_PER_TOKEN };
        tokenSource = 'estimated';
        tokenBasis = `estimated: the local model's tokens / ${CHARS_PER_TOKEN} (about one local token per character, ${CHARS_PER_TOKEN} characters per API token); no tokenizer counts were stored: re-run the sweep with the tokenizer package installed to count them`;
      }
    } else if (missing === 0) {
      tokenBasis = `tokens ${info!.model} reported${info!.model !== model ? ` (${model}'s tokenizer may count differently)` : ''}`;
    }
    return { ...requestCost(subject, tokens, cost, prices, totalParams || 1, undefined, { apiModel: model }), tokenSource, tokenBasis, evaluatedOn, whatIf: true };
  }
  if (!local) {
    const priced = hasApiPrice(prices, info!.model);
    const model = priced ? apiPrice(prices, info!.model).key : apiPrice(prices, cost.apiModel).key;
    if (!priced) notes.push(`${who} ran on ${info!.model} at ${info!.endpoint}, which has no price entry: priced as ${model} (cost.apiModel) on the tokens it ${missing > 0 ? 'was estimated to use' : 'reported'}; add its price with cost.prices or --prices FILE`);
    return { ...requestCost(subject, tokens, cost, prices, totalParams || 1, undefined, { apiModel: model }), tokenSource, tokenBasis, evaluatedOn, whatIf: false };
  }
  if (p.finetuned && cost.hostedFinetunedModel) {
    return { ...requestCost('finetuned', tokens, cost, prices, totalParams || 1), tokenSource, tokenBasis, evaluatedOn, whatIf: false };
  }
  // Throughput (requestCost: the spec's figure first): what this subject's evaluation measured, as its
  // stored row was priced, when that ran on the serving device; else the run's whole evaluation
  // there; else from FLOPs.
  const measured = stored?.measuredTokensPerSecond && devicePrice(prices, stored.device).key === serving ? { device: serving, tokensPerSecond: stored.measuredTokensPerSecond } : evalThroughput(inputs.costs, runId, prices);
  const servingMeasured = measured !== undefined && measured.tokensPerSecond > 0 && devicePrice(prices, measured.device).key === serving;
  if (!cost.servingThroughputTokensPerSecond && !(totalParams > 0) && !servingMeasured) {
    throw new UserInputError(`${p.sizeOf} has no total_params, so its serving throughput is unknown; set cost.servingThroughputTokensPerSecond in the spec`);
  }
  return {
    ...requestCost(subject, tokens, { ...cost, ...(whatIf.servingMfu ? { servingMfu: whatIf.servingMfu } : {}) }, prices, totalParams || 1, measured, { selfHosted: true }),
    tokenSource, tokenBasis, evaluatedOn, whatIf: Boolean(whatIf.servingDevice || whatIf.servingMfu),
  };
}

function hasApiPrice(prices: PriceTable, name: string): boolean {
  try {
    apiPrice(prices, name);
    return true;
  } catch {
    return false;
  }
}

/** Mean tokens per request of a subject's stored `inference_input/output_per_request_<subject>` rows (first run in `runIds` with both), with the device and, when measured, the throughput they were priced at. */
function storedTokens(rows: CostRecord[], runIds: string[], subject: Subject): { tokens: { inputTokens: number; outputTokens: number }; device: string; measuredTokensPerSecond?: number } | null {
  for (const id of runIds) {
    const inp = rows.find((r) => r.runId === id && r.component === `inference_input_per_request_${subject}`);
    const out = rows.find((r) => r.runId === id && r.component === `inference_output_per_request_${subject}`);
    if (!inp || !out || inp.tokens === null || out.tokens === null) continue;
    const hours = (inp.hours ?? 0) + (out.hours ?? 0);
    return {
      tokens: { inputTokens: inp.tokens, outputTokens: out.tokens },
      device: parseDeviceLabel(inp.device ?? 'unknown').key,
      // Only a throughput the evaluation measured is a fact about the device; one from FLOPs or the spec is recomputed.
      ...(hours > 0 && /measured by the evaluation/.test(inp.priceSource ?? '') ? { measuredTokensPerSecond: (inp.tokens + out.tokens) / (hours * 3600) } : {}),
    };
  }
  return null;
}

/** Tokens/s per device a run's evaluation measured, from its stored `eval` row (tokens / hours / device count). */
function evalThroughput(rows: CostRecord[], runId: string, prices: PriceTable): { device: string; tokensPerSecond: number } | undefined {
  const ev = rows.find((r) => r.runId === runId && r.component === 'eval');
  if (!ev?.device || !ev.hours || !ev.tokens) return undefined;
  const { key, count } = parseDeviceLabel(ev.device);
  return { device: devicePrice(prices, key).key, tokensPerSecond: ev.tokens / (ev.hours * 3600) / count };
}

/** Mean tokens per request from the clean predictions' mean lengths / `CHARS_PER_TOKEN`, first run in `runIds` that has predictions. */
function estimatedTokens(lengths: PredictionLengths[], runIds: string[], subject: Subject): { inputTokens: number; outputTokens: number } {
  for (const id of runIds) {
    const l = lengths.find((x) => x.runId === id && x.subject === subject && x.n > 0);
    if (l) return { inputTokens: l.meanInputChars / CHARS_PER_TOKEN, outputTokens: l.meanOutputChars / CHARS_PER_TOKEN };
  }
  throw new UserInputError(`no token counts or predictions for ${subject} in runs ${runIds.join(', ')}; re-run the sweep so the evaluation records them: fte sweep <spec> --no-resume`);
}

/** The inputs of the sensitivity table, in words, each at half and double. */
export const DRIVERS: DriverSpec[] = [
  { key: 'api-price', label: 'API token prices', low: 0.5, high: 2 },
  { key: 'serving-price', label: 'serving device USD/hour', low: 0.5, high: 2 },
  { key: 'serving-throughput', label: 'serving throughput (utilisation)', low: 0.5, high: 2 },
  { key: 'hosted-price', label: 'hosted fine-tuned model prices', low: 0.5, high: 2 },
  { key: 'training', label: 'training cost', low: 0.5, high: 2 },
  { key: 'retraining', label: 'retraining cost', low: 0.5, high: 2 },
  { key: 'data-preparation', label: 'data preparation', low: 0.5, high: 2 },
  { key: 'labelling', label: 'labelling', low: 0.5, high: 2 },
  { key: 'engineering-hours', label: 'engineering hours', low: 0.5, high: 2 },
  { key: 'evaluation-hours', label: 'evaluation/QA hours', low: 0.5, high: 2 },
  { key: 'maintenance-hours', label: 'maintenance hours', low: 0.5, high: 2 },
  { key: 'hourly-rate', label: 'hourly rate', low: 0.5, high: 2 },
  { key: 'rag-index', label: 'RAG index per month', low: 0.5, high: 2 },
];

/** What the parts of the three approaches need besides the requests. */
export interface PartsContext {
  requests: Record<Approach, PricedRequest>;
  cost: CostSpec;
  prices: PriceTable;
  /** Training amortised (the sweep's or the best run's) and one training of the priced run (the default retraining cost). */
  training: { usd: number; used: 'measured' | 'target-device' | 'hosted' };
  oneTrainingUsd: number;
  /** Dotted paths of the `cost` section the spec set itself (`effort.finetuned.engineeringHours`). */
  userSet: ReadonlySet<string>;
}

/** USD per month of the always-on serving devices of a self-hosted request (0 when priced per token or via an API). */
export function alwaysOnMonthlyUsd(r: RequestCost, cost: CostSpec, prices: PriceTable): number {
  return r.pricing === 'self-hosted' && cost.servingAlwaysOnDevices > 0 ? cost.servingAlwaysOnDevices * HOURS_PER_MONTH * devicePrice(prices, r.priceKey).usdPerHour : 0;
}

/** The cost parts of one approach (module comment). */
export function approachParts(approach: Approach, ctx: PartsContext): CostPart[] {
  return costParts(approach, ctx.requests[approach], ctx);
}

/**
 * The cost parts of a request priced as `r` for an approach or a subject kind: serving or API calls
 * (and the always-on floor); fine-tuning's training, data preparation and retraining (`finetuned`
 * only: `ctx.training` needed); RAG's index; people's time and labelling from `cost.effort.<kind>`
 * (`finetuned`, `prompting`, `rag`; none for the base model or an extra model).
 */
export function costParts(approach: Approach | 'base' | 'model', r: PricedRequest, ctx: Pick<PartsContext, 'cost' | 'prices' | 'userSet'> & Partial<Pick<PartsContext, 'training' | 'oneTrainingUsd'>>): CostPart[] {
  const { cost, prices, userSet } = ctx;
  const origin = (path: string, fallback: CostPart['origin'] = 'default'): CostPart['origin'] => (userSet.has(path) ? 'spec' : fallback);
  const parts: CostPart[] = [];
  if (r.pricing === 'self-hosted') {
    const tpOrigin: CostPart['origin'] = /spec servingThroughputTokensPerSecond/.test(r.priceSource) ? 'spec' : /measured/.test(r.priceSource) ? 'measured' : 'estimated';
    parts.push({ label: `serving on ${r.priceKey}`, kind: 'per-request', usd: r.usd, drivers: { 'serving-price': 1, 'serving-throughput': -1 }, origin: tpOrigin });
    const floor = alwaysOnMonthlyUsd(r, cost, prices);
    parts.push({ label: `always-on ${r.priceKey} x${cost.servingAlwaysOnDevices}`, kind: 'always-on', usd: floor, drivers: { 'serving-price': 1 }, origin: origin('servingAlwaysOnDevices') });
  } else {
    const hosted = approach === 'finetuned';
    parts.push({ label: `${r.priceKey} API calls`, kind: 'per-request', usd: r.usd, drivers: { [hosted ? 'hosted-price' : 'api-price']: 1 }, origin: r.tokenSource === 'reported' || r.tokenSource === 'measured' ? 'measured' : 'estimated' });
  }
  if (approach === 'finetuned' && ctx.training) {
    parts.push({ label: 'training', kind: 'one-off', usd: ctx.training.usd, drivers: { training: 1 }, origin: ctx.training.used === 'measured' ? 'measured' : 'estimated' });
    parts.push({ label: 'data preparation', kind: 'one-off', usd: cost.dataPreparationUsd, drivers: { 'data-preparation': 1 }, origin: origin('dataPreparationUsd', 'not set') });
    if (cost.retrainEveryMonths) {
      const each = cost.retrainUsd ?? ctx.oneTrainingUsd ?? 0;
      parts.push({ label: `retraining every ${cost.retrainEveryMonths} months at ${fmtUsd(each)}`, kind: 'monthly', usd: each / cost.retrainEveryMonths, drivers: cost.retrainUsd !== undefined ? { retraining: 1 } : { training: 1 }, origin: cost.retrainUsd !== undefined ? 'spec' : 'estimated' });
    } else {
      parts.push({ label: 'retraining', kind: 'monthly', usd: 0, drivers: {}, origin: 'not set' });
    }
  }
  if (approach === 'rag') parts.push({ label: 'retrieval index', kind: 'monthly', usd: cost.ragIndexMonthlyUsd, drivers: { 'rag-index': 1 }, origin: origin('ragIndexMonthlyUsd') });
  if (approach === 'base' || approach === 'model') return parts;
  const e = cost.effort[approach] ?? {};
  const rate = cost.hourlyRateUsd ?? 0;
  const hours = (field: 'engineeringHours' | 'evaluationHours' | 'maintenanceHoursPerMonth', label: string, kind: CostPart['kind'], driver: string): CostPart => {
    const h = e[field];
    return h === undefined
      ? { label, kind, usd: 0, drivers: {}, origin: 'not set' }
      : { label: `${label} ${h} h x ${fmtUsd(rate)}/h`, kind, usd: h * rate, drivers: { [driver]: 1, 'hourly-rate': 1 }, origin: 'spec' };
  };
  parts.push(hours('engineeringHours', 'engineering', 'one-off', 'engineering-hours'));
  parts.push(hours('evaluationHours', 'evaluation/QA', 'one-off', 'evaluation-hours'));
  parts.push(hours('maintenanceHoursPerMonth', 'maintenance', 'monthly', 'maintenance-hours'));
  const n = e.labelledExamples;
  parts.push(
    n === undefined
      ? { label: 'labelling', kind: 'one-off', usd: 0, drivers: {}, origin: 'not set' }
      : { label: `labelling ${n.toLocaleString('en-US')} examples x ${fmtUsd(cost.labellingUsdPerExample ?? 0)}`, kind: 'one-off', usd: n * (cost.labellingUsdPerExample ?? 0), drivers: { labelling: 1 }, origin: 'spec' },
  );
  return parts;
}

/** The approaches as `computeRoi` takes them: quality, interval, parts and their sums, and how each is priced in words. */
export function approachInputs(ctx: PartsContext, quality: Record<Approach, number | null>, ci: Record<Approach, [number, number] | null>): ApproachInput[] {
  return (['finetuned', 'prompting', 'rag'] as const).map((a) => {
    const r = ctx.requests[a];
    const parts = approachParts(a, ctx);
    const floor = parts.find((p) => p.kind === 'always-on')?.usd ?? 0;
    const pricing =
      r.pricing === 'self-hosted'
        ? `self-hosted ${r.priceKey}${floor > 0 ? ` (${ctx.cost.servingAlwaysOnDevices} always on)` : ''}`
        : a === 'finetuned'
          ? `hosted ${r.priceKey}`
          : `${r.priceKey} API`;
    return { approach: a, quality: quality[a], qualityCi: ci[a], parts, ...sumParts(parts), pricing: `${pricing}${a === 'rag' ? ' + index' : ''}${r.whatIf ? ' (what-if)' : ''}` };
  });
}

/**
 * The notes on how each approach is priced: what it ran on, the what-ifs and the token counts they
 * assume, and the serving device with its always-on floor.
 */
export function pricingNotes(requests: Record<Approach, PricedRequest>, cost: CostSpec, prices: PriceTable, servingWhy: string): string[] {
  const notes: string[] = [];
  for (const a of ['prompting', 'rag'] as const) {
    const r = requests[a];
    const label = `${a === 'rag' ? 'RAG' : 'prompting'}${r.subject !== a ? ` (${r.subject})` : ''}`;
    if (r.whatIf) notes.push(`what-if: ${label} (evaluated on ${r.evaluatedOn}) is priced as ${r.priceKey} API calls on ${r.tokenBasis}; its quality is still that of ${r.evaluatedOn}`);
    else if (r.pricing === 'self-hosted') notes.push(`${label} was evaluated on ${r.evaluatedOn} and is priced as served on ${r.priceKey}, like the fine-tuned model, on the ${r.tokenBasis}`);
    else notes.push(`${label} was evaluated on ${r.evaluatedOn} and is priced at ${r.priceKey} on ${/^usage not reported/.test(r.tokenBasis) ? 'estimated tokens (its API reported no usage)' : `the ${r.tokenBasis}`}`);
  }
  const selfHosted = (['finetuned', 'prompting', 'rag'] as const).filter((a) => requests[a].pricing === 'self-hosted');
  if (selfHosted.length) {
    const r = requests[selfHosted[0]!];
    const floor = alwaysOnMonthlyUsd(r, cost, prices);
    const tp = (a: Approach): string => {
      const x = requests[a];
      return `${NAME[a]} ${x.tokensPerSecond ? `${Math.round(x.tokensPerSecond).toLocaleString('en-US')} tokens/s per device (${/ tokens\/s \((.*)\)$/.exec(x.priceSource)?.[1] ?? 'see its price source'})` : 'unknown throughput'}`;
    };
    const what = selfHosted.some((a) => requests[a].whatIf) ? 'what-if: ' : '';
    notes.push(
      `${what}${selfHosted.map((a) => NAME[a]).join(', ')} ${selfHosted.length > 1 ? 'are' : 'is'} served on ${r.priceKey} (${servingWhy}), ` +
        (floor > 0 ? `${cost.servingAlwaysOnDevices} kept on 24/7 (${fmtUsd(floor)}/month${selfHosted.length > 1 ? ' each' : ''} whatever the volume; cost.servingAlwaysOnDevices: 0 prices serverless serving by the token)` : 'priced per token served (no always-on device)') +
        `; throughput: ${selfHosted.map(tp).join('; ')}`,
    );
  }
  return notes;
}
