/**
 * `fte serve` through the built CLI: the listening line on stdout, requests over HTTP, a stderr line
 * per request, clean stops on SIGTERM/SIGINT, and one-line errors for a missing store or a busy port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, buildStore, type ServeStore } from './fixture.js';

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

/** Spawn `fte serve ...args` and wait for its listening line. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const end = Date.now() + 120_000;
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`fte serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = /^fte serve: listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)\n$/.exec(out);
  if (!m) throw new Error(`unexpected stdout: ${JSON.stringify(out)}`);
  return { child, url: m[1]!, stdout: () => out, stderr: () => err, exited };
}

let store: ServeStore;
let runId: string;

beforeAll(() => {
  store = buildStore({ methods: false });
}, 600_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('fte serve (CLI)', () => {
  it('prints exactly one stdout line with the URL, serves the store, logs each request on stderr, and stops cleanly on SIGTERM', async () => {
    const s = await serve(['--db', store.db, '--port', '0']);
    const models = (await (await fetch(`${s.url}/models`)).json()) as { data: { id: string }[] };
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain('base');
    expect(ids).toContain('best:other-base');
    runId = ids.find((id) => !id.includes(':') && id !== 'base')!;
    expect(runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{6}$/);
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: runId, messages: [{ role: 'user', content: 'Subject: hello' }], max_tokens: 5 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(5);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.stdout().split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(s.stderr()).toMatch(new RegExp(`^POST /v1/chat/completions model=${runId} 200 tokens=\\d+\\+\\d+ \\d+ ms$`, 'm'));
    expect(s.stderr()).toMatch(/^GET \/v1\/models model=- 200 tokens=- \d+ ms$/m);
    expect(s.stderr()).toMatch(/SIGTERM: stopping/);
  });

  it('--api-key, --max-tokens-cap and --body-limit apply; SIGINT stops it with exit 0', async () => {
    const s = await serve(['--db', store.db, '--port', '0', '--api-key', 'k1', '--max-tokens-cap', '8', '--body-limit', '2000']);
    const ask = (body: unknown, key = 'k1') =>
      fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    expect((await ask({ model: 'base', messages: [{ role: 'user', content: 'a' }], max_tokens: 2 }, 'k2')).status).toBe(401);
    expect((await ask({ model: 'base', messages: [{ role: 'user', content: 'a' }], max_tokens: 9 })).status).toBe(400);
    expect((await ask({ model: 'base', messages: [{ role: 'user', content: 'a'.repeat(3000) }], max_tokens: 2 })).status).toBe(413);
    expect((await ask({ model: 'base', messages: [{ role: 'user', content: 'a' }], max_tokens: 8 })).status).toBe(200);
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('a missing store: one line on stderr, exit 2, no listening line', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--db', join(store.dir, 'nope.duckdb'), '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fte: .*nope\.duckdb/);
  });

  it('a port in use: one line naming the port, exit 2', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--db', store.db, '--port', String(port)], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^fte: port ${port} is in use on 127\\.0\\.0\\.1`, 'm'));
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    } finally {
      blocker.close();
    }
  });
});
