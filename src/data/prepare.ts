/**
 * `fte data prepare`: read -> (scrub PII) -> (dedup) -> stratified seeded split -> write
 * train/val/test/rejects.jsonl + manifest.json atomically. Every source row ends up either in a
 * split or in rejects (with its line and reason): kept + rejected = input.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserInputError } from '../errors.js';
import { isInside, makeDirs, samePath } from '../fsutil.js';
import type { Example } from '../data/example.js';
import type { DatasetFormat } from './formats.js';
import { fingerprintSplits, isOod, NO_CATEGORY, SPLIT_NAMES, type DatasetManifest, type SplitName } from './manifest.js';
import { exactKey, normalizedKey, normalizeText } from './normalize.js';
import { emptyPiiCounts, scrubPii, type PiiCounts, type PiiKind } from './pii.js';
import { readJsonlFile, type ReadResult } from './read.js';
import { splitSizes, stratifiedSplit } from './split.js';

export const DEFAULT_SPLIT: [number, number, number] = [0.8, 0.1, 0.1];
export const DEFAULT_SEED = 42;
/**
 * Largest example kept, in UTF-8 bytes of prompt + completion (256 KiB). A bigger one is rejected
 * with kind `over_size`: one 50 MB example kept the baselines busy for minutes and grew the store.
 */
export const DEFAULT_MAX_EXAMPLE_BYTES = 256 * 1024;

/** A row left out of the splits: its source line, a reason kind and a sentence. */
export interface RejectRow {
  line: number;
  kind: string;
  reason: string;
  /** The source line as read (PII-scrubbed when scrubbing is on), for rows that did not parse. */
  raw?: string;
  /** The normalised example, for rows that parsed but were left out (duplicates, over a size). */
  example?: Example;
}

export interface PrepareOptions {
  /** Seed of the split. Default 42. */
  seed?: number;
  /** Fractions [train, val, test], each >= 0, summing to 1. Default [0.8, 0.1, 0.1]. */
  split?: [number, number, number];
  /** Replace PII with typed placeholders. Default false. */
  scrubPii?: boolean;
  /**
   * Reject exact and normalised duplicates (prompt + completion) after the first, and every row of a
   * conflicting group (same normalised prompt, different completions: kind `conflicting_completion`),
   * so that no prompt can land in two splits. Default false.
   */
  dedup?: boolean;
  /**
   * Treat text as case-insensitive when finding normalised duplicates and conflicts (`--fold-case`).
   * Default false: completions that differ only in case (`-v`, `-V`) are different answers.
   */
  foldCase?: boolean;
  /** Reject (kind `over_size`) an example whose prompt + completion exceed this many UTF-8 bytes. Default DEFAULT_MAX_EXAMPLE_BYTES. */
  maxExampleBytes?: number;
}

/** Extra knobs for built-in suites (not exposed on the command line). */
export interface PrepareCoreOptions extends PrepareOptions {
  name: string;
  source: string;
  /** Exact split sizes instead of fractions (their sum must equal the selected count). */
  sizes?: [number, number, number];
  /** Picks the examples to keep after scrub + dedup; the rest become rejects with the given reason. */
  select?: (kept: Example[]) => { selected: Example[]; dropped: { example: Example; kind: string; reason: string }[] };
  /** Stratum of an example for the split. Default: its category. */
  stratum?: (e: Example) => string;
  suite?: Record<string, unknown>;
  /** How the examples marked `ood` differ from the rest (the manifest's `ood.description`). Default: a generic sentence. */
  oodDescription?: string;
}

export interface PreparedDataset {
  splits: Record<SplitName, Example[]>;
  /** Out-of-distribution examples (marked `ood`), never in train/val/test; empty when none. */
  ood: Example[];
  rejects: RejectRow[];
  manifest: DatasetManifest;
  /** Exact JSONL contents that are (or will be) written, one per file (`ood` only when there are OOD examples). */
  contents: Record<SplitName | 'rejects', string> & { ood?: string };
  /** Same as `manifest.warnings`: empty splits, kept conflicts, prompts in two splits. */
  warnings: string[];
}

export interface PrepareResult {
  outDir: string;
  manifest: DatasetManifest;
}

/** Parses `"0.8,0.1,0.1"`. @throws UserInputError naming the flag when malformed or not summing to 1. */
export function parseSplit(text: string, flag = '--split'): [number, number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new UserInputError(`${flag}: expected three non-negative fractions like 0.8,0.1,0.1, got '${text}'`);
  }
  checkSplit(parts as [number, number, number], flag);
  return parts as [number, number, number];
}

function checkSplit(split: readonly number[], what: string): void {
  const sum = split.reduce((a, b) => a + b, 0);
  if (split.length !== 3 || split.some((p) => !Number.isFinite(p) || p < 0) || Math.abs(sum - 1) > 1e-6 || split[0]! <= 0) {
    throw new UserInputError(`${what}: fractions must be >= 0, train > 0, and sum to 1 (got ${split.join(',')})`);
  }
}

const lineOf = (e: Example): number => (typeof e.meta?.line === 'number' ? e.meta.line : 0);

function addCounts(into: PiiCounts, from: PiiCounts): void {
  for (const k of Object.keys(from) as PiiKind[]) into[k] += from[k];
}

const toJsonl = (rows: readonly unknown[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/**
 * The pure part of preparation (no file writes): scrub, dedup, select, split, manifest.
 * @throws UserInputError when no example survives (the message quotes the first row error).
 */
export function prepareRows(read: ReadResult, opts: PrepareCoreOptions): PreparedDataset {
  const seed = opts.seed ?? DEFAULT_SEED;
  const split = opts.split ?? DEFAULT_SPLIT;
  checkSplit(split, 'split');
  const scrub = opts.scrubPii ?? false;
  const dedup = opts.dedup ?? false;
  const fold = opts.foldCase ?? false;
  const maxBytes = opts.maxExampleBytes ?? DEFAULT_MAX_EXAMPLE_BYTES;
  const pii = emptyPiiCounts();
  const rejects: RejectRow[] = [];
  const formats: Partial<Record<DatasetFormat, number>> = {};
  let kept: Example[] = [];

  // 1. Parse errors go to rejects; PII is scrubbed from prompt, completion and rejected raw lines.
  for (const row of read.rows) {
    if (!row.ok) {
      rejects.push({ line: row.line, kind: row.error.kind, reason: row.error.message, raw: scrub ? scrubPii(row.raw).text : row.raw });
      continue;
    }
    const size = Buffer.byteLength(row.example.prompt, 'utf8') + Buffer.byteLength(row.example.completion, 'utf8');
    if (size > maxBytes) {
      // The text is left out of rejects.jsonl too: it is what must not spread.
      rejects.push({ line: row.line, kind: 'over_size', reason: `line ${row.line}: example is ${size} bytes, over the cap of ${maxBytes} (--max-example-bytes)` });
      continue;
    }
    formats[row.format] = (formats[row.format] ?? 0) + 1;
    let ex = row.example;
    if (scrub) {
      const p = scrubPii(ex.prompt);
      const c = scrubPii(ex.completion);
      addCounts(pii, p.counts);
      addCounts(pii, c.counts);
      ex = { ...ex, prompt: p.text, completion: c.text };
    }
    kept.push(ex);
  }

  // 2. Dedup: exact first, then normalised (whitespace, punctuation, prompt case; completion case with foldCase); first one wins.
  if (dedup) {
    const exact = new Map<string, number>();
    const norm = new Map<string, number>();
    kept = kept.filter((ex) => {
      const line = lineOf(ex);
      const ek = exactKey(ex.prompt, ex.completion);
      const nk = normalizedKey(ex.prompt, ex.completion, fold);
      const e = exact.get(ek);
      const n = norm.get(nk);
      if (e !== undefined || n !== undefined) {
        const reason = e !== undefined ? `line ${line}: exact duplicate of line ${e}` : `line ${line}: normalised duplicate of line ${n}`;
        rejects.push({ line, kind: 'duplicate', reason, example: ex });
        return false;
      }
      exact.set(ek, line);
      norm.set(nk, line);
      return true;
    });
  }

  // 2b. Conflicts: the same normalised prompt with different completions. With dedup every row of such
  // a group is rejected (which completion is right is unknown, and keeping one would still teach
  // the model an arbitrary answer); without dedup they are kept and a warning names them. A suite's
  // `select` handles conflicts itself (it keeps the first), so this step is skipped for suites.
  const warnings: string[] = [];
  const groups = new Map<string, Example[]>();
  for (const ex of kept) {
    const k = normalizeText(ex.prompt, true);
    const g = groups.get(k);
    if (g) g.push(ex);
    else groups.set(k, [ex]);
  }
  const conflicting = [...groups.values()].filter((g) => new Set(g.map((e) => normalizeText(e.completion, fold))).size > 1);
  if (conflicting.length && !opts.select) {
    if (dedup) {
      const drop = new Set<Example>();
      for (const g of conflicting) {
        const lines = g.map(lineOf);
        for (const ex of g) {
          drop.add(ex);
          const others = lines.filter((l) => l !== lineOf(ex)).join(', ');
          rejects.push({ line: lineOf(ex), kind: 'conflicting_completion', reason: `line ${lineOf(ex)}: same prompt as line ${others} with another completion`, example: ex });
        }
      }
      kept = kept.filter((ex) => !drop.has(ex));
    } else {
      const lines = conflicting.flatMap((g) => g.map(lineOf)).sort((a, b) => a - b);
      const shown = lines.length > 12 ? `${lines.slice(0, 12).join(', ')}, ...` : lines.join(', ');
      warnings.push(`${conflicting.length} prompts have conflicting completions (lines ${shown}); --dedup rejects them`);
    }
  }

  // 3. Optional selection (suites pick balanced subsets of a given size).
  if (opts.select) {
    const { selected, dropped } = opts.select(kept);
    for (const d of dropped) rejects.push({ line: lineOf(d.example), kind: d.kind, reason: d.reason, example: d.example });
    kept = selected;
  }
  // 3b. Out-of-distribution examples are evaluated only: kept out of the split. Dedup (when on) has
  // already rejected any that repeat an earlier in-distribution example; without it a repeat is a warning.
  const ood: Example[] = kept.filter(isOod);
  kept = kept.filter((e) => !isOod(e));
  if (kept.length === 0) {
    const first = rejects[0]?.reason ?? (ood.length ? `all ${ood.length} kept rows are marked "ood"` : 'no rows');
    throw new UserInputError(`${opts.source}: no valid examples (${rejects.length} rejected; first: ${first})`);
  }

  // 4. Stratified seeded split.
  const sizes = opts.sizes ?? (splitSizes(kept.length, split) as [number, number, number]);
  const stratum = opts.stratum ?? ((e: Example) => e.category ?? NO_CATEGORY);
  const [train, val, test] = stratifiedSplit(kept, sizes, seed, stratum) as [Example[], Example[], Example[]];
  const splits: Record<SplitName, Example[]> = { train, val, test };
  rejects.sort((a, b) => a.line - b.line);
  const fractions = opts.sizes ? sizes.map((n) => (n > 0 ? 1 : 0)) : split;
  SPLIT_NAMES.forEach((name, i) => {
    if (splits[name].length === 0 && fractions[i]! > 0) {
      warnings.push(`split ${name}: 0 examples (${kept.length} kept x ${opts.sizes ? 'size' : 'fraction'} ${opts.sizes ? sizes[i] : split[i]}); add data or raise its fraction`);
    }
  });
  const splitOf = new Map<string, Set<SplitName>>();
  for (const name of SPLIT_NAMES) {
    for (const e of splits[name]) {
      const k = normalizeText(e.prompt, true);
      const s = splitOf.get(k);
      if (s) s.add(name);
      else splitOf.set(k, new Set([name]));
    }
  }
  const leaked = [...splitOf.values()].filter((s) => s.size > 1).length;
  if (leaked) warnings.push(`${leaked} prompts appear in more than one split (duplicates or conflicts); --dedup prevents it`);
  // An OOD example whose prompt is also in train/val/test is not out of distribution: it is left out
  // (kind `ood_in_distribution`, not an unusable row), whatever --dedup says.
  const oodLeaked = ood.filter((e) => splitOf.has(normalizeText(e.prompt, true)));
  for (const e of oodLeaked) {
    rejects.push({ line: lineOf(e), kind: 'ood_in_distribution', reason: `line ${lineOf(e)}: marked "ood" but its prompt is also in train/val/test`, example: e });
  }
  if (oodLeaked.length) {
    const left = new Set(oodLeaked);
    ood.splice(0, ood.length, ...ood.filter((e) => !left.has(e)));
    rejects.sort((a, b) => a.line - b.line);
    warnings.push(`${oodLeaked.length} out-of-distribution rows left out: their prompts are in train/val/test`);
  }

  const contents: PreparedDataset['contents'] = {
    train: toJsonl(train),
    val: toJsonl(val),
    test: toJsonl(test),
    rejects: toJsonl(rejects),
    ...(ood.length ? { ood: toJsonl(ood) } : {}),
  };
  const categories = {} as Record<SplitName, Record<string, number>>;
  const countCategories = (xs: Example[]): Record<string, number> => {
    const c: Record<string, number> = {};
    for (const e of xs) c[e.category ?? NO_CATEGORY] = (c[e.category ?? NO_CATEGORY] ?? 0) + 1;
    return Object.fromEntries(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : 1)));
  };
  for (const name of SPLIT_NAMES) categories[name] = countCategories(splits[name]);
  const rejectKinds: Record<string, number> = {};
  for (const r of rejects) rejectKinds[r.kind] = (rejectKinds[r.kind] ?? 0) + 1;
  const total = sizes[0] + sizes[1] + sizes[2];
  const manifest: DatasetManifest = {
    manifestVersion: 1,
    name: opts.name,
    source: opts.source,
    sourceSha256: read.sha256,
    seed,
    split: opts.sizes ? (sizes.map((s) => Number((s / total).toFixed(6))) as [number, number, number]) : split,
    options: { scrubPii: scrub, dedup },
    counts: {
      lines: read.lines,
      blankLines: read.blankLines,
      input: read.rows.length,
      kept: kept.length + ood.length,
      rejected: rejects.length,
      train: train.length,
      val: val.length,
      test: test.length,
      ...(ood.length ? { ood: ood.length } : {}),
    },
    categories: ood.length ? { ...categories, ood: countCategories(ood) } : categories,
    formats,
    rejects: rejectKinds,
    pii,
    fingerprint: fingerprintSplits(contents),
    warnings,
    files: { train: 'train.jsonl', val: 'val.jsonl', test: 'test.jsonl', rejects: 'rejects.jsonl', ...(ood.length ? { ood: 'ood.jsonl' } : {}) },
    ...(ood.length ? { ood: { description: opts.oodDescription ?? 'rows marked "ood": true in the source', source: opts.source } } : {}),
    ...(opts.suite ? { suite: opts.suite } : {}),
  };
  return { splits, ood, rejects, manifest, contents, warnings };
}

/**
 * The files `fte data prepare` writes into a folder, as its `manifest.json` lists them: the manifest
 * itself, the `files` it names (splits, rejects) and, for a suite, `source.jsonl`. Null when the folder
 * has no readable manifest (prepare did not write it).
 */
function preparedFileNames(dir: string): Set<string> | null {
  let manifest: Partial<DatasetManifest>;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Partial<DatasetManifest>;
  } catch {
    return null;
  }
  const names = new Set<string>(['manifest.json', ...Object.values(manifest.files ?? {}).filter((f): f is string => typeof f === 'string')]);
  if (manifest.suite) names.add('source.jsonl');
  return names;
}

/**
 * Checks that `outDir` may receive a prepared dataset. It must not be, nor contain, any of `inputs`
 * (compared through symbolic links and relative paths). A missing or empty folder is fine. An
 * existing folder is only replaced with `force`, and only when it holds nothing but the files a
 * previous `fte data prepare` wrote there (see `preparedFileNames`): a plain file or a folder with
 * anything else in it is refused whatever `force` says.
 * @throws UserInputError one line naming the folder (and the input or the foreign files).
 */
export function assertWritable(outDir: string, force: boolean, inputs: readonly string[] = []): void {
  for (const input of inputs) {
    if (samePath(outDir, input)) throw new UserInputError(`--out ${outDir} is the input ${input}; choose a new folder`);
    if (isInside(input, outDir)) throw new UserInputError(`--out ${outDir} contains the input ${input}; choose a new folder`);
  }
  let st;
  try {
    st = lstatSync(outDir);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new UserInputError(`--out ${outDir} is a file, not a folder fte data prepare wrote; choose a new folder`);
  const entries = readdirSync(outDir, { withFileTypes: true });
  if (entries.length === 0) return;
  const ours = preparedFileNames(outDir) ?? new Set<string>();
  const foreign = entries.filter((e) => !e.isFile() || !ours.has(e.name)).map((e) => e.name).sort();
  if (foreign.length) {
    const shown = foreign.length > 5 ? `${foreign.slice(0, 5).join(', ')}, ... (${foreign.length} in all)` : foreign.join(', ');
    throw new UserInputError(`--out ${outDir} holds files fte data prepare did not write (${shown}); choose a new folder`);
  }
  if (!force) throw new UserInputError(`${outDir}: already exists; pass --force to replace it`);
}

/**
 * Writes files (name -> content) into `outDir` atomically: everything goes to a temporary sibling
 * folder (created with the default mode, so the umask applies) which is then renamed over `outDir`,
 * so readers see either the old folder or the complete new one, never a half-written one.
 * @throws UserInputError from `assertWritable` (an existing folder without `force`, foreign files,
 *   an input inside), or when the folder cannot be written.
 */
export function writeFilesAtomically(outDir: string, files: Record<string, string>, force = false, inputs: readonly string[] = []): void {
  assertWritable(outDir, force, inputs);
  const parent = dirname(resolve(outDir));
  makeDirs(parent);
  const tmp = join(parent, `.${basename(outDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp);
  } catch (err) {
    throw new UserInputError(`cannot write ${outDir}: ${((err as Error).message ?? String(err)).split(',')[0]}`);
  }
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(tmp, name), content);
    if (existsSync(outDir)) {
      // Checked again right before the swap: only prepare's own files are ever removed.
      assertWritable(outDir, true, inputs);
      const old = `${tmp}-old`;
      renameSync(outDir, old);
      renameSync(tmp, outDir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, outDir);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Writes a prepared dataset (plus `extraFiles`) into `outDir` atomically (see `writeFilesAtomically`). */
export function writePrepared(outDir: string, prepared: PreparedDataset, force = false, extraFiles: Record<string, string> = {}, inputs: readonly string[] = []): void {
  const files: Record<string, string> = {};
  for (const name of [...SPLIT_NAMES, 'rejects'] as const) files[`${name}.jsonl`] = prepared.contents[name];
  if (prepared.contents.ood !== undefined) files['ood.jsonl'] = prepared.contents.ood;
  Object.assign(files, extraFiles);
  files['manifest.json'] = `${JSON.stringify(prepared.manifest, null, 2)}\n`;
  writeFilesAtomically(outDir, files, force, inputs);
}

/**
 * Prepares a JSONL dataset file into `out` (train/val/test/rejects.jsonl + manifest.json).
 * Returns the output folder and the manifest.
 * @throws UserInputError for an unreadable / empty / non-JSONL source, bad split fractions, no valid
 *   examples, an existing `out` without `force`, an `out` that is or contains `src` or holds files
 *   prepare did not write.
 */
export async function prepareDataset(src: string, opts: PrepareOptions & { out: string; force?: boolean }): Promise<PrepareResult> {
  assertWritable(opts.out, opts.force ?? false, [src]);
  const read = readJsonlFile(src);
  const prepared = prepareRows(read, { ...opts, name: basename(src).replace(/\.jsonl?$/i, ''), source: src });
  writePrepared(opts.out, prepared, opts.force ?? false, {}, [src]);
  return { outDir: opts.out, manifest: prepared.manifest };
}
