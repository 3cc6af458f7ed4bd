import { randomBytes } from 'node:crypto'
import { appendFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Redactor } from '../redact.ts'
import { errorMessage } from '../errors.ts'
import { renderJson } from './json.ts'
import { renderJunit } from './junit.ts'
import { renderMarkdown, renderSummaryMarkdown, STEP_SUMMARY_MAX_BYTES } from './markdown.ts'
import type { RunReport } from './model.ts'
import { sha256Hex } from './text.ts'

/** Absolute paths of the files `writeReports` wrote. */
export interface WrittenReports {
  dir: string
  junit: string
  markdown: string
  json: string
  /** `$GITHUB_STEP_SUMMARY` when the summary was appended to it. */
  stepSummary?: string
  /** Why appending to `$GITHUB_STEP_SUMMARY` failed; the three report files are written regardless. */
  stepSummaryError?: string
}

/** Names of the files in a report directory (a contract: DESIGN.md "Reports"). */
export const REPORT_FILES = Object.freeze({ json: 'report.json', junit: 'junit.xml', markdown: 'report.md' })

export interface WriteOptions {
  /** The run's working directory: junit.xml's attachment and file paths are relative to it. Default `process.cwd()`. */
  cwd?: string
}

/**
 * Redacts the whole report with `redactor` first, then writes `report.json`, `junit.xml` and `report.md`
 * into `dir` (created if needed), each atomically: a temp file in the same directory, then a rename, so a
 * reader never sees half a file. Appends the short summary to `$GITHUB_STEP_SUMMARY` when it is set, within
 * what is left of GitHub's 1 MiB per step. `RUNBOOK_KIT_JUNIT=strict` in `env` writes a junit.xml with
 * only what junit-10.xsd allows (lib/report/junit.ts). Returns absolute paths.
 */
export async function writeReports(dir: string, report: RunReport, redactor: Redactor, env: NodeJS.ProcessEnv = process.env, opts: WriteOptions = {}): Promise<WrittenReports> {
  const abs = resolve(dir)
  const clean = redactor.redactDeep(report)
  const json = renderJson(clean)
  const paths = { json: join(abs, REPORT_FILES.json), junit: join(abs, REPORT_FILES.junit), markdown: join(abs, REPORT_FILES.markdown) }
  // The Markdown also goes through redact() as text: a belt-and-braces pass over what the renderer composed.
  // (Not the XML: a mask could land inside an entity; its strings all come from the redacted report.)
  const markdown = redactor.redact(renderMarkdown(clean, { jsonSha256: sha256Hex(json) }))
  const junit = renderJunit(clean, { reportDir: abs, cwd: opts.cwd ?? process.cwd(), strict: env.RUNBOOK_KIT_JUNIT === 'strict' })

  await mkdir(abs, { recursive: true })
  // report.json first: it is the source of truth the other two are rendered from.
  await writeAtomic(paths.json, json)
  await writeAtomic(paths.junit, junit)
  await writeAtomic(paths.markdown, markdown)

  const written: WrittenReports = { dir: abs, ...paths }
  const summaryFile = env.GITHUB_STEP_SUMMARY
  if (summaryFile) {
    try {
      // The cap is per step and counts what this step wrote before (another run, another tool).
      const used = await stat(summaryFile).then((s) => s.size, () => 0)
      const summary = summaryWithin(clean, redactor, STEP_SUMMARY_MAX_BYTES - used)
      if (summary === '') {
        written.stepSummaryError = `GITHUB_STEP_SUMMARY (${summaryFile}) already holds ${used} bytes of the ${STEP_SUMMARY_MAX_BYTES} GitHub keeps per step: no summary appended`
      } else {
        await appendFile(summaryFile, summary)
        written.stepSummary = summaryFile
      }
    } catch (err) {
      written.stepSummaryError = `could not append to GITHUB_STEP_SUMMARY (${summaryFile}): ${errorMessage(err)}`
    }
  }
  return written
}

/**
 * The step summary, redacted, in at most `maxBytes` (with its trailing newline). The text pass of the
 * redactor can lengthen it (a mask longer than a short secret), so it is measured after that pass and
 * rendered again smaller when needed. Empty when nothing fits.
 */
function summaryWithin(report: RunReport, redactor: Redactor, maxBytes: number): string {
  let budget = maxBytes - 1
  for (let tries = 0; tries < 4 && budget > 0; tries++) {
    const md = renderSummaryMarkdown(report, { maxBytes: budget })
    if (md === '') return ''
    const text = redactor.redact(md) + '\n'
    const over = Buffer.byteLength(text, 'utf8') - maxBytes
    if (over <= 0) return text
    budget -= over
  }
  return ''
}

/** Writes `content` to a temp file beside `path`, then renames it over `path`; removes the temp file on failure. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, content, { encoding: 'utf8', flag: 'wx' })
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
