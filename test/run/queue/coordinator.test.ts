/**
 * The queue's failure semantics with real parts: redis-server, BullMQ, the coordinator writing an
 * in-memory store, `fte worker`'s loop; only the training child is a stand-in (fake-variant.mjs).
 */
import os from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PREFIX, SWEEPS_KEY, jobIdOf, queueName, type VariantJobResult } from '../../../src/run/queue/protocol.js';
import { openControl } from '../../../src/run/queue/redis.js';
import { parseQueueUrl } from '../../../src/run/queue/url.js';
import { fakeVariant, harness, until, type Harness } from './fixture.js';
import { startRedis, type RedisServer } from './redis-server.js';

let redis: RedisServer;
/** Workers and other closers a test started: stopped after it even when it fails, so none leaks into the next. */
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await redis?.stop();
});

/** h.worker(), stopped after the test whatever happens. */
function worker(h: Harness, opts?: { concurrency?: number }): ReturnType<Harness['worker']> {
  const w = h.worker(opts);
  cleanups.push(() => w.stop());
  return w;
}

const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });

describe('a queued sweep', () => {
  it('stores every outcome once: completed, retried then completed, failed after every attempt (each reason kept), a spec/data error at once', async () => {
    const h = await harness(redis.url);
    const marker = join(mkdtempSync(join(os.tmpdir(), 'fte-flaky-')), 'attempted');
    const variants = [fakeVariant(0, 'ok'), fakeVariant(1, 'flaky', { marker }), fakeVariant(2, 'fail'), fakeVariant(3, 'input'), fakeVariant(4, 'die')];
    const q = h.coordinator(variants);
    await q.open();
    const w = worker(h, { concurrency: 2 });
    await q.run();
    await q.close(true);
    expect(await w.stop()).toBe(0);

    const runs = await h.store.db.all<{ run_id: string; variant_key: string; status: string; error: string | null; host: string | null; backend: string | null }>(
      `SELECT run_id, variant_key, status, error, host, backend FROM runs WHERE kind = 'variant' ORDER BY variant_key`,
    );
    // One run per variant key, whatever the attempts.
    expect(runs.map((r) => r.variant_key).sort()).toEqual(variants.map((v) => v.variant.key).sort());
    const by = (mode: string) => runs.find((r) => r.variant_key.startsWith(mode))!;
    expect(by('ok')).toMatchObject({ status: 'completed', host: os.hostname(), error: null });
    expect(by('flaky').status).toBe('completed');
    expect(by('fail').status).toBe('failed');
    expect(by('fail').error!.match(/attempt \d on [^:]+:\d+: out of memory \(fake\)/g)).toHaveLength(3);
    expect(by('input').status).toBe('failed');
    expect(by('input').error).toMatch(/^attempt 1 on [^:]+:\d+: dataset: bad row \(fake\)$/); // not retried
    expect(by('die').status).toBe('failed');
    expect(by('die').error!.match(/worker process killed by SIGKILL/g)).toHaveLength(3);
    expect(h.ended.map((o) => o.status).sort()).toEqual(['completed', 'completed', 'failed', 'failed', 'failed']);
    expect(w.log.join('\n')).toMatch(/not retried: a spec or data error/);
    expect(w.log.join('\n')).toMatch(/will be retried/);

    // The completed run's curve (streamed and in the outcome: stored once), metrics and shipped checkpoint.
    const ok = by('ok');
    expect(await h.store.db.all(`SELECT step, value FROM step_metrics WHERE run_id = $1 ORDER BY step`, [ok.run_id])).toEqual([{ step: 1, value: 2 }, { step: 2, value: 1 }]);
    expect(await h.store.db.all(`SELECT metric, value FROM eval_results WHERE run_id = $1`, [ok.run_id])).toEqual([{ metric: 'accuracy', value: 0.75 }]);
    const [art] = await h.store.db.all<{ path: string }>(`SELECT path FROM artifacts WHERE run_id = $1`, [ok.run_id]);
    expect(art!.path).toBe(join(h.outDir, ok.run_id, 'best', 'adapter_model.safetensors'));
    expect(readFileSync(art!.path, 'utf8')).toBe(`weights of ${ok.variant_key}`);

    // Finished: the queue's keys and its registry entry are gone.
    const probe = new Queue(q.name, { connection: connection(), prefix: PREFIX });
    expect(Object.values(await probe.getJobCounts()).every((n) => n === 0)).toBe(true);
    const control = await openControl(parseQueueUrl(redis.url), 'test');
    expect(await control.client.hget(SWEEPS_KEY, q.name)).toBeNull();
    await control.close();
    await probe.close();
    await h.store.close();
  }, 60_000);

  it('a coordinator that stops leaves the jobs; the next one adds none again, ingests what finished meanwhile and waits for the rest', async () => {
    const h = await harness(redis.url);
    const variants = [fakeVariant(0, 'ok'), fakeVariant(1, 'ok'), fakeVariant(2, 'ok')];
    const first = h.coordinator(variants);
    await first.open();
    first.stop();
    await first.run();
    await first.close(false);
    // Workers go on without a coordinator: two of the three finish.
    const w = worker(h);
    const probe = new Queue(queueName(h.sweepId), { connection: connection(), prefix: PREFIX });
    await until(async () => (await probe.getJobCounts('completed')).completed >= 2, 20_000, 'two jobs to finish');
    expect(await h.store.db.all(`SELECT count(*)::INT AS n FROM runs WHERE kind = 'variant'`)).toEqual([{ n: 0 }]);
    const again = h.coordinator(variants);
    await again.open();
    expect(h.notes.join('\n')).toMatch(/0 job\(s\) added, 3 already there/);
    await again.run();
    await again.close(true);
    await w.stop();
    await probe.close();
    const runs = await h.store.db.all<{ variant_key: string; status: string }>(`SELECT variant_key, status FROM runs WHERE kind = 'variant' ORDER BY 1`);
    expect(runs).toEqual(variants.map((v) => ({ variant_key: v.variant.key, status: 'completed' })).sort((a, b) => a.variant_key.localeCompare(b.variant_key)));
    expect(w.log.filter((l) => /attempt \d+ started/.test(l))).toHaveLength(3); // nothing ran twice
    await h.store.close();
  }, 60_000);

  it('a late result from a worker that lost its lock is refused; the run stored is the re-delivered attempt\'s', async () => {
    const h = await harness(redis.url);
    const v = fakeVariant(0, 'ok');
    const q = h.coordinator([v]);
    await q.open();
    // A worker that takes the job and stops renewing its lock (hung, cut off), then answers late.
    let answered: (() => void) | null = null;
    const rogue = new Worker(
      q.name,
      async () => {
        await new Promise<void>((r) => (answered = r));
        return { v: 1, host: 'rogue', pid: 1, runDir: '/x', outcome: { runId: 'x', status: 'completed', evalRows: [], stepMetrics: [], predictions: [], costs: [], artifacts: [], error: 'ROGUE' } } as unknown as VariantJobResult;
      },
      { connection: connection(), prefix: PREFIX, lockDuration: 500, skipLockRenewal: true, skipStalledCheck: true, name: 'rogue:1' },
    );
    cleanups.push(() => rogue.close(true));
    const rogueFailed = new Promise<string>((r) => {
      rogue.on('error', (err) => r(`error: ${err.message}`));
      rogue.on('failed', (_job, err) => r(`failed: ${err.message}`));
      rogue.on('completed', () => r('completed'));
    });
    await until(() => answered !== null, 10_000, 'the rogue worker to take the job'); // its one slot stays busy: it takes no other
    const w = worker(h);
    const running = q.run();
    await until(() => h.ended.length === 1, 20_000, 'the re-delivered attempt to be stored');
    (answered as unknown as () => void)();
    expect(await Promise.race([rogueFailed, new Promise((r) => setTimeout(() => r('no error'), 5000))])).toMatch(/^error: Missing (lock|key) for job/);
    await running;
    await q.close(true);
    await w.stop();
    await rogue.close(true);
    const runs = await h.store.db.all<{ status: string; error: string | null; host: string }>(`SELECT status, error, host FROM runs WHERE kind = 'variant'`);
    expect(runs).toEqual([{ status: 'completed', error: null, host: os.hostname() }]);
    expect(h.notes.join('\n')).toMatch(/stopped answering \(lock expired\)/);
    await h.store.close();
  }, 60_000);
});

describe('fte worker', () => {
  it('refuses a job whose base model or dataset differs from its own copy, once, naming the fingerprints', async () => {
    const h = await harness(redis.url);
    const { realOrigin } = await import('./fixture.js');
    const origin = await realOrigin();
    const q = h.coordinator([fakeVariant(0, 'ok')], { ...origin, baseModel: { ...origin.baseModel, fingerprint: 'f'.repeat(64) } });
    await q.open();
    const w = worker(h);
    await q.run();
    await q.close(true);
    await w.stop();
    const [run] = await h.store.db.all<{ status: string; error: string }>(`SELECT status, error FROM runs WHERE kind = 'variant'`);
    expect(run!.status).toBe('failed');
    expect(run!.error).toMatch(/^attempt 1 on [^;]*: base model \S+ on \S+ differs from the coordinator's \(fingerprint [0-9a-f]{12}, job ffffffffffff\)$/);
    await h.store.close();
  }, 30_000);

  it('on Ctrl-C gives its running job back to the queue (not failed, no attempt used) and exits 0', async () => {
    const h = await harness(redis.url);
    const q = h.coordinator([fakeVariant(0, 'slow')]);
    await q.open();
    const w = worker(h);
    await until(() => h.notes.some((l) => /training on fake/.test(l)) || w.log.some((l) => /attempt 1 started/.test(l)), 10_000, 'the job to start');
    const probe = new Queue(q.name, { connection: connection(), prefix: PREFIX });
    await until(async () => (await probe.getJobCounts('active')).active === 1, 10_000, 'the job to be active');
    expect(await w.stop()).toBe(0);
    expect(w.log.join('\n')).toMatch(/given back to the queue/);
    const job = (await probe.getJob(jobIdOf(fakeVariant(0, 'slow').variant.key)))!;
    expect(await job.getState()).toBe('waiting');
    expect(job.attemptsMade).toBe(0);
    q.stop();
    await q.run();
    await q.close(true);
    await probe.close();
    await h.store.close();
  }, 30_000);
});
