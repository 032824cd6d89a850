/**
 * `fte init [DIR]`: scaffold a project folder as promptfoo's and oclif-based CLIs' `init` do: an
 * `experiments/` folder with a sample spec that names fte's built-ins (`fte-tiny-base`,
 * `email-triage`), and `.gitignore` lines for the store (`.fte/`) and generated reports (`reports/`).
 * Nothing existing is overwritten: an existing spec is refused unless `force`, an existing
 * `.gitignore` only gains the lines it lacks.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';

/** What `init` did, one entry per file (also the command's `--json` output). */
export interface InitResult {
  dir: string;
  files: Array<{ path: string; action: 'created' | 'updated' | 'unchanged' | 'replaced' }>;
  next: string[];
}

export const SAMPLE_SPEC_NAME = 'first-sweep.ts';

/** The sample spec: 2 LoRA variants of the built-in model on the built-in suite (about 4 minutes on 2 cores). */
export const SAMPLE_SPEC = `/**
 * A first sweep: LoRA rank 8 vs 16 on fte's built-in byte-level model and e-mail triage suite.
 * Point \`model.base\` at a Hugging Face checkpoint folder and \`dataset\` at your JSONL file (or a
 * folder written by \`fte data prepare\`) to run it on your own model and data.
 */
import { defineExperiment } from 'fte';

export default defineExperiment({
  name: 'first-sweep',
  model: { base: 'fte-tiny-base' }, // built-in by name, or a path to config.json + model.safetensors
  dataset: 'email-triage', // built-in suite by name, or a JSONL file / prepared folder
  method: 'lora',
  params: { targetModules: ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'], epochs: 3, learningRate: 5e-3, seed: 42 },
  sweep: {
    strategy: 'grid',
    parameters: { rank: [8, 16], alpha: ({ rank }) => 2 * rank },
  },
  evaluate: { perturbations: ['typos', 'lowercase'], baselines: ['base', 'prompting', 'rag'] },
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
});
`;

const IGNORES = ['.fte/', 'reports/'];

/**
 * Scaffold `dir` (created if missing).
 * @throws UserInputError when `dir` is a file, or the sample spec exists and `force` is not set.
 */
export function initProject(dir: string, opts: { force?: boolean } = {}): InitResult {
  if (existsSync(dir) && !isDirectory(dir)) throw new UserInputError(`${dir}: exists and is not a folder`);
  const specPath = join(dir, 'experiments', SAMPLE_SPEC_NAME);
  const specExists = existsSync(specPath);
  if (specExists && !opts.force) throw new UserInputError(`${specPath}: exists; fte init writes nothing over it (use --force to replace it)`);
  const files: InitResult['files'] = [];

  mkdirSync(join(dir, 'experiments'), { recursive: true });
  writeAtomically(specPath, SAMPLE_SPEC);
  files.push({ path: specPath, action: specExists ? 'replaced' : 'created' });

  const ignorePath = join(dir, '.gitignore');
  const before = existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : null;
  const have = new Set((before ?? '').split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORES.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')));
  if (missing.length) {
    const text = (before === null ? '' : before.endsWith('\n') || before === '' ? before : `${before}\n`) + `${missing.join('\n')}\n`;
    writeAtomically(ignorePath, text);
  }
  files.push({ path: ignorePath, action: before === null ? 'created' : missing.length ? 'updated' : 'unchanged' });

  const rel = join('experiments', SAMPLE_SPEC_NAME);
  const cd = dir === '.' ? '' : `cd ${dir} && `;
  return { dir, files, next: [`${cd}fte sweep ${rel} --dry-run`, `${cd}fte sweep ${rel}`, `${cd}fte report`] };
}

function isDirectory(p: string): boolean {
  return statSync(p).isDirectory();
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
