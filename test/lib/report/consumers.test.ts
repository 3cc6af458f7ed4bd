import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as junit2json, type TestCase, type TestSuite, type TestSuites } from 'junit2json'
import { mergeToString } from 'junit-report-merger'
import { parse as parseResults } from 'test-results-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import { parseReport } from '../../../lib/report/json.ts'
import { renderJunit } from '../../../lib/report/junit.ts'
import type { RunReport } from '../../../lib/report/model.ts'
import { runSmoke } from '../../../smoke/run.ts'
import { repoRoot } from './fixtures.ts'

/**
 * junit.xml as its consumers read it. Real runs — a smoke suite against a loopback server this test
 * starts (a pass, a fail, an error, a skip, a check that passes on its third attempt, a failing browser
 * check with its screenshot), the same suite in two shards, and the engine's fixture runbook with a
 * failing step and its rollback — fed to real parsers: junit2json, test-results-parser (testbeats) and
 * junit-report-merger in Node, junitparser in Python (Debian's python3-junitparser, /usr/bin/python3).
 * Each assertion is a count or a field the consumer shows: totals, file and line, names, times, flaky.
 */

const work = mkdtempSync(join(tmpdir(), 'rbk-consumers-'))
const JUNITPARSER = join(repoRoot, 'test/fixtures/junit-consumers/junitparser_read.py')
let server: Server

const TARGET = `# Checks for the JUnit consumer tests (one of each outcome).
name: consumers
baseUrl: \${CONSUMERS_URL}
defaults:
  timeout: 10s
checks:
  - id: health
    kind: http
    title: Health endpoint answers 200
    url: /health
    expect: { status: 200 }

  - id: readiness
    kind: http
    title: Readiness endpoint answers 200
    url: /ready
    expect: { status: 200 }

  - id: webhook.rejects-invalid-signature
    kind: webhook
    title: Webhook with an invalid signature is rejected
    url: /webhook
    expect: rejects-invalid
    secret: env:WEBHOOK_SECRET

  - id: queue
    kind: http
    title: Queue depth endpoint answers
    url: /queue
    skip: waived until 2026-12-01 (OPS-12)

  - id: warmup
    kind: http
    title: Cache warms up
    url: /warm
    expect: { status: 200 }
    eventually: { timeout: 10s, interval: 100ms }

  - id: admin-ui
    kind: browser
    title: Admin UI shows the dashboard
    url: /admin
    waitForText: Dashboard
    waitTimeout: 1s
`

interface Run {
  report: RunReport
  /** junit.xml as written, and the same report rendered in strict mode. */
  file: string
  strictFile: string
  /** Working directory of the run (paths in the XML are relative to it). */
  cwd: string
}
const runs: Record<'full' | 'shard1' | 'shard2' | 'runbook', Run> = {} as never

function strictVariant(dir: string, cwd: string): string {
  const report = parseReport(readFileSync(join(dir, 'report.json'), 'utf8'))
  const file = join(dir, 'junit-strict.xml')
  writeFileSync(file, renderJunit(report, { reportDir: dir, cwd, strict: true }))
  return file
}

async function smoke(name: 'full' | 'shard1' | 'shard2', only: string[], env: Record<string, string>): Promise<void> {
  const dir = join(work, 'reports', name)
  const outcome = await runSmoke({ target: 'consumers.yaml', cwd: work, reportDir: `reports/${name}`, only, env, redactor: new Redactor() })
  expect(outcome.reports, outcome.writeError).toBeDefined()
  runs[name] = { report: outcome.report, file: join(dir, 'junit.xml'), strictFile: strictVariant(dir, work), cwd: work }
}

function runbook(dir: string, env: Record<string, string>): Promise<void> {
  const zx = join(repoRoot, 'node_modules/zx/build/cli.js')
  const args = ['--import', 'tsx', zx, join(repoRoot, 'test/fixtures/runbooks/engine.mts'), '--target', join(repoRoot, 'test/fixtures/runbooks/target.yaml'), '--yes', '--report-dir', dir]
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', GITHUB_ACTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => (child.kill('SIGKILL'), fail(new Error(`runbook did not finish\n${out}`))), 45_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 1) done()
      else fail(new Error(`runbook exited ${code}\n${out}`))
    })
  })
}

beforeAll(async () => {
  let warm = 0
  server = createServer((req, res) => {
    // The smoke suite's health check sends no token; the fixture runbook's sends its own.
    if (req.url === '/health') return void ((res.statusCode = req.headers.authorization === undefined || req.headers.authorization === 'fixture-token-4f9a1c77e2' ? 200 : 401), res.end('ok'))
    if (req.url === '/ready') return void ((res.statusCode = 503), res.end('not ready'))
    // 503 twice, then 200: the check passes on its third attempt.
    if (req.url === '/warm') return void ((res.statusCode = ++warm <= 2 ? 503 : 200), res.end('warming'))
    // Rejects every delivery, the correctly signed control one too: the webhook check cannot judge (error).
    if (req.url === '/webhook') return void ((res.statusCode = 401), res.end('no'))
    if (req.url === '/admin') return void (res.setHeader('content-type', 'text/html'), res.end('<!doctype html><title>Admin</title><h1>Login</h1>'))
    res.statusCode = 404
    res.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  writeFileSync(join(work, 'consumers.yaml'), TARGET)
  const env = { ...process.env, CONSUMERS_URL: url, WEBHOOK_SECRET: 'whsec-consumers-0123456789' } as Record<string, string>
  const runbookDir = join(work, 'reports', 'runbook')
  await Promise.all([
    smoke('full', [], env),
    runbook(runbookDir, { FIXTURE_URL: url, FIXTURE_TOKEN: 'fixture-token-4f9a1c77e2', WORK_DIR: work, FAIL_AT: 'Second change' }),
  ])
  // The shards after the full run: the warm-up counter starts again.
  warm = 0
  await smoke('shard1', ['health', 'readiness', 'webhook.rejects-invalid-signature'], env)
  await smoke('shard2', ['queue', 'warmup'], env)
  runs.runbook = { report: parseReport(readFileSync(join(runbookDir, 'report.json'), 'utf8')), file: join(runbookDir, 'junit.xml'), strictFile: strictVariant(runbookDir, repoRoot), cwd: repoRoot }
}, 120_000)

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(work, { recursive: true, force: true })
})

const xml = (file: string) => readFileSync(file, 'utf8')
const seconds = (ms: number) => Number((Math.round(ms) / 1000).toFixed(3))
const idOf = (name: string) => /\[([^\]]+)\]$/.exec(name)?.[1] ?? name
/** The line `line` (1-based) of `file` relative to `cwd`. */
const lineAt = (cwd: string, file: string, line: number) => readFileSync(join(cwd, file), 'utf8').split('\n')[line - 1] ?? ''

describe('the runs themselves', () => {
  it('have one of each outcome', () => {
    const status = Object.fromEntries(runs.full.report.results.map((r) => [r.id, r.status]))
    expect(status).toEqual({ health: 'pass', readiness: 'fail', 'webhook.rejects-invalid-signature': 'error', queue: 'skip', warmup: 'pass', 'admin-ui': 'fail' })
    expect(runs.full.report.results.find((r) => r.id === 'warmup')!.attempts).toBe(3)
    expect(runs.full.report.results.find((r) => r.id === 'admin-ui')!.evidence.screenshot).toBe('screenshots/admin-ui.png')
    expect(runs.runbook.report.steps.map((s) => `${s.label ?? s.index}:${s.status}`)).toEqual(['1:pass', '2:rolled-back', '3:fail', 'R1:pass', 'R2:pass', 'R3:pass', '4:skip', '5:skip', '6:skip'])
  })
})

describe('junit2json', () => {
  it('reads the totals, the suite name, and file, line and timestamp on every case', async () => {
    const { report, file, cwd } = runs.full
    const root = (await junit2json(xml(file))) as TestSuites & { skipped?: number }
    expect([root.tests, root.failures, root.errors, root.skipped]).toEqual([6, 2, 1, 1])
    expect(root.time).toBe(seconds(report.meta.durationMs))
    const suite = root.testsuite![0]!
    expect(suite.name).toBe('smoke.consumers')
    expect(suite.package).toBeUndefined()
    expect([suite.tests, suite.failures, suite.errors, suite.skipped, suite.time]).toEqual([6, 2, 1, 1, root.time])
    for (const c of suite.testcase! as (TestCase & { file?: string; line?: number; timestamp?: string })[]) {
      const r = report.results.find((x) => x.id === idOf(c.name!))!
      expect(c.file).toBe('consumers.yaml')
      expect(lineAt(cwd, c.file!, c.line!)).toBe(`  - id: ${r.id}`)
      expect(c.timestamp).toBe(r.startedAt.replace(/Z$/, ''))
      expect(c.time).toBe(seconds(r.durationMs))
    }
  })

  it('sees the flaky check pass with its two failed attempts as flakyFailure, and the screenshot as a relative attachment', async () => {
    const root = (await junit2json(xml(runs.full.file))) as TestSuites
    const cases = root.testsuite![0]!.testcase! as (TestCase & Record<string, unknown>)[]
    const warmup = cases.find((c) => c.name!.endsWith('[warmup]'))!
    expect(warmup.failure).toBeUndefined()
    expect((warmup.flakyFailure as { message: string; type: string }[]).map((f) => [f.type, f.message])).toEqual([
      ['CheckFailed', 'attempt 1: expected status 200, got 503'],
      ['CheckFailed', 'attempt 2: expected status 200, got 503'],
    ])
    const admin = cases.find((c) => c.name!.endsWith('[admin-ui]'))!
    const attachment = /\[\[ATTACHMENT\|([^\]]+)\]\]/.exec(admin['system-out']![0]!)![1]!
    expect(attachment).toBe('reports/full/screenshots/admin-ui.png')
    expect(existsSync(join(runs.full.cwd, attachment))).toBe(true)
  })

  it('reads runbook steps at their rb.step() lines, undo steps at the step they undo', async () => {
    const { report, file, cwd } = runs.runbook
    const suite = ((await junit2json(xml(file))) as TestSuites).testsuite![0]! as TestSuite
    expect(suite.name).toBe('runbook.engine-fixture')
    const steps = suite.testcase!.filter((c) => c.classname === 'runbook.engine-fixture.steps') as (TestCase & { file?: string; line?: number })[]
    expect(steps).toHaveLength(report.steps.length)
    const at = (name: string) => steps.find((c) => c.name === name)!
    for (const name of ['01. Prepare', '02. Apply change', '03. Second change', '06. Final step']) {
      expect(at(name).file).toBe('test/fixtures/runbooks/engine.mts')
      expect(lineAt(cwd, at(name).file!, at(name).line!)).toMatch(/^await rb\.step\($|^await rb\.step\('/)
    }
    expect(lineAt(cwd, 'test/fixtures/runbooks/engine.mts', at('04. Confirm: On-call engineer notified of the deployment window').line!)).toMatch(/^await rb\.confirm\(/)
    expect(lineAt(cwd, 'test/fixtures/runbooks/engine.mts', at('05. Verify the service').line!)).toMatch(/^await rb\.verify\(/)
    expect(at('R1. Undo: Second change').line).toBe(at('03. Second change').line)
    expect(at('R2. Undo: Apply change').line).toBe(at('02. Apply change').line)
    // Made by the engine itself during the rollback: no line of the runbook to point at.
    expect(at('R3. Verify the state after rollback').file).toBeUndefined()
  })
})

describe('test-results-parser (testbeats)', () => {
  it('gets the totals right: skipped is not counted as passed', () => {
    const { report, file } = runs.full
    const result = parseResults({ type: 'junit', files: [file] })
    // Its model: total excludes skipped; passed = total - failed - errors.
    expect({ total: result.total, passed: result.passed, failed: result.failed, errors: result.errors, skipped: result.skipped, status: result.status }).toEqual({ total: 5, passed: 2, failed: 2, errors: 1, skipped: 1, status: 'FAIL' })
    expect(result.duration).toBeCloseTo(report.meta.durationMs, 3)
    const suite = result.suites[0]!
    expect([suite.name, suite.total, suite.passed, suite.skipped]).toEqual(['smoke.consumers', 5, 2, 1])
    const status = Object.fromEntries(suite.cases.map((c) => [idOf(c.name), c.status]))
    expect(status).toEqual({ health: 'PASS', readiness: 'FAIL', 'webhook.rejects-invalid-signature': 'FAIL', queue: 'SKIP', warmup: 'PASS', 'admin-ui': 'FAIL' })
    expect(suite.cases.find((c) => c.name.endsWith('[readiness]'))!.failure).toBe('expected status 200, got 503')
  })

  it('strict mode costs those totals (no skipped on <testsuites>): the skipped check counts as passed', () => {
    const result = parseResults({ type: 'junit', files: [runs.full.strictFile] })
    expect({ total: result.total, passed: result.passed, skipped: result.skipped }).toEqual({ total: 6, passed: 3, skipped: 0 })
  })

  it('finds the screenshot attachment by its relative path', () => {
    const admin = parseResults({ type: 'junit', files: [runs.full.file] }).suites[0]!.cases.find((c) => c.name.endsWith('[admin-ui]'))!
    expect(admin.attachments).toEqual([{ name: 'admin-ui.png', path: 'reports/full/screenshots/admin-ui.png' }])
  })

  it('counts runbook steps and checks together, as the terminal does', () => {
    const { report, file } = runs.runbook
    const result = parseResults({ type: 'junit', files: [file] })
    const cases = report.results.length + report.steps.length
    const skipped = report.steps.filter((s) => ['skip', 'rolled-back', 'dry-run'].includes(s.status)).length
    expect({ total: result.total, failed: result.failed, skipped: result.skipped }).toEqual({ total: cases - skipped, failed: 1, skipped })
  })
})

describe('junit-report-merger', () => {
  it('merges the shards into one suite whose counters add up and whose time is the longest shard', async () => {
    const merged = await mergeToString([xml(runs.shard1.file), xml(runs.shard2.file)])
    const root = (await junit2json(merged)) as TestSuites & { skipped?: number }
    expect([root.tests, root.failures, root.errors, root.skipped]).toEqual([5, 1, 1, 1])
    expect(root.time).toBe(Math.max(seconds(runs.shard1.report.meta.durationMs), seconds(runs.shard2.report.meta.durationMs)))
    // Same suite name in both shards: one suite, every case kept with its file and line.
    expect(root.testsuite).toHaveLength(1)
    const cases = root.testsuite![0]!.testcase! as (TestCase & { file?: string; line?: number })[]
    expect(cases.map((c) => idOf(c.name!))).toEqual(['health', 'readiness', 'webhook.rejects-invalid-signature', 'queue', 'warmup'])
    for (const c of cases) expect(lineAt(work, c.file!, c.line!)).toBe(`  - id: ${idOf(c.name!)}`)
  })

  it('rolls skipped up from the suites even for strict files', async () => {
    const root = (await junit2json(await mergeToString([xml(runs.shard1.strictFile), xml(runs.shard2.strictFile)]))) as TestSuites & { skipped?: number }
    expect([root.tests, root.skipped]).toEqual([5, 1])
  })
})

describe('junitparser (Python)', () => {
  interface Parsed {
    root: { tests: number; failures: number; errors: number; skipped: number; time: number }
    suites: { name: string; tests: number; skipped: number; time: number; cases: { name: string; time: number; result: string[]; passed: boolean; skipped: boolean; file: string | null; line: string | null; timestamp: string | null; system_out: string | null }[] }[]
  }
  const junitparser = (command: 'read' | 'merge', ...files: string[]) => JSON.parse(execFileSync('/usr/bin/python3', [JUNITPARSER, command, ...files], { encoding: 'utf8', timeout: 30_000 })) as Parsed

  it('reads the counters and keeps the run\'s wall time on the root and the suite', () => {
    const { report, file } = runs.full
    const parsed = junitparser('read', file)
    const wall = seconds(report.meta.durationMs)
    expect(parsed.root).toEqual({ tests: 6, failures: 2, errors: 1, skipped: 1, time: wall })
    expect(parsed.suites.map((s) => [s.name, s.time])).toEqual([['smoke.consumers', wall]])
    const cases = parsed.suites[0]!.cases
    expect(Object.fromEntries(cases.map((c) => [idOf(c.name), c.result.join() || (c.passed ? 'passed' : '?')]))).toEqual({
      health: 'passed',
      readiness: 'Failure',
      'webhook.rejects-invalid-signature': 'Error',
      queue: 'Skipped',
      // flakyFailure is not a result to junitparser: the check passed.
      warmup: 'passed',
      'admin-ui': 'Failure',
    })
    for (const c of cases) expect(lineAt(work, c.file!, Number(c.line))).toBe(`  - id: ${idOf(c.name)}`)
  })

  it('recomputes the time as the sum of case times when a counter is missing (strict) and when it merges', () => {
    const caseSum = (p: Parsed) => Number(p.suites.flatMap((s) => s.cases).reduce((t, c) => t + c.time, 0).toFixed(3))
    const strict = junitparser('read', runs.full.strictFile)
    expect(strict.root.skipped).toBe(1)
    expect(strict.root.time).toBe(caseSum(strict))
    expect(strict.root.time).not.toBe(seconds(runs.full.report.meta.durationMs))
    const merged = junitparser('merge', runs.shard1.file, runs.shard2.file)
    expect([merged.root.tests, merged.root.failures, merged.root.errors, merged.root.skipped]).toEqual([5, 1, 1, 1])
    expect(merged.root.time).toBe(caseSum(merged))
  })

  it('reads the runbook: checks and steps, the failed step as a Failure on its line', () => {
    const { report, file, cwd } = runs.runbook
    const parsed = junitparser('read', file)
    expect(parsed.root.tests).toBe(report.results.length + report.steps.length)
    const failed = parsed.suites[0]!.cases.filter((c) => c.result.includes('Failure'))
    expect(failed.map((c) => c.name)).toEqual(['03. Second change'])
    expect(lineAt(cwd, failed[0]!.file!, Number(failed[0]!.line))).toMatch(/^await rb\.step\(/)
  })
})
