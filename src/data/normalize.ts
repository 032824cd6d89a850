/**
 * Text keys for duplicate detection. Exact duplicates compare prompt and completion as written;
 * normalised duplicates fold case (Unicode lower case after NFKC), punctuation (every
 * `\p{P}`/`\p{S}` character removed) and whitespace (runs collapsed to one space, ends trimmed).
 */

/** `"Hello,  WORLD!"` -> `"hello world"`. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Key of an example for exact duplicates (prompt and completion, unambiguous join). */
export function exactKey(prompt: string, completion: string): string {
  return JSON.stringify([prompt, completion]);
}

/** Key of an example for normalised duplicates. */
export function normalizedKey(prompt: string, completion: string): string {
  return JSON.stringify([normalizeText(prompt), normalizeText(completion)]);
}
