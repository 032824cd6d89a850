import { canonicalJson } from '../canonical-json.js';
import type { Db } from './db.js';

/**
 * The sweep a resumed `fte sweep` continues: the most recent sweep of the experiment with the same
 * resolved spec and the same run limits, whatever its status (an interrupted one is finished, a
 * completed one is reported again without re-running anything); null when there is none (a new
 * sweep is created).
 *
 * @param specJson the resolved spec as stored in `sweeps.spec_json` (compared as text)
 * @param limits the run limits as stored in `sweeps.limits_json` (compared as canonical JSON)
 */
export async function findResumableSweep(db: Db, experimentId: string, specJson: string, limits: unknown): Promise<string | null> {
  const rows = await db.all<{ sweep_id: string; limits_json: string | null }>(
    `SELECT sweep_id, limits_json FROM sweeps
      WHERE experiment_id = $1 AND spec_json = $2
      ORDER BY started_at DESC`,
    [experimentId, specJson],
  );
  const want = limitsKey(limits);
  const hit = rows.find((r) => limitsKey(r.limits_json ? JSON.parse(r.limits_json) : {}) === want);
  return hit?.sweep_id ?? null;
}

/**
 * Run limits (a flat `{ maxSteps?, limitTrain?, limitEval? }`) as a comparable string: the canonical
 * JSON of its members that are set (null and absent both mean "no limit").
 */
function limitsKey(limits: unknown): string {
  const set = limits && typeof limits === 'object' ? Object.entries(limits).filter(([, v]) => v !== null && v !== undefined) : [];
  return canonicalJson(Object.fromEntries(set));
}

/** Whether the sweep's baseline pseudo-run (`runs.kind = 'baselines'`) completed, so a resumed sweep does not evaluate them again. */
export async function hasCompletedBaselines(db: Db, sweepId: string): Promise<boolean> {
  const rows = await db.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM runs WHERE sweep_id = $1 AND kind = 'baselines' AND status = 'completed'`, [sweepId]);
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * The run that stands for a variant when a sweep is resumed, so it is not trained again: the most
 * recent `completed` run of the variant key in the experiment `experimentId` that ran under the same
 * limits (`--max-steps`, `--limit-train`, `--limit-eval`); else a run that the resumed sweep
 * `sweepId` itself `stopped` by its early termination (hyperband), as W&B keeps a run its early
 * termination stopped. A smoke-test run never stands in for a full one, nor the reverse; a run of
 * another experiment never stands in for this one's (its objective may differ); a stopped run never
 * stands in for another sweep's (perhaps without early termination, or with other runs at its
 * brackets). Failed, diverged and interrupted runs are trained again. Null when none.
 */
export async function doneRunForVariant(db: Db, variantKey: string, limits: unknown, experimentId: string, sweepId: string | null): Promise<{ runId: string; status: 'completed' | 'stopped' } | null> {
  const rows = await db.all<{ run_id: string; status: 'completed' | 'stopped'; limits_json: string | null }>(
    `SELECT r.run_id, r.status, s.limits_json FROM runs r JOIN sweeps s USING (sweep_id)
      WHERE r.kind = 'variant' AND r.variant_key = $1 AND s.experiment_id = $2
        AND (r.status = 'completed' OR (r.status = 'stopped' AND r.sweep_id = $3))
      ORDER BY r.status = 'completed' DESC, r.finished_at DESC NULLS LAST, r.run_seq DESC`,
    [variantKey, experimentId, sweepId],
  );
  const want = limitsKey(limits);
  const hit = rows.find((r) => limitsKey(r.limits_json ? JSON.parse(r.limits_json) : {}) === want);
  return hit ? { runId: hit.run_id, status: hit.status } : null;
}
