import { mkdir } from 'node:fs/promises'
import { errorMessage } from '../errors.ts'
import { countTestCases } from '../report/counts.ts'
import { explainWriteError, fallbackReportDir } from '../report/folder.ts'
import { buildMeta } from '../report/meta.ts'
import type { RunReport, RunVerdict } from '../report/model.ts'
import { writeReports, type WrittenReports } from '../report/write.ts'
import { summarize } from '../result.ts'
import { closingLine } from '../terminal.ts'
import { scriptArgv } from './args.ts'
import type { RunCore } from './core.ts'
import { STATE_SCHEMA_VERSION, writeState, type RunbookState } from './state.ts'

/**
 * The end of a run: the verdict, the notification, the reports (report.json, junit.xml, report.md)
 * and state.json, the closing line, the environment closed, the exit code.
 */

export const EXIT_CODES: Readonly<Record<RunVerdict, number>> = Object.freeze({ passed: 0, failed: 1, 'config-error': 2, interrupted: 130 })

export async function finishRun(run: RunCore): Promise<number> {
  const { journal, outcome, interruption, view } = run
  // One snapshot for the counts, the reports and state.json (steps reached while finishing are not recorded).
  const steps = [...journal.steps]
  const results = [...journal.results]
  // A step selector that names no step of the runbook (a typo) is a configuration error, not a pass:
  // --from (every step was passed over) and --only (judged on the steps the run recorded; an
  // interrupted run did not reach them all).
  const unknownStep = interruption.interrupted || outcome.verdictOverride ? undefined : (!outcome.failed ? run.selection.unreached(steps) : undefined) ?? run.selection.unknownOnly(steps)
  if (unknownStep) {
    outcome.fatal = unknownStep
    outcome.verdictOverride = 'config-error'
    view.emit({ kind: 'error', message: `${run.name}: ${unknownStep}` })
  }
  const summary = summarize(results)
  const stepFailed = steps.some((s) => s.status === 'fail' || s.status === 'error')
  const verdict: RunVerdict = outcome.verdictOverride ?? (interruption.interrupted ? 'interrupted' : stepFailed || summary.fail + summary.error > 0 ? 'failed' : 'passed')
  const exitCode = EXIT_CODES[verdict]
  // Counted like junit.xml and report.md count them: a test case per check and per step.
  const counts = countTestCases({ meta: { verdict }, results, steps })
  if (verdict !== 'config-error') {
    const text = `${run.opts.title} on ${run.targetLabel}: ${verdict}${run.dryRun ? ' (dry run)' : ''} — ${closingLine(counts)}`
    await run.notify(verdict === 'passed' ? 'success' : verdict === 'interrupted' ? 'interrupted' : 'failure', text)
  }
  const finishedAt = new Date()
  const env = run.environment
  const meta = buildMeta({
    kind: 'runbook',
    suite: run.name,
    target: env?.target.name ?? run.targetLabel ?? 'unknown',
    ...(env ? { targetFile: env.loaded.file } : {}),
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - run.startedAt.getTime(),
    command: run.redactor.redact(['npx zx', run.opts.script ?? `runbooks/${run.name}.mts`, ...(run.opts.argv ?? scriptArgv())].join(' ')),
    verdict,
    exitCode,
    ...(outcome.fatal ? { error: run.redactor.redact(outcome.fatal) } : {}),
    ...(env?.faults.length ? { faults: env.faults } : {}),
  })
  if (outcome.warnings.length) meta.warnings = outcome.warnings.map((w) => run.redactor.redact(w))
  const report: RunReport = { schemaVersion: 1, meta, summary, results, steps }
  const stateOf = (): RunbookState => ({
    schemaVersion: STATE_SCHEMA_VERSION,
    runbook: run.name,
    target: run.targetLabel,
    runId: meta.runId,
    finishedAt: meta.finishedAt,
    verdict: meta.verdict,
    steps: journal.stateSteps(steps),
    ...(run.selection.previous ? { resumedFrom: run.selection.previous.runId } : {}),
  })
  const reports = await writeRecord(run, report, stateOf)
  view.emit({ kind: 'end', verdict: meta.verdict, exitCode: meta.exitCode, line: closingLine(counts), reports })
  await env?.close().catch(() => undefined)
  process.exitCode = meta.exitCode
  return meta.exitCode
}

/**
 * Writes the reports and state.json into the report folder. When that fails (the folder was removed
 * or filled up during the run), the run fails: the record goes to a fallback folder under the OS temp
 * folder instead, and the terminal says so loudly.
 */
async function writeRecord(run: RunCore, report: RunReport, stateOf: () => RunbookState): Promise<WrittenReports | undefined> {
  const write = async (dir: string) => {
    // Report paths in junit.xml relative to where the runbook was started (as CI consumers expect).
    const reports = await writeReports(dir, report, run.redactor, process.env, { cwd: run.cwd })
    await writeState(dir, run.redactor.redactDeep(stateOf()))
    return reports
  }
  try {
    await mkdir(run.reportDir, { recursive: true })
    return await write(run.reportDir)
  } catch (err) {
    const why = `the reports could not be written to ${run.reportDir}: ${await explainWriteError(err, run.reportDir)}`
    const { meta } = report
    if (meta.verdict === 'passed') meta.verdict = 'failed'
    if (meta.exitCode === 0) meta.exitCode = EXIT_CODES.failed
    meta.error = meta.error ? `${meta.error}; ${why}` : why
    run.view.emit({ kind: 'error', message: `\nREPORTS NOT WRITTEN: ${why}` })
    try {
      const fallback = await fallbackReportDir(run.name)
      const reports = await write(fallback)
      run.view.emit({ kind: 'error', message: `THE RECORD OF THIS RUN IS IN ${fallback}/ (report.json, junit.xml, report.md, state.json); the run fails for the lost reports.` })
      return reports
    } catch (again) {
      run.view.emit({ kind: 'error', message: `the record of this run could not be written anywhere: ${errorMessage(again)}` })
      return undefined
    }
  }
}
