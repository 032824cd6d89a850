/**
 * The `openai` provider end to end, through the built CLI: `fte serve` over one store answers a sweep's
 * prompting baseline (real HTTP, the official client) in another store. Its predictions equal the
 * in-process prompting baseline's on the same model and prompts; usage is stored per example; a re-run
 * is answered from the response cache (the server logs no new request); the report names every
 * subject's provider and model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fte } from '../serve/fixture.js';
import { requireBuild } from '../cli/built.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startChatServer, type ChatServer } from '../providers/chat-server.js';

let dir: string;
let server: ChildProcess;
let url: string;
let serverLog = '';
const requestLines = () => serverLog.split('\n').filter((l) => l.includes('/v1/chat/completions')).length;

const LIMITS = ['--run-cap', '1', '--max-steps', '2', '--limit-train', '16', '--limit-eval', '6', '-q'];

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'fte-providers-'));
  // The store fte serve reads: one limited sweep of the built-in base model.
  fte(['sweep', 'experiments/lora-rank.ts', '--db', join(dir, 'served.duckdb'), ...LIMITS]);
  server = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'served.duckdb'), '--port', '0'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  const end = Date.now() + 120_000;
  while (!out.includes('\n')) {
    if (server.exitCode !== null || Date.now() > end) throw new Error(`fte serve did not start: ${serverLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  url = /listening on (\S+)/.exec(out)![1]!;
  writeFileSync(
    join(dir, 'served-baseline.mjs'),
    `export default {
  name: 'served-baseline',
  model: { base: 'models/fte-tiny-base' },
  dataset: 'evals/email-triage',
  params: { rank: 4, alpha: 8, targetModules: ['c_attn'], epochs: 1, batchSize: 8, learningRate: 5e-3, seed: 1 },
  evaluate: {
    perturbations: ['lowercase'],
    maxNewTokens: 16,
    baselines: ['prompting', { kind: 'prompting', name: 'served', provider: { type: 'openai', baseURL: '${url}', model: 'base', maxRetries: 1 }, system: '' }],
  },
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
};
`,
  );
}, 600_000);

let bare: ChatServer | undefined;

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  await bare?.close();
});

/** The built CLI, asynchronously: the server's stderr keeps flowing into `serverLog` while it runs. */
function fteAsync(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fte ${args.join(' ')} exited ${code}: ${err}`))));
  });
}
/** Let the server's last log lines arrive. */
const settle = () => new Promise((r) => setTimeout(r, 300));

const query = (db: string, sql: string) => JSON.parse(fte(['query', sql, '--db', db, '--json']).stdout).rows as Record<string, unknown>[];

describe('a sweep whose prompting baseline is fte serve (openai provider, built CLI)', () => {
  it('completes, equals the in-process baseline, stores usage per example, caches, and reports the provider of every subject', async () => {
    const db = join(dir, 'sweep.duckdb');
    await fteAsync(['sweep', join(dir, 'served-baseline.mjs'), '--db', db, ...LIMITS]);
    await settle();
    const sent = requestLines();
    expect(sent).toBeGreaterThan(0);

    const preds = query(db, `SELECT subject, perturbation, example_id, prediction, prompt_tokens, completion_tokens, error, cached FROM predictions WHERE subject IN ('prompting', 'served') ORDER BY subject, perturbation, example_id`);
    const local = preds.filter((p) => p.subject === 'prompting');
    const served = preds.filter((p) => p.subject === 'served');
    expect(served.length).toBe(local.length);
    expect(served.length).toBeGreaterThanOrEqual(6);
    // Same model, same messages, greedy: the same answers and the same token counts over HTTP.
    expect(served.map((p) => [p.perturbation, p.example_id, p.prediction, p.prompt_tokens])).toEqual(local.map((p) => [p.perturbation, p.example_id, p.prediction, p.prompt_tokens]));
    for (const p of served) {
      expect(p.error).toBeNull();
      expect(Number(p.prompt_tokens)).toBeGreaterThan(0);
      expect(p.completion_tokens).not.toBeNull();
    }
    const [subject] = query(db, `SELECT provider, model, endpoint, errors, cached, requests FROM subjects WHERE subject = 'served'`);
    expect(subject).toMatchObject({ provider: 'openai', model: 'base', endpoint: url, errors: 0, cached: 0 });
    expect(Number(subject!.requests)).toBe(sent);

    // A re-run (baselines evaluated again) sends no request: every answer comes from the cache.
    await fteAsync(['sweep', join(dir, 'served-baseline.mjs'), '--db', db, '--no-resume', ...LIMITS]);
    await settle();
    expect(requestLines()).toBe(sent);
    const cached = query(db, `SELECT s.cached, s.requests FROM subjects s JOIN runs r ON r.run_id = s.run_id WHERE s.subject = 'served' ORDER BY r.run_seq DESC LIMIT 1`);
    expect(Number(cached[0]!.cached)).toBe(sent);
    // --no-cache sends them again.
    await fteAsync(['sweep', join(dir, 'served-baseline.mjs'), '--db', db, '--no-resume', '--no-cache', ...LIMITS]);
    await settle();
    expect(requestLines()).toBe(2 * sent);

    const html = join(dir, 'report.html');
    fte(['report', '--db', db, '--out', html]);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain(`openai base @ ${url}`);
    expect(text).toContain('local fte-tiny-base');
  }, 600_000);
});

describe('fte eval, then fte roi on it (built CLI)', () => {
  it('named baselines and a model served elsewhere compared on cost and quality; an API that reports no usage is estimated, never free', async () => {
    // An OpenAI-compatible server that leaves `usage` out of every answer.
    bare = await startChatServer({ noUsage: true });
    const spec = join(dir, 'eval-only.mjs');
    writeFileSync(
      spec,
      `export default {
  name: 'eval-only',
  model: { base: 'models/fte-tiny-base' },
  dataset: 'evals/email-triage',
  evaluate: {
    perturbations: [],
    maxNewTokens: 8,
    baselines: ['base', { kind: 'prompting', name: 'api-few', provider: { type: 'openai', baseURL: '${bare.baseURL}', model: 'gpt-4o-mini', maxRetries: 0 } }],
    models: [{ name: 'tuned-elsewhere', provider: { type: 'openai', baseURL: '${url}', model: 'base', maxRetries: 1 } }],
  },
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
  cost: { servingAlwaysOnDevices: 0 },
};
`,
    );
    const db = join(dir, 'eval.duckdb');
    const summary = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'eval', spec, '--db', db, '--limit-eval', '6', '-q'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`fte eval exited ${code}: ${err}`))));
    });
    expect(bare.count).toBeGreaterThanOrEqual(6);
    expect(summary).toMatch(/api-few \(openai gpt-4o-mini @ .*\): usage not reported by the API for 6 of 6 requests: tokens estimated/);
    expect(summary).toMatch(/npx fte roi --sweep /);
    const [row] = query(db, `SELECT usage_not_reported, prompt_tokens FROM subjects WHERE subject = 'api-few'`);
    expect(row).toMatchObject({ usage_not_reported: 6 });
    expect(Number(row!.prompt_tokens)).toBe(0);

    const report = JSON.parse(fte(['roi', '--db', db, '--json']).stdout) as { kind: string; subjects: { subject: string; kind: string; perRequestUsd: number; pricing: string; request: { tokenSource: string; pricing: string } }[]; notes: string[] };
    expect(report.kind).toBe('subjects');
    expect(report.subjects.map((x) => [x.subject, x.kind])).toEqual([['base', 'base'], ['api-few', 'prompting'], ['tuned-elsewhere', 'model']]);
    const few = report.subjects.find((x) => x.subject === 'api-few')!;
    expect(few.perRequestUsd).toBeGreaterThan(0);
    expect(['counted', 'estimated']).toContain(few.request.tokenSource);
    expect(report.subjects.find((x) => x.subject === 'tuned-elsewhere')!.pricing).toMatch(/API \(extra model: its API usage\)$/);
    expect(report.subjects.find((x) => x.subject === 'base')!.request.pricing).toBe('self-hosted');
    expect(report.notes.join('\n')).toMatch(/api-few on gpt-4o-mini: usage not reported by the API \(6 of 6 requests\): tokens estimated/);
    const text = fte(['roi', '--db', db]).stdout;
    expect(text).toMatch(/^Decision: /);
    expect(text).not.toMatch(/has no runs/);
    if (process.env.FTE_SHOW) process.stderr.write(`${summary}\n${text}\n`);
  }, 600_000);
});
