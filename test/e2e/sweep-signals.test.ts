/**
 * Signals and concurrent readers of a running sweep, through the built CLI (issue 18, item 8):
 * `fte runs` reads a running sweep's snapshot; SIGTERM exits 143 with honest status counts; a killed
 * parent leaves workers that exit quietly (no `write EPIPE` stack traces).
 * Kept short: two variants, tiny limits, the signal sent as soon as a variant trains.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/run.js');
// Enough steps that the variants are still training when the signal comes.
const ARGS = ['sweep', 'experiments/lora-rank.ts', '--run-cap', '2', '--parallel', '2', '--max-steps', '400', '--limit-train', '200', '--limit-eval', '4'];

function startSweep(db: string): { child: ChildProcess; stderr: () => string; stdout: () => string; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, [bin, ...ARGS, '--db', db], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
  return { child, stderr: () => err, stdout: () => out, exited };
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const TRAINING = /training on \S+ \(worker pid (\d+)\)/g;

describe('fte sweep under signals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-signals-'));

  it('read commands see a running sweep through its snapshot; SIGTERM exits 143 and counts interrupted runs as interrupted', async () => {
    const db = join(dir, 'term.duckdb');
    const run = startSweep(db);
    await waitFor(() => [...run.stderr().matchAll(TRAINING)].length >= 1, 180_000, 'a variant to train');

    const runs = spawnSync(process.execPath, [bin, 'runs', '--db', db], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(runs.stderr).toMatch(new RegExp(`^store is locked by a running sweep \\(pid ${run.child.pid}\\); showing its snapshot from \\d\\d:\\d\\d:\\d\\d\\n$`));
    expect(runs.status).toBe(0);
    expect(runs.stdout).toMatch(/running/);

    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(143);
    const headline = run.stdout().split('\n').find((l) => l.includes(': sweep '))!;
    expect(headline).toMatch(/sweep \S+ interrupted in .* \(\d+ interrupted\)$/);
    expect(headline).not.toMatch(/failed/);
    expect(run.stderr()).not.toMatch(/EPIPE|^\s+at /m);
  }, 300_000);

  it('a killed parent leaves workers that exit quietly', async () => {
    const db = join(dir, 'kill.duckdb');
    const run = startSweep(db);
    await waitFor(() => [...run.stderr().matchAll(TRAINING)].length >= 1, 180_000, 'a variant to train');
    // Every worker (the baselines' one too), before their parent dies.
    const workers = spawnSync('ps', ['-o', 'pid=', '--ppid', String(run.child.pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    run.child.kill('SIGKILL');
    await waitFor(() => workers.every((pid) => !alive(pid)), 60_000, 'the workers to exit');
    await run.exited;
    expect(run.stderr()).not.toMatch(/EPIPE|Error:|^\s+at /m);
  }, 300_000);
});
