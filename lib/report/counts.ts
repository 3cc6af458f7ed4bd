import type { CheckResult, Status } from '../result.ts'
import type { RunMeta, StepRecord } from './model.ts'

/**
 * What a run counts, the way junit.xml counts it: one test case per check and per step (plus the
 * synthetic `configuration` case when a configuration error stopped the run before any check). The
 * terminal's closing line and report.md's verdict line both come from here, so they cannot disagree
 * with each other or with the JUnit file CI shows.
 */
export interface TestCaseCounts {
  /** Test cases: checks + steps (+ 1 for a configuration error without checks). */
  total: number
  checks: number
  steps: number
  pass: number
  /** Failures (`<failure>`). */
  fail: number
  /** Errors (`<error>`), interrupted-while-running included. */
  error: number
  /** Skipped, rolled-back, dry-run and not-started-because-interrupted. */
  skip: number
  /** Checks and steps that were interrupted (counted above as error or skip). */
  interrupted: number
}

/** Counts the test cases of a report as `renderJunit` writes them. Pure. */
export function countTestCases(report: { meta: Pick<RunMeta, 'verdict'>; results: readonly CheckResult[]; steps: readonly StepRecord[] }): TestCaseCounts {
  const c: TestCaseCounts = { total: 0, checks: report.results.length, steps: report.steps.length, pass: 0, fail: 0, error: 0, skip: 0, interrupted: 0 }
  if (report.meta.verdict === 'config-error' && report.results.length === 0) c.error++
  for (const r of report.results) {
    if (r.interrupted && r.status !== 'pass') {
      c.interrupted++
      // junit.ts: a check that never started is skipped; one cut short is an error.
      if (r.attempts === 0) c.skip++
      else c.error++
    } else {
      c[r.status]++
    }
  }
  for (const s of report.steps) {
    if (s.interrupted) c.interrupted++
    c[stepOutcome(s.status)]++
  }
  c.total = c.pass + c.fail + c.error + c.skip
  return c
}

/** A step's JUnit outcome: rolled back and dry run are skipped (they neither passed nor failed). */
export function stepOutcome(status: StepRecord['status']): Status {
  return status === 'rolled-back' || status === 'dry-run' ? 'skip' : status
}
