/**
 * Text helpers that reproduce Python's string semantics, so that the metric ports split, strip and
 * count exactly as the Python reference implementations do.
 *
 * - Python's `str.split()` / `str.strip()` use `str.isspace()`, which differs from JavaScript's `\s`:
 *   Python counts U+001C..U+001F and U+0085 as whitespace, JavaScript counts U+FEFF.
 * - Python indexes strings by Unicode code point; JavaScript by UTF-16 unit. `codePoints` gives the
 *   Python view.
 */

/** Characters for which Python's `str.isspace()` is true (CPython 3.11, Unicode 14). */
const PY_WS_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, 'g');
const PY_WS_TRAILING = new RegExp(`[${PY_WS_CLASS}]+$`);
const PY_WS_LEADING = new RegExp(`^[${PY_WS_CLASS}]+`);

/** Python's `s.split()` (no argument): split on runs of whitespace, drop empty pieces. */
export function pySplit(s: string): string[] {
  const out = s.split(PY_WS_RUN);
  if (out.length > 0 && out[0] === '') out.shift();
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_WS_TRAILING, '');
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_WS_LEADING, '').replace(PY_WS_TRAILING, '');
}

/** Python's `''.join(s.split())`: delete every whitespace character. */
export function pyRemoveWhitespace(s: string): string {
  return s.replace(PY_WS_RUN, '');
}

/** The string as an array of Unicode code points (Python's `list(s)`). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Compare two strings by code point, as Python's `sorted()` orders `str` (JS `<` compares UTF-16 units). */
export function comparePy(a: string, b: string): number {
  if (a === b) return 0;
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!.codePointAt(0)!;
    const y = cb[i]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** Count occurrences (Python's `collections.Counter`). */
export function counter<T>(items: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
