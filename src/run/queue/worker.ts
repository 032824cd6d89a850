/**
 * `fte worker --queue URL`: takes variant jobs from the sweeps registered on a Redis queue and runs
 * each in a local worker process (../pool.ts, ../worker.ts: the same stage functions as a local
 * sweep), streaming its progress back as job progress and returning its outcome. It never opens a
 * database: the coordinator stores everything.
 *
 * Per job: the job's queue protocol must be this one; the base model and the dataset are found in
 * this checkout (see JobOrigin), the dataset prepared as the coordinator did, and both fingerprints
 * must equal the job's, else the job fails at once (no retry) naming the difference. A run that
 * fails on bad input fails without retry too; any other failure (an error, a worker process that
 * died) is retried by BullMQ with backoff. Training runs in child processes, so this process's
 * event loop stays free to renew the jobs' locks.
 *
 * Sweeps: the worker serves one sweep's queue at a time, the oldest registered one with jobs
 * waiting, and moves on when it is empty (or gone from the registry: its sweep ended).
 *
 * SIGINT / SIGTERM: stop taking jobs, stop the local processes, put each running job back in the
 * queue (another worker takes it at once), deregister, exit 0. A second signal exits at once
 * (its jobs come back when their locks expire).
 */
import os from 'node:os';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { UserInputError } from '../../errors.js';
import { loadDataset } from '../../data/index.js';
import { resolveSpecPath } from '../../experiment/index.js';
import { baseModelFingerprint } from '../../experiment/fingerprint.js';
import type { StepMetric } from '../../train/types.js';
import { WorkerPool } from '../pool.js';
import type { SweepContext, WorkerMessage } from '../protocol.js';
import { folderBytes, packFolder } from './artifacts.js';
import { PREFIX, QUEUE_PROTOCOL, SWEEPS_KEY, WORKERS_KEY, type ProgressEvent, type SweepEntry, type VariantJobData, type VariantJobResult, type WorkerEntry } from './protocol.js';
import { openControl, type ControlConnection } from './redis.js';
import type { QueueSettings } from './settings.js';
import { connectionOptions, hidePassword, type QueueUrl } from './url.js';

export interface QueueWorkerOptions {
  url: QueueUrl;
  settings: QueueSettings;
  /** Jobs at once (local worker processes). */
  concurrency: number;
  /** A backend for every job; absent: each job's (the coordinator's `--backend`). */
  backend?: string;
  /** Checkpoints go to `<dir>/<sweepId>/<runId>` (a filesystem the coordinator shares) instead of travelling back in the result. */
  artifactsDir?: string;
  /** Cache root for prepared data (default `.fte/cache`). */
  cacheDir?: string;
  /** Lines for the operator (stderr). */
  log: (line: string) => void;
  /** The local worker module and its Node flags (as a local sweep uses them). */
  script: string;
  execArgv: string[];
  /** Stop as on SIGINT when this aborts (tests, embedding); SIGINT/SIGTERM are handled unless `signals` is false. */
  stop?: AbortSignal;
  signals?: boolean;
}

/** Prepared inputs of one sweep on this host. */
interface LocalInputs {
  dataDir: string;
  baseModelDir: string;
}

/** The first of `candidates` that exists. */
function firstExisting(candidates: string[]): string | null {
  return candidates.find((c) => existsSync(c)) ?? null;
}

/**
 * Serve jobs until SIGINT/SIGTERM.
 * @returns the exit code (0 after a clean stop)
 * @throws UserInputError when Redis cannot be reached at the start
 */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<number> {
  const host = os.hostname();
  const pid = process.pid;
  const me = `${host}:${pid}`;
  const s = o.settings;
  const control: ControlConnection = await openControl(o.url, `fte-worker:${me}`);
  const inputs = new Map<string, Promise<LocalInputs>>();
  const routes = new Map<string, (m: WorkerMessage) => void>();
  const pool = new WorkerPool(o.concurrency, o.script, (m) => {
    const runId = 'runId' in m ? m.runId : null;
    if (runId) routes.get(runId)?.(m);
  }, o.execArgv);
  const counts = new Map<string, Queue>();
  let current: { name: string; worker: Worker; running: number } | null = null;
  let stopping = false;
  let errorsShown = 0;
  const showError = (err: Error) => {
    if (stopping || errorsShown >= 10) return;
    errorsShown++;
    o.log(`queue: ${hidePassword(err.message, o.url)}${errorsShown === 10 ? ' (further errors not shown)' : ''}`);
  };
  o.log(`fte worker ${host} pid ${pid}: serving sweeps on ${o.url.display} (concurrency ${o.concurrency}, backend ${o.backend ?? "each job's"}); Ctrl-C gives running jobs back and stops`);

  /** Find this host's copy of the sweep's base model and data; check both against the job's fingerprints. */
  async function localInputs(data: VariantJobData): Promise<LocalInputs> {
    const origin = data.origin;
    const spec = { path: resolve(origin.specPath) };
    const modelDir = firstExisting([resolve(origin.baseModel.path), resolveSpecPath(spec, origin.baseModel.spec)].filter((d) => existsSync(join(d, 'config.json'))));
    if (!modelDir) throw new UserInputError(`base model ${origin.baseModel.spec} not found on ${host} (looked for ${origin.baseModel.path} in ${process.cwd()})`);
    const fp = baseModelFingerprint(modelDir);
    if (fp !== origin.baseModel.fingerprint) {
      throw new UserInputError(`base model ${modelDir} on ${host} differs from the coordinator's (fingerprint ${fp.slice(0, 12)}, job ${origin.baseModel.fingerprint.slice(0, 12)})`);
    }
    const datasetPath = firstExisting([resolve(origin.dataset.path), resolveSpecPath(spec, origin.dataset.spec)]) ?? origin.dataset.spec;
    const oodSpec = origin.dataset.ood;
    const ood = oodSpec ? firstExisting([resolve(oodSpec.path), resolveSpecPath(spec, oodSpec.spec)]) ?? oodSpec.spec : oodSpec;
    const prepared = await loadDataset(datasetPath, {
      seed: origin.dataset.seed, cacheDir: o.cacheDir ?? join('.fte', 'cache'),
      ...(origin.dataset.maxBadRows ? { maxBadRows: origin.dataset.maxBadRows } : {}),
      ...(ood !== undefined ? { ood } : {}),
    });
    if (prepared.manifest.fingerprint !== origin.dataset.fingerprint) {
      throw new UserInputError(`dataset ${datasetPath} on ${host} prepares differently from the coordinator's (fingerprint ${prepared.manifest.fingerprint.slice(0, 12)}, job ${origin.dataset.fingerprint.slice(0, 12)})`);
    }
    return { dataDir: prepared.dir, baseModelDir: modelDir };
  }

  /** One job: one variant, in a local worker process. */
  async function processJob(job: Job, token?: string): Promise<VariantJobResult> {
    const data = job.data as VariantJobData;
    const attempt = job.attemptsStarted;
    if (data?.v !== QUEUE_PROTOCOL) throw unrecoverable(job, attempt, `a job of queue protocol ${String(data?.v)}; this fte worker speaks ${QUEUE_PROTOCOL}: run the same fte version on every host`);
    const backend = o.backend ?? data.context.backend;
    const report = (message: WorkerMessage) => {
      const event: ProgressEvent = { attempt, host, pid, backend, message };
      job.updateProgress(event).catch(() => undefined);
    };
    const outDir = o.artifactsDir ? resolve(o.artifactsDir, data.sweepId) : join(os.tmpdir(), `fte-worker-${pid}`, data.sweepId);
    const runDir = join(outDir, data.runId);
    const steps: StepMetric[] = [];
    const what = `${data.sweepId} ${data.label}`;
    const t0 = Date.now();
    o.log(`${what}: attempt ${attempt} started`);
    report({ type: 'phase', runId: data.runId, phase: `preparing on ${host}` });
    let shipped = false;
    try {
      let local: LocalInputs;
      try {
        const key = `${data.sweepId}\0${data.origin.baseModel.fingerprint}\0${data.origin.dataset.fingerprint}`;
        if (!inputs.has(key)) inputs.set(key, localInputs(data));
        local = await inputs.get(key)!.catch((err: unknown) => {
          inputs.delete(key);
          throw err;
        });
      } catch (err) {
        throw err instanceof UserInputError ? unrecoverable(job, attempt, err.message) : err;
      }
      const context: SweepContext = { ...data.context, specPath: resolve(data.origin.specPath), dataDir: local.dataDir, baseModelDir: local.baseModelDir, backend, outDir };
      delete context.responseCacheDir;
      routes.set(data.runId, (m) => {
        if (m.type === 'step' || m.type === 'eval') steps.push(...m.metrics);
        report(m);
      });
      const r = await pool.run({ runId: data.runId, message: { type: 'task', runId: data.runId, variant: data.variant, context } }).catch((err: Error) => ({ kind: 'died' as const, reason: err.message }));
      if (stopping) {
        // Ctrl-C: the job goes back to the queue now (not failed, not stalled).
        await job.moveToWait(token);
        o.log(`${what}: given back to the queue`);
        throw new WaitingError();
      }
      if (r.kind === 'died') throw failure(job, attempt, r.reason);
      if (r.message.type !== 'end') throw failure(job, attempt, 'unexpected message from the local worker');
      const outcome = r.message.outcome;
      if (outcome.status === 'failed') {
        const why = outcome.error ?? 'failed';
        throw r.message.errorKind === 'input' ? unrecoverable(job, attempt, why) : failure(job, attempt, why);
      }
      const result: VariantJobResult = { v: QUEUE_PROTOCOL, host, pid, outcome: { ...outcome, stepMetrics: mergeSteps(outcome.stepMetrics, steps) }, runDir };
      if (o.artifactsDir) {
        result.artifactsNote = `checkpoint in ${runDir} (--artifacts of ${host})`;
      } else {
        const bytes = folderBytes(runDir);
        if (bytes <= s.inlineBytes) {
          result.files = packFolder(runDir);
          shipped = true;
        } else {
          result.artifactsNote = `checkpoint (${bytes} bytes, over FTE_QUEUE_INLINE_BYTES ${s.inlineBytes}) stays on ${host} in ${runDir}; give workers --artifacts on a shared filesystem`;
        }
      }
      o.log(`${what}: ${outcome.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    } catch (err) {
      if (!(err instanceof WaitingError)) {
        const e = err as Error;
        const retry = !(e instanceof UnrecoverableError) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
        const line = `attempt ${attempt} failed: ${e.message}${e instanceof UnrecoverableError ? ' (not retried: a spec or data error)' : retry ? '; will be retried' : ''}`;
        o.log(`${what}: ${line}`);
        report({ type: 'error', runId: data.runId, message: line });
        shipped = !o.artifactsDir;
      }
      throw err;
    } finally {
      routes.delete(data.runId);
      if (shipped) rmSync(runDir, { recursive: true, force: true });
    }
  }

  function openWorker(name: string): Worker {
    const w = new Worker(name, async (job, token) => {
      if (current?.worker === w) current.running++;
      try {
        return await processJob(job, token);
      } finally {
        if (current?.worker === w) current.running--;
      }
    }, {
      connection: connectionOptions(o.url, `fte-worker:${me}`) as never,
      prefix: PREFIX,
      name: me,
      concurrency: o.concurrency,
      lockDuration: s.lockMs,
      stalledInterval: s.stalledMs,
      maxStalledCount: s.maxStalled,
      drainDelay: Math.max(1, Math.round(s.pollMs / 1000)),
    });
    w.on('error', showError);
    return w;
  }

  /** Jobs waiting (or delayed) in a queue; `active` too when asked. */
  async function backlog(name: string): Promise<{ waiting: number; active: number }> {
    let q = counts.get(name);
    if (!q) {
      q = new Queue(name, { connection: connectionOptions(o.url, `fte-worker:${me}`) as never, prefix: PREFIX });
      q.on('error', showError);
      counts.set(name, q);
    }
    const c = await q.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), active: c.active ?? 0 };
  }

  /** Heartbeat, and pick the queue to serve. */
  async function tick(): Promise<void> {
    const entry: WorkerEntry = { host, pid, backend: o.backend ?? "each job's backend", concurrency: o.concurrency, queue: current?.name ?? null, seen: Date.now() };
    await control.client.hset(WORKERS_KEY, { [me]: JSON.stringify(entry) });
    const registry = await control.client.hgetall(SWEEPS_KEY);
    const names = Object.entries(registry)
      .map(([name, json]) => {
        try {
          return { name, at: (JSON.parse(json) as SweepEntry).registeredAt ?? '' };
        } catch {
          return { name, at: '' };
        }
      })
      .sort((a, b) => a.at.localeCompare(b.at) || a.name.localeCompare(b.name))
      .map((x) => x.name);
    for (const [name, q] of counts) {
      if (!names.includes(name)) {
        counts.delete(name);
        void q.close();
      }
    }
    if (current && current.running > 0) return;
    if (current && names.includes(current.name) && (await backlog(current.name)).waiting > 0) return;
    let next: string | null = null;
    for (const name of names) if (!next && (await backlog(name)).waiting > 0) next = name;
    if (!next) for (const name of names) if (!next && (await backlog(name)).active > 0) next = name; // look after its stalled jobs
    if (!next && current && names.includes(current.name)) return;
    if (next === (current?.name ?? null)) return;
    if (current) {
      const old = current;
      current = null;
      o.log(`leaving ${old.name}${names.includes(old.name) ? ' (no job waiting)' : ' (its sweep ended)'}`);
      await old.worker.close();
    }
    if (next && !stopping) {
      current = { name: next, worker: openWorker(next), running: 0 };
      o.log(`serving ${next}`);
    }
  }

  let stopped: () => void = () => undefined;
  const done = new Promise<void>((r) => (stopped = r));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      o.log(`second ${signal}: exiting now (running jobs return to the queue when their locks expire)`);
      for (const p of pool.pids()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    }
    stopping = true;
    o.log(`${signal}: giving running jobs back to the queue and stopping (again to exit at once)`);
    stopped();
  };
  if (o.signals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  if (o.stop?.aborted) onSignal('SIGINT');
  o.stop?.addEventListener('abort', () => onSignal('SIGINT'), { once: true });
  try {
    while (!stopping) {
      try {
        await tick();
      } catch (err) {
        showError(err as Error);
      }
      await Promise.race([done, new Promise<void>((r) => setTimeout(r, s.pollMs).unref())]);
    }
    // Stop fetching, then stop the local processes: each running job sees `stopping` and goes back.
    const serving = current as { worker: Worker } | null;
    const closing = serving?.worker.close();
    await pool.close();
    await closing;
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
    await control.client.hdel(WORKERS_KEY, me).catch(() => undefined);
    await Promise.allSettled([...counts.values()].map((q) => q.close()));
    await control.close().catch(() => undefined);
  }
}

/** An error BullMQ does not retry; its stack (what BullMQ keeps per attempt) is the one-line reason. */
function unrecoverable(job: Job, attempt: number, reason: string): UnrecoverableError {
  const e = new UnrecoverableError(reason);
  e.stack = `attempt ${attempt} on ${job.processedBy ?? os.hostname()}: ${reason}`;
  return e;
}

/** A retryable attempt failure; its stack (what BullMQ keeps per attempt) is the one-line reason. */
function failure(job: Job, attempt: number, reason: string): Error {
  const e = new Error(reason);
  e.stack = `attempt ${attempt} on ${job.processedBy ?? os.hostname()}: ${reason}`;
  return e;
}

/** The outcome's step metrics plus those streamed during the run, one row per (split, name, step). */
function mergeSteps(own: StepMetric[], streamed: StepMetric[]): StepMetric[] {
  const seen = new Set<string>();
  const out: StepMetric[] = [];
  for (const r of [...streamed, ...own]) {
    const k = `${r.split}\0${r.name}\0${r.step}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out.sort((a, b) => a.step - b.step);
}
