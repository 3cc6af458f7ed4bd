import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import { parseReport } from '../../../lib/report/json.ts'
import { writeReports } from '../../../lib/report/write.ts'
import { mixedReport, report, result, SECRET, steps, validateJunit } from './fixtures.ts'

let tmp: string
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rbk-report-'))
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await rm(tmp, { recursive: true, force: true })
})

/** A report with the secret everywhere a careless check or runbook might put it. */
function leakyReport() {
  const r = report(
    [
      result('webhook', 'fail', {
        message: `401 with signature for secret ${SECRET}`,
        evidence: { [`header-${SECRET}`]: SECRET, url: `https://bot:${SECRET}@api.example.com/hook`, nested: { list: [SECRET] } },
        attempts: 2,
        attemptLog: [
          { attempt: 1, status: 'fail', message: `bad ${SECRET}`, startedAt: '2026-11-21T23:30:00.000Z', durationMs: 1 },
          { attempt: 2, status: 'fail', message: 'bad', startedAt: '2026-11-21T23:30:01.000Z', durationMs: 1 },
        ],
        warnings: [`token ${SECRET} is old`],
      }),
      ...mixedReport().results,
    ],
    { command: `runbook-kit smoke --token ${SECRET}`, error: `fatal: ${SECRET}` },
    steps(),
  )
  r.steps[1]!.commands[0]!.stderrTail = `password authentication failed: ${SECRET}`
  return r
}

describe('writeReports', () => {
  it('writes the three files atomically into a new directory and returns absolute paths', async () => {
    const dir = join(tmp, 'reports', 'sandbox-20261121T233000Z')
    const w = await writeReports(relative(process.cwd(), dir), mixedReport(), new Redactor(), {})
    expect(w).toEqual({ dir, json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), markdown: join(dir, 'report.md') })
    for (const p of [w.dir, w.json, w.junit, w.markdown]) expect(isAbsolute(p)).toBe(true)
    // No temp files left behind.
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.json', 'report.md'])
    const junit = await readFile(w.junit, 'utf8')
    expect(validateJunit(junit).status).toBe(0)
    expect(parseReport(await readFile(w.json, 'utf8')).results).toHaveLength(8)
  })

  it('prints in report.md the SHA-256 of the report.json bytes on disk', async () => {
    const w = await writeReports(tmp, mixedReport(), new Redactor(), {})
    const bytes = await readFile(w.json)
    const sha = createHash('sha256').update(bytes).digest('hex')
    const md = await readFile(w.markdown, 'utf8')
    expect(md.match(/SHA-256 of report\.json: `([0-9a-f]{64})`/)?.[1]).toBe(sha)
  })

  it('redacts the whole report before rendering: the secret is in none of the three files', async () => {
    const redactor = new Redactor()
    redactor.add(SECRET)
    const w = await writeReports(tmp, leakyReport(), redactor, {})
    for (const p of [w.json, w.junit, w.markdown]) {
      const text = await readFile(p, 'utf8')
      expect(text, p).not.toContain(SECRET)
      expect(text, p).not.toContain(Buffer.from(SECRET).toString('base64'))
      expect(text, p).toContain('***')
    }
    expect(validateJunit(await readFile(w.junit, 'utf8')).status).toBe(0)
    // The report itself was not modified in place (the caller may still need it).
    const original = leakyReport()
    expect(JSON.stringify(original)).toContain(SECRET)
  })

  it('replaces the files of an earlier write in the same directory', async () => {
    await writeReports(tmp, mixedReport(), new Redactor(), {})
    const w = await writeReports(tmp, report([result('only', 'pass')]), new Redactor(), {})
    expect(parseReport(await readFile(w.json, 'utf8')).results.map((r) => r.id)).toEqual(['only'])
    expect((await readdir(tmp)).sort()).toEqual(['junit.xml', 'report.json', 'report.md'])
  })

  it('appends the short summary to $GITHUB_STEP_SUMMARY, redacted, keeping what was there', async () => {
    const summary = join(tmp, 'step-summary.md')
    await writeFile(summary, 'earlier step\n')
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary)
    const redactor = new Redactor()
    redactor.add(SECRET)
    const w = await writeReports(join(tmp, 'out'), leakyReport(), redactor)
    expect(w.stepSummary).toBe(summary)
    const text = await readFile(summary, 'utf8')
    expect(text.startsWith('earlier step\n### Smoke report: sandbox → sandbox')).toBe(true)
    expect(text).toContain('**❌ FAILED**')
    expect(text).toContain('`webhook`')
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain('SHA-256')
  })

  it('keeps $GITHUB_STEP_SUMMARY within the 1 MiB GitHub keeps per step, counting what is already there', async () => {
    const summary = join(tmp, 'step-summary.md')
    const earlier = 'e'.repeat(1024 * 1024 - 3000) + '\n'
    await writeFile(summary, earlier)
    const many = report([...Array.from({ length: 200 }, (_, i) => result(`svc-${i}`, 'pass')), result('broken', 'fail')])
    const w = await writeReports(join(tmp, 'out'), many, new Redactor(), { GITHUB_STEP_SUMMARY: summary })
    expect(w.stepSummary).toBe(summary)
    const text = await readFile(summary, 'utf8')
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024 * 1024)
    const added = text.slice(earlier.length)
    expect(added).toContain('`broken`')
    expect(added).toMatch(/more rows are in report\.md/)
    // Full: nothing appended, and the caller is told (the run prints it as a warning).
    await writeFile(summary, 'f'.repeat(1024 * 1024))
    const full = await writeReports(join(tmp, 'out2'), many, new Redactor(), { GITHUB_STEP_SUMMARY: summary })
    expect(full.stepSummary).toBeUndefined()
    expect(full.stepSummaryError).toMatch(/already holds 1048576 bytes/)
    expect((await readFile(summary, 'utf8')).length).toBe(1024 * 1024)
  })

  it('writes the strict JUnit variant when RUNBOOK_KIT_JUNIT=strict, paths relative to the given cwd', async () => {
    const r = report([result('page', 'fail', { kind: 'browser', evidence: { screenshot: 'screenshots/page.png' }, file: 'targets/t.yaml', line: 3 })])
    const loose = await writeReports(join(tmp, 'loose'), r, new Redactor(), {}, { cwd: tmp })
    const strict = await writeReports(join(tmp, 'strict'), r, new Redactor(), { RUNBOOK_KIT_JUNIT: 'strict' }, { cwd: tmp })
    const looseXml = await readFile(loose.junit, 'utf8')
    const strictXml = await readFile(strict.junit, 'utf8')
    expect(looseXml).toContain('file="targets/t.yaml" line="3"')
    expect(looseXml).toContain('[[ATTACHMENT|loose/screenshots/page.png]]')
    expect(strictXml).not.toContain('line="3"')
    expect(strictXml).toContain('[[ATTACHMENT|strict/screenshots/page.png]]')
    expect(validateJunit(strictXml, { strict: true }).status).toBe(0)
  })

  it('does not touch a step summary when the variable is unset, and reports (not throws) an unwritable one', async () => {
    const none = await writeReports(join(tmp, 'a'), mixedReport(), new Redactor(), {})
    expect(none.stepSummary).toBeUndefined()
    expect(none.stepSummaryError).toBeUndefined()
    const bad = await writeReports(join(tmp, 'b'), mixedReport(), new Redactor(), { GITHUB_STEP_SUMMARY: tmp })
    expect(bad.stepSummary).toBeUndefined()
    expect(bad.stepSummaryError).toMatch(/could not append to GITHUB_STEP_SUMMARY/)
    expect((await readdir(join(tmp, 'b'))).sort()).toEqual(['junit.xml', 'report.json', 'report.md'])
  })
})
