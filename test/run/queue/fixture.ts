/**
 * A queued sweep in one process for the queue tests: a real redis-server, an in-memory store, the
 * coordinator (QueuedSweep) and `fte worker`'s loop (runQueueWorker) running variants in the fake
 * child ./children/fake-variant.mjs, whose `params.mode` says what each variant does.
 */
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDataset } from '../../../src/data/index.js';
import { baseModelFingerprint } from '../../../src/experiment/fingerprint.js';
import type { Variant } from '../../../src/experiment/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import type { RunOutcome } from '../../../src/store/types.js';
import { createProgress } from '../../../src/run/progress.js';
import type { SweepContext } from '../../../src/run/protocol.js';
import { QueuedSweep, type QueuedVariant } from '../../../src/run/queue/coordinator.js';
import type { JobOrigin } from '../../../src/run/queue/protocol.js';
import type { QueueSettings } from '../../../src/run/queue/settings.js';
import { parseQueueUrl } from '../../../src/run/queue/url.js';
import { runQueueWorker } from '../../../src/run/queue/worker.js';

export const FAKE_CHILD = resolve(import.meta.dirname, 'children/fake-variant.mjs');

/** Short timings so stalls and retries happen within a second or two. */
export const FAST: QueueSettings = { lockMs: 1000, stalledMs: 500, maxStalled: 2, attempts: 3, backoffMs: 100, pollMs: 100, inlineBytes: 1 << 20 };

export const CACHE = mkdtempSync(join(os.tmpdir(), 'fte-queue-cache-'));

/** The real base model's and dataset's fingerprints, as a coordinator would put them in its jobs. */
export async function realOrigin(): Promise<JobOrigin> {
  const data = await loadDataset('evals/email-triage', { seed: 42, cacheDir: CACHE });
  return {
    specPath: 'experiments/lora-rank.ts',
    baseModel: { path: 'models/fte-tiny-base', spec: 'models/fte-tiny-base', fingerprint: baseModelFingerprint('models/fte-tiny-base') },
    dataset: { path: 'evals/email-triage', spec: 'evals/email-triage', fingerprint: data.manifest.fingerprint, seed: 42 },
    coordinator: { host: os.hostname(), pid: process.pid },
  };
}

/** A variant the fake child acts out. */
export function fakeVariant(index: number, mode: string, extra: Record<string, unknown> = {}): QueuedVariant {
  const key = `${mode}${index}`.padEnd(16, 'x').slice(0, 16);
  const variant = { key, index, method: 'lora', params: { mode, ...extra }, swept: { mode } } as unknown as Variant;
  return { variant, label: `#${index + 1} ${mode}` };
}

export interface Harness {
  store: Store;
  sweepId: string;
  outDir: string;
  notes: string[];
  ended: RunOutcome[];
  coordinator(variants: QueuedVariant[], origin?: JobOrigin): QueuedSweep;
  /** Start a worker in this process; `stop()` stops it as Ctrl-C does and resolves with its exit code. */
  worker(opts?: { concurrency?: number }): { log: string[]; stop(): Promise<number>; done: Promise<number> };
}

export async function harness(url: string, settings: QueueSettings = FAST): Promise<Harness> {
  const store = await openStore(':memory:');
  const experimentId = await store.upsertExperiment({ name: 'queue-test', specPath: 'x', specHash: 'h', objective: { metric: 'all/accuracy', goal: 'maximize' } });
  const sweepId = await store.createSweep({ experimentId, specJson: {} });
  const outDir = mkdtempSync(join(os.tmpdir(), 'fte-queue-out-'));
  const notes: string[] = [];
  const ended: RunOutcome[] = [];
  const origin = await realOrigin();
  const context: SweepContext = {
    sweepId, specPath: 'x', dataDir: '/nowhere', baseModelDir: '/nowhere', backend: 'cpu', outDir, limits: {},
    evaluate: {} as SweepContext['evaluate'], earlyStopping: {} as SweepContext['earlyStopping'], cost: {} as SweepContext['cost'],
  };
  const progress = createProgress({ total: 0, quiet: false, tty: false, log: (l) => notes.push(l) });
  return {
    store, sweepId, outDir, notes, ended,
    coordinator: (variants, o = origin) =>
      new QueuedSweep({
        url: parseQueueUrl(url), settings, store, sweepId, experiment: 'queue-test', variants, context, origin: o, progress,
        log: (l) => notes.push(l), publish: () => undefined, onEnded: (_v, outcome) => ended.push(outcome),
      }),
    worker: (w = {}) => {
      const log: string[] = [];
      const ac = new AbortController();
      const done = runQueueWorker({
        url: parseQueueUrl(url), settings, concurrency: w.concurrency ?? 1, cacheDir: CACHE, log: (l) => log.push(l),
        script: FAKE_CHILD, execArgv: [], stop: ac.signal, signals: false,
      });
      return { log, done, stop: () => (ac.abort(), done) };
    },
  };
}

/** Poll until `pred` holds (every 50 ms), or throw naming `what`. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
