/**
 * CLI suites spawn `bin/run.js`, which loads `dist/`: without a build they must fail, not skip (a
 * bare `vitest run` would otherwise pass without testing the CLI). Call in a suite's `beforeAll`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Throws when a built file the CLI needs is missing.
 * @param files paths relative to the repository root (default: the sweep command and the oclif manifest)
 */
export function requireBuild(...files: string[]): void {
  for (const f of files.length ? files : ['dist/commands/sweep.js', 'oclif.manifest.json']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first (CLI tests spawn bin/run.js, which loads dist/)`);
  }
}
