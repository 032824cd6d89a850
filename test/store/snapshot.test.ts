/**
 * A running sweep holds DuckDB's write lock; it publishes a read-only snapshot next to the store
 * (`<db>.snapshot`) that read commands open instead, saying so in one line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, snapshotPath } from '../../src/store/open.js';
import { StoreLockedError } from '../../src/store/errors.js';
import { seedFile } from './seed-db.js';

const here = path.dirname(new URL(import.meta.url).pathname);
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-snap-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function holdLock(file: string): Promise<ChildProcess> {
  const holder = spawn(process.execPath, [path.join(here, 'children/hold-lock.mjs'), file], { cwd: path.resolve(here, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return holder;
}

describe('store snapshot', () => {
  it('writeSnapshot copies the whole store (tables, views, curves) into <db>.snapshot atomically', async () => {
    const file = path.join(dir, 'copy.duckdb');
    await seedFile(file);
    const store = await openStore(file);
    try {
      await store.appendStepMetrics('r-a', [{ step: 99, epoch: 3, split: 'train', name: 'loss', value: 0.5 }]); // buffered, not yet flushed
      const out = await store.writeSnapshot();
      expect(out).toBe(snapshotPath(file));
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('copy.duckdb.snapshot'))).toEqual(['copy.duckdb.snapshot']);
    } finally {
      await store.close();
    }
    const snap = await openStore(snapshotPath(file), { readOnly: true });
    try {
      const list = await snap.listRuns({});
      expect(list.runs.map((r) => r.runId).sort()).toEqual(['r-a', 'r-b', 'r-c']);
      const detail = await snap.getRun('r-a');
      expect(detail.run.runId).toBe('r-a');
      expect((await snap.db.all(`SELECT value FROM step_metrics WHERE run_id = 'r-a' AND step = 99`))).toEqual([{ value: 0.5 }]);
    } finally {
      await snap.close();
    }
  });

  it('a read-only open of a locked store opens its snapshot and says so in one line; without a snapshot it stays a lock error', async () => {
    const file = path.join(dir, 'locked.duckdb');
    await seedFile(file);
    const lines: string[] = [];
    const holder = await holdLock(file);
    try {
      await expect(openStore(file, { readOnly: true, onSnapshot: (l) => lines.push(l) })).rejects.toBeInstanceOf(StoreLockedError);
      expect(lines).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }

    const w = await openStore(file);
    await w.writeSnapshot();
    await w.close();
    const holder2 = await holdLock(file);
    try {
      // Without the option, a read-only open still reports the lock.
      await expect(openStore(file, { readOnly: true })).rejects.toBeInstanceOf(StoreLockedError);
      const store = await openStore(file, { readOnly: true, onSnapshot: (l) => lines.push(l) });
      try {
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^store is locked by a running sweep \\(pid ${holder2.pid}\\); showing its snapshot from \\d\\d:\\d\\d:\\d\\d$`));
        expect(store.fromSnapshot).toBe(true);
        expect(store.noLiveWriter).toBe(false); // its running runs are live, not left by a dead process
        expect((await store.listRuns({})).runs).toHaveLength(3);
      } finally {
        await store.close();
      }
    } finally {
      holder2.kill('SIGKILL');
    }
  });
});
