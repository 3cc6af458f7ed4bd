import { defineConfig } from '@playwright/test'
import { CHROMIUM_ARGS } from './checks/browser.ts'

/**
 * Example Playwright suite run after a deploy, reported through runbook-kit's reporter so its
 * report.md/report.json look like the smoke suite's. `npx playwright test -c playwright.config.ts`.
 * Only smoke/playwright/**\/*.spec.ts: vitest owns test/**\/*.test.ts.
 * The browser is Debian's Chromium; never `npx playwright install`.
 */
export default defineConfig({
  testDir: 'smoke/playwright',
  testMatch: '**/*.spec.ts',
  retries: 1,
  workers: 1,
  timeout: 30_000,
  outputDir: '.tmp/playwright-results',
  reporter: [
    ['list'],
    ['./playwright-reporter/index.ts', { outputDir: process.env.RBK_PLAYWRIGHT_REPORT_DIR ?? 'reports/playwright', suite: 'playwright-example', target: 'example' }],
  ],
  use: {
    screenshot: 'on',
    launchOptions: { executablePath: process.env.RUNBOOK_KIT_CHROMIUM || '/usr/bin/chromium', args: [...CHROMIUM_ARGS] },
  },
})
