/**
 * Built-in suite builders (one typed registry) and the cached build of a suite into a prepared
 * dataset folder: `<cacheDir>/<suite>/<key>/` holding `source.jsonl` (the raw candidate rows),
 * `train/val/test/rejects.jsonl` and `manifest.json`, written by the same code as `fte data prepare`.
 * `key` is the first 16 hex digits of sha256 over the suite description, the builder version, the
 * corpus version, the seed and the sizes, so a change to any of them builds a new folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FteError, UnknownNameError } from '../../errors.js';
import type { DatasetManifest } from '../manifest.js';
import { prepareRows, writePrepared } from '../prepare.js';
import { parseJsonlBytes } from '../read.js';
import {
  corpusVersion,
  EMAIL_TRIAGE_BUILDER_VERSION,
  emailTriageCandidates,
  emailTriageStratum,
  selectEmailTriage,
  type CandidateStats,
} from './email-triage.js';
import { loadSuiteDescription, type SuiteDescription } from './suite.js';

export interface SuiteSizes {
  train: number;
  val: number;
  test: number;
  /** Out-of-distribution examples (a suite with an `ood` section; default its `ood.size`). */
  ood?: number;
}

export interface SuiteBuildOptions {
  seed: number;
  /** Examples per split, all tasks together. Default: the suite's `sizes`. */
  sizes?: SuiteSizes;
  /** Cache root. Default `.fte/cache` (relative to the working directory). */
  cacheDir?: string;
}

export interface SuiteBuildResult {
  dir: string;
  manifest: DatasetManifest;
  /** True when this call generated the folder, false when it came from the cache. */
  built: boolean;
  stats?: CandidateStats;
}

interface SuiteBuilder {
  version: number;
  /** Writes the dataset for `suite` into `outDir`. */
  build(suite: SuiteDescription, opts: { seed: number; sizes: SuiteSizes; outDir: string; key: string }): Promise<{ manifest: DatasetManifest; stats: CandidateStats }>;
}

const emailTriageBuilder: SuiteBuilder = {
  version: EMAIL_TRIAGE_BUILDER_VERSION,
  async build(suite, { seed, sizes, outDir, key }) {
    const total = sizes.train + sizes.val + sizes.test;
    const { rows, stats } = await emailTriageCandidates(suite, { seed, total });
    // The out-of-distribution candidates follow the in-distribution ones, so a duplicate of an
    // in-distribution message is the one left out.
    const oodTotal = suite.ood ? (sizes.ood ?? suite.ood.size) : 0;
    if (oodTotal > 0) {
      const ood = await emailTriageCandidates(suite, { seed, total: oodTotal, ood: true });
      rows.push(...ood.rows);
      stats.parsed += ood.stats.parsed;
      stats.parseMs += ood.stats.parseMs;
      for (const [k, n] of Object.entries(ood.stats.skipped)) stats.skipped[k] = (stats.skipped[k] ?? 0) + n;
    }
    const source = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    const bytes = Buffer.from(source, 'utf8');
    const read = { path: 'source.jsonl', sha256: createHash('sha256').update(bytes).digest('hex'), ...parseJsonlBytes(bytes) };
    const prepared = prepareRows(read, {
      name: suite.name,
      source: `suite:${suite.name}`,
      seed,
      scrubPii: suite.scrubPii,
      dedup: suite.dedup,
      foldCase: true, // e-mail subjects and bodies: duplicates are case-insensitive (as built since v1)
      sizes: [sizes.train, sizes.val, sizes.test],
      select: selectEmailTriage(suite, total, oodTotal),
      ...(suite.ood ? { oodDescription: suite.ood.description } : {}),
      stratum: emailTriageStratum,
      suite: {
        name: suite.name,
        key,
        builderVersion: EMAIL_TRIAGE_BUILDER_VERSION,
        corpus: `${String(suite.source.package)}@${corpusVersion()}`,
        sizes: oodTotal > 0 ? { ...sizes, ood: oodTotal } : sizes,
        tasks: suite.tasks,
        excerptBytes: suite.excerptBytes,
        maxExampleBytes: suite.maxExampleBytes,
        messagesParsed: stats.parsed,
        messagesSkipped: stats.skipped,
      },
    });
    writePrepared(outDir, prepared, false, { 'source.jsonl': source });
    return { manifest: prepared.manifest, stats };
  },
};

/** Registry of suite builders, by the `builder` field of suite.json. */
export const SUITE_BUILDERS: Readonly<Record<string, SuiteBuilder>> = { 'email-triage': emailTriageBuilder };

/** Cache key of a suite build (see the module comment). */
export function suiteCacheKey(suiteText: string, builderVersion: number, seed: number, sizes: SuiteSizes): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ suite: JSON.parse(suiteText) as unknown, builderVersion, corpus: corpusVersion(), seed, sizes }));
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds (or finds in the cache) the prepared dataset of the suite in `suiteDir`.
 * @throws UserInputError for a bad suite.json; UnknownNameError for an unknown builder; FteError when
 *   the sizes exceed what the corpus offers.
 */
export async function buildSuite(suiteDir: string, opts: SuiteBuildOptions): Promise<SuiteBuildResult> {
  const { suite, text } = loadSuiteDescription(suiteDir);
  const builder = SUITE_BUILDERS[suite.builder];
  if (!builder) throw new UnknownNameError('suite builder', suite.builder, Object.keys(SUITE_BUILDERS));
  const sizes = opts.sizes ?? suite.sizes;
  const key = suiteCacheKey(text, builder.version, opts.seed, sizes);
  const dir = resolve(opts.cacheDir ?? join('.fte', 'cache'), suite.name, key);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    return { dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as DatasetManifest, built: false };
  }
  try {
    const { manifest, stats } = await builder.build(suite, { seed: opts.seed, sizes, outDir: dir, key });
    return { dir, manifest, built: true, stats };
  } catch (err) {
    // Another process may have finished the same build first (the write is an atomic rename).
    if (existsSync(manifestPath)) {
      return { dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as DatasetManifest, built: false };
    }
    if (err instanceof FteError) throw err;
    throw err;
  }
}
