import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Network-heavy integration tests on a 2-core machine: keep worker count modest.
    maxWorkers: 2,
  },
})
