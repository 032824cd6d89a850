/**
 * File-system helpers shared by stages.
 *
 * `makeDirs` replaces `fs.mkdirSync(dir, { recursive: true })`: Node's recursive mkdir (v20) loops
 * forever at 100% CPU when `mkdir` answers ENOENT for a path whose parent exists (e.g. anything
 * under /proc, or a parent removed meanwhile). This walks up to the first existing ancestor and
 * creates each missing level with a plain `mkdir`, turning any failure into one line.
 *
 * `writeOutputFile` / `writeOutputFileWith` are the one way a command writes a file the user named
 * (`--out`): refused when it is the store, its WAL or an input, or exists without `--force`; written
 * to a temporary file beside it and renamed, so a failure leaves the old file as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
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

/**
 * Files an output must never replace: the store and its write-ahead log (`<db>.wal`), each as given
 * and as resolved through symbolic links (DuckDB puts the WAL beside the path it was given).
 */
export function storeFiles(db: string): string[] {
  const out = [resolve(db), `${resolve(db)}.wal`];
  try {
    const real = realpathSync(db);
    out.push(real, `${real}.wal`);
  } catch {
    // The store does not exist yet: the resolved paths are enough.
  }
  return out;
}

/** Canonical form of a path that may not exist: the real path of its deepest existing ancestor + the rest. */
export function canonicalPath(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const up = dirname(abs);
    return up === abs ? abs : join(canonicalPath(up), basename(abs));
  }
}

/** True when `a` and `b` name the same file: same canonical path, or same device and inode (hard links). */
export function samePath(a: string, b: string): boolean {
  if (canonicalPath(a) === canonicalPath(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** True when `inner` is `outer` or lies somewhere below it (canonical paths). */
export function isInside(inner: string, outer: string): boolean {
  const i = canonicalPath(inner);
  const o = canonicalPath(outer);
  return i === o || i.startsWith(o.endsWith(sep) ? o : o + sep);
}

export interface OutputFileOptions {
  /** Replace an existing file (never a protected one, never a folder). Default false. */
  force?: boolean;
  /** Files the output must not be: the store and its WAL (`storeFiles(db)`), the inputs. */
  protect?: readonly string[];
  /** How the path was given, for messages. Default `--out`. */
  flag?: string;
}

/**
 * Checks that `out` may be written as a file the user named: its folder exists, it is not a folder,
 * not one of `protect` (compared through symbolic links, relative paths and hard links), and does
 * not exist unless `force`.
 * @throws UserInputError one line naming the path: `<flag> <out> is the store ...`, `... already
 *   exists; pass --force to replace it`, `folder <dir> does not exist (for <flag> <out>)`, `... is a folder`.
 */
export function checkOutputFile(out: string, opts: OutputFileOptions = {}): void {
  const flag = opts.flag ?? '--out';
  for (const p of opts.protect ?? []) {
    if (samePath(out, p)) throw new UserInputError(`${flag} ${out} is ${describeProtected(p)}; choose another file`);
  }
  const dir = dirname(out);
  if (!existsSync(dir)) throw new UserInputError(`folder ${dir} does not exist (for ${flag} ${out})`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserInputError(`${flag} ${out} is a folder; give a file name`);
  if (!opts.force && lstatExists(out)) throw new UserInputError(`${flag} ${out} already exists; pass --force to replace it`);
}

function describeProtected(p: string): string {
  return p.endsWith('.wal') ? `the store's write-ahead log (${p})` : `the store or an input (${p})`;
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a user-named output file safely: `checkOutputFile`, then `write(tmp)` fills a temporary
 * file beside `out` (created with the default mode, so the umask applies) which is renamed over
 * `out`; on any failure the temporary file is removed and `out` is untouched.
 * @throws UserInputError from `checkOutputFile`, or `cannot write <out>: <reason>`.
 */
export async function writeOutputFileWith(out: string, opts: OutputFileOptions, write: (tmp: string) => Promise<void> | void): Promise<void> {
  checkOutputFile(out, opts);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await write(tmp);
    // Re-check just before the rename: the store could have appeared at the path meanwhile.
    checkOutputFile(out, opts);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof UserInputError) throw err;
    throw new UserInputError(`cannot write ${out}: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
  }
}

/** `writeOutputFileWith` for text or bytes already in memory. */
export function writeOutputFile(out: string, content: string | Uint8Array, opts: OutputFileOptions = {}): void {
  checkOutputFile(out, opts);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UserInputError(`cannot write ${out}: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
  }
}

/**
 * Checks that a command may write its files into the folder `out`: a missing or empty folder is fine;
 * an existing non-empty one only with `force` (then the command's own files in it are replaced); a
 * plain file never.
 * @throws UserInputError `--out <out> already exists; pass --force to replace its <what>`, or `... is a file`.
 */
export function checkOutputFolder(out: string, opts: { force?: boolean; what: string; flag?: string }): void {
  const flag = opts.flag ?? '--out';
  if (!lstatExists(out)) return;
  if (!statSync(out).isDirectory()) throw new UserInputError(`${flag} ${out} is a file; give a folder`);
  if (readdirSync(out).length > 0 && !opts.force) throw new UserInputError(`${flag} ${out} already exists; pass --force to replace its ${opts.what}`);
}
