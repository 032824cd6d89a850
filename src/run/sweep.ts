import { execFileSync } from 'node:child_process';
import { fmtDelta, fmtDuration, paramLabel } from '../format.js';
import { deltaText } from '../report/compare.js';
import { generalForgetting, generalText, type GeneralForgetting } from '../report/general.js';
import { GENERAL_SLICE } from '../eval/general.js';
import { lowerIsBetter } from '../eval/metrics/direction.js';
import { intervalShift } from '../report/sections/ood.js';
import { sweepVerdict, type SweepVerdict } from '../report/verdict.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { makeDirs } from '../fsutil.js';
import os from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserInputError } from '../errors.js';
import { planSweep, type PlannedSweep, type Variant } from '../experiment/index.js';
import { proposeVariant, type BayesTrial } from '../experiment/sweep.js';
import { earlyTerminationSavings, HyperbandState, stepsNotRun, type EarlyTerminationSavings, type RunSteps } from '../experiment/hyperband.js';
import { loadDataset } from '../data/index.js';
import { openStore, type Store } from '../store/index.js';
import { evalResults, getSweep, listRuns, subjectRecords, type RunRecord } from '../store/queries.js';
import { doneRunForVariant, findResumableSweep, hasCompletedBaselines } from '../store/resume-queries.js';
import { checkBackendAvailable } from './backends.js';
import { WorkerPool, type TaskResult } from './pool.js';
import { createProgress, type ProgressSink } from './progress.js';
import type { RunOutcome } from '../store/types.js';
import type { SweepContext, WorkerMessage } from './protocol.js';
import { evaluationSubjects } from '../experiment/subjects.js';
import { promptLabel, providerLabel, subjectNotes, subjectStatusCell, tokensCell } from '../eval/subject-notes.js';
import type { SubjectRow } from '../eval/types.js';
import { baselineRunId, responseCacheDir } from '../store/ids.js';
import { makeTable } from '../cli/table.js';
import type { QueuedSweep } from './queue/coordinator.js';
import { queueSettings } from './queue/settings.js';
import { resolveQueueUrl } from './queue/url.js';

/** Options of `fte sweep` (see src/commands/sweep.ts). */
export interface RunSweepOptions {
  specFile: string;
  /** DuckDB file. */
  db: string;
  /** `auto` or a backend name (src/train/backend.ts). */
  backend: string;
  /** Worker processes; default: CPU cores (1 on a GPU backend). */
  parallel?: number;
  /** Skip variants whose key already has a completed run. */
  resume: boolean;
  /** Run at most N variants (overrides sweep.runCap; a capped grid runs a seeded random subset). */
  runCap?: number;
  limits: { limitTrain?: number; limitEval?: number; maxSteps?: number };
  quiet: boolean;
  /** Progress and notices (stderr). */
  log: (line: string) => void;
  /** The final summary (stdout). */
  print: (line: string) => void;
  /** Cache root for prepared data (default `.fte/cache`). */
  cacheDir?: string;
  /** Unusable rows a JSONL dataset may have (count or share, e.g. `1%`); see LoadDatasetOptions.maxBadRows. */
  maxBadRows?: string;
  /** Root of checkpoints (default: `runs/` beside the database file). */
  runsDir?: string;
  /** Send every API request again instead of answering from the response cache (`--no-cache`). */
  noCache?: boolean;
  /** `fte eval`: evaluate the spec's subjects (baselines, extra models) only; train no variant. */
  evalOnly?: boolean;
  /**
   * `--queue redis://HOST:PORT[/DB]`: the variants run on `fte worker`s through this Redis queue
   * (src/run/queue); else `FTE_QUEUE`, else the spec's `queue:`; none: local worker processes.
   */
  queue?: string;
}

/** One variant's line in the sweep summary (the `--json` output's `variants`). */
export interface VariantSummary {
  runId: string;
  key: string;
  status: string;
  skipped: boolean;
  params: Record<string, unknown>;
  objective: number | null;
  finalValLoss: number | null;
  wallSeconds: number | null;
  error: string | null;
  /** A `stopped` run (hyperband): optimizer steps it did not train (planned minus trained); absent otherwise. */
  stepsSaved?: number;
  /** A `stopped` run: wall seconds those steps would have taken at its measured pace; absent otherwise. */
  wallSecondsSaved?: number;
}

/**
 * What the sweep's early termination (hyperband) saved over its variants, the stopped runs a resume
 * kept included: `earlyTerminationSavings` (src/experiment/hyperband.ts) of their stored runs.
 */
export interface EarlyTerminationSummary extends EarlyTerminationSavings {
  type: 'hyperband';
  /** Of the stopped runs, those stopped in an earlier invocation of this sweep and kept by the resume (not trained again). */
  kept: number;
}

/** The `--json` output of `fte sweep`. */
export interface SweepResult {
  experiment: string;
  sweepId: string;
  status: 'completed' | 'interrupted' | 'failed';
  objective: { metric: string; goal: string };
  best: VariantSummary | null;
  /** The best variant's held-out test value and paired tests against the runner-up and the baselines (null for a val_loss objective or no best). */
  verdict: SweepVerdict | null;
  variants: VariantSummary[];
  /** The sweep's baselines and extra models: how each was evaluated and its held-out test value of the objective metric. */
  subjects: SubjectSummary[];
  /**
   * Forgetting (src/eval/general.ts): the base model's perplexity on general held-out text and each
   * variant's, with its change vs the base and the paired test; null when nothing was scored.
   */
  general?: { base: GeneralForgetting | null; runs: ({ runId: string } & GeneralForgetting)[] } | null;
  /**
   * The out-of-distribution examples (split `ood`): what they are, and the best variant's objective
   * there with its paired tests against the baselines (`verdict.test` holds its OOD value); absent
   * when the sweep scored none.
   */
  ood?: { description: string; verdict: SweepVerdict | null; /** The OOD slices, when the objective's is not among them (verdict null). */ slices?: string[] } | null;
  /** Present when the spec sets sweep.earlyTerminate. */
  earlyTermination?: EarlyTerminationSummary;
  wallSeconds: number;
  db: string;
}

/** A baseline or extra model in the summary (`subjects` row plus its test value of the objective metric and 95% interval). */
export type SubjectSummary = SubjectRow & { test: { value: number; ciLow: number | null; ciHigh: number | null; n: number | null } | null };

/** How `runSweep` ended. The command sets `process.exitCode` from `exitCode`. */
export interface RunSweepResult {
  /** 0; 1 when a run failed; `128 + signal number` when a signal stopped the sweep (SIGINT 130, SIGTERM 143). */
  exitCode: number;
  /** The signal that stopped the sweep (its runs in flight were marked `interrupted`), or null. */
  interruption: { signal: NodeJS.Signals } | null;
  result: SweepResult;
}

/** How often a running sweep refreshes its store snapshot for readers, besides at each run's start and end. */
export const SNAPSHOT_EVERY_MS = 15_000;

/** Path of the worker module next to this file (dist/run/worker.js once built). */
export function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'worker.js');
  if (existsSync(js)) return js;
  throw new UserInputError(`cannot find the worker module ${js}; run \`npm run build\``);
}

/** Node flags of a worker process: the TensorFlow.js resolution hooks (dist/tfjs-hooks.js). */
export function workerExecArgv(): string[] {
  return ['--import', pathToFileURL(join(dirname(workerScript()), '..', 'tfjs-hooks.js')).href];
}

/**
 * Run a sweep end to end: load the spec, prepare the data once, evaluate the baselines once, train
 * + evaluate + price every variant in worker processes, and store everything (this process is the
 * only writer). Variants with a completed run *of the same experiment* (and the same limits) are
 * skipped unless `resume` is false; a run of another experiment never stands in (its objective may
 * differ). SIGINT/SIGTERM stops the workers, marks their runs `interrupted` and returns
 * `interruption` with exit code 128 + the signal's number (SIGINT 130, SIGTERM 143); a second
 * signal kills the workers and re-raises itself, so the process ends by that signal at once
 * (DuckDB's write-ahead log keeps the file consistent). While it runs, the sweep publishes a
 * read-only snapshot of the store (`<db>.snapshot`, see Store.writeSnapshot) at start, at each
 * run's start and end and every SNAPSHOT_EVERY_MS, for `fte runs` / `fte show`; it is removed at
 * the end.
 *
 * @throws SpecError / UserInputError for a bad spec, model folder or dataset; StoreLockedError when
 *   another process holds the database.
 */
export async function runSweep(opts: RunSweepOptions): Promise<RunSweepResult> {
  const t0 = Date.now();
  const plan = await planSweep(opts.specFile, { runCap: opts.runCap });
  const spec = plan.loaded.spec;
  if (opts.evalOnly && evaluationSubjects(spec.evaluate).length === 0) {
    throw new UserInputError(`${plan.loaded.file}: evaluate: nothing to evaluate: fte eval needs evaluate.baselines or evaluate.models`);
  }
  checkBaseModel(plan);
  checkBackendAvailable(opts.backend);
  const queueUrl = opts.evalOnly ? null : resolveQueueUrl(opts.queue, process.env.FTE_QUEUE, spec.queue);
  if (queueUrl && spec.sweep.earlyTerminate) {
    throw new UserInputError(`${plan.loaded.file}: sweep.earlyTerminate: hyperband decides from every run's validation losses as they arrive and does not run on a queue yet; leave it out with --queue`);
  }
  if (queueUrl && spec.sweep.strategy === 'bayes') {
    throw new UserInputError(`${plan.loaded.file}: sweep.strategy: 'bayes' proposes each variant from the results so far and does not run on a queue yet; use grid or random with --queue`);
  }
  const queueSettingsInForce = queueUrl ? queueSettings() : null;
  // Before any row is written: an unreachable queue is one line, and leaves the store as it was.
  // (BullMQ is loaded only for a queued sweep.)
  const queueing = queueUrl ? { ...(await import('./queue/coordinator.js')), ...(await import('./queue/redis.js')) } : null;
  if (queueUrl) await (await queueing!.openControl(queueUrl, `fte-sweep:${os.hostname()}:${process.pid}`)).close();
  const { costSpec, resolvePrices, validateCostNames } = await import('../cost/index.js');
  try {
    validateCostNames(costSpec(spec.cost), resolvePrices(spec.cost.prices));
  } catch (err) {
    throw new UserInputError(`${plan.loaded.file}: cost: ${(err as Error).message}`);
  }

  makeDirs(dirname(resolve(opts.db)));
  // A store this call creates is removed again when the sweep is refused before its first row
  // (bad dataset): a refusal leaves no file the user did not have.
  const storeIsNew = opts.db !== ':memory:' && !existsSync(opts.db);
  let wroteRows = false;
  const store = await openStore(opts.db);
  let cancelled = false;
  let stopSignal: NodeJS.Signals | null = null;
  let pool: WorkerPool | null = null;
  let queued: QueuedSweep | null = null;
  let progress: ProgressSink | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancelled) {
      process.stderr.write(`fte: second ${signal}: exiting now\n`);
      for (const pid of pool?.pids() ?? []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // Without our handlers the signal's default action ends the process (status 128 + n).
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
      return;
    }
    cancelled = true;
    stopSignal = signal;
    progress?.note(
      queued
        ? `${signal}: stopping; the queue keeps its jobs and the workers go on: run the same command again to store what they finish (press Ctrl-C again to exit at once)`
        : `${signal}: stopping the workers; running variants will be marked interrupted (press Ctrl-C again to exit at once)`,
    );
    queued?.stop();
    void pool?.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Snapshot for readers (DuckDB lets nobody else open the file while we hold it): one at a time.
  let snapshotting: Promise<void> = Promise.resolve();
  let snapshotWarned = false;
  const publish = (): Promise<void> => {
    snapshotting = snapshotting.then(() =>
      store.writeSnapshot().then(
        () => undefined,
        (err: Error) => {
          if (!snapshotWarned) opts.log(`warning: could not write the store snapshot for readers: ${err.message}`);
          snapshotWarned = true;
        },
      ),
    );
    return snapshotting;
  };
  const snapshotTimer = setInterval(() => void publish(), SNAPSHOT_EVERY_MS);
  snapshotTimer.unref();

  try {
    if (store.interruptedOnOpen > 0) opts.log(`note: ${store.interruptedOnOpen} run(s) left running by a process that died are now marked interrupted`);

    // 1. Data: prepared once per sweep (cached by fingerprint), read by the workers from its folder.
    const cacheDir = opts.cacheDir ?? join('.fte', 'cache');
    for (const w of plan.warnings) opts.log(`warning: ${w}`);
    const data = await loadDataset(plan.datasetPath, { seed: spec.params.seed, cacheDir, maxBadRows: opts.maxBadRows, ...opts.limits, ...(spec.evaluate.ood !== undefined ? { ood: spec.evaluate.ood } : {}) });
    for (const w of data.warnings) opts.log(`warning: ${w}`);
    if (data.train.length === 0 || data.test.length === 0) throw new UserInputError(`${plan.loaded.file}: dataset: ${plan.loaded.spec.dataset} has an empty train or test split`);

    // 2. Experiment and sweep rows (a resumable sweep of the same spec and limits is continued).
    const specHash = createHash('sha256').update(plan.loaded.source).digest('hex');
    wroteRows = true;
    const experimentId = await store.upsertExperiment({ name: spec.name, specPath: plan.loaded.file, specHash, objective: spec.objective });
    const parallel = opts.parallel ?? defaultParallelism(opts.backend);
    const specJson = JSON.stringify(serialisableSpec(spec));
    let sweepId = opts.resume ? await findResumableSweep(store.db, experimentId, specJson, opts.limits) : null;
    if (sweepId) {
      await store.reopenSweep(sweepId);
      opts.log(`resuming sweep ${sweepId}`);
    } else {
      sweepId = await store.createSweep({
        experimentId,
        gitCommit: gitCommit(),
        host: os.hostname(),
        backend: opts.backend,
        specJson,
        limits: opts.limits,
        datasetManifest: data.manifest,
        baseModel: spec.model.base,
        objective: spec.objective,
      });
    }

    // 3. What to run: skip variants that already have a completed run, or that this sweep's hyperband
    //    stopped (W&B does not re-run a run its early termination stopped); --no-resume runs them all.
    const todo: Variant[] = [];
    const skipped: VariantSummary[] = [];
    for (const v of opts.evalOnly ? [] : plan.variants) {
      const done = opts.resume ? await doneRunForVariant(store.db, v.key, opts.limits, experimentId, sweepId) : null;
      if (done) skipped.push({ runId: done.runId, key: v.key, status: done.status, skipped: true, params: v.swept, objective: null, finalValLoss: null, wallSeconds: null, error: null });
      else todo.push(v);
    }
    for (const s of skipped) opts.log(`skip ${s.key} (${describe(s.params)}): ${s.status === 'stopped' ? `stopped early by hyperband as run ${s.runId}, kept (--no-resume trains it again)` : `already completed as run ${s.runId}`}`);

    // A bayes sweep runs runCap variants in all: the planned start, then TPE's proposals.
    const bayes = spec.sweep.strategy === 'bayes' && !opts.evalOnly;
    const runCapTotal = bayes ? spec.sweep.runCap ?? plan.variants.length : 0;
    const trials: BayesTrial[] = [];
    if (bayes && skipped.length > 0) {
      const listed = await listRuns(store.db, { runIds: skipped.map((x) => x.runId) });
      trials.push(...resumedTrials(skipped, listed.runs, plan.variants));
    }
    const toRun = bayes ? Math.max(0, runCapTotal - trials.length) : todo.length;

    const needBaselines = evaluationSubjects(spec.evaluate).length > 0 && !(await hasCompletedBaselines(store.db, sweepId));
    if (!needBaselines && evaluationSubjects(spec.evaluate).length > 0) {
      const failed = (await subjectRecords(store.db, { runIds: [baselineRunId(sweepId)] })).filter((x) => x.errors > 0);
      if (failed.length > 0) {
        opts.log(`note: the stored evaluation of ${failed.map((x) => `${x.subject} (${x.errors} failed request${x.errors === 1 ? '' : 's'})`).join(', ')} is kept; --no-resume evaluates the subjects again (answers already cached are not requested twice)`);
      }
    }
    const context: SweepContext = {
      sweepId,
      specPath: plan.loaded.path,
      dataDir: data.dir,
      baseModelDir: plan.baseModelDir,
      backend: opts.backend,
      outDir: resolve(opts.runsDir ?? join(dirname(resolve(opts.db)), 'runs'), sweepId),
      limits: opts.limits,
      evaluate: opts.noCache ? { ...spec.evaluate, cache: false } : spec.evaluate,
      earlyStopping: spec.earlyStopping,
      ...(spec.sweep.earlyTerminate ? { earlyTerminate: spec.sweep.earlyTerminate } : {}),
      cost: spec.cost,
      ...(spec.evaluate.cache && opts.db !== ':memory:' ? { responseCacheDir: responseCacheDir(opts.db) } : {}),
    };
    makeDirs(context.outDir);
    await publish();

    // 4. Workers: baselines (once per sweep) and the variants share the pool; with a queue, the
    //    baselines run here and the variants on `fte worker`s.
    progress = createProgress({ total: toRun + (needBaselines ? 1 : 0), quiet: opts.quiet, log: opts.log });
    const labels = new Map<string, string>();
    const sink = progress;
    const writes: Promise<unknown>[] = [];
    const hyperband = spec.sweep.earlyTerminate ? new HyperbandState(spec.sweep.earlyTerminate) : null;
    pool = new WorkerPool(
      queueUrl ? 1 : Math.max(1, Math.min(parallel, toRun + (needBaselines ? 1 : 0))),
      workerScript(),
      (msg) => {
        if (msg.type === 'milestone') {
          // Hyperband: the parent sees every run, so it decides; the worker waits for the verdict.
          const d = hyperband ? hyperband.decide(msg.iteration, msg.value) : { stop: false, cutoff: null };
          if (d.stop) sink.note(`hyperband: stopping ${labels.get(msg.runId) ?? msg.runId} after ${msg.iteration} validation(s): val_loss ${msg.value.toFixed(4)} above the bracket's cut-off ${d.cutoff?.toFixed(4) ?? '-'}`);
          pool?.sendTo(msg.runId, { type: 'verdict', runId: msg.runId, stop: d.stop });
          return;
        }
        writes.push(onWorkerMessage(store, sink, msg).catch((err: Error) => opts.log(`warning: could not store progress: ${err.message}`)));
      },
      workerExecArgv(),
    );
    const ended: VariantSummary[] = [];
    /** Runs of this invocation by final status (baselines included), for the summary line. */
    const counts = new Map<string, number>();
    const count = (status: string) => counts.set(status, (counts.get(status) ?? 0) + 1);

    const jobs: Promise<void>[] = [];
    const variantLabel = (v: Variant) => `#${v.index + 1} ${v.method} ${describe(v.swept)}`;
    const detailOf = (outcome: RunOutcome) =>
      outcome.status === 'completed' ? objectiveDetail(outcome, spec.objective) : outcome.status === 'diverged' ? outcome.train?.divergenceReason ?? '' : outcome.error ?? '';
    // With no variant left (all done earlier), the queue is still opened and closed: what a crashed
    // coordinator left of it in Redis (ingested results, the registry entry) is cleared.
    if (queueUrl) {
      const rel = (p: string) => {
        const r = relative(process.cwd(), p);
        return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
      };
      queued = new queueing!.QueuedSweep({
        url: queueUrl,
        settings: queueSettingsInForce!,
        store,
        sweepId,
        experiment: spec.name,
        variants: todo.map((v) => ({ variant: v, label: variantLabel(v) })),
        context,
        origin: {
          specPath: rel(plan.loaded.path),
          baseModel: { path: rel(plan.baseModelDir), spec: spec.model.base, fingerprint: plan.fingerprints.baseModel },
          dataset: { path: rel(plan.datasetPath), spec: spec.dataset, fingerprint: data.manifest.fingerprint, seed: spec.params.seed, ...(opts.maxBadRows ? { maxBadRows: opts.maxBadRows } : {}), ...(typeof spec.evaluate.ood === 'string' ? { ood: { path: rel(spec.evaluate.ood), spec: spec.evaluate.ood } } : spec.evaluate.ood === false ? { ood: false as const } : {}) },
          coordinator: { host: os.hostname(), pid: process.pid },
        },
        progress: sink,
        log: (line) => sink.note(line),
        publish: () => void publish(),
        onEnded: ({ variant: v }, outcome) => {
          count(outcome.status);
          sink.variantEnded(outcome.runId, outcome.status, detailOf(outcome));
          ended.push({ runId: outcome.runId, key: v.key, status: outcome.status, skipped: false, params: v.swept, objective: null, finalValLoss: outcome.train?.finalValLoss ?? null, wallSeconds: outcome.train?.wallSeconds ?? null, error: outcome.error ?? null });
        },
      });
      const q = queued;
      await q.open();
      jobs.push(
        (async () => {
          if (!cancelled) await q.run();
          if (cancelled) {
            const open = q.inFlight();
            if (open.length) await store.markInterrupted(open.map((x) => x.runId));
            for (const { runId, v: { variant: v } } of open) {
              count('interrupted');
              sink.variantEnded(runId, 'interrupted', 'the queue keeps its job; a re-run stores its result');
              ended.push({ runId, key: v.key, status: 'interrupted', skipped: false, params: v.swept, objective: null, finalValLoss: null, wallSeconds: null, error: 'interrupted by signal' });
            }
            const left = q.pending();
            if (left) opts.log(`${left} variant(s) stay on ${q.name} (${queueUrl.display}); run the same command again to store their results and continue`);
          }
        })(),
      );
    }
    if (needBaselines) {
      const label = `baselines (${evaluationSubjects(spec.evaluate).map((x) => x.name).join(', ')})`;
      jobs.push(
        (async () => {
          const runLabel = `${sweepId}:baselines`;
          sink.variantStarted(runLabel, label);
          const r = await pool!.run({ runId: null, message: { type: 'baselines', context } });
          if (r.kind === 'done' && r.message.type === 'baselines-done') {
            await store.writeBaselineResults(sweepId!, r.message.rows, r.message.predictions, r.message.costs, r.message.confusion, r.message.subjects, r.message.totalParams !== undefined ? { totalParams: r.message.totalParams } : {});
            sink.variantEnded(runLabel, 'completed', `${r.message.rows.length} metric rows`);
          } else {
            count(cancelled ? 'interrupted' : 'failed');
            sink.variantEnded(runLabel, cancelled ? 'interrupted' : 'failed', r.kind === 'died' ? r.reason : '');
          }
          void publish();
        })(),
      );
    }
    /** Train, evaluate and store one variant; its outcome, or null when cancelled before it started. */
    const runOne = async (v: Variant): Promise<RunOutcome | null> => {
          if (cancelled) return null;
          const runId = `${v.key.slice(0, 8)}-${randomBytes(3).toString('hex')}`;
          const label = variantLabel(v);
          labels.set(runId, label);
          let startedAt = '';
          const r: TaskResult | null = await pool!
            .run({ runId, message: { type: 'task', runId, variant: { key: v.key, method: v.method, params: v.params }, context } }, async () => {
              startedAt = new Date().toISOString();
              await store.startRun({ runId, sweepId: sweepId!, variantKey: v.key, method: v.method, params: v.params as never, startedAt, backend: opts.backend });
              sink.variantStarted(runId, label);
              void publish();
            })
            .catch(() => null);
          if (r === null || !startedAt) return null; // cancelled before a worker was free: never started, a resumed sweep runs it
          await Promise.allSettled(writes.splice(0));
          let outcome: RunOutcome;
          if (r.kind === 'done' && r.message.type === 'end') {
            outcome = r.message.outcome;
          } else {
            const reason = r.kind === 'died' ? r.reason : 'unexpected message';
            outcome = {
              runId, variantKey: v.key, method: v.method, status: cancelled ? 'interrupted' : 'failed', params: v.params as never,
              startedAt, finishedAt: new Date().toISOString(), stepMetrics: [], evalRows: [], predictions: [], costs: [], artifacts: [],
              error: cancelled ? 'interrupted by signal' : reason,
            };
          }
          await store.writeRunOutcome(outcome);
          void publish();
          count(outcome.status);
          sink.variantEnded(runId, outcome.status, detailOf(outcome));
          ended.push({ runId, key: v.key, status: outcome.status, skipped: false, params: v.swept, objective: null, finalValLoss: outcome.train?.finalValLoss ?? null, wallSeconds: outcome.train?.wallSeconds ?? null, error: outcome.error ?? null });
          return outcome;
    };
    if (bayes) {
      // Sequential model-based search: each lane takes the next planned start variant, then asks TPE
      // for a new one from every trial so far (running ones count as bad: constant liar).
      const queue = [...todo];
      const taken = new Set(plan.variants.map((v) => v.key));
      const nextVariant = (): BayesTrial | null => {
        if (cancelled || trials.length >= runCapTotal) return null;
        let v = queue.shift() ?? null;
        if (!v) {
          v = proposeVariant(spec, plan.fingerprints, trials, trials.length, taken);
          if (!v) return null;
          progress?.note(`bayes: proposed #${v.index + 1} ${describe(v.swept)} from ${trials.filter((t) => t.objective !== null).length} result(s)`);
        }
        taken.add(v.key);
        const trial: BayesTrial = { variant: v, objective: null };
        trials.push(trial);
        return trial;
      };
      for (let lane = 0; lane < Math.max(1, Math.min(parallel, runCapTotal - trials.length)); lane++) {
        jobs.push(
          (async () => {
            for (let t = nextVariant(); t; t = nextVariant()) {
              const outcome = await runOne(t.variant);
              if (outcome) t.objective = validationObjective(outcome, spec.objective.metric);
            }
          })(),
        );
      }
    } else {
      for (const v of queueUrl ? [] : todo) jobs.push(runOne(v).then(() => undefined));
    }
    await Promise.all(jobs);
    await Promise.allSettled(writes.splice(0));
    await pool.close();
    if (queued) {
      const q = queued;
      queued = null;
      await q.close(!cancelled && q.pending() === 0);
    }
    progress.stop();

    // 5. Finish the sweep and summarise.
    const status: SweepResult['status'] = cancelled ? 'interrupted' : 'completed';
    await store.finishSweep(sweepId, status);
    const result = await summarise(store, sweepId, spec.name, spec.objective, [...skipped, ...ended], Date.now() - t0, opts.db, { earlyTerminate: spec.sweep.earlyTerminate !== undefined });
    printSummary(result, opts.print, counts);
    const exitCode = stopSignal ? 128 + os.constants.signals[stopSignal] : (counts.get('failed') ?? 0) > 0 ? 1 : 0;
    return { exitCode, interruption: stopSignal ? { signal: stopSignal } : null, result };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(snapshotTimer);
    progress?.stop();
    if (pool) await pool.close();
    if (queued) await queued.close(false);
    await snapshotting;
    await store.close();
    store.removeSnapshot();
    if (storeIsNew && !wroteRows) for (const f of [opts.db, `${opts.db}.wal`]) rmSync(f, { force: true });
  }
}

/** The hyperband line's numbers over the sweep's variants as stored (`skipped`: kept by a resume): `earlyTerminationSavings`, plus how many stopped runs were kept. */
export function earlyTerminationSummary(runs: readonly (RunSteps & { skipped?: boolean })[]): EarlyTerminationSummary {
  return { type: 'hyperband', ...earlyTerminationSavings(runs), kept: runs.filter((r) => r.status === 'stopped' && r.skipped).length };
}

/** The summary's hyperband line: runs stopped (those a resume kept), steps not trained and the time not spent. */
export function earlyTerminationLine(et: EarlyTerminationSummary): string {
  const kept = et.kept === 0 ? '' : et.kept === et.stopped ? ' in an earlier invocation, kept (not trained again)' : `, ${et.kept} of them in an earlier invocation, kept (not trained again)`;
  const unknown = et.unknown > 0 ? `; ${et.unknown} stored without planned steps, not counted` : '';
  return `hyperband: ${et.stopped} run(s) stopped early${kept}; ${et.stepsSaved} optimizer step(s) not trained, about ${fmtDuration(et.wallSecondsSaved)} of training not spent${unknown}`;
}

/**
 * The trials a resumed bayes sweep starts from: each kept variant with its validation objective as
 * the store ranks it; a kept `stopped` run counts as a trial without a result, as it did when it
 * was stopped (`validationObjective` gives only completed runs a value).
 */
export function resumedTrials(kept: readonly Pick<VariantSummary, 'runId' | 'key' | 'status'>[], listed: readonly Pick<RunRecord, 'runId' | 'objective'>[], variants: readonly Variant[]): BayesTrial[] {
  return kept.flatMap((x) => {
    const v = variants.find((p) => p.key === x.key);
    if (!v) return [];
    return [{ variant: v, objective: x.status === 'completed' ? (listed.find((r) => r.runId === x.runId)?.objective.value ?? null) : null }];
  });
}

/** Progress messages: curves are appended to the store as they arrive (the parent is the only writer). */
async function onWorkerMessage(store: Store, progress: ProgressSink, msg: WorkerMessage): Promise<void> {
  switch (msg.type) {
    case 'started':
      progress.assigned(msg.runId, { host: os.hostname(), pid: msg.pid, backend: msg.backend });
      await store.setRunDevice(msg.runId, { backend: msg.backend, device: msg.device, host: os.hostname() });
      return;
    case 'step': {
      await store.appendStepMetrics(msg.runId, msg.metrics);
      const last = msg.metrics.at(-1);
      const loss = msg.metrics.find((m) => m.name === 'loss')?.value ?? NaN;
      if (last) progress.step(msg.runId, last.step, msg.totalSteps, loss, msg.tokensPerSecond);
      return;
    }
    case 'eval': {
      await store.appendStepMetrics(msg.runId, msg.metrics);
      const val = msg.metrics.find((m) => m.split === 'val' && m.name === 'loss');
      if (val) progress.evaluated(msg.runId, val.step, val.value);
      return;
    }
    case 'phase':
      progress.phase(msg.runId, msg.phase);
      return;
    case 'error':
      progress.note(`worker error${msg.runId ? ` in ${msg.runId}` : ''}: ${msg.message}`);
      return;
    default:
      return;
  }
}


function checkBaseModel(plan: PlannedSweep): void {
  const missing = !existsSync(join(plan.baseModelDir, 'config.json'))
    ? 'config.json'
    : !existsSync(join(plan.baseModelDir, 'model.safetensors')) && !existsSync(join(plan.baseModelDir, 'model.safetensors.index.json'))
      ? 'model.safetensors'
      : null;
  if (missing) {
    throw new UserInputError(`${plan.loaded.file}: model.base: ${plan.loaded.spec.model.base} has no ${missing} (expected a Hugging Face model folder: config.json + model.safetensors, or shards + model.safetensors.index.json)`);
  }
}

/** Default workers: one per CPU core on CPU backends, one on a GPU backend (a single device). */
export function defaultParallelism(backend: string): number {
  if (backend === 'tensorflow-gpu') return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores);
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The spec as JSON for `sweeps.spec_json`: derived (function) parameters kept as their source text.
 * `queue` (where the variants run, and a URL that may carry a password) is left out.
 */
export function serialisableSpec(spec: unknown): unknown {
  const { queue: _queue, ...rest } = spec as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'function' ? `fn: ${String(v)}` : v)));
}

/** `r=4 lr=1e-3 alpha=8`: the swept parameters of a variant, compactly (src/format.ts `paramLabel`). */
export const describe = (params: Record<string, unknown>): string => paramLabel(params);

/**
 * A finished run's validation objective, as the store ranks it (src/store/schema.ts `objective`):
 * `val_loss` is the best validation loss (else the final one); any other metric is the fine-tuned
 * model's unperturbed `val` value of `<slice>/<metric>` (slice `all` when none is named). Null when
 * the run did not complete or has no such value.
 */
export function validationObjective(outcome: RunOutcome, metricKey: string): number | null {
  if (outcome.status !== 'completed') return null;
  if (metricKey === 'val_loss') return outcome.train?.bestValLoss ?? outcome.train?.finalValLoss ?? null;
  const [slice, metric] = metricKey.includes('/') ? metricKey.split('/', 2) : ['all', metricKey];
  const row = outcome.evalRows.find((r) => r.subject === 'finetuned' && r.split === 'val' && r.perturbation === 'none' && r.slice === slice && r.metric === metric);
  return row && Number.isFinite(row.value) ? row.value : null;
}

function objectiveDetail(outcome: RunOutcome, objective: { metric: string }): string {
  const [slice, metric] = objective.metric.includes('/') ? objective.metric.split('/', 2) : ['all', objective.metric];
  // The objective is a validation number (selection); test is the held-out result.
  const row = outcome.evalRows.find((r) => r.subject === 'finetuned' && r.split === 'val' && r.perturbation === 'none' && r.slice === slice && r.metric === metric);
  const val = outcome.train?.finalValLoss;
  return [row ? `${objective.metric} (val) ${row.value.toFixed(4)}` : '', val != null ? `val_loss ${val.toFixed(4)}` : ''].filter(Boolean).join(', ');
}

export async function summarise(store: Store, sweepId: string, experiment: string, objective: { metric: string; goal: string }, variants: VariantSummary[], ms: number, db: string, opts: { earlyTerminate?: boolean } = {}): Promise<SweepResult> {
  // The store's one ranking rule (objective by the sweep's goal, then lower final validation loss,
  // then earlier run), over this sweep's variants including runs reused from earlier sweeps.
  const listed = await listRuns(store.db, { runIds: variants.map((v) => v.runId), sort: 'objective' });
  const rank = new Map(listed.runs.map((r, i) => [r.runId, i]));
  const stored: (RunSteps & { skipped: boolean })[] = [];
  for (const r of listed.runs) {
    const v = variants.find((x) => x.runId === r.runId)!;
    v.objective = r.objective.value;
    v.finalValLoss = r.finalValLoss;
    v.wallSeconds = r.wallSeconds;
    // A stopped run: the steps it did not train and their time at its pace, as the report computes them.
    const saved = stepsNotRun(r);
    if (saved) Object.assign(v, { stepsSaved: saved.steps, wallSecondsSaved: saved.wallSeconds });
    stored.push({ status: r.status, plannedSteps: r.plannedSteps, steps: r.steps, wallSeconds: r.wallSeconds, skipped: v.skipped });
  }
  // Completed runs first, in the store's ranking, as the report's table: a stopped (or diverged) run
  // whose validation loss so far is low never sits above the best.
  const done = (v: VariantSummary): number => (v.status === 'completed' ? 0 : 1);
  const ranked = [...variants].sort((a, b) => done(a) - done(b) || (rank.get(a.runId) ?? Infinity) - (rank.get(b.runId) ?? Infinity));
  const completed = ranked.filter((v) => v.status === 'completed' && v.objective !== null);
  const best = completed[0] ?? null;
  const sweep = await getSweep(store.db, sweepId);
  // Paired tests of the best variant on the test examples (selection was on validation).
  const verdict = best ? await sweepVerdict(store.db, sweepId, best.runId, completed[1]?.runId ?? null, objective.metric) : null;
  const subjects = await subjectSummaries(store, sweepId, objective.metric);
  const general = await generalSummary(store, sweepId, ranked.map((v) => v.runId));
  const oodVerdict = best ? await sweepVerdict(store.db, sweepId, best.runId, null, objective.metric, undefined, 'ood') : null;
  const manifestOod = (sweep.datasetManifest as { ood?: { description?: unknown } } | null)?.ood;
  const oodDescription = typeof manifestOod?.description === 'string' ? manifestOod.description : 'examples marked out-of-distribution';
  let ood: SweepResult['ood'] = oodVerdict ? { description: oodDescription, verdict: oodVerdict } : null;
  if (!ood && best && objective.metric !== 'val_loss') {
    // Scored out of distribution, but not on the objective's slice: say which slices it has.
    const rows = await evalResults(store.db, { runIds: [best.runId], split: 'ood' });
    const slices = [...new Set(rows.filter((r) => r.slice !== 'all').map((r) => r.slice))];
    if (rows.length > 0) ood = { description: oodDescription, verdict: null, slices };
  }
  return {
    experiment, sweepId, status: sweep.status === 'running' ? 'completed' : (sweep.status as SweepResult['status']), objective, best, verdict, variants: ranked, subjects, general, ood,
    ...(opts.earlyTerminate ? { earlyTermination: earlyTerminationSummary(stored) } : {}),
    wallSeconds: ms / 1000, db,
  };
}

/** The `general` slice of the sweep's baselines run (the base model) and of its variants (see `SweepResult.general`). */
async function generalSummary(store: Store, sweepId: string, runIds: string[]): Promise<SweepResult['general']> {
  const baseRows = (await evalResults(store.db, { runIds: [baselineRunId(sweepId)], split: 'test' })).filter((r) => r.slice === GENERAL_SLICE);
  const baseSubject = baseRows.find((r) => r.metric === 'perplexity')?.subject;
  const base = baseSubject ? generalForgetting(baseRows, baseSubject) : null;
  const rows = runIds.length > 0 ? (await evalResults(store.db, { runIds, split: 'test' })).filter((r) => r.slice === GENERAL_SLICE && r.subject === 'finetuned') : [];
  const runs = runIds.flatMap((runId) => {
    const g = generalForgetting(rows.filter((r) => r.runId === runId), 'finetuned');
    return g ? [{ runId, ...g }] : [];
  });
  return base || runs.length > 0 ? { base, runs } : null;
}

/** The summary's forgetting line: the best variant's general-text perplexity vs the base (or the base's alone in an evaluation). */
export function generalLines(result: Pick<SweepResult, 'best' | 'general' | 'variants'>): string[] {
  const g = result.general;
  if (!g) return [];
  const best = result.best ? g.runs.find((r) => r.runId === result.best!.runId) : undefined;
  if (best) return [`  ${generalText(best, g.base?.perplexity.value)}`];
  if (result.variants.length === 0 && g.base) return [`base model: ${generalText(g.base)}`];
  return [];
}

/** The sweep's subjects with their held-out test value of `objectiveKey` (none for `val_loss`, a training loss). */
async function subjectSummaries(store: Store, sweepId: string, objectiveKey: string): Promise<SubjectSummary[]> {
  const runId = baselineRunId(sweepId);
  const rows = await subjectRecords(store.db, { runIds: [runId] });
  // val_loss is a training loss: subjects are shown on its test counterpart, perplexity (local models only).
  const key = objectiveKey === 'val_loss' ? 'perplexity' : objectiveKey;
  const [slice, metric] = key.includes('/') ? key.split('/', 2) as [string, string] : ['all', key];
  const evals = await evalResults(store.db, { runIds: [runId], split: 'test' });
  return rows.map(({ runId: _r, sweepId: _s, ...r }) => {
    const e = evals.find((x) => x.subject === r.subject && x.perturbation === 'none' && x.slice === slice && x.metric === metric && x.value !== null);
    return { ...r, test: e ? { value: e.value!, ciLow: e.ciLow, ciHigh: e.ciHigh, n: e.n } : null };
  });
}

const AGAINST_LABEL: Record<string, string> = { 'runner-up': 'runner-up', base: 'base model', prompting: 'prompting', rag: 'RAG' };

/** The lines under the summary table: the best variant's test value and its paired tests. */
export function verdictLines(result: Pick<SweepResult, 'best' | 'verdict' | 'objective' | 'variants'>): string[] {
  const { best, verdict } = result;
  if (!best) return [];
  const lines = [`best: ${best.runId} (${describe(best.params)}) ${result.objective.metric} = ${best.objective?.toFixed(4)} on validation (selection)`];
  if (!verdict) return lines;
  const t = verdict.test;
  if (t) lines[0] += `; held-out test ${t.value.toFixed(4)}${t.ciLow !== null && t.ciHigh !== null ? ` [${t.ciLow.toFixed(4)}, ${t.ciHigh.toFixed(4)}]` : ''}${t.n !== null ? ` (n = ${t.n})` : ''}`;
  for (const c of verdict.comparisons) {
    const who = c.against === 'runner-up' ? `runner-up ${c.runId} (${describe(result.variants.find((v) => v.runId === c.runId)?.params ?? {})})` : (AGAINST_LABEL[c.against] ?? c.against);
    const words = c.outcome === 'ns' ? `no significant difference at α = ${verdict.alpha}` : `significantly ${c.outcome} at α = ${verdict.alpha}`;
    lines.push(`  vs ${who}: ${deltaText({ delta: c.diff, ci95: c.ci95, pValue: c.pValue })} (${c.test}, n = ${c.n}): ${words}`);
  }
  for (const n of verdict.notes) lines.push(`  note: ${n}`);
  return lines;
}

/**
 * The out-of-distribution lines: the best variant's objective on the OOD examples beside its test
 * value (a change is called clear only when the two 95% intervals do not overlap: different
 * examples, no paired test), then its paired tests against the baselines there.
 */
export function oodLines(result: Pick<SweepResult, 'ood' | 'verdict'>): string[] {
  const o = result.ood;
  if (o && !o.verdict) return [`  out of distribution: no ${result.verdict?.metric ?? 'objective'} there (its slices: ${(o.slices ?? []).join(', ') || 'none'}); fte report shows them`, `    ${o.description}`];
  const t = o?.verdict?.test;
  if (!o || !o.verdict || !t) return [];
  const ci = (x: { ciLow: number | null; ciHigh: number | null }) => (x.ciLow !== null && x.ciHigh !== null ? ` [${x.ciLow.toFixed(4)}, ${x.ciHigh.toFixed(4)}]` : '');
  const inDist = result.verdict?.test ?? null;
  let line = `  out of distribution: ${o.verdict.metric} ${t.value.toFixed(4)}${ci(t)}${t.n !== null ? ` (n = ${t.n})` : ''}`;
  if (inDist) {
    const lower = lowerIsBetter(o.verdict.metric.split('/').pop()!);
    const shift = intervalShift({ ciLow: inDist.ciLow ?? undefined, ciHigh: inDist.ciHigh ?? undefined }, { ciLow: t.ciLow ?? undefined, ciHigh: t.ciHigh ?? undefined }, lower);
    const words = shift === 'overlap' ? 'the 95% intervals overlap' : shift === 'unknown' ? 'no intervals to compare' : `clearly ${shift}: the 95% intervals do not overlap`;
    line += ` vs ${inDist.value.toFixed(4)} on the test split (${fmtDelta(t.value - inDist.value)}; ${words})`;
  }
  const lines = [line, `    ${o.description}`];
  const v = o.verdict;
  for (const c of v.comparisons) {
    const words = c.outcome === 'ns' ? `no significant difference at α = ${v.alpha}` : `significantly ${c.outcome} at α = ${v.alpha}`;
    lines.push(`    vs ${AGAINST_LABEL[c.against] ?? c.against} there: ${deltaText({ delta: c.diff, ci95: c.ci95, pValue: c.pValue })} (${c.test}, n = ${c.n}): ${words}`);
  }
  for (const n of v.notes) lines.push(`    note: ${n}`);
  return lines;
}

/**
 * ` (2 interrupted, 1 failed)`: how many runs of this invocation ended other than completed, by
 * status (failed, diverged, interrupted, stopped, then any other), or '' when all completed.
 */
export function statusCounts(counts: ReadonlyMap<string, number>): string {
  const order = ['failed', 'diverged', 'interrupted', 'stopped'];
  const keys = [...counts.keys()].filter((k) => k !== 'completed' && (counts.get(k) ?? 0) > 0);
  keys.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return keys.length ? ` (${keys.map((k) => `${counts.get(k)} ${k}`).join(', ')})` : '';
}

/** The summary table and next steps. With `val_loss` as the objective, one `val_loss` column (the objective's). */
export function printSummary(result: SweepResult, print: (line: string) => void, counts: ReadonlyMap<string, number> = new Map()): void {
  const valLossColumn = result.objective.metric !== 'val_loss';
  const table = makeTable(['', 'run', 'status', 'params', `${result.objective.metric} (val)`, ...(valLossColumn ? ['val_loss'] : []), 'time']);
  for (const v of result.variants) {
    table.push([
      v === result.best ? '*' : '',
      v.runId,
      // Kept by a resume: a completed run is reused ("skipped"); a run hyperband stopped stays stopped.
      v.skipped ? (v.status === 'completed' ? 'skipped' : `${v.status}, kept`) : v.status,
      describe(v.params),
      v.objective === null ? '-' : v.objective.toFixed(4),
      ...(valLossColumn ? [v.finalValLoss === null ? '-' : v.finalValLoss.toFixed(4)] : []),
      v.wallSeconds === null ? '-' : fmtDuration(v.wallSeconds),
    ]);
  }
  print(`${result.experiment}: ${result.variants.length === 0 ? 'evaluation' : 'sweep'} ${result.sweepId} ${result.status} in ${fmtDuration(result.wallSeconds)}${statusCounts(counts)}`);
  if (result.variants.length > 0) print(table.toString());
  const et = result.earlyTermination;
  if (et) print(earlyTerminationLine(et));
  for (const line of verdictLines(result)) print(line);
  for (const line of generalLines(result)) print(line);
  for (const line of oodLines(result)) print(line);
  for (const line of subjectLines(result)) print(line);
  print('next:');
  print(`  npx fte report --sweep ${result.sweepId}`);
  const names = result.subjects.map((x) => x.subject);
  if (result.variants.length > 0) print(`  npx fte compare --base ${result.sweepId}:${names[0] ?? 'base'} --head ${result.sweepId}`);
  else if (names.length >= 2) print(`  npx fte compare --base ${result.sweepId}:${names[0]} --head ${result.sweepId}:${names[1]}`);
  print(`  npx fte roi --sweep ${result.sweepId}`);
}

/** The subjects table (provider, model, prompt, test value of the objective with its interval, status) and its plain notes. */
export function subjectLines(result: Pick<SweepResult, 'subjects' | 'objective'>): string[] {
  if (result.subjects.length === 0) return [];
  const t = makeTable(['subject', 'provider / model', 'prompt', `${result.objective.metric === 'val_loss' ? 'perplexity' : result.objective.metric} (test) [95% CI]`, 'tokens/request in, out', 'requests']);
  for (const x of result.subjects) {
    const v = x.test;
    t.push([
      x.subject,
      providerLabel(x),
      promptLabel(x),
      v ? `${v.value.toFixed(4)}${v.ciLow !== null && v.ciHigh !== null ? ` [${v.ciLow.toFixed(4)}, ${v.ciHigh.toFixed(4)}]` : ''}` : '-',
      tokensCell(x),
      subjectStatusCell(x),
    ]);
  }
  return ['subjects (baselines and extra models, on the test split):', t.toString(), ...result.subjects.flatMap((x) => subjectNotes(x)).map((n) => `  note: ${n}`)];
}
