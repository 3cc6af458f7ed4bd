import { mkdir } from 'node:fs/promises'
import { errorMessage } from '../errors.ts'
import { countTestCases } from '../report/counts.ts'
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
  const unreached = !outcome.failed && !interruption.interrupted && !outcome.verdictOverride ? run.selection.unreached(steps) : undefined
  if (unreached) {
    // Every step was passed over: the runbook has no such step.
    outcome.fatal = unreached
    outcome.verdictOverride = 'config-error'
    view.emit({ kind: 'error', message: `${run.name}: ${unreached}` })
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
  let reports: WrittenReports | undefined
  try {
    await mkdir(run.reportDir, { recursive: true })
    reports = await writeReports(run.reportDir, report, run.redactor, process.env, { cwd: run.cwd })
    const state: RunbookState = {
      schemaVersion: STATE_SCHEMA_VERSION,
      runbook: run.name,
      target: run.targetLabel,
      runId: meta.runId,
      finishedAt: meta.finishedAt,
      verdict,
      steps: journal.stateSteps(steps),
    }
    if (run.selection.previous) state.resumedFrom = run.selection.previous.runId
    await writeState(run.reportDir, run.redactor.redactDeep(state))
  } catch (err) {
    view.emit({ kind: 'error', message: `could not write reports to ${run.reportDir}: ${errorMessage(err)}` })
  }
  view.emit({ kind: 'end', verdict, exitCode, line: closingLine(counts), reports })
  await env?.close().catch(() => undefined)
  process.exitCode = exitCode
  return exitCode
}
