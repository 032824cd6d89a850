/**
 * `fte data prepare` as one stage call: a source is either an eval suite (folder with suite.json,
 * or a built-in name), built as its suite.json says, or a JSONL file, split and cleaned as the
 * options say. Options that do not apply to the source's kind are refused (one line naming the
 * flag) before anything is read or written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';
import { DEFAULT_SPLIT, assertWritable, parseSplit, prepareDataset, writeFilesAtomically, type PrepareOptions, type PrepareResult } from './prepare.js';
import { buildSuite, type SuiteSizes } from './suites/index.js';
import { loadSuiteDescription, resolveSuiteDir } from './suites/suite.js';

/**
 * The options of `prepareDataset` (JSONL sources only: `split` as the `train,val,test` text,
 * `scrubPii`, `dedup`, `foldCase`, `maxExampleBytes`), plus suite sizes.
 */
export interface PrepareSourceOptions extends Omit<PrepareOptions, 'split'> {
  out: string;
  seed: number;
  /** Replace an output folder a previous prepare wrote. */
  force?: boolean;
  /** JSONL sources: `train,val,test` fractions (default DEFAULT_SPLIT). */
  split?: string;
  /** Suite sources: examples per split; all three or none. */
  train?: number;
  val?: number;
  test?: number;
  /** Suite sources with an `ood` section: out-of-distribution examples (default its `ood.size`). */
  ood?: number;
}

/**
 * Prepare `src` into `o.out` (see `prepareSuite` and `prepareDataset`).
 * @throws UserInputError naming the flag (`--split`, `--train` ...) that does not apply to the
 *   source's kind, or --train/--val/--test given partly; and whatever the preparation throws.
 */
export async function prepareSource(src: string, o: PrepareSourceOptions): Promise<PrepareResult> {
  if (resolveSuiteDir(src)) {
    const jsonlOnly = { split: o.split, 'scrub-pii': o.scrubPii, dedup: o.dedup, 'fold-case': o.foldCase };
    const given = Object.entries(jsonlOnly).filter(([, v]) => v !== undefined && v !== false);
    if (given.length) throw new UserInputError(`--${given[0]![0]}: does not apply to a suite (suite.json decides; use --train/--val/--test for sizes)`);
    const sizeFlags = [o.train, o.val, o.test];
    if (sizeFlags.some((s) => s !== undefined) && sizeFlags.some((s) => s === undefined)) {
      throw new UserInputError('--train, --val and --test: give all three or none');
    }
    let sizes: SuiteSizes | undefined = o.train !== undefined ? { train: o.train, val: o.val!, test: o.test! } : undefined;
    if (o.ood !== undefined) {
      const { suite } = loadSuiteDescription(resolveSuiteDir(src)!);
      if (!suite.ood) throw new UserInputError(`--ood: suite ${suite.name} has no ood section (suite.json)`);
      sizes = { ...(sizes ?? suite.sizes), ood: o.ood };
    }
    return prepareSuite(src, { out: o.out, seed: o.seed, sizes, force: o.force });
  }
  if (o.train !== undefined || o.val !== undefined || o.test !== undefined) {
    throw new UserInputError('--train/--val/--test: only for suite sources; use --split for a JSONL file');
  }
  if (o.ood !== undefined) throw new UserInputError('--ood: only for suite sources; in a JSONL file, mark out-of-distribution rows with "ood": true');
  return prepareDataset(src, {
    out: o.out,
    seed: o.seed,
    split: o.split ? parseSplit(o.split) : DEFAULT_SPLIT,
    scrubPii: o.scrubPii,
    dedup: o.dedup,
    foldCase: o.foldCase,
    maxExampleBytes: o.maxExampleBytes,
    force: o.force,
  });
}

/**
 * Builds a built-in suite (its own pipeline: scrub, dedup, balanced selection, split, as suite.json
 * says) at the given sizes and copies the prepared folder, with its `source.jsonl`, to `out`
 * (atomically; an existing `out` only with `force`, and only when prepare wrote it).
 * @throws UserInputError when `ref` is not a suite, `out` exists without `force`, or `out` is or
 *   contains the suite folder or holds files prepare did not write.
 */
export async function prepareSuite(
  ref: string,
  opts: { out: string; seed: number; sizes?: SuiteSizes; force?: boolean; cacheDir?: string },
): Promise<PrepareResult> {
  const suiteDir = resolveSuiteDir(ref);
  if (!suiteDir) throw new UserInputError(`${ref}: not an eval suite (no suite.json)`);
  assertWritable(opts.out, opts.force ?? false, [suiteDir]);
  const built = await buildSuite(suiteDir, { seed: opts.seed, sizes: opts.sizes, cacheDir: opts.cacheDir });
  const files: Record<string, string> = {};
  for (const name of readdirSync(built.dir)) files[name] = readFileSync(join(built.dir, name), 'utf8');
  writeFilesAtomically(opts.out, files, opts.force ?? false, [suiteDir, built.dir]);
  return { outDir: opts.out, manifest: built.manifest };
}
