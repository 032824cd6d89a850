/**
 * Prompt builders for the subjects scored on the same test split (DESIGN.md, Evaluation). A prompt is a
 * canonical chat (src/providers/types.ts): an optional system message, demonstrations as alternating
 * user/assistant turns (the training example's prompt, then its completion), and the test example's
 * input as the final user message. Each provider renders it: an API sends the messages as they are; a
 * local model without a chat template reads them as text (`prompt + completion` per demonstration,
 * blank-line separated, src/providers/chat-text.ts) and fits them to its context there, recording
 * what it cut. A local model with a chat template reads a chat row asked with no demonstrations
 * (`BuiltPrompt.chat`) through its template, as it was trained, and everything else as flat text.
 * Which of these a subject's model read is recorded with the subject (`SubjectRow.promptFormat` and
 * `chatTemplate`) and shown beside its prompt (src/eval/subject-notes.ts `promptLabel`: `zero-shot,
 * chat template <model>/tokenizer_config.json sha256:…`, `few-shot (k = 4), flat text`).
 *
 * - `zero_shot` (fine-tuned run, `base`): the example's prompt alone (the suite's template is already
 *   rendered into it).
 * - `few_shot` (`prompting`): k demonstrations from the training split, the same for every test
 *   example of a task (as HELM's in-context examples), drawn seeded and **independently of the test
 *   example's label**: balanced round-robin over the labels (distinct completions) when the task is
 *   label-like (<= 10 distinct completions; labels in a seeded order), else at random. When the
 *   dataset's categories are tasks (e.g. `classify`, `subject`), demonstrations come from the test
 *   example's task; when they are the labels themselves (a dataset whose `label` field became the
 *   category: each category has one completion), the whole training split is one task, so a test
 *   example never gets demonstrations of only its own class.
 * - `bm25` (`rag`): the top-k training examples by BM25 (wink-bm25-text-search, k1 = 1.2, b = 0.75,
 *   with wink-nlp-utils' lower-case / tokenize / stop-word / stem / negation prep tasks) over the test
 *   input, by input similarity only (restricted to the test example's task when categories are tasks,
 *   never to its label), placed as demonstration turns, most relevant nearest to the input.
 */
import { createRequire } from 'node:module';
import { UnknownNameError } from '../errors.js';
import { type Example, chatMessagesOf } from '../data/example.js';
import { groupBy } from '../collections.js';
import { shuffle } from '../random.js';
import type { ChatMessage } from '../providers/types.js';
import { chatMessages } from '../providers/chat-text.js';
import { exampleRng } from './perturbations/random.js';
import { normalizeLabel } from './labels.js';

/** The part of a tokenizer the local prompt path needs (src/model's `TextTokenizer` satisfies it). */
export interface PromptTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

export interface PromptBuilderOptions {
  /** Demonstrations (few-shot) or retrieved examples (RAG). */
  k: number;
  seed: number;
  /** System message; none when absent or empty. */
  system?: string;
}

export interface BuiltPrompt {
  exampleId: string;
  messages: ChatMessage[];
  /** Zero-shot prompts of chat rows: the example's conversation up to the reply (see `ChatRequest.chat`). */
  chat?: ChatMessage[];
  /** Ids of the training examples placed as demonstrations, oldest first (before any truncation by a local model's context). */
  contextIds: string[];
}

export type PromptBuilder = (example: Example) => BuiltPrompt;

export const PROMPT_STRATEGIES = ['zero_shot', 'few_shot', 'bm25'] as const;
export type PromptStrategy = (typeof PROMPT_STRATEGIES)[number];

/** The prompt of each built-in subject kind (`majority` has no model and no prompt: src/eval/majority.ts). */
export const SUBJECT_PROMPTS: Readonly<Record<'finetuned' | 'base' | 'prompting' | 'rag', PromptStrategy>> = {
  finetuned: 'zero_shot',
  base: 'zero_shot',
  prompting: 'few_shot',
  rag: 'bm25',
};

/** A demonstration as text (what a local model reads: the example's prompt followed by its completion). */
export function formatDemonstration(ex: Example): string {
  return `${ex.prompt}${ex.completion}`;
}

/**
 * Whether the categories of `train` are labels rather than tasks: at least two categories, and in
 * every category one answer (normalised as a classification label: case, surrounding space and
 * punctuation ignored, src/eval/labels.ts) makes up at least 90% of its examples, i.e. the category
 * all but determines the answer. A dataset whose `label` field became the category is caught even when
 * a few rows write the answer differently.
 */
export function categoriesAreLabels(train: Example[]): boolean {
  const byCat = groupBy(train.filter((e) => e.category !== undefined), (e) => e.category!);
  if (byCat.size < 2) return false;
  return [...byCat.values()].every((g) => {
    const counts = new Map<string, number>();
    for (const e of g) {
      const k = normalizeLabel(e.completion);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return Math.max(...counts.values()) >= 0.9 * g.length;
  });
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
 * The k few-shot demonstrations for a test example's category (see the module comment): never
 * selected by the test example's label. Deterministic in (train, category, k, seed).
 * @param categoryIsLabel whether categories are labels (default: `categoriesAreLabels(train)`).
 */
export function selectFewShot(train: Example[], category: string | undefined, k: number, seed: number, categoryIsLabel = categoriesAreLabels(train)): Example[] {
  if (k <= 0 || train.length === 0) return [];
  const byLabelOf = (xs: Example[]) => groupBy(xs, (e) => normalizeLabel(e.completion));
  if (categoryIsLabel) return roundRobin(byLabelOf(train), k, exampleRng(seed, 'few_shot', '\u0000labels'));
  const rng = exampleRng(seed, 'few_shot', category ?? '');
  const inCategory = category === undefined ? [] : train.filter((e) => e.category === category);
  if (inCategory.length === 0) return roundRobin(groupBy(train, (e) => e.category ?? ''), k, rng);
  const byLabel = byLabelOf(inCategory);
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

/** Demonstration turns of `demos` (oldest first). */
function demonstrationTurns(demos: Example[]): { user: string; assistant: string }[] {
  return demos.map((d) => ({ user: d.prompt, assistant: d.completion }));
}

/**
 * The prompt builder of a prompt strategy (or a built-in subject kind) over a training split. Build
 * it once per split (RAG indexes the training inputs), then call it per test example (clean or
 * perturbed).
 * @throws UnknownNameError for an unknown strategy.
 */
export function createPromptBuilder(strategyOrSubject: string, train: Example[], opts: PromptBuilderOptions): PromptBuilder {
  const strategy: PromptStrategy | undefined = (PROMPT_STRATEGIES as readonly string[]).includes(strategyOrSubject)
    ? (strategyOrSubject as PromptStrategy)
    : Object.hasOwn(SUBJECT_PROMPTS, strategyOrSubject)
      ? SUBJECT_PROMPTS[strategyOrSubject as keyof typeof SUBJECT_PROMPTS]
      : undefined;
  if (strategy === undefined) throw new UnknownNameError('prompt strategy', strategyOrSubject, [...PROMPT_STRATEGIES, ...Object.keys(SUBJECT_PROMPTS)]);
  const system = opts.system ? opts.system : undefined;
  const finish = (ex: Example, demos: Example[]): BuiltPrompt => {
    const conversation = demos.length === 0 ? chatMessagesOf(ex) : undefined;
    let chat = conversation?.slice(0, -1) as ChatMessage[] | undefined;
    if (chat && system && chat[0]?.role !== 'system') chat = [{ role: 'system', content: system }, ...chat];
    return {
      exampleId: ex.id,
      messages: chatMessages({ ...(system ? { system } : {}), demonstrations: demonstrationTurns(demos), input: ex.prompt }),
      ...(chat ? { chat } : {}),
      contextIds: demos.map((d) => d.id),
    };
  };
  const labelsAsCategories = categoriesAreLabels(train);
  switch (strategy) {
    case 'zero_shot':
      return (ex) => finish(ex, []);
    case 'few_shot': {
      const cache = new Map<string, Example[]>();
      return (ex) => {
        const key = labelsAsCategories ? '\u0000labels' : (ex.category ?? '\u0000none');
        let demos = cache.get(key);
        if (!demos) {
          demos = selectFewShot(train, ex.category, opts.k, opts.seed, labelsAsCategories);
          cache.set(key, demos);
        }
        return finish(ex, demos);
      };
    }
    case 'bm25': {
      const retrieve = createBm25Retriever(train);
      // best first from BM25; reversed so the most relevant sits next to the input and is dropped last.
      return (ex) => finish(ex, retrieve(ex.prompt, opts.k, labelsAsCategories ? undefined : ex.category).reverse());
    }
  }
}
