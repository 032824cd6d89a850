/**
 * The data stage's entry points: `loadDataset` (what the orchestrator calls), `validateDataset`
 * (`fte data validate`), `prepareDataset` (`fte data prepare`), and the built-in suites.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { UserInputError } from '../errors.js';
import type { Example } from '../data/example.js';
import { fingerprintSplits, SPLIT_NAMES, type DatasetManifest, type SplitName } from './manifest.js';
import { DEFAULT_SEED, DEFAULT_SPLIT, prepareRows, writePrepared } from './prepare.js';
import { BYTE_COUNTER, validateDataset, type TokenCounter, type ValidationReport } from './validate.js';
import { readJsonlFile } from './read.js';
import { takeStratified } from './split.js';
import { buildSuite, type SuiteSizes } from './suites/index.js';
import { resolveSuiteDir } from './suites/suite.js';
import { withOodFile } from './ood.js';

export { detectFormat, normalizeRow, DATASET_FORMATS, type DatasetFormat, type RowError, type RowErrorKind } from './formats.js';
export { readJsonlFile, parseJsonlBytes, type ReadResult, type SourceRow } from './read.js';
export { findPii, scrubPii, maskPii, luhnValid, PII_KINDS, PII_PLACEHOLDERS, type PiiKind, type PiiMatch, type PiiCounts } from './pii.js';
export { normalizeText } from './normalize.js';
export { stratifiedSplit, splitSizes, takeStratified } from './split.js';
export { fingerprintSplits, isOod, NO_CATEGORY, OOD_SPLIT, SPLIT_NAMES, type DatasetManifest, type SplitName } from './manifest.js';
export { prepareDataset, prepareRows, writePrepared, writeFilesAtomically, parseSplit, DEFAULT_SPLIT, DEFAULT_SEED, type PrepareOptions, type PrepareResult, type RejectRow } from './prepare.js';
export { buildSuite, SUITE_BUILDERS, type SuiteSizes, type SuiteBuildResult } from './suites/index.js';
export { prepareSource, prepareSuite, type PrepareSourceOptions } from './prepare-source.js';
export { resolveSuiteDir, loadSuiteDescription, type SuiteDescription, type SuiteTask } from './suites/suite.js';
export { validateDataset, validateRows, percentile, summarize, BYTE_COUNTER, type TokenCounter, type ValidationReport, type Summary, type PiiFinding } from './validate.js';
export { renderValidation, renderPrepare } from './render.js';

/**
 * `fte data validate`: check the JSONL file behind `src` (a file, or an eval suite's raw rows, see
 * `resolveDataSource`) with `counter` (default byte-level, context 256).
 */
export async function validateSource(src: string, o: { counter?: TokenCounter; foldCase?: boolean; seed?: number } = {}): Promise<ValidationReport> {
  const file = await resolveDataSource(src, { seed: o.seed ?? DEFAULT_SEED });
  return validateDataset(file, o.counter ?? BYTE_COUNTER, { foldCase: o.foldCase });
}

/**
 * The JSONL file behind a data source: the path itself, or for an eval suite (folder or built-in
 * name) the raw candidate rows (`source.jsonl`) of its cached build, before scrubbing and dedup.
 */
export async function resolveDataSource(src: string, opts: { seed: number; cacheDir?: string }): Promise<string> {
  const suiteDir = resolveSuiteDir(src);
  if (!suiteDir) return src;
  const built = await buildSuite(suiteDir, { seed: opts.seed, cacheDir: opts.cacheDir });
  const file = join(built.dir, 'source.jsonl');
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

export interface LoadDatasetOptions {
  /** Split seed (and a suite's sampling seed). */
  seed: number;
  /** Fractions for a raw JSONL file. Default [0.8, 0.1, 0.1]. Ignored for suites and prepared folders. */
  split?: [number, number, number];
  /** Cache root for suites and prepared JSONL files. Default `.fte/cache`. */
  cacheDir?: string;
  /** Keep at most this many training examples (stratified by category). */
  limitTrain?: number;
  /** Keep at most this many val and this many test examples (stratified by category). */
  limitEval?: number;
  /** Suite sizes (all tasks together) instead of the suite's defaults. */
  suiteSizes?: SuiteSizes;
  /**
   * For a raw JSONL file: most rows that may be unusable (malformed, unknown format, over the byte
   * cap) and dropped with a warning; more is refused. A count (`5`) or a share of the non-blank rows
   * (`'1%'`). Default DEFAULT_MAX_BAD_ROWS (`'1%'`).
   */
  maxBadRows?: number | string;
  /**
   * The out-of-distribution split (`evaluate.ood`): a JSONL file that replaces the dataset's own
   * (src/data/ood.ts), or false for none (the dataset's `ood.jsonl` is not read). Default: the
   * dataset's own, if it has one.
   */
  ood?: string | false;
}

/** Version of how a raw JSONL file is prepared (part of its cache key). 2: rows marked "ood" are held out. */
export const PREPARE_FORMAT_VERSION = 2;

/** Default share of unusable rows a raw JSONL dataset may have (dropped with a warning); above it is refused. */
export const DEFAULT_MAX_BAD_ROWS = '1%';

export interface LoadedDataset {
  train: Example[];
  val: Example[];
  test: Example[];
  /** Out-of-distribution examples (`ood.jsonl`), evaluated only; empty when the dataset has none. */
  ood: Example[];
  manifest: DatasetManifest;
  /** Folder holding train/val/test.jsonl + manifest.json (the full splits, before limits). */
  dir: string;
  /** One sentence per problem that did not stop loading (rows dropped from a raw JSONL file). */
  warnings: string[];
}

/** Stratum used by the limits: category, plus `meta.label` when present (e.g. spam/ham). */
const limitStratum = (e: Example): string => `${e.category ?? ''}:${String(e.meta?.label ?? '')}`;

/** Reads one prepared split file (Example per line, as `prepareRows` writes it). @throws UserInputError naming file and line. */
export function readPreparedSplit(file: string): Example[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserInputError(`${file}: cannot read`);
  }
  const out: Example[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: Partial<Example>;
    try {
      v = JSON.parse(line) as Partial<Example>;
    } catch {
      throw new UserInputError(`${file}: line ${i + 1}: malformed JSON`);
    }
    if (typeof v.id !== 'string' || typeof v.prompt !== 'string' || typeof v.completion !== 'string') {
      throw new UserInputError(`${file}: line ${i + 1}: expected a prepared example {id, prompt, completion}`);
    }
    out.push(v as Example);
  });
  return out;
}

/**
 * Reads a prepared folder (train/val/test.jsonl + manifest.json), applying the limits. The split
 * files must still match the manifest's fingerprint (`fingerprintSplits`): a folder edited after
 * `fte data prepare` is refused, since the variant keys and stored results name that fingerprint.
 * @throws UserInputError when a file is missing or malformed, or the content no longer matches the fingerprint.
 */
export function readPrepared(dir: string, limits: { limitTrain?: number; limitEval?: number } = {}): LoadedDataset {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new UserInputError(`${dir}: not a prepared dataset (no manifest.json)`);
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as DatasetManifest;
  } catch {
    throw new UserInputError(`${manifestPath}: malformed JSON; re-run fte data prepare`);
  }
  const contents = {} as Record<SplitName, string> & { ood?: string };
  const oodFile = typeof manifest.files?.ood === 'string' ? manifest.files.ood : undefined;
  for (const name of [...SPLIT_NAMES, ...(oodFile ? (['ood'] as const) : [])]) {
    const file = join(dir, name === 'ood' ? oodFile! : (manifest.files?.[name] ?? `${name}.jsonl`));
    try {
      contents[name] = readFileSync(file, 'utf8');
    } catch {
      throw new UserInputError(`${file}: cannot read`);
    }
  }
  const actual = fingerprintSplits(contents);
  if (actual !== manifest.fingerprint) {
    throw new UserInputError(
      `${dir}: train/val/test files changed since fte data prepare (fingerprint ${actual.slice(0, 12)}, manifest says ${String(manifest.fingerprint).slice(0, 12)}); re-run fte data prepare (or delete the folder if it is a cache)`,
    );
  }
  const splits = {} as Record<SplitName, Example[]>;
  for (const name of SPLIT_NAMES) splits[name] = readPreparedSplit(join(dir, manifest.files?.[name] ?? `${name}.jsonl`));
  const lim = (xs: Example[], n?: number) => (n === undefined ? xs : takeStratified(xs, n, limitStratum));
  return {
    train: lim(splits.train, limits.limitTrain),
    val: lim(splits.val, limits.limitEval),
    test: lim(splits.test, limits.limitEval),
    ood: oodFile ? lim(readPreparedSplit(join(dir, oodFile)), limits.limitEval) : [],
    manifest,
    dir,
    warnings: [],
  };
}

/** Parses `--max-bad-rows`: a count (`5`) or a percentage (`1%`) of `rows`. @throws UserInputError when malformed. */
export function maxBadRowsOf(spec: number | string, rows: number): number {
  const text = String(spec).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  if (!m) throw new UserInputError(`--max-bad-rows: expected a count like 5 or a share like 1%, got '${text}'`);
  return m[2] ? Math.floor((Number(m[1]) / 100) * rows) : Number(m[1]);
}

/** Drops/refuses unusable rows of a raw JSONL file prepared with default options (see LoadDatasetOptions.maxBadRows). */
function checkBadRows(src: string, data: LoadedDataset, maxBadRows: number | string): LoadedDataset {
  const m = data.manifest;
  // OOD rows left out because their prompt is in train/val/test are not unusable rows: said, not counted.
  const oodLeft = m.rejects.ood_in_distribution ?? 0;
  if (oodLeft > 0) data = { ...data, warnings: [...data.warnings, `${src}: ${oodLeft} rows marked "ood" left out: their prompts are in train/val/test`] };
  const bad = m.counts.rejected - oodLeft;
  if (bad === 0) return data;
  const kinds = Object.entries(m.rejects).filter(([k]) => k !== 'ood_in_distribution').map(([k, n]) => `${k} ${n}`).join(', ');
  let first = '';
  try {
    const line = readFileSync(join(data.dir, m.files.rejects), 'utf8').split('\n')[0];
    first = line ? `; first: ${(JSON.parse(line) as { reason: string }).reason}` : '';
  } catch {
    // The reason is a courtesy; the counts come from the manifest.
  }
  const limit = maxBadRowsOf(maxBadRows, m.counts.input);
  if (bad > limit) {
    throw new UserInputError(`${src}: ${bad} of ${m.counts.input} rows unusable (${kinds}${first}), over --max-bad-rows ${String(maxBadRows)}; fix them, or prepare with fte data prepare`);
  }
  return { ...data, warnings: [...data.warnings, `${src}: ${bad} of ${m.counts.input} rows dropped (${kinds}${first})`] };
}

/**
 * Loads a dataset for a sweep. `pathOrSuite` is one of:
 * - an eval-suite folder holding `suite.json`, or a built-in suite's name (`email-triage`): built on
 *   first use into `<cacheDir>/<suite>/<key>/` and read from there afterwards;
 * - a prepared folder (`train.jsonl`, `val.jsonl`, `test.jsonl`, `manifest.json`): read as is;
 * - a JSONL file: prepared with default options (no PII scrub, no dedup, `split`, `seed`) into
 *   `<cacheDir>/files/<name>-<key>/`, key = sha256 of the file bytes, seed and split.
 * Limits keep a stratified subset (by category and label) of the loaded splits (the OOD split counts
 * as an evaluation split). `ood` replaces or turns off the out-of-distribution split. Unusable rows of a
 * JSONL file (malformed, unknown format, over the byte cap) are dropped with a warning in
 * `warnings`, or refused above `maxBadRows`.
 * @throws UserInputError when the path does not exist, its content is invalid, a prepared folder no
 *   longer matches its fingerprint, or a JSONL file has more unusable rows than `maxBadRows`.
 */
export async function loadDataset(pathOrSuite: string, opts: LoadDatasetOptions): Promise<LoadedDataset> {
  const data = await loadInDistribution(pathOrSuite, opts);
  if (opts.ood === false) return { ...data, ood: [] };
  if (typeof opts.ood !== 'string') return data;
  const full = readPrepared(data.dir);
  const derived = withOodFile(data.dir, data.manifest, opts.ood, opts.cacheDir ?? join('.fte', 'cache'), [...full.train, ...full.val, ...full.test]);
  const withOod = readPrepared(derived.dir, { limitTrain: opts.limitTrain, limitEval: opts.limitEval });
  return { ...withOod, warnings: [...data.warnings, ...derived.warnings] };
}

async function loadInDistribution(pathOrSuite: string, opts: LoadDatasetOptions): Promise<LoadedDataset> {
  const cacheDir = opts.cacheDir ?? join('.fte', 'cache');
  const limits = { limitTrain: opts.limitTrain, limitEval: opts.limitEval };
  const suiteDir = resolveSuiteDir(pathOrSuite);
  if (suiteDir) {
    const built = await buildSuite(suiteDir, { seed: opts.seed, cacheDir, sizes: opts.suiteSizes });
    return readPrepared(built.dir, limits);
  }
  if (!existsSync(pathOrSuite)) throw new UserInputError(`${pathOrSuite}: no such file, folder or built-in suite`);
  if (statSync(pathOrSuite).isDirectory()) return readPrepared(resolve(pathOrSuite), limits);
  const split = opts.split ?? DEFAULT_SPLIT;
  const bytes = readFileSync(pathOrSuite);
  // `prepare` names the preparation's format: a cache written by an fte that prepared differently (before
  // rows marked "ood" were held out) is never reused.
  const key = createHash('sha256').update(bytes).update(JSON.stringify({ seed: opts.seed, split, prepare: PREPARE_FORMAT_VERSION })).digest('hex').slice(0, 16);
  const name = basename(pathOrSuite).replace(/\.jsonl?$/i, '');
  const dir = resolve(cacheDir, 'files', `${name}-${key}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    const prepared = prepareRows(readJsonlFile(pathOrSuite), { name, source: pathOrSuite, seed: opts.seed, split });
    try {
      writePrepared(dir, prepared, false);
    } catch (err) {
      if (!existsSync(join(dir, 'manifest.json'))) throw err;
    }
  }
  return checkBadRows(pathOrSuite, readPrepared(dir, limits), opts.maxBadRows ?? DEFAULT_MAX_BAD_ROWS);
}
