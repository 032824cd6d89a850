/**
 * What crosses the Redis queue between the coordinator (`fte sweep --queue`) and `fte worker`s: a
 * job per variant, progress events, and the run's outcome. All plain JSON (BullMQ stores job data,
 * progress and return values as JSON); the worker <-> child process messages inside are the local
 * pool's (../protocol.ts), unchanged.
 *
 * Keys (BullMQ prefix `fte`): a queue per sweep, `fte:sweep-<sweepId>:*`, each variant's job id
 * `variant-<variant key>` (BullMQ refuses ids that read as integers; a key of 16 digits would); the
 * registry of sweeps being served, hash `fte:sweeps` (queue name -> SweepEntry JSON); the workers
 * alive, hash `fte:workers` (`host:pid` -> WorkerEntry JSON).
 */
import type { RunOutcome } from '../../store/types.js';
import type { SweepContext, VariantTask, WorkerMessage } from '../protocol.js';

/** Version of this protocol: a worker refuses a job of another version (no retry), naming both. */
export const QUEUE_PROTOCOL = 1;

/** BullMQ key prefix of fte's queues. */
export const PREFIX = 'fte';
/** Hash: queue name -> SweepEntry (JSON): the sweeps workers serve. */
export const SWEEPS_KEY = `${PREFIX}:sweeps`;
/** Hash: `host:pid` -> WorkerEntry (JSON), refreshed by each worker every poll. */
export const WORKERS_KEY = `${PREFIX}:workers`;

/** The queue of one sweep. */
export function queueName(sweepId: string): string {
  return `sweep-${sweepId}`;
}

/** The job id of a variant: one job per variant key in a sweep's queue, so adding it again is a no-op. */
export function jobIdOf(variantKey: string): string {
  return `variant-${variantKey}`;
}

/** A sweep in the registry. */
export interface SweepEntry {
  sweepId: string;
  experiment: string;
  /** The coordinator that enqueued it (host, pid) and when (ISO-8601). */
  host: string;
  pid: number;
  registeredAt: string;
}

/** A live worker in the registry. */
export interface WorkerEntry {
  host: string;
  pid: number;
  backend: string;
  concurrency: number;
  /** The queue it serves now, or null while idle. */
  queue: string | null;
  /** Epoch ms of its last refresh (a worker not seen for 3 polls and 10 s is gone). */
  seen: number;
}

/**
 * Where the coordinator found the base model and the dataset, and their fingerprints. A worker
 * resolves both in its own checkout (`path` relative to its working directory, else `spec` as the
 * spec file names it), prepares the dataset the same way and refuses the job when either
 * fingerprint differs.
 */
export interface JobOrigin {
  /** The spec file: relative to the coordinator's working directory when under it, else absolute. */
  specPath: string;
  baseModel: { path: string; spec: string; fingerprint: string };
  /** `fingerprint`: the prepared splits' (manifest.json `fingerprint`), before limits. */
  dataset: { path: string; spec: string; fingerprint: string; seed: number; maxBadRows?: string; /** `evaluate.ood`: the OOD file (relative to the coordinator's cwd) and as the spec wrote it, or false for none. */ ood?: { path: string; spec: string } | false };
  coordinator: { host: string; pid: number };
}

/** A job's data: one variant of one sweep. */
export interface VariantJobData {
  v: typeof QUEUE_PROTOCOL;
  sweepId: string;
  /** The run id this variant's run has in the store, fixed when the job is added: every attempt writes that one run. */
  runId: string;
  /** `#3 lora r=8 lr=2e-3 alpha=16`, for logs. */
  label: string;
  variant: VariantTask;
  /** The coordinator's context; a worker replaces its paths (data, base model, output) by its own. */
  context: SweepContext;
  origin: JobOrigin;
}

/** A progress event (BullMQ job progress): a message of the local worker protocol, tagged with its attempt and worker. */
export interface ProgressEvent {
  /** BullMQ's attemptsStarted when the attempt began: events of an older attempt are ignored. */
  attempt: number;
  host: string;
  /** The `fte worker` process. */
  pid: number;
  backend: string;
  message: WorkerMessage;
}

/** A file of the run folder that travels back in the result. */
export interface ShippedFile {
  /** Relative to the run folder (`best/adapter_model.safetensors`). */
  path: string;
  base64: string;
}

/** A job's return value. */
export interface VariantJobResult {
  v: typeof QUEUE_PROTOCOL;
  host: string;
  pid: number;
  outcome: RunOutcome;
  /** The run folder on the worker (paths in `outcome` point into it). */
  runDir: string;
  /** The run folder's files when they fit FTE_QUEUE_INLINE_BYTES and no --artifacts folder was given; the coordinator writes them under its runs folder. */
  files?: ShippedFile[];
  /** Why the checkpoint stayed where `runDir` says (too large to ship, or on the --artifacts folder). */
  artifactsNote?: string;
}
