/**
 * Canonical JSON: object keys sorted at every level and `undefined` members left out, so equal
 * values serialise (and hash) equally. Variant keys hash it (src/experiment/sweep.ts `variantKey`),
 * so its output for a given value must never change; the store compares run limits with it.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
