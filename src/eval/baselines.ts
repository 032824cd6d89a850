/**
 * Prompt builders for the subjects scored on the same test split (DESIGN.md, Evaluation):
 *
 * - `zero_shot` (subjects `finetuned` and `base`): the example's prompt as is (the suite's template is
 *   already rendered into it).
 * - `few_shot` (subject `prompting`): k training examples prepended as demonstrations,
 *   `prompt + completion` each, separated by a blank line. The k are fixed per category (the same
 *   demonstrations for every test example of a task, as HELM's in-context examples) and drawn seeded,
 *   stratified: within the test example's category, round-robin over its labels when the category is
 *   label-like (<= 10 distinct completions; labels in a seeded order), else at random; without a category, round-robin over categories.
 * - `bm25` (subject `rag`): the top-k training examples by BM25 (wink-bm25-text-search, k1 = 1.2,
 *   b = 0.75, with wink-nlp-utils' lower-case / tokenize / stop-word / stem / negation prep tasks) over
 *   the test input, restricted to the same category, placed as context in the same demonstration format,
 *   most relevant nearest to the input.
 *
 * Every prompt is kept within `maxPromptTokens` (the model context minus the tokens reserved for the
 * completion): the test input is kept whole and the context is cut from the left (oldest / least
 * relevant demonstration first, then token by token). The prompt's token count is recorded: it drives
 * the cost comparison (prompting and RAG pay for their longer prompts on every request).
 */
import { createRequire } from 'node:module';
import { UnknownNameError } from '../errors.js';
import type { Example } from '../data/example.js';
import { groupBy } from '../collections.js';
import { shuffle } from '../random.js';
import type { Subject } from '../eval/types.js';
import { exampleRng } from './perturbations/random.js';

/** The part of a tokenizer the builders need (src/model's `TextTokenizer` satisfies it). */
export interface PromptTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

export interface PromptBuilderOptions {
  /** Demonstrations (few-shot) or retrieved examples (RAG). */
  k: number;
  seed: number;
  tokenizer: PromptTokenizer;
  /** Context budget in tokens: the model's nCtx minus maxNewTokens. */
  maxPromptTokens: number;
}

export interface BuiltPrompt {
  exampleId: string;
  prompt: string;
  /** Tokens of `prompt`. */
  promptTokens: number;
  /** Ids of the training examples placed in the context (after truncation). */
  contextIds: string[];
  /** True when demonstrations were dropped or the context was cut to fit. */
  truncated: boolean;
}

export type PromptBuilder = (example: Example) => BuiltPrompt;

export const PROMPT_STRATEGIES = ['zero_shot', 'few_shot', 'bm25'] as const;
export type PromptStrategy = (typeof PROMPT_STRATEGIES)[number];

/** Which prompt each model subject gets (`majority` has no model and no prompt: src/eval/majority.ts). */
export const SUBJECT_PROMPTS: Readonly<Record<Exclude<Subject, 'majority'>, PromptStrategy>> = {
  finetuned: 'zero_shot',
  base: 'zero_shot',
  prompting: 'few_shot',
  rag: 'bm25',
};

const DEMO_SEPARATOR = '\n\n';

/** A demonstration as it appears in a context. */
export function formatDemonstration(ex: Example): string {
  return `${ex.prompt}${ex.completion}`;
}

/**
 * `demos` (oldest first) as context before `input`, cut to `maxTokens` from the left.
 */
export function fitContext(
  demos: Example[],
  input: string,
  tokenizer: PromptTokenizer,
  maxTokens: number,
): { prompt: string; contextIds: string[]; truncated: boolean } {
  const inputTokens = tokenizer.encode(input).length;
  let kept = demos.slice();
  let truncated = false;
  const render = (ds: Example[]): string => (ds.length === 0 ? '' : ds.map(formatDemonstration).join(DEMO_SEPARATOR) + DEMO_SEPARATOR);
  while (kept.length > 1 && tokenizer.encode(render(kept)).length + inputTokens > maxTokens) {
    kept = kept.slice(1);
    truncated = true;
  }
  let context = render(kept);
  const room = maxTokens - inputTokens;
  if (kept.length > 0 && tokenizer.encode(context).length > room) {
    truncated = true;
    if (room <= 0) {
      kept = [];
      context = '';
    } else {
      const ids = tokenizer.encode(context);
      let cut = ids.slice(ids.length - room);
      context = tokenizer.decode(cut);
      // BPE may re-tokenize the decoded text differently: shrink until the whole prompt fits.
      while (cut.length > 0 && tokenizer.encode(context + input).length > maxTokens) {
        cut = cut.slice(1);
        context = tokenizer.decode(cut);
      }
    }
  }
  return { prompt: context + input, contextIds: kept.map((d) => d.id), truncated };
}

/** Round-robin over strata (strata in a seeded order, each shuffled with `rng`) until `k` items. */
function roundRobin(strata: Map<string, Example[]>, k: number, rng: () => number): Example[] {
  const lists = shuffle([...strata.keys()].sort(), rng).map((key) => shuffle(strata.get(key)!.slice(), rng));
  const out: Example[] = [];
  for (let i = 0; out.length < k && lists.some((l) => i < l.length); i++) {
    for (const l of lists) if (i < l.length && out.length < k) out.push(l[i]!);
  }
  return out;
}

/**
 * The k few-shot demonstrations for a category (see the module comment for the stratification).
 * Deterministic in (train, category, k, seed).
 */
export function selectFewShot(train: Example[], category: string | undefined, k: number, seed: number): Example[] {
  if (k <= 0 || train.length === 0) return [];
  const rng = exampleRng(seed, 'few_shot', category ?? '');
  const inCategory = category === undefined ? [] : train.filter((e) => e.category === category);
  if (inCategory.length === 0) return roundRobin(groupBy(train, (e) => e.category ?? ''), k, rng);
  const byLabel = groupBy(inCategory, (e) => e.completion.trim());
  return byLabel.size <= 10 ? roundRobin(byLabel, k, rng) : shuffle(inCategory.slice(), rng).slice(0, k);
}

interface Bm25Engine {
  defineConfig(c: { fldWeights: Record<string, number>; bm25Params?: Record<string, number>; ovFldNames?: string[] }): void;
  definePrepTasks(tasks: ((x: unknown) => unknown)[], field?: string): number;
  addDoc(doc: Record<string, string>, id: string | number): void;
  consolidate(fp?: number): void;
  search(text: string, limit?: number, filter?: (fields: Record<string, string>, params: unknown) => boolean, params?: unknown): [string, number][];
}

/** A BM25 index over the training inputs; `retrieve` returns the top-k of the same category, best first. */
export function createBm25Retriever(train: Example[]): (query: string, k: number, category?: string) => Example[] {
  // wink-bm25-text-search refuses to consolidate fewer than 3 documents: then nothing is retrieved.
  if (train.length < 3) return () => [];
  const require = createRequire(import.meta.url);
  const bm25 = require('wink-bm25-text-search') as () => Bm25Engine;
  const nlp = require('wink-nlp-utils') as {
    string: Record<string, (x: unknown) => unknown>;
    tokens: Record<string, (x: unknown) => unknown>;
  };
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: 1.2, b: 0.75, k: 1 }, ovFldNames: ['category'] });
  engine.definePrepTasks([nlp.string.lowerCase!, nlp.string.tokenize0!, nlp.tokens.removeWords!, nlp.tokens.stem!, nlp.tokens.propagateNegations!]);
  train.forEach((e, i) => engine.addDoc({ body: e.prompt, category: e.category ?? '' }, i));
  engine.consolidate();
  return (query, k, category) => {
    if (k <= 0) return [];
    const hits =
      category === undefined
        ? engine.search(query, k)
        : engine.search(query, k, (fields, params) => fields.category === params, category);
    return hits.map(([id]) => train[Number(id)]!);
  };
}

/**
 * The prompt builder of a subject over a training split. Build it once per split (RAG indexes the
 * training inputs), then call it per test example (clean or perturbed).
 * @throws UnknownNameError for an unknown subject.
 */
export function createPromptBuilder(subject: Subject, train: Example[], opts: PromptBuilderOptions): PromptBuilder {
  const strategy = SUBJECT_PROMPTS[subject as Exclude<Subject, 'majority'>];
  if (strategy === undefined || !Object.hasOwn(SUBJECT_PROMPTS, subject)) {
    throw new UnknownNameError('subject', subject, Object.keys(SUBJECT_PROMPTS));
  }
  const { tokenizer, maxPromptTokens } = opts;
  const finish = (ex: Example, demos: Example[]): BuiltPrompt => {
    const fit = fitContext(demos, ex.prompt, tokenizer, maxPromptTokens);
    return { exampleId: ex.id, prompt: fit.prompt, promptTokens: tokenizer.encode(fit.prompt).length, contextIds: fit.contextIds, truncated: fit.truncated };
  };
  switch (strategy) {
    case 'zero_shot':
      return (ex) => finish(ex, []);
    case 'few_shot': {
      const cache = new Map<string, Example[]>();
      return (ex) => {
        const key = ex.category ?? '\u0000none';
        let demos = cache.get(key);
        if (!demos) {
          demos = selectFewShot(train, ex.category, opts.k, opts.seed);
          cache.set(key, demos);
        }
        return finish(ex, demos);
      };
    }
    case 'bm25': {
      const retrieve = createBm25Retriever(train);
      // best first from BM25; reversed so the most relevant sits next to the input and is cut last.
      return (ex) => finish(ex, retrieve(ex.prompt, opts.k, ex.category).reverse());
    }
  }
}
