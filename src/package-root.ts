/**
 * Where fte's own files are: the package root (holds `package.json`, `models/`, `evals/`,
 * `experiments/`, `templates/`), found from this file's location, so built-ins resolve the same way
 * from a clone (`src/` or `dist/`) and from an installed package (`node_modules/fte`, a global prefix).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The fte package root. @throws Error when no ancestor holds fte's `package.json` and `evals/`. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'evals'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the fte package root');
    dir = up;
  }
}

/** Names of the models shipped with fte (folders of `<package>/models` holding `config.json`). */
export function builtinModelDir(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return undefined;
  const dir = join(packageRoot(), 'models', name);
  return existsSync(join(dir, 'config.json')) ? dir : undefined;
}
