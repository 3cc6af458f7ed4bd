import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start sandboxes, databases and browsers on 2 cores: a generous bound, not a
    // speed assertion (speed is measured in npm run bench).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Network-heavy integration tests on a 2-core machine: keep worker count modest.
    maxWorkers: 2,
  },
})
