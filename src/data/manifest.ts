/**
 * The manifest written beside a prepared dataset (`manifest.json`) and its content fingerprint.
 */
import { createHash } from 'node:crypto';
import type { DatasetFormat } from './formats.js';
import type { PiiCounts } from './pii.js';

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

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
  };
  /** Examples per category in each split (`(none)` for uncategorised ones). */
  categories: Record<SplitName, Record<string, number>>;
  /** Valid rows by source format. */
  formats: Partial<Record<DatasetFormat, number>>;
  /** Rejected rows by reason kind (`malformed_json`, `duplicate`, ...). */
  rejects: Record<string, number>;
  /** PII replacements made by `--scrub-pii`, by kind. */
  pii: PiiCounts;
  /** sha256 (hex) of the prepared content; see `fingerprintSplits`. */
  fingerprint: string;
  files: Record<SplitName | 'rejects', string>;
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
 * name, a newline and the exact bytes of its JSONL file. Independent of paths and timestamps, so the
 * same source + options + seed always gives the same fingerprint.
 */
export function fingerprintSplits(contents: Record<SplitName, string>): string {
  const h = createHash('sha256');
  for (const name of SPLIT_NAMES) h.update(`${name}\n`).update(contents[name]);
  return h.digest('hex');
}
