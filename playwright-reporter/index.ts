import { copyFile, mkdir } from 'node:fs/promises'
import { extname, join, relative, resolve } from 'node:path'
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter'
import { redactor } from '../lib/redact.ts'
import { buildMeta, writeReports } from '../lib/report/index.ts'
import type { RunReport, RunVerdict } from '../lib/report/model.ts'
import { summarize, type Attempt, type CheckResult, type Status } from '../lib/result.ts'
import { CHECK_ATTACHMENT_TYPE } from './attach-check.ts'

/**
 * `runbook-kit/playwright-reporter`: writes the same `report.json`, `report.md` and `junit.xml` as the
 * smoke suite from a Playwright run, so post-deploy Playwright suites leave the same audit trail.
 * Tests become check results; retries become attempts; annotations and attachments become evidence;
 * screenshot attachments are copied into the report directory. A JSON attachment whose content is a
 * runbook-kit CheckResult (see `attachCheck`) is listed under `evidence.checks`.
 *
 * playwright.config.ts: `reporter: [['runbook-kit/playwright-reporter', { outputDir: 'reports/e2e' }]]`
 */

export interface RunbookKitReporterOptions {
  /** Report directory. Default `reports/playwright-<UTC timestamp>` under the config's root. */
  outputDir?: string
  /** Suite name in the report. Default `playwright`. */
  suite?: string
  /** Target name in the report. Default `$RUNBOOK_KIT_TARGET`, else `playwright`. */
  target?: string
}

export { attachCheck, CHECK_ATTACHMENT_TYPE } from './attach-check.ts'

/** Playwright's final test status → runbook-kit status. */
export function statusOf(status: TestResult['status']): Status {
  switch (status) {
    case 'passed':
      return 'pass'
    case 'failed':
    case 'timedOut':
      return 'fail'
    case 'skipped':
      return 'skip'
    case 'interrupted':
      return 'error'
  }
}

interface Collected {
  test: TestCase
  results: TestResult[]
}

export default class RunbookKitReporter implements Reporter {
  #options: RunbookKitReporterOptions
  #config: FullConfig | undefined
  #startedAt = new Date()
  #tests = new Map<string, Collected>()
  /** Where the reports went, after onEnd. */
  writtenTo: string | undefined

  constructor(options: RunbookKitReporterOptions = {}) {
    this.#options = options
  }

  printsToStdio(): boolean {
    return false
  }

  onBegin(config: FullConfig, _suite: Suite): void {
    this.#config = config
    this.#startedAt = new Date()
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const entry = this.#tests.get(test.id) ?? { test, results: [] }
    entry.results.push(result)
    this.#tests.set(test.id, entry)
  }

  async onEnd(full: FullResult): Promise<void> {
    // Paths in evidence are relative to the config's folder (the project root), not Playwright's testDir.
    const root = this.#config?.configFile ? join(this.#config.configFile, '..') : process.cwd()
    const stamp = this.#startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    const dir = resolve(root, this.#options.outputDir ?? join('reports', `playwright-${stamp}`))
    await mkdir(dir, { recursive: true })
    const used = new Set<string>()
    const results: CheckResult[] = []
    for (const { test, results: runs } of this.#tests.values()) results.push(await this.#toCheck(test, runs, dir, root, used))
    const verdict: RunVerdict = full.status === 'interrupted' ? 'interrupted' : results.some((r) => r.status === 'fail' || r.status === 'error') || full.status !== 'passed' ? 'failed' : 'passed'
    const meta = buildMeta({
      kind: 'smoke',
      suite: this.#options.suite ?? 'playwright',
      target: this.#options.target ?? process.env.RUNBOOK_KIT_TARGET ?? 'playwright',
      startedAt: this.#startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      verdict,
      exitCode: verdict === 'passed' ? 0 : verdict === 'interrupted' ? 130 : 1,
      command: ['playwright', ...process.argv.slice(2)].join(' '),
      ...(this.#config?.configFile ? { targetFile: relative(process.cwd(), this.#config.configFile) } : {}),
    })
    const report: RunReport = { schemaVersion: 1, meta, summary: summarize(results), results, steps: [] }
    const written = await writeReports(dir, report, redactor)
    this.writtenTo = written.dir
  }

  async #toCheck(test: TestCase, runs: TestResult[], dir: string, root: string, used: Set<string>): Promise<CheckResult> {
    const last = runs[runs.length - 1]!
    const path = test.titlePath().filter(Boolean)
    // titlePath: ['', project, file, ...describes, title]
    const project = test.parent.project()?.name ?? ''
    const titleParts = path.slice(project ? 2 : 1)
    let id = slug(titleParts.join(' ')) || 'test'
    for (let n = 2; used.has(id); n++) id = `${slug(titleParts.join(' '))}-${n}`
    used.add(id)
    const status = statusOf(last.status)
    const evidence: Record<string, unknown> = {
      file: `${relative(root, test.location.file)}:${test.location.line}`,
      ...(project ? { project } : {}),
      playwrightStatus: last.status,
      expectedStatus: test.expectedStatus,
    }
    const annotations = [...test.annotations, ...last.annotations].map((a) => ({ type: a.type, ...(a.description ? { description: a.description } : {}) }))
    if (annotations.length > 0) evidence.annotations = dedupe(annotations)
    if (last.errors.length > 0) evidence.errors = last.errors.map((e) => stripAnsi(e.message ?? e.value ?? '').slice(0, 2000))

    const attachments: Record<string, unknown>[] = []
    const checks: unknown[] = []
    let shot = 0
    for (const a of last.attachments) {
      if (a.contentType === CHECK_ATTACHMENT_TYPE && a.body) {
        try {
          checks.push(JSON.parse(a.body.toString('utf8')))
        } catch {
          // not JSON: listed as a plain attachment below
        }
        continue
      }
      const item: Record<string, unknown> = { name: a.name, contentType: a.contentType }
      if (a.path && a.contentType.startsWith('image/')) {
        // Copied into the report dir so report.md can embed it and the folder stays self-contained.
        const rel = join('screenshots', `${id}${shot ? `-${shot}` : ''}${extname(a.path) || '.png'}`).split('\\').join('/')
        try {
          await mkdir(join(dir, 'screenshots'), { recursive: true })
          await copyFile(a.path, join(dir, rel))
          item.path = rel
          if (shot === 0) evidence.screenshot = rel
          shot++
        } catch (err) {
          item.error = `not copied: ${(err as Error).message}`
        }
      } else if (a.path) item.path = relative(root, a.path)
      else if (a.body && /^(text\/|application\/json)/.test(a.contentType)) item.text = a.body.toString('utf8').slice(0, 2000)
      attachments.push(item)
    }
    if (attachments.length > 0) evidence.attachments = attachments
    if (checks.length > 0) evidence.checks = checks

    const attemptLog: Attempt[] = runs.map((r, i) => ({
      attempt: i + 1,
      status: statusOf(r.status),
      message: messageOf(r, test),
      startedAt: r.startTime.toISOString(),
      durationMs: r.duration,
    }))
    let message = messageOf(last, test)
    if (runs.length > 1 && status === 'pass') message = `${message} (passed on attempt ${runs.length}: flaky)`
    else if (runs.length > 1 && status === 'fail') message = `${message} (still failing after ${runs.length} attempts)`
    const result: CheckResult = {
      id,
      title: titleParts.join(' › '),
      status,
      message,
      evidence,
      startedAt: (runs[0] ?? last).startTime.toISOString(),
      durationMs: runs.reduce((a, r) => a + r.duration, 0),
      attempts: runs.length,
      kind: 'playwright',
    }
    if (runs.length > 1) result.attemptLog = attemptLog
    if (last.status === 'interrupted') result.interrupted = true
    return result
  }
}

function messageOf(r: TestResult, test: TestCase): string {
  switch (r.status) {
    case 'passed':
      return 'passed'
    case 'skipped': {
      const why = [...r.annotations, ...test.annotations].find((a) => a.type === 'skip' || a.type === 'fixme')?.description
      return why ? `skipped: ${why}` : 'skipped'
    }
    case 'timedOut':
      return `timed out after ${test.timeout} ms`
    case 'interrupted':
      return 'interrupted'
    case 'failed': {
      const first = stripAnsi(r.error?.message ?? r.errors[0]?.message ?? 'failed').split('\n').find((l) => l.trim()) ?? 'failed'
      return first.trim()
    }
  }
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '')
}

function dedupe<T>(items: T[]): T[] {
  const seen = new Set<string>()
  return items.filter((i) => {
    const k = JSON.stringify(i)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
