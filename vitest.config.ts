import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Deterministic property tests: fast-check reads this seed (test/support/fc.ts).
    env: { FC_SEED: process.env.FC_SEED ?? '20261122' },
  },
});
