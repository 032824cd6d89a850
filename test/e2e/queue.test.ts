/**
 * Sweeps across machines through the built CLI, as a user runs them: a real redis-server (with a
 * password, which must never be printed), `fte sweep --queue` as coordinator, `fte worker`
 * processes as the other hosts. Timings are shortened through FTE_QUEUE_* (2 s locks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { requireBuild } from '../cli/built.js';
import { existsSync } from 'node:fs';
import { freePort, startRedis, type RedisServer } from '../run/queue/redis-server.js';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/run.js');
const SPEC = 'experiments/lora-rank.ts';
const LIMITS = ['--max-steps', '2', '--limit-train', '16', '--limit-eval', '4'];
const PASSWORD = 'pw-never-printed-7f3a';
const ENV = { NO_COLOR: '1', FTE_QUEUE_LOCK_MS: '2000', FTE_QUEUE_STALLED_MS: '1000', FTE_QUEUE_POLL_MS: '200', FTE_QUEUE_BACKOFF_MS: '200' };

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live: Proc[] = [];

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const p = { child, out: () => out, err: () => err, exited };
  live.push(p);
  return p;
}

async function waitFor(pred: () => boolean, ms: number, what: string, p?: Proc): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${p ? `; its stderr:\n${p.err().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function query<T = Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Every fine-tuned metric, the losses and the learning curves (loss, learning rate, gradient norm),
 * by variant key: what must not depend on where a variant ran (speed and memory series do).
 */
async function metricsByKey(db: string): Promise<Record<string, unknown>> {
  const rows = await query<{ k: string; m: string; v: number | null }>(
    db,
    `SELECT r.variant_key AS k, e.split || '/' || e.perturbation || '/' || e.slice || '/' || e.metric AS m, e.value AS v
       FROM eval_results e JOIN runs r USING (run_id) WHERE r.kind = 'variant' AND e.subject = 'finetuned'
     UNION ALL SELECT variant_key, 'best_val_loss', best_val_loss FROM runs WHERE kind = 'variant'
     UNION ALL SELECT variant_key, 'final_val_loss', final_val_loss FROM runs WHERE kind = 'variant'
     UNION ALL SELECT r.variant_key, 'step/' || s.split || '/' || s.name || '/' || s.step, s.value FROM step_metrics s JOIN runs r USING (run_id) WHERE s.name IN ('loss', 'learning_rate', 'grad_norm')`,
  );
  const out: Record<string, Record<string, number | null>> = {};
  for (const r of rows) (out[r.k] ??= {})[r.m] = r.v;
  return out;
}

/** Run ids per variant key (every run of the store). */
async function runsPerKey(db: string): Promise<Array<{ k: string; n: number; status: string }>> {
  return query(db, `SELECT variant_key AS k, count(*)::INT AS n, string_agg(status, ',') AS status FROM runs WHERE kind = 'variant' GROUP BY 1 ORDER BY 1`);
}

let redis: RedisServer;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'fte-queue-e2e-'));

/**
 * The fault tests' spec: the default experiment without baselines and perturbations (what they test
 * is the queue, not the evaluation; this halves their time). Paths resolve from the repository root.
 */
function quickSpec(): string {
  let text = readFileSync(join(root, SPEC), 'utf8');
  for (const [from, to] of [
    ["name: 'lora-rank'", "name: 'lora-rank-queue'"],
    ["perturbations: ['typos', 'lowercase', 'spaces', 'contractions']", 'perturbations: []'],
    ["baselines: ['base', 'prompting', 'rag']", 'baselines: []'],
  ] as const) {
    if (!text.includes(from)) throw new Error(`${SPEC} no longer has ${from}: update quickSpec()`);
    text = text.replace(from, to);
  }
  const file = join(dir, 'lora-rank-queue.ts');
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  requireBuild('dist/commands/sweep.js', 'dist/commands/worker.js', 'oclif.manifest.json');
  redis = await startRedis({ password: PASSWORD });
  url = redis.url;
}, 30_000);

afterEach(async () => {
  // Nothing a test started outlives it (a failed assertion must not leave workers taking the next test's jobs).
  for (const p of live.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await redis?.stop();
});

function noPassword(...texts: string[]): void {
  for (const t of texts) expect(t).not.toContain(PASSWORD);
}

describe('fte sweep --queue with fte worker processes', () => {
  it('two workers run a limited sweep of 4 variants: 4 completed runs, one per variant key, the same metrics as a local run', async () => {
    // The local reference runs meanwhile (its own store): the machine's two cores are shared, results are not.
    const localDb = join(dir, 'local.duckdb');
    const local = start(['sweep', SPEC, '--db', localDb, '--run-cap', '4', '--parallel', '1', ...LIMITS, '--json']);
    const db = join(dir, 'queued.duckdb');
    const w1 = start(['worker', '--queue', url]);
    const w2 = start(['worker', '--queue', url]);
    const sweep = start(['sweep', SPEC, '--db', db, '--run-cap', '4', ...LIMITS, '--queue', url, '--json']);
    const ended = await sweep.exited;
    expect(ended.code, sweep.err()).toBe(0);
    expect((await local.exited).code, local.err()).toBe(0);
    const result = JSON.parse(sweep.out());
    expect(result.variants).toHaveLength(4);
    expect(result.variants.every((v: { status: string }) => v.status === 'completed')).toBe(true);

    const perKey = await runsPerKey(db);
    expect(perKey).toHaveLength(4);
    expect(perKey.every((r) => r.n === 1 && r.status === 'completed')).toBe(true);
    expect(await metricsByKey(db)).toEqual(await metricsByKey(localDb));
    // Where each ran: the host, shown by fte runs; both workers took jobs.
    expect(await query(db, `SELECT DISTINCT host FROM run_summary`)).toEqual([{ host: os.hostname() }]);
    const runs = start(['runs', '--db', db]);
    expect((await runs.exited).code).toBe(0);
    expect(runs.out()).toMatch(/│ host /);
    expect(runs.out()).toContain(os.hostname());

    w1.child.kill('SIGINT');
    w2.child.kill('SIGINT');
    expect((await w1.exited).code).toBe(0);
    expect((await w2.exited).code).toBe(0);
    for (const w of [w1, w2]) expect(w.err()).toMatch(/: completed in /);
    expect(sweep.err()).toMatch(/training on \S+ \(worker pid \d+\) on /);
    expect(sweep.err()).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    noPassword(sweep.out(), sweep.err(), w1.err(), w2.err(), runs.out());
  }, 180_000);

  it('a worker SIGKILLed while it holds a job: the job stalls, is re-delivered, and the sweep completes every variant', async () => {
    const db = join(dir, 'killed.duckdb');
    const a = start(['worker', '--queue', url]);
    const b = start(['worker', '--queue', url]);
    const sweep = start(['sweep', quickSpec(), '--db', db, '--run-cap', '2', ...LIMITS, '--queue', url]);
    const pids = () => [...sweep.err().matchAll(/training on \S+ \(worker pid (\d+)\)/g)].map((m) => Number(m[1]));
    await waitFor(() => pids().length > 0, 90_000, 'a variant to start training', sweep);
    const victim = [a, b].find((w) => w.child.pid === pids()[0])!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    const ended = await sweep.exited;
    expect(ended.code, sweep.err()).toBe(0);
    expect(sweep.err()).toMatch(/stopped answering \(lock expired\)/);
    const perKey = await runsPerKey(db);
    expect(perKey).toHaveLength(2);
    expect(perKey.every((r) => r.n === 1 && r.status === 'completed')).toBe(true);
    const survivor = victim === a ? b : a;
    expect(survivor.err().match(/: completed in /g)).toHaveLength(2); // its own variant and the re-delivered one
    noPassword(sweep.err(), a.err(), b.err());
  }, 120_000);

  it('the coordinator stopped mid-sweep: workers go on, and a re-run ingests what finished meanwhile (nothing trains twice)', async () => {
    const db = join(dir, 'resumed.duckdb');
    const w = start(['worker', '--queue', url]);
    const args = ['sweep', quickSpec(), '--db', db, '--run-cap', '3', ...LIMITS, '--queue', url];
    const first = start(args);
    await waitFor(() => /completed #\d/.test(first.err()), 90_000, 'a variant to be stored', first);
    first.child.kill('SIGINT');
    const stopped = await first.exited;
    expect(stopped.code).toBe(130);
    expect(first.err()).toMatch(/stay on sweep-\S+ .*run the same command again/);
    const storedBefore = await query<{ run_id: string }>(db, `SELECT run_id FROM runs WHERE kind = 'variant' AND status = 'completed'`);
    expect(storedBefore).toHaveLength(1);

    await waitFor(() => (w.err().match(/: completed in /g) ?? []).length === 3, 90_000, 'the worker to finish the other variants without a coordinator', w);
    const again = start(args);
    const ended = await again.exited;
    expect(ended.code, again.err()).toBe(0);
    expect(again.err()).toMatch(/resuming sweep/);
    expect(again.err()).toMatch(/0 job\(s\) added, 2 already there/);
    const perKey = await runsPerKey(db);
    expect(perKey).toHaveLength(3);
    expect(perKey.every((r) => r.n === 1 && r.status === 'completed')).toBe(true);
    expect(await query(db, `SELECT run_id FROM runs WHERE run_id = '${storedBefore[0]!.run_id}' AND status = 'completed'`)).toHaveLength(1);
    expect(w.err().match(/attempt \d+ started/g)).toHaveLength(3); // each variant trained once
    w.child.kill('SIGINT');
    expect((await w.exited).code).toBe(0);
    noPassword(first.err(), again.err(), again.out(), w.err());
  }, 180_000);
});

describe('bad queue input: one line, the password never shown', () => {
  it('fte worker without a queue, or with a malformed URL', async () => {
    const none = start(['worker']);
    expect((await none.exited).code).toBe(2);
    expect(none.err().trim()).toBe('fte: --queue: required (or set FTE_QUEUE): the Redis URL the coordinator (fte sweep --queue) uses');
    const bad = start(['worker', '--queue', `http://:${PASSWORD}@127.0.0.1:1`]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.err().trim().split('\n')).toHaveLength(1);
    expect(bad.err()).toMatch(/^fte: --queue: scheme http is not redis or rediss/);
    noPassword(bad.err());
  }, 60_000);

  it('fte sweep --queue to a Redis nobody listens on: one line, and no database file is left', async () => {
    const port = await freePort();
    const db = join(dir, 'unreachable.duckdb');
    const p = start(['sweep', SPEC, '--db', db, '--run-cap', '1', ...LIMITS, '--queue', `redis://:${PASSWORD}@127.0.0.1:${port}`]);
    expect((await p.exited).code).toBe(2);
    expect(p.err().trim().split('\n')).toHaveLength(1);
    expect(p.err()).toContain(`fte: cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    expect(existsSync(db)).toBe(false);
    noPassword(p.err(), p.out());
  }, 60_000);
});
