import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../lib/report/model.ts'

/*
 * Black-box: run the repo's example Playwright config as a child process (with the demo failures
 * switched on) and parse the report.json / report.md / junit.xml the runbook-kit reporter wrote.
 */
const CHROMIUM = process.env.RUNBOOK_KIT_CHROMIUM || '/usr/bin/chromium'
let dir = ''
let exitCode: number | null = null
let output = ''
let report: RunReport
let markdown = ''

// Skipped only when Debian's chromium is missing (CI installs it in .ci/run).
describe.skipIf(!existsSync(CHROMIUM))('runbook-kit Playwright reporter on the example suite', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rbk-pw-report-'))
    await new Promise<void>((resolve) => {
      execFile(
        'npx',
        ['playwright', 'test', '-c', 'playwright.config.ts'],
        { cwd: join(import.meta.dirname, '..'), env: { ...process.env, RBK_PLAYWRIGHT_DEMO_FAILURES: '1', RBK_PLAYWRIGHT_REPORT_DIR: dir, CI: '1' }, timeout: 150_000 },
        (err, stdout, stderr) => {
          exitCode = err ? ((err as { code?: number }).code ?? null) : 0
          output = stdout + stderr
          resolve()
        },
      )
    })
    report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as RunReport
    markdown = await readFile(join(dir, 'report.md'), 'utf8')
  }, 180_000)
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const byTitle = (t: string) => report.results.find((r) => r.title === `post-deploy › ${t}`)

  it('maps tests to check results with the run verdict', () => {
    expect(exitCode, output).toBe(1)
    expect(report.schemaVersion).toBe(1)
    expect(report.meta).toMatchObject({ suite: 'playwright-example', target: 'example', verdict: 'failed', exitCode: 1 })
    expect(report.summary).toEqual({ pass: 3, fail: 1, error: 0, skip: 0, total: 4 })
    expect(report.results.every((r) => r.kind === 'playwright')).toBe(true)
  })

  it('records retries as attempts: a flaky pass and a persistent failure', () => {
    const flaky = byTitle('flaky on the first attempt')!
    expect(flaky).toMatchObject({ status: 'pass', attempts: 2 })
    expect(flaky.message).toContain('passed on attempt 2')
    expect(flaky.attemptLog?.map((a) => a.status)).toEqual(['fail', 'pass'])
    const failed = byTitle('admin page shows a missing widget')!
    expect(failed).toMatchObject({ status: 'fail', attempts: 2 })
    expect(failed.message).toMatch(/toBeVisible\(\) failed/)
  })

  it('puts annotations, runbook-kit check results and screenshots into the evidence', async () => {
    const ui = byTitle('dashboard renders')!
    expect(ui.evidence.annotations).toEqual([{ type: 'runbook', description: 'production-deployment-runbook.md §7 verify UI' }])
    expect(ui.evidence.file).toMatch(/^smoke\/playwright\/example\.spec\.ts:\d+$/)
    const shot = ui.evidence.screenshot as string
    expect(shot).toMatch(/^screenshots\/.+\.png$/)
    const png = await readFile(join(dir, shot))
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true)
    const latency = byTitle('health endpoint latency is within budget')!
    const checks = latency.evidence.checks as { kind: string; status: string; evidence: { requests: number } }[]
    expect(checks[0]).toMatchObject({ kind: 'latency', status: 'pass', evidence: { requests: 20 } })
  })

  it('writes report.md and junit.xml like the smoke suite, embedding the failure screenshot', async () => {
    expect(markdown).toMatch(/^# Smoke report: playwright-example → example/)
    expect(markdown).toContain('**❌ FAILED**')
    expect(markdown).toContain('## Failed checks')
    const failed = byTitle('admin page shows a missing widget')!
    expect(markdown).toContain(`(<${failed.evidence.screenshot as string}>)`)
    expect(markdown).toMatch(/SHA-256/)
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8')
    expect(junit).toContain('[[ATTACHMENT|')
    expect(junit).toMatch(/<testsuite [^>]*tests="4"[^>]*failures="1"/)
  })
})
