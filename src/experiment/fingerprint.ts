import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * sha256 (hex) over files, in the given order: each file contributes its name, its byte length and
 * its bytes, so renaming or editing any of them changes the fingerprint.
 */
export function hashFiles(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = readFileSync(f);
    h.update(`${basename(f)}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/**
 * Fingerprint of a base model folder: sha256 over `config.json` and `model.safetensors` (and the
 * tokenizer files when present). A folder that does not exist yet fingerprints as `missing:<name>`
 * so that a dry run still works; training will fail on it with a clear error.
 */
export function baseModelFingerprint(dir: string): string {
  const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt'];
  const files = names.map((n) => join(dir, n)).filter((f) => existsSync(f));
  if (files.length === 0) return `missing:${basename(dir)}`;
  return hashFiles(files);
}

/**
 * Fingerprint of a dataset as the spec names it, before preparation: a JSONL file's bytes, or every
 * regular file of a folder but its documentation (`*.md`, e.g. a dataset card) sorted by name (an eval
 * suite's `suite.json`, or a prepared folder's splits).
 * The prepared content has its own fingerprint in its manifest (src/data).
 */
export function datasetSourceFingerprint(path: string): string {
  if (!existsSync(path)) return `missing:${basename(path)}`;
  if (statSync(path).isFile()) return hashFiles([path]);
  const files = readdirSync(path)
    // A folder's documentation (its dataset card) does not change the data: editing it keeps the keys.
    .filter((n) => !n.startsWith('.') && !/\.md$/i.test(n) && statSync(join(path, n)).isFile())
    .sort()
    .map((n) => join(path, n));
  return hashFiles(files);
}
