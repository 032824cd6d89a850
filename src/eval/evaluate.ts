/**
 * The scoring harness: one subject (fine-tuned model, base model, prompting or RAG baseline) on a test
 * split, clean and under every perturbation, every metric per slice.
 *
 * 1. Prompts: the subject's prompt builder (src/eval/baselines.ts) over the clean test inputs and over
 *    each perturbation's inputs (perturbed template-aware and seeded, src/eval/perturbations). Inputs a
 *    perturbation leaves unchanged are not generated again: they reuse the clean prediction.
 * 2. Generation: every prompt of every variant in one batched call (greedy unless told otherwise;
 *    stop at a newline by default, the built-in suite's completion ends there).
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
 *    - `perplexity` (clean only): exp(mean token NLL) of the reference completions given the
 *      subject's clean prompts; n = tokens.
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
 * Token usage: `promptTokens` / `completionTokens` are the totals over the clean test requests (one
 * request per example: what serving costs), `evalPromptTokens` / `evalCompletionTokens` everything
 * this evaluation processed (perturbed variants and the NLL pass included).
 */
import type { Example } from '../data/example.js';
import type { ConfusionRow, EvalRow, EvalSplit, PredictionRow, Subject } from '../eval/types.js';
import { DEFAULT_BOOTSTRAP, meanInterval, metricInterval, type BootstrapSpec, type IntervalFields } from './intervals.js';
import { labelSet, mapToLabel } from './labels.js';
import { createPromptBuilder, type BuiltPrompt, type PromptTokenizer } from './baselines.js';
import { generate, tokenNll, type CausalLM, type DecodeTokenizer, type Generation, type GenerateOptions } from './generate.js';
import { METRICS, getMetric, type MetricDef } from './metrics/registry.js';
import { ALL_SLICE, NO_CATEGORY, buildSlices, inferSliceKinds, metricsFor, sliceLabelSets, wantsPerplexity, type SliceKind } from './slices.js';

export { inferSliceKinds } from './slices.js';
import { makeSignature } from './metrics/signature.js';
import { getPerturbation, perturbExamples, type PerturbationParams } from './perturbations/index.js';

/** What the harness needs from a model: decoding and token NLL (see `modelGenerator`). */
export interface Generator {
  /** Context length in tokens. */
  readonly nCtx: number;
  readonly tokenizer: PromptTokenizer;
  generate(prompts: string[], opts: GenerateOptions): Promise<Generation[]>;
  /** NLL (nats) of each completion token given its prompt. */
  tokenNll(prompts: string[], completions: string[]): Promise<number[][]>;
}

export interface EvaluateSubjectOptions {
  subject: Subject;
  model: Generator;
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
export const ORIGINAL_SUFFIX = ':original';
/** The perturbation value of the paired clean rows of `perturbation` (HELM's `computed_on=original`). */
export const originalOf = (perturbation: string): string => `${perturbation}${ORIGINAL_SUFFIX}`;


/** Evaluate one subject. See the module comment for what is produced. */
export async function evaluateSubject(opts: EvaluateSubjectOptions): Promise<EvaluateSubjectResult> {
  const t0 = performance.now();
  const { subject, model, test, train, seed, maxNewTokens } = opts;
  for (const name of opts.metrics ?? []) getMetric(name); // unknown names fail before any work
  const perturbationNames = [...new Set(opts.perturbations.filter((p) => p !== NONE))];
  const perturbations = perturbationNames.map((p) => getPerturbation(p, opts.perturbationParams?.[p]));

  // 1. Prompts, clean and perturbed.
  const build = createPromptBuilder(subject, train, {
    k: subject === 'rag' ? opts.ragK : opts.fewShotK,
    seed,
    tokenizer: model.tokenizer,
    maxPromptTokens: Math.max(1, model.nCtx - maxNewTokens),
  });
  const clean = test.map((ex) => build(ex));
  const variants = perturbations.map((p) => {
    const { examples, changed } = perturbExamples(test, p, seed);
    return { p, examples, changed, built: examples.map((ex, i) => (changed[i] ? build(ex) : clean[i]!)) };
  });

  // 2. One batched generation over everything that needs generating.
  const jobs: { prompt: BuiltPrompt; key: string }[] = clean.map((b) => ({ prompt: b, key: `${NONE}:${b.exampleId}` }));
  const slots: number[][] = variants.map((v) => v.changed.map((c, i) => (c ? jobs.push({ prompt: v.built[i]!, key: `${v.p.name}:${test[i]!.id}` }) - 1 : i)));
  const generations = await model.generate(
    jobs.map((j) => j.prompt.prompt),
    { maxNewTokens, stop: opts.stop ?? ['\n'], temperature: opts.temperature, topP: opts.topP, seed, keys: jobs.map((j) => j.key) },
  );
  const cleanPred = test.map((_, i) => generations[i]!.text);
  const variantPred = variants.map((_, v) => slots[v]!.map((j) => generations[j]!.text));

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
  if (wantPerplexity && test.length > 0) {
    nll = await model.tokenNll(clean.map((b) => b.prompt), test.map((e) => e.completion));
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
    if (wantPerplexity && s.idx.length > 0) {
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
  const predictions: PredictionRow[] = test.map((ex, i) => ({
    subject,
    perturbation: NONE,
    exampleId: ex.id,
    input: ex.prompt,
    reference: ex.completion,
    prediction: cleanPred[i]!,
    scores: scoresFor(i, cleanPred[i]!, nll[i]),
    ...sliceOf(i),
  }));
  variants.forEach((v, vi) => {
    v.changed.forEach((c, i) => {
      if (!c) return;
      predictions.push({
        subject,
        perturbation: v.p.name,
        exampleId: test[i]!.id,
        input: v.examples[i]!.prompt,
        reference: test[i]!.completion,
        prediction: variantPred[vi]![i]!,
        scores: scoresFor(i, variantPred[vi]![i]!),
        ...sliceOf(i),
      });
    });
  });

  const promptTokens = clean.reduce((a, b) => a + b.promptTokens, 0);
  const completionTokens = generations.slice(0, test.length).reduce((a, g) => a + g.completionTokens, 0);
  return {
    rows,
    confusion,
    predictions,
    examples: test.length,
    promptTokens,
    completionTokens,
    evalPromptTokens: jobs.reduce((a, j) => a + j.prompt.promptTokens, 0) + (nll.length ? promptTokens + nllTokens : 0),
    evalCompletionTokens: generations.reduce((a, g) => a + g.completionTokens, 0),
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

function consistencySignature(of: string): string {
  return makeSignature({ metric: 'consistency', over: 'changed_inputs', compare: 'exact_output', of: of.replaceAll('|', ',') });
}

/** A `Generator` over a causal LM and its tokenizer (src/eval/generate.ts). */
export function modelGenerator(model: CausalLM, tokenizer: DecodeTokenizer, batchSize = 16): Generator {
  return {
    nCtx: model.config.nCtx,
    tokenizer,
    generate: (prompts, o) => generate(model, tokenizer, prompts, { batchSize, ...o }),
    tokenNll: (prompts, completions) => tokenNll(model, tokenizer, prompts, completions, batchSize),
  };
}
