/**
 * The worker pool with real child processes (test/run/children/fake-worker.mjs speaks the protocol):
 * tasks run at most `size` at a time, a dead worker fails only its own task and is replaced, progress
 * messages reach the callback, and close() ends every worker.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool, type PoolTask } from '../../src/run/pool.js';
import type { WorkerMessage } from '../../src/run/protocol.js';

const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'children/fake-worker.mjs');
const task = (runId: string, key = runId): PoolTask => ({
  runId,
  message: { type: 'task', runId, variant: { key, method: 'lora', params: { alpha: 16 } as never }, context: {} as never },
});
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close(500);
  pool = undefined;
});

describe('WorkerPool', () => {
  it('runs every task, never more than size at once, reusing workers', async () => {
    const progress: WorkerMessage[] = [];
    pool = new WorkerPool(2, script, (m) => progress.push(m));
    let maxInFlight = 0;
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((id) =>
        pool!.run(task(id, 'slow'), async () => {
          maxInFlight = Math.max(maxInFlight, pool!.inFlight().length + 1);
        }),
      ),
    );
    expect(results.map((r) => r.kind)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const pids = new Set(results.map((r) => (r.kind === 'done' && r.message.type === 'end' ? (r.message.outcome as unknown as { pid: number }).pid : 0)));
    expect(pids.size).toBe(2);
    expect(progress.filter((m) => m.type === 'phase')).toHaveLength(5);
  });

  it('a worker that dies fails only its task; the next task gets a fresh worker', async () => {
    pool = new WorkerPool(1, script, () => {});
    const died = await pool.run(task('x', 'die'));
    expect(died).toEqual({ kind: 'died', reason: 'worker process killed by SIGKILL' });
    const next = await pool.run(task('y'));
    expect(next.kind).toBe('done');
    const baselines = await pool.run({ runId: null, message: { type: 'baselines', context: {} as never } });
    expect(baselines.kind === 'done' && baselines.message.type).toBe('baselines-done');
  });

  it('close() ends every worker and refuses new tasks', async () => {
    pool = new WorkerPool(2, script, () => {});
    await Promise.all([pool.run(task('a')), pool.run(task('b'))]);
    const pids = pool.pids();
    expect(pids).toHaveLength(2);
    await pool.close(500);
    expect(pids.filter(alive)).toEqual([]);
    await expect(pool.run(task('c'))).rejects.toThrow('worker pool is closed');
  });
});
