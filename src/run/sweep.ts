import type { BackendChoice } from './backends.js';

/** Options of `fte sweep` (see src/commands/sweep.ts). */
export interface RunSweepOptions {
  specFile: string;
  db: string;
  backend: BackendChoice | string;
  parallel?: number;
  resume: boolean;
  limits: { limitTrain?: number; limitEval?: number; maxSteps?: number };
  quiet: boolean;
  /** Progress and notices (stderr). */
  log: (line: string) => void;
  /** The final summary (stdout). */
  print: (line: string) => void;
}

export interface RunSweepResult {
  exitCode: number;
  result: unknown;
}

export async function runSweep(_opts: RunSweepOptions): Promise<RunSweepResult> {
  throw new Error('the sweep runner is being integrated');
}
