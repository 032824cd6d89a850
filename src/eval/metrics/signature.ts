/**
 * Signatures (sacrebleu's idea): a string naming every option that changes a metric's number, stored
 * beside every value so two numbers are only compared when their signatures agree. fte's signatures
 * also name the reference implementation whose numbers they reproduce and fte's own version.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readVersion(): string {
  try {
    // src/eval/metrics/ and dist/eval/metrics/ both sit three levels below the package root.
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** fte's package version, as written into every metric signature. */
export const FTE_VERSION: string = readVersion();

/** Join `key:value` parts with `|` and append `fte:<version>`. */
export function makeSignature(parts: Record<string, string | number | boolean>): string {
  const body = Object.entries(parts).map(([k, v]) => `${k}:${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  body.push(`fte:${FTE_VERSION}`);
  return body.join('|');
}
