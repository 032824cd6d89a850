/**
 * The scoring harness: one subject (fine-tuned model, base model, prompting or RAG baseline) on a test
 * split, clean and under every perturbation, every metric per slice.
 *
 * 1. Prompts: the subject's prompt builder (src/eval/baselines.ts: a chat of optional system message,
 *    demonstrations and input) over the clean test inputs and over each perturbation's inputs
 *    (perturbed template-aware and seeded, src/eval/perturbations). Inputs a perturbation leaves
 *    unchanged are not sent again: they reuse the clean prediction.
 * 2. Completion: every request of every variant in one call to the subject's provider
 *    (src/providers: the in-process model, batched, or an OpenAI-compatible API; greedy, temperature
 *    0, unless told otherwise; stop at a newline by default, the built-in suite's completion ends
 *    there). A request that failed after the provider's retries is scored as an empty answer and
 *    counted in the subject's `errors`; the evaluation goes on.
 * 3. Slices: each example's `category`, plus `all`. A slice is `classification` when its references
 *    (train + test of that category) look like labels: at most 10 distinct trimmed completions, each
 *    seen at least 4 times on average; otherwise `generation` (`sliceKinds` overrides, e.g. from the
 *    suite's task kinds). `all` takes the kind its slices share, or
 *    `generation` when they differ (text metrics are defined on labels too).
 * 4. Rows (`EvalRow`, each with its metric's signature):
 *    - `none`: every metric of the slice's kind on the clean inputs of the whole slice.
 *    - `<perturbation>` (HELM's `computed_on=perturbed`): every metric on the perturbed inputs of the
 *      examples the perturbation *changed* only; n = changed count. Unchanged inputs would score as
 *      clean and dilute the drop, so they are left out, as HELM does (`should_skip_unchanged_eval`).
 *    - `<perturbation>:original` (HELM's `computed_on=original`): the same metric on the *clean* inputs
 *      of those same changed examples; same n. The drop of a perturbation is
 *      `<perturbation>:original - <perturbation>` (sign flipped for lower-is-better metrics): paired,
 *      over the changed examples. Drops are not stored as rows. When a perturbation changed no input of
 *      a slice both rows have n = 0 and no value (NaN, stored NULL) and no interval.
 *    - `perplexity` (clean only): exp(mean token NLL) of the reference completions and the
 *      end-of-text token after each (the tokens the training/validation loss averages, so test
 *      perplexity and exp(validation loss) are the same quantity on two splits) given the subject's
 *      clean prompts; n = tokens.
 *    - `worst_case` (HELM): per metric, each example takes the worst of its clean and perturbed
 *      predictions (by the metric's per-example score; unchanged inputs count once, as clean), then the
 *      corpus metric over those predictions.
 *    - `consistency` under each perturbation: the share of examples whose input the perturbation changed
 *      and whose output stayed identical; n = changed inputs (value 1 when none changed). Under
 *      `worst_case`, the share over all changed (example, perturbation) pairs.
 *    - `input_change_rate` under each perturbation: the share of inputs it changed (n = slice size, so
 *      the changed count is `value * n`, also the n of the `<perturbation>` rows).
 * 5. Predictions (`PredictionRow`): every clean example, and every changed input per perturbation, with
 *    the per-example scores of the slice's metrics.
 *
 * Every row is stamped with `split` (`opts.split`, default `test`; the worker also scores the
 * fine-tuned model on `val`, clean inputs only, for the objective) and carries a seeded 95% bootstrap
 * interval (src/eval/intervals.ts). Classification slices map answers to a fixed label set
 * (src/eval/labels.ts: `opts.labels`, else the training completions) and get a confusion matrix
 * (`confusion`, clean inputs).
 *
 * Token usage (as the provider reported it: API `usage`, or the local tokens fed and generated):
 * `promptTokens` / `completionTokens` are the totals over the clean test requests (one request per
 * example: what serving costs), `evalPromptTokens` / `evalCompletionTokens` everything this evaluation
 * processed (perturbed variants and the NLL pass included). `subjectRow` records the provider, model,
 * prompt, errors, cache hits and what a local model's context cut (src/eval/types.ts `SubjectRow`).
 * Perplexity needs prompt log-probabilities: only local providers give them (`Provider.tokenNll`).
 */
import type { Example } from '../data/example.js';
import type { ConfusionRow, EvalRow, EvalSplit, PredictionRow, Subject, SubjectKind, SubjectRow } from '../eval/types.js';
import type { ChatRequest, Completion, Provider } from '../providers/types.js';
import { combinePromptFormats } from '../providers/chat-text.js';
import { DEFAULT_BOOTSTRAP, meanInterval, metricInterval, type BootstrapSpec, type IntervalFields } from './intervals.js';
import { labelSet, mapToLabel } from './labels.js';
import { createPromptBuilder, SUBJECT_PROMPTS, type BuiltPrompt, type PromptStrategy } from './baselines.js';
import { chatTokens, loadApiTokenCounter, type ApiTokenCounter } from './api-tokens.js';
import { METRICS, getMetric, type MetricDef } from './metrics/registry.js';
import { ALL_SLICE, NO_CATEGORY, buildSlices, inferSliceKinds, metricsFor, sliceLabelSets, wantsPerplexity, type SliceKind } from './slices.js';

export { inferSliceKinds } from './slices.js';
import { makeSignature } from './metrics/signature.js';
import { getPerturbation, perturbExamples, type PerturbationParams } from './perturbations/index.js';

export { modelGenerator, type Generator } from '../providers/local.js';

export interface EvaluateSubjectOptions {
  subject: Subject;
  /**
   * Counts the clean answered requests as an OpenAI API would bill them (`subjectRow.apiPromptTokens`,
   * src/eval/api-tokens.ts). Default: the o200k_base counter when its package is installed; null: no counts.
   */
  apiTokenCounter?: ApiTokenCounter | null;
  /** What the subject is (stored in `subjects`). Default: the subject's name when it is a built-in kind, else `model`. */
  kind?: SubjectKind;
  /** Where the prompts go (src/providers). */
  provider: Provider;
  /** The prompt strategy. Default: the built-in kind's (`SUBJECT_PROMPTS`), else `zero_shot`. */
  prompt?: PromptStrategy;
  /** Demonstrations for `few_shot` / `bm25`. Default: `fewShotK` / `ragK`. */
  k?: number;
  /** System message of every request; none when absent. */
  system?: string;
  test: Example[];
  /** Few-shot demonstrations and the RAG index come from here. */
  train: Example[];
  /** Perturbation names (registry); `none` is always scored and may be omitted. */
  perturbations: string[];
  /** Parameters per perturbation name, overriding the defaults. */
  perturbationParams?: Record<string, PerturbationParams>;
  /** Metric names (registry); default: every default metric of each slice's kind, plus perplexity. */
  metrics?: string[];
  fewShotK: number;
  ragK: number;
  maxNewTokens: number;
  /** Seed of the perturbations, the few-shot draw and sampling. */
  seed: number;
  /** Stop sequences; default `['\n']`. */
  stop?: string[];
  /** 0 = greedy (default). */
  temperature?: number;
  topP?: number;
  /** Force a slice's kind (category -> kind) instead of inferring it. */
  sliceKinds?: Record<string, 'classification' | 'generation'>;
  /** Declared label set per category (a suite's `tasks[].labels`); else the distinct training completions. */
  labels?: Record<string, string[]>;
  /** Which split `test` is (stamped on every row). Default `test`; `val` for the selection numbers. */
  split?: EvalSplit;
  /** Bootstrap of the intervals. Default 1000 resamples, seed 12345. */
  bootstrap?: BootstrapSpec;
}

export interface EvaluateSubjectResult {
  rows: EvalRow[];
  /** Confusion matrix of each classification slice on clean inputs. */
  confusion: ConfusionRow[];
  predictions: PredictionRow[];
  /** How the subject was evaluated and what its requests met. */
  subjectRow: SubjectRow;
  /** Test requests (clean examples). */
  examples: number;
  /** Prompt tokens over the clean test requests (context included). */
  promptTokens: number;
  /** Generated tokens over the clean test requests. */
  completionTokens: number;
  /** Everything processed, perturbations and the NLL pass included. */
  evalPromptTokens: number;
  evalCompletionTokens: number;
  wallSeconds: number;
}

const ALL = ALL_SLICE;
const NONE = 'none';

/** Suffix of the rows holding the clean metric over the examples a perturbation changed (`typos:original`). */
import { originalOf } from './slices.js';
export { ORIGINAL_SUFFIX, originalOf } from './slices.js';


/** Evaluate one subject. See the module comment for what is produced. */
export async function evaluateSubject(opts: EvaluateSubjectOptions): Promise<EvaluateSubjectResult> {
  const t0 = performance.now();
  const { subject, provider, test, train, seed, maxNewTokens } = opts;
  for (const name of opts.metrics ?? []) getMetric(name); // unknown names fail before any work
  const perturbationNames = [...new Set(opts.perturbations.filter((p) => p !== NONE))];
  const perturbations = perturbationNames.map((p) => getPerturbation(p, opts.perturbationParams?.[p]));

  // 1. Prompts, clean and perturbed.
  const kind: SubjectKind = opts.kind ?? (Object.hasOwn(SUBJECT_PROMPTS, subject) ? (subject as SubjectKind) : 'model');
  const strategy: PromptStrategy = opts.prompt ?? SUBJECT_PROMPTS[subject as keyof typeof SUBJECT_PROMPTS] ?? 'zero_shot';
  const k = strategy === 'zero_shot' ? 0 : (opts.k ?? (strategy === 'bm25' ? opts.ragK : opts.fewShotK));
  const build = createPromptBuilder(strategy, train, { k, seed, ...(opts.system ? { system: opts.system } : {}) });
  const clean = test.map((ex) => build(ex));
  const variants = perturbations.map((p) => {
    const { examples, changed } = perturbExamples(test, p, seed);
    return { p, examples, changed, built: examples.map((ex, i) => (changed[i] ? build(ex) : clean[i]!)) };
  });

  // 2. One call to the provider for every request.
  const jobs: { prompt: BuiltPrompt; key: string }[] = clean.map((b) => ({ prompt: b, key: `${NONE}:${b.exampleId}` }));
  const slots: number[][] = variants.map((v) => v.changed.map((c, i) => (c ? jobs.push({ prompt: v.built[i]!, key: `${v.p.name}:${test[i]!.id}` }) - 1 : i)));
  const requests: ChatRequest[] = jobs.map((j) => ({ key: j.key, messages: j.prompt.messages, ...(j.prompt.chat ? { chat: j.prompt.chat } : {}) }));
  const completions: Completion[] = await provider.complete(requests, {
    maxTokens: maxNewTokens,
    stop: opts.stop ?? ['\n'],
    temperature: opts.temperature ?? 0,
    ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
    seed,
  });
  const textOf = (c: Completion): string => (c.error !== undefined ? '' : c.text);
  const cleanPred = test.map((_, i) => textOf(completions[i]!));
  const variantPred = variants.map((_, v) => slots[v]!.map((j) => textOf(completions[j]!)));

  // 3. Slices.
  const kinds = inferSliceKinds(test, train, opts.sliceKinds);
  const slices = buildSlices(test, kinds);
  const split: EvalSplit = opts.split ?? 'test';
  const boot = opts.bootstrap ?? DEFAULT_BOOTSTRAP;
  const labelSets = sliceLabelSets(test, train, kinds, opts.labels);
  const refsOf = (idx: number[]): string[][] => idx.map((i) => [test[i]!.completion]);

  // 4. Rows.
  const rows: EvalRow[] = [];
  const confusion: ConfusionRow[] = [];
  const push = (perturbation: string, slice: string, metric: string, value: number, n: number, signature: string, ci: IntervalFields = {}): void => {
    rows.push({ subject, split, perturbation, slice, metric, value, n, signature, ...ci });
  };
  const wantPerplexity = wantsPerplexity(opts.metrics);
  let nllTokens = 0;
  let nll: number[][] = [];
  if (wantPerplexity && test.length > 0 && provider.tokenNll) {
    nll = await provider.tokenNll(requests.slice(0, test.length), test.map((e) => e.completion));
  }
  const worstSig = (m: MetricDef): string => `${m.signature}|worst_case:${['none', ...perturbationNames].join('+')}`;
  for (const s of slices) {
    const ms = metricsFor(s.kind, opts.metrics);
    const refs = refsOf(s.idx);
    const labels = labelSets.get(s.name);
    const score = (perturbation: string, m: MetricDef, predictions: string[], signature = m.signature): void => {
      const input = { predictions, references: refs, ...(labels ? { labels } : {}) };
      push(perturbation, s.name, m.name, m.compute(input).value, s.idx.length, signature, metricInterval(m, input, boot));
    };
    // A metric over a subset of the slice (the examples a perturbation changed); n = 0 -> no value.
    const scoreSubset = (perturbation: string, m: MetricDef, idx: number[], predictions: string[], signature: string): void => {
      if (idx.length === 0) {
        push(perturbation, s.name, m.name, Number.NaN, 0, signature);
        return;
      }
      const input = { predictions, references: refsOf(idx), ...(labels ? { labels } : {}) };
      push(perturbation, s.name, m.name, m.compute(input).value, idx.length, signature, metricInterval(m, input, boot));
    };
    const changedIdx = variants.map((v) => s.idx.filter((i) => v.changed[i]));
    if (labels) {
      const cells = new Map<string, ConfusionRow>();
      for (const i of s.idx) {
        const gold = mapToLabel(test[i]!.completion, labels) ?? test[i]!.completion.trim();
        const predicted = mapToLabel(cleanPred[i]!, labels);
        const key = JSON.stringify([gold, predicted]);
        const cell = cells.get(key);
        if (cell) cell.count++;
        else cells.set(key, { subject, split, slice: s.name, gold, predicted, count: 1 });
      }
      confusion.push(...cells.values());
    }
    for (const m of ms) {
      score(NONE, m, s.idx.map((i) => cleanPred[i]!));
      variants.forEach((v, vi) => {
        const idx = changedIdx[vi]!;
        const over = `over:inputs_changed_by:${v.p.name}`;
        scoreSubset(v.p.name, m, idx, idx.map((i) => variantPred[vi]![i]!), `${m.signature}|computed_on:perturbed|${over}`);
        scoreSubset(originalOf(v.p.name), m, idx, idx.map((i) => cleanPred[i]!), `${m.signature}|computed_on:original|${over}`);
      });
      if (variants.length > 0 && m.perExample) {
        const worst = s.idx.map((i) => {
          const ref = [test[i]!.completion];
          let best = cleanPred[i]!;
          let bestScore = m.perExample!(best, ref);
          variants.forEach((v, vi) => {
            if (!v.changed[i]) return;
            const p = variantPred[vi]![i]!;
            const sc = m.perExample!(p, ref);
            if (sc < bestScore) {
              bestScore = sc;
              best = p;
            }
          });
          return best;
        });
        score('worst_case', m, worst, worstSig(m));
      }
    }
    if (wantPerplexity && nll.length > 0 && s.idx.length > 0) {
      const ppl = METRICS.get('perplexity')!;
      const sliceNll = s.idx.flatMap((i) => nll[i] ?? []);
      if (s.name === ALL) nllTokens = sliceNll.length;
      const input = { predictions: [], references: [], tokenNll: sliceNll, tokenNllPerExample: s.idx.map((i) => nll[i] ?? []) };
      const v = ppl.compute(input);
      push(NONE, s.name, 'perplexity', v.value, v.n, v.signature, metricInterval(ppl, input, boot));
    }
    // Consistency and input change rate.
    const sameAll: number[] = [];
    variants.forEach((v, vi) => {
      const changed = s.idx.filter((i) => v.changed[i]);
      const sameOf = changed.map((i) => (variantPred[vi]![i] === cleanPred[i] ? 1 : 0));
      const same = sameOf.reduce((a: number, b) => a + b, 0);
      sameAll.push(...sameOf);
      push(v.p.name, s.name, 'consistency', changed.length === 0 ? 1 : same / changed.length, changed.length, consistencySignature(v.p.signature), meanInterval(sameOf, boot));
      const changedOf = s.idx.map((i) => (v.changed[i] ? 1 : 0));
      push(v.p.name, s.name, 'input_change_rate', s.idx.length === 0 ? 0 : changed.length / s.idx.length, s.idx.length, v.p.signature, meanInterval(changedOf, boot));
    });
    if (variants.length > 0) {
      const sameN = sameAll.reduce((a, b) => a + b, 0);
      push('worst_case', s.name, 'consistency', sameAll.length === 0 ? 1 : sameN / sameAll.length, sameAll.length, consistencySignature(`perturbations:${perturbationNames.join('+')}`), meanInterval(sameAll, boot));
    }
  }

  // 5. Prediction rows with per-example scores.
  const kindOf = (i: number): SliceKind => kinds.get(test[i]!.category ?? NO_CATEGORY)!;
  const scoresFor = (i: number, prediction: string, nllOf?: number[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const m of metricsFor(kindOf(i), opts.metrics)) if (m.perExample) out[m.name] = m.perExample(prediction, [test[i]!.completion]);
    if (nllOf && nllOf.length > 0) {
      out.nll_mean = nllOf.reduce((a, b) => a + b, 0) / nllOf.length;
      out.nll_tokens = nllOf.length;
    }
    return out;
  };
  // The example's slice and, for classification, its fixed label set: what a paired test between two subjects needs.
  const sliceOf = (i: number): Pick<PredictionRow, 'category' | 'labels'> => {
    const category = test[i]!.category;
    const labels = labelSets.get(category ?? NO_CATEGORY);
    return { ...(category !== undefined ? { category } : {}), ...(labels ? { labels } : {}) };
  };
  // What the request met: usage, error, cache, truncation.
  const requestOf = (j: number): Partial<PredictionRow> => {
    const c = completions[j]!;
    const t = c.truncation;
    return {
      // An API that reported no usage: unknown (stored NULL), not 0 tokens.
      ...(c.usageReported === false ? {} : { promptTokens: c.promptTokens, completionTokens: c.completionTokens }),
      ...(c.error !== undefined ? { error: c.error } : {}),
      ...(c.cached ? { cached: true } : {}),
      demonstrations: t ? t.demonstrations : jobs[j]!.prompt.contextIds.length,
      ...(t ? { demonstrationsDropped: t.demonstrationsDropped, tokensCut: t.tokensCut } : {}),
    };
  };
  const predSplit = split === 'ood' ? { split: 'ood' as const } : {};
  const predictions: PredictionRow[] = test.map((ex, i) => ({
    subject,
    ...predSplit,
    perturbation: NONE,
    exampleId: ex.id,
    input: ex.prompt,
    reference: ex.completion,
    prediction: cleanPred[i]!,
    scores: scoresFor(i, cleanPred[i]!, nll[i]),
    ...sliceOf(i),
    ...requestOf(i),
  }));
  variants.forEach((v, vi) => {
    v.changed.forEach((c, i) => {
      if (!c) return;
      predictions.push({
        subject,
        ...predSplit,
        perturbation: v.p.name,
        exampleId: test[i]!.id,
        input: v.examples[i]!.prompt,
        reference: test[i]!.completion,
        prediction: variantPred[vi]![i]!,
        scores: scoresFor(i, variantPred[vi]![i]!),
        ...sliceOf(i),
        ...requestOf(slots[vi]![i]!),
      });
    });
  });

  const cleanCompletions = completions.slice(0, test.length);
  const promptTokens = cleanCompletions.reduce((a, c) => a + c.promptTokens, 0);
  const completionTokens = cleanCompletions.reduce((a, c) => a + c.completionTokens, 0);
  const wallSeconds = (performance.now() - t0) / 1000;
  const failed = completions.filter((c) => c.error !== undefined);
  // What an API would bill for the same answered requests: the prompts as built, the answers given.
  const counter = opts.apiTokenCounter === undefined ? await loadApiTokenCounter() : opts.apiTokenCounter;
  const answered = cleanCompletions.map((c, i) => (c.error === undefined ? i : -1)).filter((i) => i >= 0);
  const apiCounts = counter
    ? {
        apiPromptTokens: answered.reduce((a, i) => a + chatTokens(clean[i]!.messages, counter), 0),
        apiCompletionTokens: answered.reduce((a, i) => a + counter.countText(cleanPred[i]!), 0),
        apiTokenizer: counter.name,
      }
    : {};
  // How the model read the clean requests: a local model says per request; an API gets messages.
  const promptFormat = provider.promptFormat
    ? combinePromptFormats(requests.slice(0, test.length).map((r) => provider.promptFormat!(r)))
    : provider.type === 'openai' ? 'messages' : undefined;
  const subjectRow: SubjectRow = {
    subject, kind, prompt: strategy, k,
    ...(promptFormat ? { promptFormat } : {}),
    ...((promptFormat === 'chat_template' || promptFormat === 'mixed') && provider.chatTemplate ? { chatTemplate: provider.chatTemplate } : {}),
    provider: provider.type, model: provider.model, endpoint: provider.endpoint,
    examples: test.length,
    answered: cleanCompletions.filter((c) => c.error === undefined).length,
    requests: completions.length,
    errors: failed.length,
    ...(failed[0] ? { firstError: failed[0].error } : {}),
    cached: completions.filter((c) => c.cached).length,
    demonstrationsDropped: cleanCompletions.filter((c) => (c.truncation?.demonstrationsDropped ?? 0) > 0).length,
    inputsCut: cleanCompletions.filter((c) => (c.truncation?.tokensCut ?? 0) > 0).length,
    noDemonstrations: k > 0 ? cleanCompletions.filter((c, i) => clean[i]!.contextIds.length - (c.truncation?.demonstrationsDropped ?? 0) <= 0).length : 0,
    promptTokens, completionTokens, wallSeconds,
    usageNotReported: cleanCompletions.filter((c) => c.error === undefined && c.usageReported === false).length,
    ...apiCounts,
  };
  return {
    rows,
    confusion,
    predictions,
    subjectRow,
    examples: test.length,
    promptTokens,
    completionTokens,
    evalPromptTokens: completions.reduce((a, c) => a + c.promptTokens, 0) + (nll.length ? promptTokens + nllTokens : 0),
    evalCompletionTokens: completions.reduce((a, c) => a + c.completionTokens, 0),
    wallSeconds,
  };
}

/**
 * A subject's row with the requests of another evaluation of the same subject added (the
 * out-of-distribution examples): `requests`, `errors`, `cached` (and the first error) count every
 * request the subject made; the clean test figures (examples, answered, tokens, truncation) stay the
 * test split's, which serving cost is priced on.
 */
export function withRequestsOf(row: SubjectRow, other: SubjectRow): SubjectRow {
  return {
    ...row,
    requests: row.requests + other.requests,
    errors: row.errors + other.errors,
    cached: row.cached + other.cached,
    ...(row.firstError === undefined && other.firstError !== undefined ? { firstError: other.firstError } : {}),
  };
}

function consistencySignature(of: string): string {
  return makeSignature({ metric: 'consistency', over: 'changed_inputs', compare: 'exact_output', of: of.replaceAll('|', ',') });
}
