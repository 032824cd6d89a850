/**
 * An out-of-distribution split from a file of its own (the spec's `evaluate.ood`): its rows are read
 * and normalised like any dataset row, scrubbed when the dataset was, checked against the
 * in-distribution splits, and written with copies of those splits into a derived prepared folder
 * `<cacheDir>/ood/<dataset>-<key>/` (key = sha256 of the dataset's fingerprint and the file's bytes),
 * so workers (local or on other hosts) read one folder whose fingerprint names both.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserInputError } from '../errors.js';
import type { Example } from './example.js';
import { fingerprintSplits, NO_CATEGORY, SPLIT_NAMES, type DatasetManifest, type SplitName } from './manifest.js';
import { normalizeText } from './normalize.js';
import { scrubPii } from './pii.js';
import { writeFilesAtomically } from './prepare.js';
import { readJsonlFile } from './read.js';

/** What `oodFromFile` kept and why it left rows out. */
export interface OodFileResult {
  examples: Example[];
  /** One sentence per kind of row left out (duplicates, rows also in train/val/test). */
  warnings: string[];
}

/**
 * Reads an out-of-distribution file: every row must be a valid dataset row (chat, prompt/completion
 * or instruction; `category` as usual), ids become `ood:<sha256 of the file, 8 hex>:L<line>`. Rows whose normalised prompt repeats
 * an earlier OOD row, or appears in `inDistribution` (train/val/test: a leak that would make the
 * slice in-distribution), are left out with a warning.
 * @throws UserInputError naming the file and line of the first bad row, or when no row is left.
 */
export function oodFromFile(file: string, inDistribution: readonly Example[], opts: { scrubPii: boolean }): OodFileResult {
  const read = readJsonlFile(file);
  const bad = read.rows.find((r) => !r.ok);
  if (bad && !bad.ok) throw new UserInputError(`${file}: ${bad.error.message}`);
  const seen = new Set(inDistribution.map((e) => normalizeText(e.prompt, true)));
  const own = new Set<string>();
  let leaked = 0;
  let repeated = 0;
  const examples: Example[] = [];
  for (const row of read.rows) {
    if (!row.ok) continue;
    let ex = row.example;
    if (opts.scrubPii) ex = { ...ex, prompt: scrubPii(ex.prompt).text, completion: scrubPii(ex.completion).text };
    const key = normalizeText(ex.prompt, true);
    if (seen.has(key)) {
      leaked++;
      continue;
    }
    if (own.has(key)) {
      repeated++;
      continue;
    }
    own.add(key);
    // The file's hash in the id: two different OOD files never share an example id, so a paired test
    // between runs scored on different OOD files is refused (different examples), never made on unrelated rows.
    examples.push({ ...ex, id: `ood:${read.sha256.slice(0, 8)}:${ex.id}`, meta: { ...ex.meta, ood: true } });
  }
  const warnings: string[] = [];
  if (leaked) warnings.push(`${file}: ${leaked} out-of-distribution rows left out: their prompts are in train/val/test`);
  if (repeated) warnings.push(`${file}: ${repeated} out-of-distribution rows left out: prompts repeated within the file`);
  if (examples.length === 0) throw new UserInputError(`${file}: no out-of-distribution example left (${read.rows.length} rows; ${leaked} in train/val/test, ${repeated} repeated)`);
  return { examples, warnings };
}

/**
 * The prepared folder of `dir` with its OOD split replaced by the examples of `file` (see the module
 * comment). Built once; later calls find it by key.
 * @returns the derived folder and the warnings of `oodFromFile` (empty when it came from the cache)
 * @throws UserInputError from `oodFromFile`, or when the folder cannot be written
 */
export function withOodFile(dir: string, manifest: DatasetManifest, file: string, cacheDir: string, inDistribution: readonly Example[]): { dir: string; warnings: string[] } {
  const bytes = readFileSync(file);
  const key = createHash('sha256').update(manifest.fingerprint).update('\n').update(bytes).digest('hex').slice(0, 16);
  const out = resolve(cacheDir, 'ood', `${manifest.name}-${key}`);
  if (existsSync(join(out, 'manifest.json'))) {
    // Built before: the same warnings again (its manifest keeps them), so every run and worker says them.
    const cached = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DatasetManifest;
    return { dir: out, warnings: (cached.warnings ?? []).filter((w) => w.includes('out-of-distribution rows left out')) };
  }
  const { examples, warnings } = oodFromFile(file, inDistribution, { scrubPii: manifest.options?.scrubPii ?? false });
  const contents = {} as Record<SplitName, string> & { ood: string };
  for (const name of SPLIT_NAMES) contents[name] = readFileSync(join(dir, manifest.files[name]), 'utf8');
  contents.ood = examples.map((e) => `${JSON.stringify(e)}\n`).join('');
  const categories: Record<string, number> = {};
  for (const e of examples) categories[e.category ?? NO_CATEGORY] = (categories[e.category ?? NO_CATEGORY] ?? 0) + 1;
  const derived: DatasetManifest = {
    ...manifest,
    counts: { ...manifest.counts, ood: examples.length },
    categories: { ...manifest.categories, ood: Object.fromEntries(Object.entries(categories).sort(([a], [b]) => (a < b ? -1 : 1))) },
    files: { ...manifest.files, ood: 'ood.jsonl' },
    ood: { description: `the examples of ${basename(file)} (evaluate.ood)`, source: file },
    fingerprint: fingerprintSplits(contents),
    warnings: [...(manifest.warnings ?? []), ...warnings],
  };
  const files: Record<string, string> = { 'ood.jsonl': contents.ood, 'manifest.json': `${JSON.stringify(derived, null, 2)}\n` };
  for (const name of SPLIT_NAMES) files[manifest.files[name]] = contents[name];
  files[manifest.files.rejects] = existsSync(join(dir, manifest.files.rejects)) ? readFileSync(join(dir, manifest.files.rejects), 'utf8') : '';
  try {
    writeFilesAtomically(out, files, false);
  } catch (err) {
    // Another process may have written the same folder first.
    if (!existsSync(join(out, 'manifest.json'))) throw err;
  }
  return { dir: out, warnings };
}
