/**
 * Stores for the `fte serve` suites, built through the real CLI (`bin/run.js sweep`, 2 optimizer
 * steps per variant): the `methods` experiment (one full, one LoRA and one QLoRA run over
 * models/fte-tiny-base) and a small LoRA experiment over a copy of that base in another folder (so
 * the store's sweeps use two different base models).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireBuild } from '../cli/built.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/run.js');
export const BASE_DIR = join(ROOT, 'models/fte-tiny-base');

/** Run the built CLI to completion; throws with its stderr when it fails. */
export function fte(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`fte ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const LIMITS = ['--max-steps', '2', '--limit-train', '16', '--limit-eval', '4', '-q'];

/**
 * Write the `other-base` experiment (LoRA on `c_attn`, learning rate 5e-3, no baselines or
 * perturbations: a fast sweep) beside a copy of models/fte-tiny-base in `dir`; returns the spec path
 * and the copied base folder.
 */
export function writeOtherBaseSpec(dir: string): { spec: string; baseDir: string } {
  const baseDir = join(dir, 'other-base');
  cpSync(BASE_DIR, baseDir, { recursive: true });
  const spec = join(dir, 'other-base.mjs');
  writeFileSync(
    spec,
    `export default {
  name: 'other-base',
  model: { base: 'other-base' },
  dataset: 'evals/email-triage',
  method: 'lora',
  params: { rank: 4, alpha: 8, targetModules: ['c_attn'], epochs: 1, batchSize: 8, learningRate: 5e-3, seed: 1 },
  evaluate: { perturbations: [], baselines: [], maxNewTokens: 8 },
  objective: { metric: 'val_loss', goal: 'minimize' },
};
`,
  );
  return { spec, baseDir };
}

export interface ServeStore {
  dir: string;
  db: string;
  /** The copied base of the `other-base` experiment. */
  otherBaseDir: string;
}

/**
 * A fresh store in a temporary folder. `methods`: also sweep experiments/methods.ts (full, LoRA,
 * QLoRA; ~15 s); the `other-base` sweep (~8 s) always runs.
 */
export function buildStore(options: { methods: boolean }): ServeStore {
  requireBuild();
  const dir = mkdtempSync(join(tmpdir(), 'fte-serve-'));
  const db = join(dir, 'fte.duckdb');
  const { spec, baseDir } = writeOtherBaseSpec(dir);
  fte(['sweep', spec, '--db', db, '--run-cap', '1', ...LIMITS]);
  if (options.methods) fte(['sweep', 'experiments/methods.ts', '--db', db, '--run-cap', '3', ...LIMITS]);
  return { dir, db, otherBaseDir: baseDir };
}
