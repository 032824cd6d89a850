/**
 * A misbehaving API never fails the evaluation: `fte eval` (built CLI) with a baseline on a
 * fault-injecting OpenAI-compatible server (429 with Retry-After, 500, a hung request, malformed JSON)
 * completes with exit 0; retried requests succeed, the rest are stored as per-example errors (scored as
 * empty answers), counted in the subject's row and named in the summary. The API key reaches the server
 * as a bearer token and is stored nowhere.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../cli/built.js';
import { BIN, ROOT, fte } from '../serve/fixture.js';
import { startChatServer, type ChatServer } from '../providers/chat-server.js';

const KEY = 'sk-test-do-not-store-0123456789';
let server: ChatServer;
let dir: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'fte-faults-'));
  // By arrival order: request 2 gets a 429 (retried after 1 s), 3 a 500 (retried), 4 hangs (times out,
  // retried), 5 is malformed JSON (not retried: an error for that example); from 6 on, every 5th is a
  // 500 that stays a 500 (an error after retries).
  server = await startChatServer({
    reply: (n) => {
      if (n === 2) return { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } };
      if (n === 3) return { status: 500, json: { error: { message: 'transient' } } };
      if (n === 4) return { hang: true };
      if (n === 5) return { status: 200, text: '{"id": "x", "choices": [', contentType: 'application/json' };
      if (n > 5 && n % 5 === 0) return { status: 500, json: { error: { message: 'still broken' } } };
      return undefined;
    },
  });
  writeFileSync(
    join(dir, 'faulty.mjs'),
    `export default {
  name: 'faulty-api',
  model: { base: 'fte-tiny-base' },
  dataset: 'email-triage',
  evaluate: {
    perturbations: [],
    ood: false, // the faults are counted on the test requests alone
    baselines: [{ kind: 'prompting', name: 'flaky', k: 2, provider: { type: 'openai', baseURL: '${server.baseURL}', model: 'flaky-1', apiKeyEnv: 'FTE_TEST_FAULT_KEY', concurrency: 1, timeoutMs: 1500, maxRetries: 1 } }],
  },
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
};
`,
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fte eval against a fault-injecting API (built CLI)', () => {
  it('completes; retries what can be retried; stores the rest as per-example errors; never stores the key', async () => {
    const db = join(dir, 'eval.duckdb');
    const r = await run(['eval', join(dir, 'faulty.mjs'), '--db', db, '--limit-eval', '10'], { FTE_TEST_FAULT_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    // Every request carried the key as a bearer token.
    expect(server.requests.every((q) => q.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    const rows = JSON.parse(fte(['query', `SELECT example_id, prediction, error FROM predictions WHERE subject = 'flaky' ORDER BY example_id`, '--db', db, '--json']).stdout).rows as { prediction: string; error: string | null }[];
    expect(rows).toHaveLength(10);
    const failed = rows.filter((x) => x.error !== null);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) expect(f.prediction).toBe('');
    expect(failed.some((f) => /malformed JSON|not JSON/i.test(f.error!))).toBe(true);
    const [s] = JSON.parse(fte(['query', `SELECT errors, requests, answered, examples FROM subjects WHERE subject = 'flaky'`, '--db', db, '--json']).stdout).rows as { errors: number; requests: number; answered: number; examples: number }[];
    expect(s).toMatchObject({ errors: failed.length, requests: 10, answered: 10 - failed.length, examples: 10 });
    // The 429, the first 500 and the hung request were retried: more requests reached the server than examples.
    expect(server.count).toBeGreaterThan(10);
    expect(r.stdout).toMatch(new RegExp(`flaky \\(openai flaky-1 @ [^)]*\\): ${failed.length} of 10 requests failed after retries`));
    // The key is nowhere in what fte wrote.
    for (const f of [db, ...readdirSync(`${db}.responses`).map((n) => join(`${db}.responses`, n))]) expect(readFileSync(f).includes(KEY)).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  }, 300_000);

  it('refuses to start when the key variable is unset: one line naming the field, nothing stored', async () => {
    const db = join(dir, 'nokey.duckdb');
    const before = server.count;
    const r = await run(['eval', join(dir, 'faulty.mjs'), '--db', db], { FTE_TEST_FAULT_KEY: '' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`fte: ${join(dir, 'faulty.mjs')}: evaluate.baselines[0].provider.apiKeyEnv: environment variable FTE_TEST_FAULT_KEY is not set`);
    expect(server.count).toBe(before);
    expect(readdirSync(dir)).not.toContain('nokey.duckdb');
  });
});
