/**
 * Timings and limits of the queue, from the environment (the same on the coordinator and on every
 * worker; tests shorten them). Names, defaults and who reads each:
 *
 * | variable | default | read by | meaning |
 * | --- | --- | --- | --- |
 * | FTE_QUEUE_LOCK_MS | 30000 | worker | a job's lock; renewed every half of it while the job runs. A worker that dies holds it at most this long |
 * | FTE_QUEUE_STALLED_MS | 30000 | worker | how often workers look for jobs whose lock expired (stalled) and put them back in the queue |
 * | FTE_QUEUE_MAX_STALLED | 2 | worker | how often one job may stall (its worker lost) before it is failed |
 * | FTE_QUEUE_ATTEMPTS | 3 | coordinator | attempts of a job that fails (a spec or data error: one) |
 * | FTE_QUEUE_BACKOFF_MS | 10000 | coordinator | delay before the 2nd attempt, doubled for each further one |
 * | FTE_QUEUE_POLL_MS | 1000 | both | how often the coordinator looks for finished jobs and workers look for new sweeps |
 * | FTE_QUEUE_INLINE_BYTES | 16777216 | worker | a run folder up to this size travels back in the result; a larger one stays on the worker (use --artifacts on a shared filesystem) |
 */
import { UserInputError } from '../../errors.js';

export interface QueueSettings {
  lockMs: number;
  stalledMs: number;
  maxStalled: number;
  attempts: number;
  backoffMs: number;
  pollMs: number;
  inlineBytes: number;
}

const DEFAULTS: Record<keyof QueueSettings, [string, number, number]> = {
  lockMs: ['FTE_QUEUE_LOCK_MS', 30_000, 100],
  stalledMs: ['FTE_QUEUE_STALLED_MS', 30_000, 100],
  maxStalled: ['FTE_QUEUE_MAX_STALLED', 2, 0],
  attempts: ['FTE_QUEUE_ATTEMPTS', 3, 1],
  backoffMs: ['FTE_QUEUE_BACKOFF_MS', 10_000, 0],
  pollMs: ['FTE_QUEUE_POLL_MS', 1000, 10],
  inlineBytes: ['FTE_QUEUE_INLINE_BYTES', 16 * 1024 * 1024, 0],
};

/**
 * The settings in force.
 * @throws UserInputError naming the variable when one is set but not an integer at or above its minimum
 */
export function queueSettings(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  const out = {} as QueueSettings;
  for (const [key, [name, fallback, min]] of Object.entries(DEFAULTS) as [keyof QueueSettings, [string, number, number]][]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') {
      out[key] = fallback;
      continue;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UserInputError(`${name}: expected an integer >= ${min}, got '${raw}'`);
    out[key] = n;
  }
  return out;
}
