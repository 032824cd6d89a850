/**
 * Read queries that `fte compare` needs and src/store/queries.ts does not offer. Bound parameters
 * only; plain records out.
 */
import type { Db } from './db.js';

export interface RunRef {
  runId: string;
  sweepId: string;
  kind: 'variant' | 'baselines';
}

/**
 * The run whose id is `ref`, or else the only run whose id starts with `ref` (as git resolves
 * short hashes). Unlike `resolveRunId` this does not throw for "no such run", so a REF can fall
 * through to the other forms (sweep id...).
 * @returns the run, `null` when nothing matches, or the candidate ids (at most 5) when ambiguous
 */
export async function findRun(db: Pick<Db, 'all'>, ref: string): Promise<RunRef | null | string[]> {
  const exact = await db.all<RunRef>(`SELECT run_id AS "runId", sweep_id AS "sweepId", kind FROM runs WHERE run_id = $1`, [ref]);
  if (exact[0]) return exact[0];
  const like = await db.all<RunRef>(`SELECT run_id AS "runId", sweep_id AS "sweepId", kind FROM runs WHERE starts_with(run_id, $1) ORDER BY run_seq LIMIT 5`, [ref]);
  if (like.length === 1) return like[0]!;
  return like.length === 0 ? null : like.map((r) => r.runId);
}

/** Whether a sweep with this exact id exists. */
export async function sweepExists(db: Pick<Db, 'all'>, sweepId: string): Promise<boolean> {
  const rows = await db.all(`SELECT 1 FROM sweeps WHERE sweep_id = $1`, [sweepId]);
  return rows.length > 0;
}
