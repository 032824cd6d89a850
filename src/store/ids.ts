/**
 * Ids the store chooses: sweep ids (`YYYYMMDD-HHMMSS-xxxx`) and the baselines pseudo-run id of a
 * sweep (`baselineRunId`, defined with the row types in ./types.ts).
 */
import crypto from 'node:crypto';

export { baselineRunId } from './types.js';

/** Default sweep id: `YYYYMMDD-HHMMSS-xxxx` (UTC + 4 random hex digits); sorts by start time. */
export function newSweepId(now = new Date()): string {
  const s = now.toISOString();
  return `${s.slice(0, 10).replaceAll('-', '')}-${s.slice(11, 19).replaceAll(':', '')}-${crypto.randomBytes(2).toString('hex')}`;
}

/**
 * The response cache of API providers kept with a store: `<db>.responses/` beside the DuckDB file (one
 * JSON file per response, src/providers/cache.ts). Deleting it only makes the next run send its
 * requests again.
 */
export function responseCacheDir(db: string): string {
  return `${db}.responses`;
}
