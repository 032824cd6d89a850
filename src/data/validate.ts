/**
 * `fte data validate`: row errors with line numbers, token statistics, category balance, exact and
 * normalised duplicates, conflicting completions, PII findings (masked) and over-long examples.
 * Errors are rows that cannot be used (they make the command exit 1); everything else is a warning.
 */
import type { Example } from '../data/example.js';
import { groupBy } from '../collections.js';
import type { DatasetFormat, RowError } from './formats.js';
import { NO_CATEGORY } from './manifest.js';
import { exactKey, normalizedKey, normalizeText } from './normalize.js';
import { findPii, maskPii, PII_KINDS, type PiiKind } from './pii.js';
import { readJsonlFile, type ReadResult } from './read.js';

/**
 * Counts tokens the way a model will see them. The data stage does not load models: the command
 * builds this from the model folder (src/model) and passes it in.
 */
export interface TokenCounter {
  /** E.g. `byte` or `gpt2-bpe`. */
  name: string;
  /** Context length in tokens (prompt + completion + end token must fit). */
  contextLength: number;
  count(text: string): number;
}

/** fte's built-in byte-level tokenizer: one token per UTF-8 byte; context 256 (models/fte-tiny-base). */
export const BYTE_COUNTER: TokenCounter = {
  name: 'byte',
  contextLength: 256,
  count: (text) => Buffer.byteLength(text, 'utf8'),
};

/** Distribution summary; percentiles by linear interpolation between order statistics (numpy's default). */
export interface Summary {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface PiiFinding {
  kind: PiiKind;
  /** Occurrences. */
  count: number;
  /** Lines holding at least one (sorted, unique). */
  lines: number[];
  /** Up to three masked examples. */
  samples: string[];
}

export interface ValidationReport {
  file: string;
  bytes: number;
  lines: number;
  blankLines: number;
  /** Non-blank rows = examples + errors. */
  rows: number;
  examples: number;
  formats: Partial<Record<DatasetFormat, number>>;
  /** The format counts when valid rows use more than one format (a warning), else null. */
  mixedFormats: Partial<Record<DatasetFormat, number>> | null;
  errors: RowError[];
  errorCounts: Record<string, number>;
  tokenizer: { name: string; contextLength: number };
  /** Tokens per example; completion includes the end token. Null when there are no valid examples. */
  tokens: { prompt: Summary; completion: Summary; total: Summary } | null;
  categories: { category: string; count: number; share: number }[];
  /** Groups of lines with identical prompt and completion. */
  exactDuplicates: number[][];
  /** Groups equal after folding case, whitespace and punctuation, not all exact copies of each other. */
  normalizedDuplicates: number[][];
  /** Same (normalised) prompt with different completions: lines and the number of distinct completions. */
  conflicts: { lines: number[]; completions: number }[];
  pii: PiiFinding[];
  /** Examples whose prompt + completion + end token exceed the context. */
  tooLong: { line: number; tokens: number }[];
  /**
   * Number of findings listed as warnings, one per row of the human tables: each exact-duplicate
   * group, normalised-duplicate group, conflict group, the over-long set, mixed formats, and each PII kind.
   */
  warnings: number;
  /** True when no row has an error (warnings allowed). */
  ok: boolean;
}

/** Linear-interpolation percentile (numpy `percentile(..., method='linear')`) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), max: s[s.length - 1] ?? 0, mean: round(mean) };
}

const lineOf = (e: Example): number => Number(e.meta?.line ?? 0);

/** Validates parsed rows (see `validateDataset`). */
export function validateRows(read: ReadResult, counter: TokenCounter = BYTE_COUNTER, opts: { foldCase?: boolean } = {}): ValidationReport {
  const fold = opts.foldCase ?? false;
  const errors: RowError[] = [];
  const examples: Example[] = [];
  const formats: Partial<Record<DatasetFormat, number>> = {};
  for (const r of read.rows) {
    if (r.ok) {
      examples.push(r.example);
      formats[r.format] = (formats[r.format] ?? 0) + 1;
    } else errors.push(r.error);
  }
  const errorCounts: Record<string, number> = {};
  for (const e of errors) errorCounts[e.kind] = (errorCounts[e.kind] ?? 0) + 1;

  // Tokens: completion gets one end-of-text token.
  const promptTokens = examples.map((e) => counter.count(e.prompt));
  const completionTokens = examples.map((e) => counter.count(e.completion) + 1);
  const totals = promptTokens.map((p, i) => p + completionTokens[i]!);
  const tooLong = examples.flatMap((e, i) => (totals[i]! > counter.contextLength ? [{ line: lineOf(e), tokens: totals[i]! }] : []));

  const catCounts = groupBy(examples, (e) => e.category ?? NO_CATEGORY);
  const categories = [...catCounts.entries()]
    .map(([category, g]) => ({ category, count: g.length, share: Math.round((g.length / Math.max(1, examples.length)) * 1000) / 1000 }))
    .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : 1));

  const exactGroups = [...groupBy(examples, (e) => exactKey(e.prompt, e.completion)).values()].filter((g) => g.length > 1);
  const normGroups = [...groupBy(examples, (e) => normalizedKey(e.prompt, e.completion, fold)).values()].filter(
    (g) => g.length > 1 && new Set(g.map((e) => exactKey(e.prompt, e.completion))).size > 1,
  );
  const conflicts = [...groupBy(examples, (e) => normalizeText(e.prompt, true)).values()]
    .map((g) => ({ g, completions: new Set(g.map((e) => normalizeText(e.completion, fold))).size }))
    .filter(({ completions }) => completions > 1)
    .map(({ g, completions }) => ({ lines: g.map(lineOf), completions }));

  // PII in the text of valid examples (prompt and completion).
  const pii = new Map<PiiKind, PiiFinding>();
  for (const e of examples) {
    for (const m of findPii(`${e.prompt}\n${e.completion}`)) {
      let f = pii.get(m.kind);
      if (!f) pii.set(m.kind, (f = { kind: m.kind, count: 0, lines: [], samples: [] }));
      f.count++;
      const line = lineOf(e);
      if (f.lines[f.lines.length - 1] !== line) f.lines.push(line);
      if (f.samples.length < 3) f.samples.push(maskPii(m.value));
    }
  }
  const piiFindings = PII_KINDS.flatMap((k) => (pii.has(k) ? [pii.get(k)!] : []));

  const exactDuplicates = exactGroups.map((g) => g.map(lineOf));
  const normalizedDuplicates = normGroups.map((g) => g.map(lineOf));
  const mixedFormats = Object.keys(formats).length > 1 ? formats : null;
  const warnings =
    exactDuplicates.length +
    normalizedDuplicates.length +
    conflicts.length +
    (tooLong.length ? 1 : 0) +
    (mixedFormats ? 1 : 0) +
    piiFindings.length;
  return {
    file: read.path,
    bytes: read.bytes,
    lines: read.lines,
    blankLines: read.blankLines,
    rows: read.rows.length,
    examples: examples.length,
    formats,
    mixedFormats,
    errors,
    errorCounts,
    tokenizer: { name: counter.name, contextLength: counter.contextLength },
    tokens: examples.length ? { prompt: summarize(promptTokens), completion: summarize(completionTokens), total: summarize(totals) } : null,
    categories,
    exactDuplicates,
    normalizedDuplicates,
    conflicts,
    pii: piiFindings,
    tooLong,
    warnings,
    ok: errors.length === 0,
  };
}

/**
 * Validates a JSONL dataset file.
 * @throws UserInputError (exit 2) when the file is unreadable, empty or not JSONL.
 */
export function validateDataset(path: string, counter: TokenCounter = BYTE_COUNTER, opts: { foldCase?: boolean } = {}): ValidationReport {
  return validateRows(readJsonlFile(path), counter, opts);
}
