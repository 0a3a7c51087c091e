import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'properties/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Two files at once on two cores (the default is cores - 1 = one): many tests wait on child
    // processes, servers and worker threads, so one file at a time leaves a core idle.
    maxWorkers: 2,
  },
});
