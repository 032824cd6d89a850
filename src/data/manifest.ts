/**
 * The manifest written beside a prepared dataset (`manifest.json`) and its content fingerprint.
 */
import { createHash } from 'node:crypto';
import type { DatasetFormat } from './formats.js';
import type { PiiCounts } from './pii.js';

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/**
 * The out-of-distribution split: test-only examples from a source that differs from the training
 * distribution (rows marked `"ood": true`, a suite's `ood` section, or `evaluate.ood`). Optional:
 * a prepared folder without `ood.jsonl` has none.
 */
export const OOD_SPLIT = 'ood';

/** Whether an example is marked out-of-distribution (`meta.ood === true`). */
export const isOod = (e: { meta?: Record<string, unknown> }): boolean => e.meta?.ood === true;

/** Category key used in counts for examples without a category. */
export const NO_CATEGORY = '(none)';

export interface DatasetManifest {
  manifestVersion: 1;
  /** Dataset name: the source file's base name, or the suite name. */
  name: string;
  /** The source as given: a JSONL path, or `suite:<name>` for a built-in suite. */
  source: string;
  /** sha256 (hex) of the source bytes (for a suite: of the generated `source.jsonl`). */
  sourceSha256: string;
  /** Seed of the split (and of any sampling a suite does). */
  seed: number;
  /** Fractions [train, val, test] asked for (a suite derives them from its sizes). */
  split: [number, number, number];
  options: { scrubPii: boolean; dedup: boolean };
  counts: {
    /** Physical lines of the source file. */
    lines: number;
    /** Whitespace-only lines, ignored. */
    blankLines: number;
    /** Non-blank rows read = kept + rejected. */
    input: number;
    kept: number;
    rejected: number;
    train: number;
    val: number;
    test: number;
    /** Out-of-distribution examples (absent when the dataset has none). */
    ood?: number;
  };
  /** Examples per category in each split (`(none)` for uncategorised ones); `ood` when the dataset has that split. */
  categories: Record<SplitName, Record<string, number>> & { ood?: Record<string, number> };
  /** Valid rows by source format. */
  formats: Partial<Record<DatasetFormat, number>>;
  /** Rejected rows by reason kind (`malformed_json`, `duplicate`, ...). */
  rejects: Record<string, number>;
  /** PII replacements made by `--scrub-pii`, by kind. */
  pii: PiiCounts;
  /** sha256 (hex) of the prepared content; see `fingerprintSplits`. */
  fingerprint: string;
  files: Record<SplitName | 'rejects', string> & { ood?: string };
  /**
   * Where the out-of-distribution split comes from and how it differs from the training data (one
   * sentence), and its source (`rows marked "ood": true`, `suite:<name>`, or a file). Absent when none.
   */
  ood?: { description: string; source: string };
  /**
   * Problems that did not stop preparation, one sentence each: a split with 0 examples, conflicting
   * completions kept (no --dedup), prompts present in more than one split. Empty when none. Absent
   * in manifests written before this field existed.
   */
  warnings?: string[];
  /** Present for built-in suites: the suite's description and build parameters. */
  suite?: Record<string, unknown>;
}

/**
 * Fingerprint of a prepared dataset: sha256 over, for train, val and test in that order, the split
 * name, a newline and the exact bytes of its JSONL file, then the same for `ood` when the dataset
 * has an out-of-distribution split (so a dataset without one keeps the fingerprint it always had).
 * Independent of paths and timestamps, so the same source + options + seed always gives the same
 * fingerprint.
 */
export function fingerprintSplits(contents: Record<SplitName, string> & { ood?: string }): string {
  const h = createHash('sha256');
  for (const name of SPLIT_NAMES) h.update(`${name}\n`).update(contents[name]);
  if (contents.ood !== undefined) h.update(`${OOD_SPLIT}\n`).update(contents.ood);
  return h.digest('hex');
}
