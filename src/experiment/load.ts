import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModelDir, packageRoot } from '../package-root.js';
import { defineExperiment } from './define.js';
import { SpecError } from './errors.js';
import type { ExperimentSpec } from './schema.js';
import { specFromWandbYaml } from './wandb.js';

/** Thrown by process.exit while a spec module is evaluated (see loadSpec). */
class SpecExitError extends Error {
  constructor(code: number | string | null | undefined) {
    super(`the spec called process.exit(${code ?? ''}); a spec module must only export its experiment`);
  }
}

/**
 * Run spec code (the module body, a derived parameter's function) with `process.exit` throwing
 * `SpecExitError` instead of ending fte silently (exit 0, no output); restored afterwards.
 */
export async function withoutProcessExit<T>(fn: () => Promise<T> | T): Promise<T> {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new SpecExitError(code);
  }) as typeof process.exit;
  try {
    return await fn();
  } finally {
    process.exit = exit;
  }
}

/** A loaded spec with where it came from. */
export interface LoadedSpec {
  spec: ExperimentSpec;
  /** The path as the user gave it (used in messages). */
  file: string;
  /** Absolute path. */
  path: string;
  /** Spec source text (hashed into experiments.spec_hash). */
  source: string;
}

/**
 * Load an experiment spec: a TypeScript/JavaScript module (`.ts`, `.mts`, `.js`, `.mjs`) whose default
 * export is `defineExperiment({...})` or a plain object, compiled at run time by jiti (no build step),
 * or a W&B sweep YAML (`.yaml`/`.yml`, see src/experiment/wandb.ts).
 *
 * @throws SpecError (exit code 2) with one line naming the file: missing file, compile/runtime error,
 *   a call to process.exit while the module is evaluated, no default export, or a validation error
 *   with its field path.
 */
export async function loadSpec(file: string): Promise<LoadedSpec> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new SpecError(file, '', 'file not found');
  const source = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let input: unknown;
  if (ext === '.yaml' || ext === '.yml') {
    input = specFromWandbYaml(source, file);
  } else if (['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'].includes(ext)) {
    const { createJiti } = await import('jiti');
    const jiti = createJiti(import.meta.url, {
      moduleCache: false,
      fsCache: false,
      interopDefault: false,
      // `import { defineExperiment } from 'fte'` gets the light entry, not the whole package root.
      alias: { fte: fileURLToPath(new URL('./public.js', import.meta.url)) },
    });
    let mod: Record<string, unknown>;
    try {
      mod = await withoutProcessExit(async () => (await jiti.import(path)) as Record<string, unknown>);
    } catch (err) {
      if (err instanceof SpecError) throw err.withFile(file);
      if (err instanceof SpecExitError) throw new SpecError(file, '', `cannot load: ${err.message}`);
      throw new SpecError(file, '', `cannot load: ${describeLoadError(err, path)}`);
    }
    if (!mod || mod.default === undefined) throw new SpecError(file, '', 'no default export (write `export default defineExperiment({ ... })`)');
    input = mod.default;
  } else {
    throw new SpecError(file, '', `unsupported spec type '${ext || '(none)'}'; expected .ts, .js, .mjs or a W&B sweep .yaml`);
  }
  let spec: ExperimentSpec;
  try {
    spec = defineExperiment(input as Parameters<typeof defineExperiment>[0]);
  } catch (err) {
    if (err instanceof SpecError) throw err.withFile(file);
    throw err;
  }
  return { spec, file, path, source };
}

/**
 * Resolve a path named in a spec (model.base, dataset): as given when it exists relative to the
 * current directory, otherwise relative to the spec file's folder.
 */
export function resolveSpecPath(loaded: Pick<LoadedSpec, 'path'>, p: string): string {
  if (isAbsolute(p)) return p;
  const fromCwd = resolve(p);
  if (existsSync(fromCwd)) return fromCwd;
  const fromSpec = resolve(loaded.path, '..', p);
  if (existsSync(fromSpec)) return fromSpec;
  // fte's built-ins by name or by their path inside the package: `fte-tiny-base` or
  // `models/fte-tiny-base`, `email-triage` or `evals/email-triage`, from any working directory.
  const inPackage = join(packageRoot(), 'evals', p);
  const builtin = builtinModelDir(p) ?? (existsSync(join(inPackage, 'suite.json')) ? inPackage : undefined) ?? (existsSync(join(packageRoot(), p)) ? join(packageRoot(), p) : undefined);
  return builtin ?? fromCwd;
}

/** A path for messages: relative to the current directory when under it. */
export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** First line of a compile/runtime error, with the line and column in the spec when the error names them. */
export function describeLoadError(err: unknown, path: string): string {
  const text = String((err as Error)?.message ?? err);
  const first = (text.split('\n').find((l) => l.trim()) ?? 'unknown error').trim();
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const at = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(text) ?? new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(String((err as Error)?.stack ?? ''));
  return at ? `${first} (line ${at[1]}, column ${at[2]})` : first;
}
