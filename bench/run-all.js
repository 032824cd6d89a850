#!/usr/bin/env node
/**
 * `npm run bench`: every Node benchmark in this folder, one after the other, each printing its own
 * JSON. By default a quick pass with smaller inputs (a few minutes on 2 cores); `--full` uses each
 * benchmark's own defaults, the settings of the figures in bench/README.md. The default sweep's
 * whole-process timing (bench/default-sweep.sh, about 10 minutes a run) runs only with `--sweep`.
 *
 *   npm run bench [-- --full] [-- --sweep]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const full = process.argv.includes('--full');
const jiti = path.join(root, 'node_modules/jiti/lib/jiti-cli.mjs');

const benches = [
  ['eval-throughput.ts', full ? [] : ['--pairs', '2000', '--examples', '8']],
  ['train-throughput.ts', full ? [] : ['--repeats', '3', '--backends', 'wasm,cpu']],
  ['store-scale.ts', full ? [] : ['--runs', '500', '--steps', '100', '--repeat', '3']],
];

let failed = 0;
const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
for (const [file, args] of benches) {
  process.stderr.write(`\n== bench/${file} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [jiti, path.join('bench', file), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (process.argv.includes('--sweep')) {
  const r = spawnSync('bash', [path.join('bench', 'default-sweep.sh'), '1'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
