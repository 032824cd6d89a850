import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderBytes, movePaths, packFolder, unpackFolder } from '../../../src/run/queue/artifacts.js';
import { failureReasons } from '../../../src/run/queue/coordinator.js';
import type { RunOutcome } from '../../../src/store/types.js';

describe('shipping a run folder', () => {
  it('packs every file (nested) and unpacks them byte for byte elsewhere; paths in the outcome follow', () => {
    const src = mkdtempSync(join(tmpdir(), 'fte-ship-'));
    mkdirSync(join(src, 'best'));
    writeFileSync(join(src, 'best', 'adapter_model.safetensors'), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(src, 'best', 'adapter_config.json'), '{"r":4}');
    writeFileSync(join(src, 'log.txt'), 'x');
    expect(folderBytes(src)).toBe(4 + 7 + 1);
    const files = packFolder(src);
    expect(files.map((f) => f.path)).toEqual(['best/adapter_config.json', 'best/adapter_model.safetensors', 'log.txt']);
    const dst = join(mkdtempSync(join(tmpdir(), 'fte-ship-')), 'run');
    unpackFolder(dst, files);
    expect([...readFileSync(join(dst, 'best', 'adapter_model.safetensors'))]).toEqual([0, 1, 2, 255]);
    const outcome = {
      runId: 'r', artifacts: [{ kind: 'adapter', path: join(src, 'best', 'adapter_model.safetensors'), bytes: 4, sha256: 'x' }, { kind: 'other', path: '/elsewhere/f', bytes: 1, sha256: 'y' }],
      train: { checkpointPath: join(src, 'best') },
    } as unknown as RunOutcome;
    const moved = movePaths(outcome, src, dst);
    expect(moved.artifacts.map((a) => a.path)).toEqual([join(dst, 'best', 'adapter_model.safetensors'), '/elsewhere/f']);
    expect(moved.train!.checkpointPath).toBe(join(dst, 'best'));
  });

  it('refuses a shipped path that leaves the run folder', () => {
    const dst = mkdtempSync(join(tmpdir(), 'fte-ship-'));
    expect(() => unpackFolder(dst, [{ path: '../evil', base64: '' }])).toThrow(/outside the run folder/);
    expect(() => unpackFolder(dst, [{ path: '/etc/evil', base64: '' }])).toThrow(/outside the run folder/);
  });
});

describe('a failed job\'s reason', () => {
  it('lists every attempt, the final reason once, and stalled attempts', () => {
    expect(failureReasons({ stacktrace: ['attempt 1 on a:1: boom', 'attempt 2 on b:2: boom'], failedReason: 'boom', stalledCounter: 1 })).toBe(
      'attempt 1 on a:1: boom; attempt 2 on b:2: boom; 1 attempt(s) stalled (the worker stopped renewing its lock: killed, or cut off)',
    );
    expect(failureReasons({ stacktrace: [], failedReason: 'job stalled more than allowable limit', stalledCounter: 3 })).toMatch(/^job stalled more than allowable limit; 3 attempt/);
  });
});
