/**
 * File-system helpers shared by stages.
 *
 * `makeDirs` replaces `fs.mkdirSync(dir, { recursive: true })`: Node's recursive mkdir (v20) loops
 * forever at 100% CPU when `mkdir` answers ENOENT for a path whose parent exists (e.g. anything
 * under /proc, or a parent removed meanwhile). This walks up to the first existing ancestor and
 * creates each missing level with a plain `mkdir`, turning any failure into one line.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserInputError } from './errors.js';

/**
 * Creates `dir` and its missing parents (no-op when it exists as a folder).
 * @throws UserInputError `cannot create folder <dir>: <reason>` when a level is a file or mkdir fails.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  while (!existsSync(cur)) {
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (existsSync(cur) && !statSync(cur).isDirectory()) throw new UserInputError(`cannot create folder ${dir}: ${cur} is a file`);
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new UserInputError(`cannot create folder ${dir}: ${(e.message ?? String(err)).split(',')[0]}`);
    }
  }
}
