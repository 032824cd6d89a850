/**
 * Shape checks for the public metric functions. The corpus metrics take `predictions: string[]` and
 * `references: string[][]` (references[i] = every reference of predictions[i]); JavaScript callers
 * (or `as` casts) can pass a flat `string[]`, which would otherwise be read character by character
 * (a string is indexable) and give a plausible but wrong score. These throw instead.
 */

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** @throws TypeError `<fn>: <what> is <kind>; expected an array of strings` unless `value` is `string[]`. */
export function checkStringList(fn: string, what: string, value: unknown): asserts value is string[] {
  if (!Array.isArray(value)) throw new TypeError(`${fn}: ${what} is ${kind(value)}; expected an array of strings`);
  value.forEach((v, i) => {
    if (typeof v !== 'string') throw new TypeError(`${fn}: ${what}[${i}] is ${kind(v)}; expected a string`);
  });
}

/**
 * Checks `predictions: string[]`, `references: string[][]` of the same length.
 * @throws TypeError naming the function and the first offending index, e.g.
 *   `chrf: references[0] is a string; expected an array of strings (references[i] lists every reference of predictions[i])`.
 */
export function checkCorpusArgs(fn: string, predictions: unknown, references: unknown, refsName = 'reference lists'): void {
  checkStringList(fn, 'predictions', predictions);
  if (!Array.isArray(references)) {
    throw new TypeError(`${fn}: references is ${kind(references)}; expected an array of ${refsName} (references[i] lists every reference of predictions[i])`);
  }
  if (predictions.length !== references.length) {
    throw new TypeError(`${fn}: ${predictions.length} predictions but ${references.length} ${refsName} (references[i] lists every reference of predictions[i])`);
  }
  references.forEach((r, i) => {
    if (!Array.isArray(r)) {
      throw new TypeError(`${fn}: references[${i}] is ${kind(r)}; expected an array of strings (references[i] lists every reference of predictions[i], e.g. [['ref a'], ['ref b']])`);
    }
    r.forEach((s, j) => {
      if (typeof s !== 'string') throw new TypeError(`${fn}: references[${i}][${j}] is ${kind(s)}; expected a string`);
    });
  });
}
