/**
 * The coordinator's side of a queued sweep (`fte sweep --queue`): one BullMQ job per variant on the
 * sweep's queue, progress events turned into store rows and the live display, and every finished
 * job's outcome written to the store (this process is the only writer) and then removed from Redis.
 *
 * Failure semantics (what each case leaves behind):
 * - A worker killed mid-job stops renewing the job's lock; after FTE_QUEUE_LOCK_MS the other
 *   workers' stalled check puts the job back in the queue and another worker runs the variant
 *   again under the same run id (its first attempt's curves are cleared: `startRun` on a new attempt).
 * - A job whose attempt fails is retried with exponential backoff (FTE_QUEUE_ATTEMPTS,
 *   FTE_QUEUE_BACKOFF_MS); a failed job is stored `failed` with every attempt's reason, stalled
 *   attempts counted. A spec or data error (fingerprint mismatch, bad files) fails at once.
 * - Every attempt of a variant writes the one run id fixed when its job was added, and a job's
 *   result is ingested once (a result from a worker that lost its lock is refused by BullMQ, and
 *   events of an older attempt are ignored): one run per variant key.
 * - The coordinator stopping (Ctrl-C, crash) leaves the queue as it is: workers go on, results
 *   wait in Redis, and the same `fte sweep --queue` again finds the sweep (resume), ingests what
 *   finished and waits for the rest. A job that had failed is stored and queued again, as a local
 *   resume runs a failed variant again.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Variant } from '../../experiment/index.js';
import type { Store } from '../../store/index.js';
import type { RunOutcome } from '../../store/types.js';
import type { SweepContext, WorkerMessage } from '../protocol.js';
import { placeText, type ProgressSink } from '../progress.js';
import { movePaths, unpackFolder } from './artifacts.js';
import { QUEUE_PROTOCOL, PREFIX, SWEEPS_KEY, WORKERS_KEY, jobIdOf, queueName, type JobOrigin, type ProgressEvent, type SweepEntry, type VariantJobData, type VariantJobResult, type WorkerEntry } from './protocol.js';
import { openControl, withTimeout, type ControlConnection } from './redis.js';
import type { QueueSettings } from './settings.js';
import { connectionOptions, hidePassword, type QueueUrl } from './url.js';

/** A variant to run, with its display label (`#3 lora r=8 lr=2e-3 alpha=16`). */
export interface QueuedVariant {
  variant: Variant;
  label: string;
}

export interface QueuedSweepOptions {
  url: QueueUrl;
  settings: QueueSettings;
  store: Store;
  sweepId: string;
  experiment: string;
  variants: QueuedVariant[];
  /** The coordinator's sweep context (a worker replaces its paths); `outDir` receives shipped checkpoints. */
  context: SweepContext;
  origin: JobOrigin;
  progress: ProgressSink;
  /** Notices (stderr). */
  log: (line: string) => void;
  /** Refresh the readers' snapshot. */
  publish: () => void;
  /** A variant's outcome was stored (once per variant this invocation ran or ingested). */
  onEnded: (v: QueuedVariant, outcome: RunOutcome) => void;
}

interface Tracked {
  v: QueuedVariant;
  jobId: string;
  runId: string;
  /** Highest attempt seen (BullMQ attemptsStarted); 0 before the first event. */
  attempt: number;
  /** A runs row was written for it in this invocation. */
  started: boolean;
  ingesting: boolean;
  done: boolean;
  /** Store writes of this job, in order. */
  chain: Promise<void>;
}

/** Failure reason of a failed job: every attempt's, stalled ones counted. */
export function failureReasons(job: Pick<Job, 'stacktrace' | 'failedReason' | 'stalledCounter'>): string {
  const reasons = (job.stacktrace ?? []).filter((r) => typeof r === 'string' && r.trim() !== '').map((r) => r.trim());
  if (job.failedReason && !reasons.some((r) => r.includes(job.failedReason))) reasons.push(job.failedReason);
  if (job.stalledCounter > 0) reasons.push(`${job.stalledCounter} attempt(s) stalled (the worker stopped renewing its lock: killed, or cut off)`);
  return reasons.length ? reasons.join('; ') : 'failed (no reason recorded)';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class QueuedSweep {
  readonly name: string;
  private queue: Queue | null = null;
  private events: QueueEvents | null = null;
  private control: ControlConnection | null = null;
  private readonly jobs = new Map<string, Tracked>();
  private stopped = false;
  private wake: (() => void) | null = null;
  private lastWorkers = '';
  private readonly startedAt = Date.now();
  private warnedNoWorker = false;
  private errorsShown = 0;

  constructor(private readonly o: QueuedSweepOptions) {
    this.name = queueName(o.sweepId);
  }

  /**
   * Connect, register the sweep for workers, ingest what an earlier coordinator left (finished and
   * failed jobs), and add a job for every variant that has none.
   * @throws UserInputError when Redis cannot be reached
   */
  async open(): Promise<void> {
    const o = this.o;
    const who = `fte-sweep:${os.hostname()}:${process.pid}`;
    this.control = await openControl(o.url, who);
    const connection = connectionOptions(o.url, who) as never;
    this.queue = new Queue(this.name, { connection, prefix: PREFIX });
    this.events = new QueueEvents(this.name, { connection, prefix: PREFIX });
    this.queue.on('error', (err: Error) => this.showError(err));
    this.events.on('error', (err: Error) => this.showError(err));
    await withTimeout(Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]), 10_000, () => `cannot reach Redis at ${o.url.display}`);
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as unknown));
    this.events.on('completed', () => this.kick());
    this.events.on('failed', () => this.kick());
    this.events.on('stalled', ({ jobId }) => {
      const t = this.jobs.get(jobId);
      if (t && !t.done) o.progress.note(`${t.v.label}: its worker stopped answering (lock expired); back in the queue for another worker`);
    });

    const entry: SweepEntry = { sweepId: o.sweepId, experiment: o.experiment, host: os.hostname(), pid: process.pid, registeredAt: new Date().toISOString() };
    const known = await this.control.client.hget(SWEEPS_KEY, this.name);
    await this.control.client.hset(SWEEPS_KEY, { [this.name]: known ?? JSON.stringify(entry) });

    let added = 0;
    let waiting = 0;
    for (const v of o.variants) {
      const jobId = jobIdOf(v.variant.key);
      const existing = await this.queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        const data = existing.data as Partial<VariantJobData> | undefined;
        if (data?.v === QUEUE_PROTOCOL && typeof data.runId === 'string' && state !== 'failed') {
          this.track(v, jobId, data.runId);
          waiting++;
          continue;
        }
        if (data?.v === QUEUE_PROTOCOL && typeof data.runId === 'string' && state === 'failed') {
          // Failed while no coordinator listened: stored as it ended, then queued again (a resume re-runs failed variants).
          const t = this.track(v, jobId, data.runId);
          await this.storeFailure(t, existing, false);
          this.jobs.delete(jobId);
          o.log(`${v.label}: failed earlier as run ${data.runId} (${failureReasons(existing)}); queued again`);
        }
        await existing.remove().catch(() => undefined);
      }
      await this.add(v, jobId);
      added++;
    }
    o.log(`queue ${this.name} on ${o.url.display}: ${added} job(s) added${waiting ? `, ${waiting} already there (finished ones are stored now, the others when they end)` : ''}`);
  }

  /** Resolves when every variant's outcome is stored, or after `stop()`. */
  async run(): Promise<void> {
    while (!this.stopped) {
      await this.scan();
      if ([...this.jobs.values()].every((t) => t.done)) break;
      await this.watchWorkers();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.o.settings.pollMs).then(resolve);
      });
      this.wake = null;
    }
    await Promise.allSettled([...this.jobs.values()].map((t) => t.chain));
  }

  /** Stop waiting (Ctrl-C): the queue, its jobs and their results stay in Redis for the next run. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Runs started (a row in the store) and not yet ingested: `interrupted` when the coordinator stops. */
  inFlight(): Array<{ runId: string; v: QueuedVariant }> {
    return [...this.jobs.values()].filter((t) => t.started && !t.done).map((t) => ({ runId: t.runId, v: t.v }));
  }

  /** Variants not stored yet. */
  pending(): number {
    return [...this.jobs.values()].filter((t) => !t.done).length;
  }

  /**
   * Close the connections. `finished`: every variant was stored, so the queue's keys are deleted and
   * the sweep leaves the registry (workers stop serving it); otherwise both stay for a re-run.
   */
  async close(finished: boolean): Promise<void> {
    try {
      if (finished && this.queue) {
        await this.queue.obliterate({ force: true }).catch((err: Error) => this.o.log(`warning: could not delete the queue's keys: ${hidePassword(err.message, this.o.url)}`));
        await this.control?.client.hdel(SWEEPS_KEY, this.name);
      }
    } finally {
      await Promise.allSettled([this.events?.close(), this.queue?.close(), this.control?.close()]);
    }
  }

  // ------------------------------------------------------------------ internals

  private track(v: QueuedVariant, jobId: string, runId: string): Tracked {
    const t: Tracked = { v, jobId, runId, attempt: 0, started: false, ingesting: false, done: false, chain: Promise.resolve() };
    this.jobs.set(jobId, t);
    return t;
  }

  private async add(v: QueuedVariant, jobId: string): Promise<void> {
    const o = this.o;
    const runId = `${v.variant.key.slice(0, 8)}-${randomBytes(3).toString('hex')}`;
    const data: VariantJobData = {
      v: QUEUE_PROTOCOL,
      sweepId: o.sweepId,
      runId,
      label: v.label,
      variant: { key: v.variant.key, method: v.variant.method, params: v.variant.params },
      context: o.context,
      origin: o.origin,
    };
    await this.queue!.add('variant', data, {
      jobId,
      attempts: o.settings.attempts,
      backoff: { type: 'exponential', delay: o.settings.backoffMs },
      removeOnComplete: false,
      removeOnFail: false,
    });
    // Adding an existing job id is a no-op: the run id is the stored job's.
    const stored = (await this.queue!.getJob(jobId))?.data as VariantJobData | undefined;
    this.track(v, jobId, stored?.runId ?? runId);
  }

  private kick(): void {
    this.wake?.();
  }

  private then(t: Tracked, fn: () => Promise<void>): Promise<void> {
    t.chain = t.chain.then(fn).catch((err: Error) => this.o.log(`warning: ${t.v.label}: could not store: ${err.message}`));
    return t.chain;
  }

  private showError(err: Error): void {
    if (this.stopped || this.errorsShown >= 5) return;
    this.errorsShown++;
    this.o.progress.note(`queue: ${hidePassword(err.message, this.o.url)}${this.errorsShown === 5 ? ' (further errors not shown)' : ''}`);
  }

  /** A progress event of a job: a new attempt (re)starts its run; messages go to the store and the display. */
  private onProgress(jobId: string, raw: unknown): void {
    const t = this.jobs.get(jobId);
    const p = raw as ProgressEvent;
    if (!t || t.ingesting || t.done || !p || typeof p !== 'object' || typeof p.attempt !== 'number' || !p.message) return;
    if (p.attempt < t.attempt) return; // an older attempt's worker still talking
    const o = this.o;
    void this.then(t, async () => {
      if (t.ingesting || t.done || p.attempt < t.attempt) return;
      if (p.attempt > t.attempt) {
        const again = t.started;
        t.attempt = p.attempt;
        // Buffered points of an earlier attempt are committed first, then cleared with it by startRun.
        await o.store.flush();
        const v = t.v.variant;
        await o.store.startRun({ runId: t.runId, sweepId: o.sweepId, variantKey: v.key, method: v.method, params: v.params as never, backend: p.backend, host: p.host });
        if (!again) o.progress.variantStarted(t.runId, t.v.label);
        else o.progress.note(`${t.v.label}: attempt ${p.attempt} on ${p.host} pid ${p.pid}`);
        t.started = true;
        o.publish();
      }
      await this.onMessage(t, p, p.message);
    });
  }

  private async onMessage(t: Tracked, p: ProgressEvent, msg: WorkerMessage): Promise<void> {
    const { store, progress } = this.o;
    switch (msg.type) {
      case 'started':
        progress.assigned(t.runId, { host: p.host, pid: p.pid, backend: msg.backend });
        await store.setRunDevice(t.runId, { backend: msg.backend, device: msg.device, host: p.host });
        return;
      case 'step': {
        await store.appendStepMetrics(t.runId, msg.metrics);
        const last = msg.metrics.at(-1);
        const loss = msg.metrics.find((m) => m.name === 'loss')?.value ?? NaN;
        if (last) progress.step(t.runId, last.step, msg.totalSteps, loss, msg.tokensPerSecond);
        return;
      }
      case 'eval': {
        await store.appendStepMetrics(t.runId, msg.metrics);
        const val = msg.metrics.find((m) => m.split === 'val' && m.name === 'loss');
        if (val) progress.evaluated(t.runId, val.step, val.value);
        return;
      }
      case 'phase':
        progress.phase(t.runId, msg.phase);
        return;
      case 'error':
        progress.note(`${t.v.label} (${placeText({ host: p.host, pid: p.pid, backend: p.backend })}): ${msg.message}`);
        return;
      default:
        return;
    }
  }

  /** Ingest every finished job of this sweep not stored yet. */
  private async scan(): Promise<void> {
    let finished: Job[];
    try {
      finished = (await this.queue!.getJobs(['completed', 'failed'], 0, -1)) as Job[];
    } catch (err) {
      this.showError(err as Error);
      return;
    }
    for (const job of finished) {
      const t = job.id ? this.jobs.get(job.id) : undefined;
      if (!t || t.done || t.ingesting || this.stopped) continue;
      t.ingesting = true;
      await this.then(t, async () => {
        const state = await job.getState();
        if (state === 'completed') await this.storeResult(t, job);
        else await this.storeFailure(t, job, true);
        await job.remove().catch(() => undefined);
      });
      if (!t.done) t.ingesting = false; // storing failed: the next scan tries again
    }
  }

  private async storeResult(t: Tracked, job: Job): Promise<void> {
    const o = this.o;
    const r = job.returnvalue as VariantJobResult | null;
    if (!r || r.v !== QUEUE_PROTOCOL || !r.outcome || typeof r.outcome !== 'object') {
      await this.storeOutcome(t, this.failedOutcome(t, `worker returned no usable result (queue protocol ${String(r?.v)}, expected ${QUEUE_PROTOCOL})`, job), null, true);
      return;
    }
    let outcome: RunOutcome = { ...r.outcome, runId: t.runId, variantKey: t.v.variant.key };
    if (r.files && r.files.length) {
      const dir = join(o.context.outDir, t.runId);
      unpackFolder(dir, r.files);
      outcome = movePaths(outcome, r.runDir, dir);
    } else if (r.artifactsNote) {
      o.progress.note(`${t.v.label}: ${r.artifactsNote}`);
    }
    await this.storeOutcome(t, outcome, r.host, true);
  }

  private async storeFailure(t: Tracked, job: Job, count: boolean): Promise<void> {
    // processedBy: the BullMQ worker name, `host:pid` (see ./worker.ts).
    await this.storeOutcome(t, this.failedOutcome(t, failureReasons(job), job), job.processedBy ? job.processedBy.replace(/:\d+$/, '') : null, count);
  }

  private failedOutcome(t: Tracked, error: string, job: Job): RunOutcome {
    const v = t.v.variant;
    const iso = (ms: number | undefined) => new Date(ms ?? Date.now()).toISOString();
    return {
      runId: t.runId, variantKey: v.key, method: v.method, status: 'failed', params: v.params as never,
      startedAt: iso(job.processedOn ?? job.timestamp), finishedAt: iso(job.finishedOn), stepMetrics: [], evalRows: [], predictions: [], costs: [], artifacts: [], error,
    };
  }

  /**
   * Write one outcome: a run without a row (no event seen), or with its full curves in the
   * outcome, is (re)started first so the stored run is exactly this attempt's.
   */
  private async storeOutcome(t: Tracked, outcome: RunOutcome, host: string | null, count: boolean): Promise<void> {
    const { store } = this.o;
    const rows = await store.db.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM runs WHERE run_id = $1`, [t.runId]);
    const exists = (rows[0]?.n ?? 0) > 0;
    if (!exists || outcome.stepMetrics.length > 0) {
      await store.flush();
      const v = t.v.variant;
      const backend = outcome.train?.backend ?? this.o.context.backend;
      await store.startRun({ runId: t.runId, sweepId: this.o.sweepId, variantKey: v.key, method: v.method, params: v.params as never, startedAt: outcome.startedAt, backend, host });
    }
    await store.writeRunOutcome(outcome);
    t.done = true;
    if (count) {
      if (!t.started) this.o.progress.variantStarted(t.runId, t.v.label);
      t.started = true;
      this.o.onEnded(t.v, outcome);
    }
    this.o.publish();
  }

  /** Say which workers serve the queue when that changes; once, when none does after 10 s. */
  private async watchWorkers(): Promise<void> {
    let all: Record<string, string>;
    try {
      all = await this.control!.client.hgetall(WORKERS_KEY);
    } catch {
      return;
    }
    const now = Date.now();
    const live = Object.values(all)
      .map((s) => {
        try {
          return JSON.parse(s) as WorkerEntry;
        } catch {
          return null;
        }
      })
      .filter((w): w is WorkerEntry => w !== null && now - w.seen < Math.max(10_000, 3 * this.o.settings.pollMs) && w.queue === this.name)
      .sort((a, b) => `${a.host}:${a.pid}`.localeCompare(`${b.host}:${b.pid}`));
    const text = live.map((w) => `${placeText(w)} x${w.concurrency}`).join(', ');
    if (text !== this.lastWorkers) {
      this.lastWorkers = text;
      this.o.progress.note(live.length ? `workers on ${this.name}: ${text}` : `no worker serves ${this.name} now`);
    }
    if (!live.length && !this.warnedNoWorker && now - this.startedAt > 10_000 && ![...this.jobs.values()].some((t) => t.started)) {
      this.warnedNoWorker = true;
      this.o.progress.note(`waiting for workers: on each host with the project, run  npx fte worker --queue ${this.o.url.display}`);
    }
  }
}
