/**
 * Text keys for duplicate detection. Exact duplicates compare prompt and completion as written;
 * normalised duplicates fold Unicode compatibility forms (NFKC), punctuation (every `\p{P}`/`\p{S}`
 * character removed) and whitespace (runs collapsed to one space, ends trimmed).
 *
 * Case: a *prompt* is always compared case-folded (the same question in another case is the same
 * question, and must not be in two splits). A *completion* is case-folded only when the caller says
 * the answers are case-insensitive (`foldCase`: `fte data validate/prepare --fold-case`, or a
 * built-in suite): by default the answers `-v` and `-V` are different answers, so two rows with the
 * same prompt and those answers are a conflict, not normalised duplicates.
 */

/** `"Hello,  WORLD!"` -> `"Hello WORLD"`; with `foldCase` -> `"hello world"`. */
export function normalizeText(text: string, foldCase = false): string {
  const nfkc = text.normalize('NFKC');
  return (foldCase ? nfkc.toLowerCase() : nfkc)
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Key of an example for exact duplicates (prompt and completion, unambiguous join). */
export function exactKey(prompt: string, completion: string): string {
  return JSON.stringify([prompt, completion]);
}

/** Key of an example for normalised duplicates: prompt case-folded, completion only with `foldCase`. */
export function normalizedKey(prompt: string, completion: string, foldCase = false): string {
  return JSON.stringify([normalizeText(prompt, true), normalizeText(completion, foldCase)]);
}
