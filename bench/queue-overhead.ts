/**
 * Per-job overhead of the Redis queue against local worker processes, with training taken out: N
 * variants whose worker process answers at once (test/run/queue/children/fake-variant.mjs, mode
 * `ok`: two step events, a checkpoint file, an outcome), one at a time, stored in an in-memory store
 * the same way both paths store a run (startRun, step metrics, writeRunOutcome).
 *
 * - local: WorkerPool (child process over IPC) as `fte sweep` uses it;
 * - queue: QueuedSweep (coordinator) + runQueueWorker (`fte worker`, concurrency 1) in this process,
 *   a real redis-server on a free loopback port, default timings (queueSettings()).
 *
 *   npx jiti bench/queue-overhead.ts [--jobs 50]
 *
 * Prints one JSON object: ms per job for each path and their difference.
 */
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/index.js';
import { WorkerPool } from '../src/run/pool.js';
import type { WorkerMessage } from '../src/run/protocol.js';
import { queueSettings } from '../src/run/queue/settings.js';
import { FAKE_CHILD, fakeVariant, harness } from '../test/run/queue/fixture.js';
import { startRedis } from '../test/run/queue/redis-server.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '50' } } });
const jobs = Number(values.jobs);

async function local(): Promise<number> {
  const store = await openStore(':memory:');
  const experimentId = await store.upsertExperiment({ name: 'bench', specPath: 'x', specHash: 'h' });
  const sweepId = await store.createSweep({ experimentId, specJson: {} });
  const writes: Promise<unknown>[] = [];
  const pool = new WorkerPool(1, FAKE_CHILD, (m: WorkerMessage) => {
    if (m.type === 'step') writes.push(store.appendStepMetrics(m.runId, m.metrics));
  });
  const context = { sweepId, outDir: `/tmp/fte-bench-local-${process.pid}` } as never;
  // One warm-up job (the worker process starts once in both paths).
  const t0 = { t: 0 };
  for (let i = -1; i < jobs; i++) {
    if (i === 0) t0.t = performance.now();
    const v = fakeVariant(i + 1, 'ok').variant;
    const runId = `local-${i + 1}`;
    await store.startRun({ runId, sweepId, variantKey: v.key, method: v.method, params: v.params as never });
    const r = await pool.run({ runId, message: { type: 'task', runId, variant: { key: v.key, method: v.method, params: v.params }, context } });
    await Promise.all(writes.splice(0));
    if (r.kind === 'done' && r.message.type === 'end') await store.writeRunOutcome({ ...r.message.outcome, runId });
  }
  const ms = (performance.now() - t0.t) / jobs;
  await pool.close();
  await store.close();
  return ms;
}

async function queued(url: string): Promise<number> {
  const h = await harness(url, queueSettings());
  const w = h.worker();
  // The first job warms the path up (worker process, connections, the worker's dataset check); the clock starts when it is stored.
  const q = h.coordinator(Array.from({ length: jobs + 1 }, (_, i) => fakeVariant(i, 'ok')));
  await q.open();
  const running = q.run();
  while (h.ended.length === 0) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  await running;
  const ms = (performance.now() - t0) / jobs;
  await q.close(true);
  await w.stop();
  await h.store.close();
  return ms;
}

const redis = await startRedis();
try {
  const localMs = await local();
  const queueMs = await queued(redis.url);
  process.stdout.write(`${JSON.stringify({ jobs, localMsPerJob: +localMs.toFixed(1), queueMsPerJob: +queueMs.toFixed(1), overheadMsPerJob: +(queueMs - localMs).toFixed(1) }, null, 2)}\n`);
} finally {
  await redis.stop();
}
