import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two test files at a time even on 2 cores (vitest's default is cores - 1, i.e. one): most of the
    // slow files wait on child processes, servers and timers rather than compute (a run on a box at
    // load 10 took as long as one on an idle box), so a second file overlaps their waits.
    maxWorkers: 2,
  },
});
