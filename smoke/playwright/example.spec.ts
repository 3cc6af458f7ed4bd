import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from '@playwright/test'
import { latencySample } from '../../checks/latency.ts'
import { attachCheck } from '../../playwright-reporter/attach-check.ts'

/*
 * An example post-deploy Playwright suite that uses runbook-kit checks inside its tests. It serves
 * its own loopback "application" so it runs anywhere; point RBK_EXAMPLE_BASE_URL at a real deployment instead.
 * RBK_PLAYWRIGHT_DEMO_FAILURES=1 adds a flaky and a failing test, so the reporter's retry and
 * failure paths can be seen (and are tested by test/playwright-reporter.test.ts).
 */

let server: Server | undefined
let baseUrl = process.env.RBK_EXAMPLE_BASE_URL ?? ''

test.beforeAll(async () => {
  if (baseUrl) return
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    if (req.url === '/health') return void res.end('ok')
    res.end('<!doctype html><title>Demo</title><h1>Dashboard</h1><p>All systems go</p>')
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
test.afterAll(() => server?.close())

const demoFailures = process.env.RBK_PLAYWRIGHT_DEMO_FAILURES === '1'

test.describe('post-deploy', () => {
  test('dashboard renders', async ({ page }) => {
    test.info().annotations.push({ type: 'runbook', description: 'production-deployment-runbook.md §7 verify UI' })
    const res = await page.goto(baseUrl + '/')
    expect(res?.status()).toBe(200)
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible()
  })

  test('health endpoint latency is within budget', async () => {
    const result = await latencySample({ url: baseUrl + '/health', requests: 20, concurrency: 4, p95: 500 })
    await attachCheck(test.info(), result)
    expect(result.status, result.message).toBe('pass')
  })

  test('flaky on the first attempt', async () => {
    test.skip(!demoFailures, 'demo of retries: set RBK_PLAYWRIGHT_DEMO_FAILURES=1')
    expect(test.info().retry, 'fails on the first attempt by design').toBeGreaterThan(0)
  })

  test('admin page shows a missing widget', async ({ page }) => {
    test.skip(!demoFailures, 'demo of a failure: set RBK_PLAYWRIGHT_DEMO_FAILURES=1')
    test.info().annotations.push({ type: 'issue', description: 'DEMO-1' })
    await page.goto(baseUrl + '/')
    await expect(page.locator('#widget')).toBeVisible({ timeout: 500 })
  })
})
