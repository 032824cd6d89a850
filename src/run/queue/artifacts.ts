/**
 * A remote run's checkpoint folder: shipped back in the job's result when small (base64 in JSON),
 * written by the coordinator under its own runs folder, and the outcome's paths moved there.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { makeDirs } from '../../fsutil.js';
import type { RunOutcome } from '../../store/types.js';
import type { ShippedFile } from './protocol.js';

/** Every regular file under `dir` (recursively), as paths relative to it with `/` separators, sorted. */
function filesUnder(dir: string, base = dir): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((n) => {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) return filesUnder(p, base);
    return st.isFile() ? [relative(base, p).split(sep).join('/')] : [];
  });
}

/** Total bytes of the regular files under `dir` (0 when it does not exist). */
export function folderBytes(dir: string): number {
  return filesUnder(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** The files under `dir` as ShippedFile (base64). */
export function packFolder(dir: string): ShippedFile[] {
  return filesUnder(dir).map((path) => ({ path, base64: readFileSync(join(dir, path)).toString('base64') }));
}

/**
 * Write shipped files under `dir`.
 * @throws Error when a path would leave `dir` (absolute, or `..`)
 */
export function unpackFolder(dir: string, files: readonly ShippedFile[]): void {
  const root = resolve(dir);
  for (const f of files) {
    const target = resolve(root, f.path);
    if (isAbsolute(f.path) || (target !== root && !target.startsWith(root + sep))) throw new Error(`shipped file '${f.path}' is outside the run folder`);
    makeDirs(dirname(target));
    writeFileSync(target, Buffer.from(f.base64, 'base64'));
  }
}

/** `outcome` with every path under `from` (checkpoint, artifacts) moved under `to`. */
export function movePaths(outcome: RunOutcome, from: string, to: string): RunOutcome {
  const move = (p: string): string => {
    const rel = relative(from, p);
    return rel === '' ? to : rel.startsWith('..') || isAbsolute(rel) ? p : join(to, rel);
  };
  return {
    ...outcome,
    ...(outcome.train ? { train: { ...outcome.train, ...(outcome.train.checkpointPath ? { checkpointPath: move(outcome.train.checkpointPath) } : {}) } } : {}),
    artifacts: outcome.artifacts.map((a) => ({ ...a, path: move(a.path) })),
  };
}
