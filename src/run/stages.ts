/**
 * The stages one worker runs, in order: data (read the sweep's prepared splits) -> train -> evaluate
 * -> cost. Each stage is its own module (src/data, src/train, src/eval, src/cost); this file only
 * calls them in order and turns their results into the protocol's plain messages.
 */
import { hyperbandBrackets, type HyperbandSpec } from '../experiment/hyperband.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPrepared } from '../data/index.js';
import { countParams } from '../model/config.js';
import type { Example } from '../data/example.js';
import type { EvalRow, Subject, SubjectRow, SubjectUsage } from '../eval/types.js';
import type { CausalLM, DecodeTokenizer, GeneralPassage, GeneralScore } from '../eval/index.js';
import type { ArtifactRow, RunOutcome } from '../store/types.js';
import type { StepMetric } from '../train/types.js';
import type { ParentMessage, SweepContext, WorkerMessage } from './protocol.js';
import type { EvaluateSubjectOptions } from '../eval/index.js';
import type { Provider } from '../providers/types.js';

type TaskMessage = Extract<ParentMessage, { type: 'task' }>;
type BaselinesMessage = Extract<ParentMessage, { type: 'baselines' }>;
type BaselinesDone = Extract<WorkerMessage, { type: 'baselines-done' }>;

/**
 * Train, evaluate and price one variant.
 * @returns the run's outcome (`completed` or `diverged`); throws on a failure (the worker reports it as `failed`).
 */
export async function runVariantTask(
  msg: TaskMessage,
  send: (m: WorkerMessage) => void,
  ask?: (m: Extract<WorkerMessage, { type: 'milestone' }>) => Promise<boolean>,
): Promise<RunOutcome> {
  const { runId, variant, context } = msg;
  const startedAt = new Date().toISOString();
  const data = readPrepared(context.dataDir, context.limits);

  // 1. Train.
  const { trainVariant, loadForInference } = await import('../train/index.js');
  const { initBackend } = await import('../train/backend.js');
  const backend = await initBackend(context.backend);
  send({ type: 'started', runId, backend: backend.name, device: backend.device, pid: process.pid });
  send({ type: 'phase', runId, phase: 'train' });
  const stepBuffer: StepMetric[] = [];
  const summary = await trainVariant({
    baseModelDir: context.baseModelDir,
    method: variant.method,
    params: variant.params,
    train: data.train,
    val: data.val,
    earlyStopping: context.earlyStopping,
    outDir: join(context.outDir, runId),
    backend: backend.name,
    maxSteps: context.limits.maxSteps,
    ...(context.earlyTerminate && ask ? { onValidation: hyperbandAsk(context.earlyTerminate, runId, ask) } : {}),
    onEvent: (e) => {
      if (e.type === 'step') {
        stepBuffer.push(...e.metrics);
        send({ type: 'step', runId, metrics: stepBuffer.splice(0), totalSteps: e.totalSteps, tokensPerSecond: e.tokensPerSecond });
      } else if (e.type === 'eval') {
        send({ type: 'eval', runId, metrics: e.metrics });
      }
    },
  });

  // How the training examples became text, stored with the run's params (read by fte show and the
  // report; checkpoints may be deleted): promptFormat chat_template | flat | mixed, and the template.
  const format = summary.promptFormat ? { promptFormat: summary.promptFormat, ...(summary.chatTemplate ? { chatTemplate: summary.chatTemplate } : {}) } : {};
  const base: RunOutcome = {
    runId, variantKey: variant.key, method: variant.method, status: summary.status, params: { ...variant.params, ...format } as never,
    startedAt, finishedAt: startedAt, train: summary, stepMetrics: [], evalRows: [], predictions: [], costs: [], artifacts: [],
    ...(summary.divergenceReason ? { error: summary.divergenceReason } : {}),
  };
  // A stopped run (hyperband) keeps its curves and checkpoint; it is not evaluated. Its training (and
  // a diverged run's) was spent all the same: priced, so the report's cost column and fte runs show it.
  if (summary.status === 'diverged' || summary.status === 'stopped') {
    base.finishedAt = new Date().toISOString();
    const { costOfRun, costSpec, resolvePrices } = await import('../cost/index.js');
    const cost = costSpec(context.cost);
    base.costs = costOfRun({ method: variant.method, train: summary, cost, prices: resolvePrices(cost.prices) });
    return base;
  }

  // 2. Evaluate the fine-tuned model (best-validation checkpoint) on the test split (the held-out
  //    result, with perturbations), then on the validation split (clean inputs, same metrics): the
  //    validation numbers are the objective that ranks variants, so selection never sees test.
  send({ type: 'phase', runId, phase: 'evaluate' });
  const { evaluateSubject, withRequestsOf } = await import('../eval/index.js');
  const { createLocalProvider } = await import('../providers/index.js');
  const lm = await loadForInference(context.baseModelDir, summary.checkpointPath, backend.name);
  let evaluation;
  let validation;
  let outOfDistribution: Awaited<ReturnType<typeof evaluateSubject>> | null = null;
  const passages = await generalPassages(context);
  let generalScores: GeneralScore[] | null = null;
  try {
    const provider = createLocalProvider({ model: lm.model, tokenizer: lm.tokenizer, name: runId });
    evaluation = await evaluateSubject(evaluationOptions('finetuned', provider, data, context));
    validation = data.val.length > 0
      ? await evaluateSubject({ ...evaluationOptions('finetuned', provider, data, context), test: data.val, perturbations: [], split: 'val' })
      : null;
    if (oodOf(data, context).length > 0) {
      send({ type: 'phase', runId, phase: 'evaluate out-of-distribution' });
      outOfDistribution = await evaluateSubject({ ...evaluationOptions('finetuned', provider, data, context), test: oodOf(data, context), split: 'ood' });
    }
    if (passages) {
      send({ type: 'phase', runId, phase: 'evaluate general text' });
      const { scoreGeneral } = await import('../eval/index.js');
      generalScores = await scoreGeneral(lm.model, lm.tokenizer, passages);
    }
  } finally {
    lm.dispose();
  }
  // Forgetting: the same passages under the base model (cached per sweep), and the paired change.
  const generalEval: EvalRow[] = [];
  if (passages && generalScores) {
    const { generalRows } = await import('../eval/index.js');
    try {
      const base = await baseGeneralScores(context, passages, backend.name);
      generalEval.push(...generalRows('finetuned', generalScores, { base, ...(context.evaluate.bootstrap ? { bootstrap: context.evaluate.bootstrap } : {}) }));
    } catch (err) {
      // Without the base's scores the variant's own figures are still stored; the failure is reported.
      send({ type: 'error', runId, message: `general-text comparison with the base model failed: ${(err as Error).message}` });
      generalEval.push(...generalRows('finetuned', generalScores, context.evaluate.bootstrap ? { bootstrap: context.evaluate.bootstrap } : {}));
    }
  }

  // 3. Cost: measured on this device, and what the same work costs on the spec's target device.
  send({ type: 'phase', runId, phase: 'cost' });
  const { costOfRun, costSpec, resolvePrices } = await import('../cost/index.js');
  const cost = costSpec(context.cost);
  const costs = costOfRun({
    method: variant.method,
    train: summary,
    eval: {
      wallSeconds: evaluation.wallSeconds + (validation?.wallSeconds ?? 0) + (outOfDistribution?.wallSeconds ?? 0),
      tokens: [evaluation, validation, outOfDistribution].reduce((a, r) => a + (r ? r.evalPromptTokens + r.evalCompletionTokens : 0), 0),
    },
    usage: { finetuned: usageOf(evaluation) },
    cost,
    prices: resolvePrices(cost.prices),
  });

  return {
    ...base,
    finishedAt: new Date().toISOString(),
    // Validation predictions are not stored: `predictions` holds the test (and OOD) examples (paired tests read them).
    evalRows: [...evaluation.rows, ...(validation?.rows ?? []), ...(outOfDistribution?.rows ?? []), ...generalEval],
    confusion: [...evaluation.confusion, ...(validation?.confusion ?? []), ...(outOfDistribution?.confusion ?? [])],
    predictions: [...evaluation.predictions, ...(outOfDistribution?.predictions ?? [])],
    subjects: [outOfDistribution ? withRequestsOf(evaluation.subjectRow, outOfDistribution.subjectRow) : evaluation.subjectRow],
    costs,
    artifacts: artifactsIn(summary.checkpointPath),
  };
}

/**
 * Evaluate the sweep's baselines and extra models (`evaluate.baselines`, `evaluate.models`) once, each
 * through its provider (src/providers), on the same test split and metrics as the variants, and price a
 * request of each. The local base model is loaded once and shared; a local checkpoint loads its own.
 * A subject whose provider cannot be opened fails the task (bad input is caught before the sweep by
 * the plan checks); a failed request is recorded in its subject's errors and the evaluation goes on.
 */
export async function runBaselinesTask(msg: BaselinesMessage, send: (m: WorkerMessage) => void): Promise<BaselinesDone> {
  const { context } = msg;
  const data = readPrepared(context.dataDir, context.limits);
  const { loadForInference } = await import('../train/index.js');
  const { initBackend } = await import('../train/backend.js');
  const { evaluateSubject, withRequestsOf } = await import('../eval/index.js');
  const { createLocalProvider, openProvider } = await import('../providers/index.js');
  const { costOfRun, costSpec, resolvePrices } = await import('../cost/index.js');
  const { evaluationSubjects } = await import('../experiment/subjects.js');
  const { subjectTokensPerRequest } = await import('../eval/subject-tokens.js');
  const backend = await initBackend(context.backend);
  const loaded: { dispose(): void }[] = [];
  let baseLm: Awaited<ReturnType<typeof loadForInference>> | null = null;
  const local = async (checkpoint?: string): Promise<Provider> => {
    if (!checkpoint) {
      if (!baseLm) {
        baseLm = await loadForInference(context.baseModelDir, undefined, backend.name);
        loaded.push(baseLm);
      }
      return createLocalProvider({ model: baseLm.model, tokenizer: baseLm.tokenizer, name: baseModelName(context.baseModelDir) });
    }
    const lm = await loadForInference(context.baseModelDir, checkpoint, backend.name);
    loaded.push(lm);
    return createLocalProvider({ model: lm.model, tokenizer: lm.tokenizer, name: checkpoint });
  };
  const rows: BaselinesDone['rows'] = [];
  const confusion: NonNullable<BaselinesDone['confusion']> = [];
  const predictions: BaselinesDone['predictions'] = [];
  const subjects: SubjectRow[] = [];
  const usage: Partial<Record<Subject, SubjectUsage>> = {};
  const apiModels: Partial<Record<Subject, string>> = {};
  const providers: Partial<Record<Subject, string>> = {};
  const { apiPrice } = await import('../cost/index.js');
  const priceTable = resolvePrices(costSpec(context.cost).prices);
  /** Whether the price table knows an API model by this name (an unknown one is priced as `cost.apiModel`). */
  const hasApiPrice = (name: string): boolean => {
    try {
      apiPrice(priceTable, name);
      return true;
    } catch {
      return false;
    }
  };
  let wallSeconds = 0;
  let tokens = 0;
  let totalParams = 0;
  try {
    for (const subject of evaluationSubjects(context.evaluate)) {
      send({ type: 'phase', runId: `${context.sweepId}:baselines`, phase: `evaluate ${subject.name}` });
      const provider = await openProvider(subject.provider, {
        local,
        ...(context.responseCacheDir ? { cacheDir: context.responseCacheDir } : {}),
        ...(context.evaluate.cache === false ? { noCache: true } : {}),
      });
      try {
        const r = await evaluateSubject({
          ...evaluationOptions(subject.name, provider, data, context),
          kind: subject.kind, prompt: subject.prompt, k: subject.k,
          ...(subject.system ? { system: subject.system } : {}),
        });
        rows.push(...r.rows);
        confusion.push(...r.confusion);
        predictions.push(...r.predictions);
        subjects.push(r.subjectRow);
        // The out-of-distribution examples: same prompts and decoding; scored, not priced (serving cost is the test requests').
        if (oodOf(data, context).length > 0) {
          const o = await evaluateSubject({
            ...evaluationOptions(subject.name, provider, data, context),
            kind: subject.kind, prompt: subject.prompt, k: subject.k,
            ...(subject.system ? { system: subject.system } : {}),
            test: oodOf(data, context), split: 'ood',
          });
          rows.push(...o.rows);
          confusion.push(...o.confusion);
          predictions.push(...o.predictions);
          subjects[subjects.length - 1] = withRequestsOf(subjects[subjects.length - 1]!, o.subjectRow);
          if (provider.type === 'local') {
            wallSeconds += o.wallSeconds;
            tokens += o.evalPromptTokens + o.evalCompletionTokens;
          }
        }
        // Tokens per request are over the answered requests (a failed one reported no usage). An API
        // that reported no usage is priced on estimated tokens (src/eval/subject-tokens.ts), never as
        // 0; with nothing to estimate from here, no per-request row (fte roi estimates from the text).
        const perRequest = subjectTokensPerRequest(r.subjectRow);
        if (perRequest) {
          const answered = r.subjectRow.answered;
          usage[subject.name] = { ...usageOf(r), examples: answered, promptTokens: perRequest.inputTokens * answered, completionTokens: perRequest.outputTokens * answered };
        }
        if (provider.type !== 'local' && hasApiPrice(provider.model)) apiModels[subject.name] = provider.model;
        providers[subject.name] = provider.type;
        if (provider.type === 'local') {
          // Only in-process work costs compute here; an API subject is priced by its usage.
          wallSeconds += r.wallSeconds;
          tokens += r.evalPromptTokens + r.evalCompletionTokens;
        }
      } finally {
        await provider.close?.();
      }
    }
    // Forgetting's reference: the base model on the general text (slice `general`).
    const passages = await generalPassages(context);
    if (passages) {
      send({ type: 'phase', runId: `${context.sweepId}:baselines`, phase: 'evaluate general text' });
      const { generalRows } = await import('../eval/index.js');
      try {
        const scores = await baseGeneralScores(context, passages, backend.name, async () => {
          await local();
          return baseLm!;
        });
        rows.push(...generalRows(baseSubjectName(context.evaluate), scores, context.evaluate.bootstrap ? { bootstrap: context.evaluate.bootstrap } : {}));
      } catch (err) {
        // Forgetting is a side measurement: its failure is reported, the subjects' results are kept.
        send({ type: 'error', runId: `${context.sweepId}:baselines`, message: `general-text evaluation failed: ${(err as Error).message}` });
      }
    }
    if (baseLm) totalParams = countParams((baseLm as { config: Parameters<typeof countParams>[0] }).config);
  } finally {
    for (const lm of loaded) lm.dispose();
  }
  // The majority-class baseline needs no model: the most frequent training label of each classification slice.
  const { evaluateMajority } = await import('../eval/index.js');
  const majority = evaluateMajority({ test: data.test, train: data.train, ...labelOptions(data), ...(context.evaluate.metrics ? { metrics: context.evaluate.metrics } : {}), bootstrap: context.evaluate.bootstrap });
  rows.push(...majority.rows);
  confusion.push(...majority.confusion);
  if (oodOf(data, context).length > 0) {
    const m = evaluateMajority({ test: oodOf(data, context), train: data.train, ...labelOptions(data), ...(context.evaluate.metrics ? { metrics: context.evaluate.metrics } : {}), bootstrap: context.evaluate.bootstrap, split: 'ood' });
    rows.push(...m.rows);
    confusion.push(...m.confusion);
  }
  const cost = costSpec(context.cost);
  const costs = costOfRun({ method: 'lora', eval: { wallSeconds, tokens }, usage, apiModels, providers, ...(totalParams ? { totalParams } : {}), cost, prices: resolvePrices(cost.prices) });
  return { type: 'baselines-done', rows, confusion, predictions, subjects, usage, costs, ...(totalParams ? { totalParams } : {}) };
}


/**
 * The general-text passages of this sweep: `evaluate.general` (a resolved path), else the built-in
 * base model's held-out pretraining passages; `evaluate.generalPassages` of them (default 128),
 * evenly spaced. Null when `evaluate.general` is false.
 */
async function generalPassages(context: SweepContext): Promise<GeneralPassage[] | null> {
  const e = context.evaluate;
  if (e.general === false) return null;
  const { readGeneralFile, evenlySpaced, DEFAULT_GENERAL_PASSAGES } = await import('../eval/index.js');
  const all = typeof e.general === 'string' ? readGeneralFile(e.general) : (await import('../train/corpus.js')).heldOutPassages();
  return evenlySpaced(all, e.generalPassages ?? DEFAULT_GENERAL_PASSAGES);
}

/**
 * The base model's scores of the general passages, computed once per sweep and kept in
 * `<outDir>/general-base-<hash>.json` (hash of the base model's files and the passages), so each
 * variant's worker pairs with them without scoring the base again. Written atomically (a race
 * between workers writes the same content twice).
 * @param loadBase gives the loaded base model (default: load it here, disposed after scoring)
 */
async function baseGeneralScores(
  context: SweepContext,
  passages: GeneralPassage[],
  backendName: string,
  loadBase?: () => Promise<{ model: CausalLM; tokenizer: DecodeTokenizer }>,
): Promise<GeneralScore[]> {
  const h = createHash('sha256');
  for (const f of ['config.json', 'model.safetensors']) {
    const p = join(context.baseModelDir, f);
    h.update(`${f}:${existsSync(p) ? `${statSync(p).size}:${statSync(p).mtimeMs}` : '-'}\n`);
  }
  h.update(JSON.stringify(passages));
  const file = join(context.outDir, `general-base-${h.digest('hex').slice(0, 16)}.json`);
  if (existsSync(file)) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as GeneralScore[];
      if (Array.isArray(cached) && cached.length === passages.length && cached.every((c, i) => c.id === passages[i]!.id)) return cached;
    } catch {
      // unreadable (a partial write is impossible: renamed into place); score again
    }
  }
  const { scoreGeneral } = await import('../eval/index.js');
  let scores: GeneralScore[];
  if (loadBase) {
    const lm = await loadBase();
    scores = await scoreGeneral(lm.model, lm.tokenizer, passages);
  } else {
    const { loadForInference } = await import('../train/index.js');
    const lm = await loadForInference(context.baseModelDir, undefined, backendName);
    try {
      scores = await scoreGeneral(lm.model, lm.tokenizer, passages);
    } finally {
      lm.dispose();
    }
  }
  mkdirSync(context.outDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(scores));
  renameSync(tmp, file);
  return scores;
}

/**
 * The subject name the base model's general-text rows are stored under: the spec's local `base`
 * baseline (its name), else `base` when no subject has that name, else `base-model`.
 */
function baseSubjectName(e: SweepContext['evaluate']): string {
  for (const b of e.baselines) {
    if (b === 'base') return 'base';
    if (typeof b !== 'string' && b.kind === 'base' && b.provider.type === 'local' && !b.provider.checkpoint) return b.name ?? 'base';
  }
  const names = [...e.baselines.map((b) => (typeof b === 'string' ? b : (b.name ?? b.kind))), ...e.models.map((m) => m.name)];
  return names.includes('base') ? 'base-model' : 'base';
}

/** The base model's name: its folder's name (`fte-tiny-base`). */
function baseModelName(dir: string): string {
  return dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || dir;
}

type Splits = { train: Example[]; test: Example[]; ood?: Example[]; manifest?: { suite?: Record<string, unknown> } };

/**
 * A built-in suite's task kinds and declared label sets, by category (its manifest's `suite.tasks`);
 * empty for other datasets (kinds are inferred, labels are the training completions).
 */
function labelOptions(data: Splits): { sliceKinds?: Record<string, 'classification' | 'generation'>; labels?: Record<string, string[]> } {
  const tasks = data.manifest?.suite?.tasks;
  if (!Array.isArray(tasks)) return {};
  const sliceKinds: Record<string, 'classification' | 'generation'> = {};
  const labels: Record<string, string[]> = {};
  for (const t of tasks as { category?: unknown; kind?: unknown; labels?: unknown }[]) {
    if (typeof t.category !== 'string') continue;
    if (t.kind === 'classification' || t.kind === 'generation') sliceKinds[t.category] = t.kind;
    if (Array.isArray(t.labels) && t.labels.every((l) => typeof l === 'string')) labels[t.category] = t.labels as string[];
  }
  return { sliceKinds, labels };
}

/** The out-of-distribution examples every subject is scored on: the dataset's `ood` split, none when `evaluate.ood` is false. */
function oodOf(data: Splits, context: SweepContext): Example[] {
  return context.evaluate.ood === false ? [] : (data.ood ?? []);
}

/** The same test split, metrics, perturbations, label sets and decoding for every subject (the spec's `evaluate` section). */
function evaluationOptions(subject: Subject, provider: Provider, data: Splits, context: SweepContext): EvaluateSubjectOptions {
  const e = context.evaluate;
  return {
    subject, provider, test: data.test, train: data.train, perturbations: e.perturbations,
    ...(e.metrics ? { metrics: e.metrics } : {}),
    ...labelOptions(data),
    fewShotK: e.fewShotK, ragK: e.ragK, maxNewTokens: e.maxNewTokens, seed: e.seed,
    ...(e.bootstrap ? { bootstrap: e.bootstrap } : {}),
  };
}

function usageOf(r: { examples: number; promptTokens: number; completionTokens: number; wallSeconds: number }): SubjectUsage {
  return { examples: r.examples, promptTokens: r.promptTokens, completionTokens: r.completionTokens, wallSeconds: r.wallSeconds };
}

/** Every file of a checkpoint folder with its size (bytes) and sha256, kind from its name. */
export function artifactsIn(dir: string): ArtifactRow[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => {
      const path = join(dir, n);
      const bytes = readFileSync(path);
      const kind = n === 'adapter_model.safetensors' ? 'adapter' : n === 'adapter_config.json' ? 'adapter_config' : n === 'model.safetensors' || /^model-\d{5}-of-\d{5}\.safetensors$/.test(n) || n === 'model.safetensors.index.json' ? 'model' : n === 'config.json' ? 'config' : 'checkpoint';
      return { kind, path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
}

/** The trainer's onValidation for hyperband: at a bracket, ask the parent (the one place that sees every run) whether to stop. */
function hyperbandAsk(spec: HyperbandSpec, runId: string, ask: (m: Extract<WorkerMessage, { type: 'milestone' }>) => Promise<boolean>) {
  const brackets = new Set(hyperbandBrackets(spec));
  return async (iteration: number, value: number): Promise<boolean> => (brackets.has(iteration) ? ask({ type: 'milestone', runId, iteration, value }) : false);
}
